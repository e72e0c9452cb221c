/** The induction model's trainers (issue 13): float64 (cpu.ts) and WebGPU (gpu.ts), sharing training.ts. */
export * from './training';
export * from './cpu';
export * from './gpu';
export type { GpuTensor, InductionGraph } from './graph';
