export * from './gpu';
export { buildGpt2Graph, checkGraphLimits, graphSizes, type Gpt2Graph } from './graph';
