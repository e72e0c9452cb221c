/**
 * CPU jobs: the float64 references run off the main thread (src/engine/cpu-worker.ts) when WebGPU is
 * missing or the user picks the CPU backend. Each lab adds its job kind here.
 */
import { runRandomCpu, type RandomParams, type RandomResult } from './random';

export type CpuJob = { kind: 'random'; params: RandomParams };
export type CpuJobResult = { kind: 'random'; result: RandomResult };

export function runCpuJob(job: CpuJob): CpuJobResult {
  switch (job.kind) {
    case 'random':
      return { kind: 'random', result: runRandomCpu(job.params) };
  }
}
