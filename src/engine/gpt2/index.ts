export * from './gpu';
export { buildGpt2Graph, checkGraphLimits, graphSizes, type Gpt2Graph } from './graph';
export { GPT2_CPU_MAX_PARAMS, GPT2_CPU_MAX_T, Gpt2CpuModel, gpt2ParamCount } from './cpu';
