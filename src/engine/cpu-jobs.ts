/**
 * CPU jobs: the float64 references run off the main thread (src/engine/cpu-worker.ts) when WebGPU is
 * missing or the user picks the CPU backend. Each lab adds its job kind here.
 */
import { runRandomCpu, type RandomParams, type RandomResult } from './random';
import {
  attentionNumerics,
  runAttentionCpu,
  type AttentionNumerics,
  type AttentionRunOptions,
  type AttentionRunResult,
} from './attention';
import type { AttentionInputs, AttentionShape } from '../kernels/attention/spec';
import { attentionMagnitudes } from '../kernels/attention/bounds';
import { initAttentionInputs, type AttentionInitOptions } from '../models/attention-inputs';
import { runRecommendJob, type RecommendJob, type RecommendJobResult } from './recommend/jobs';

/** Largest L the attention lab runs on the CPU reference (O(heads·L²·d) float64 work in a worker). */
export const MAX_ATTENTION_L_CPU = 256;

/**
 * Attention on the CPU reference.
 * - Without `compare`: runs runAttentionCpu (the CPU backend) and returns the run (f32 stages, like a GPU
 *   run) with its numerics against itself (row sums).
 * - With `compare` (a GPU run's stages): computes the float64 reference and returns only the numerics of
 *   the GPU run against it (max |GPU − reference| per stage), so no reference tensors cross to the page.
 */
interface AttentionJob {
  kind: 'attention';
  inputs: AttentionInputs;
  options: AttentionRunOptions;
  /**
   * `path` picks the output bound (attentionErrorBounds); without it the fused path's (the larger) is used,
   * so a staged run is never flagged for rounding.
   */
  compare?: Pick<AttentionRunResult, 'stages' | 'shape' | 'fullyMaskedRows' | 'backend'> &
    Partial<Pick<AttentionRunResult, 'path'>>;
}

export type CpuJob =
  | { kind: 'random'; params: RandomParams }
  | AttentionJob
  /** The attention lab's seeded Q, K, V (src/models/attention-inputs.ts), off the main thread for large sizes. */
  | { kind: 'attention-init'; options: AttentionInitOptions }
  | RecommendJob;
export type CpuJobResult =
  | { kind: 'random'; result: RandomResult }
  | { kind: 'attention'; result?: AttentionRunResult; numerics: AttentionNumerics }
  | { kind: 'attention-init'; shape: AttentionShape; q: Float32Array; k: Float32Array; v: Float32Array }
  | RecommendJobResult;

export function runCpuJob(job: CpuJob): CpuJobResult {
  switch (job.kind) {
    case 'random':
      return { kind: 'random', result: runRandomCpu(job.params) };
    case 'attention':
      return runAttentionJob(job);
    case 'attention-init': {
      const { shape, q, k, v } = initAttentionInputs(job.options);
      return { kind: 'attention-init', shape, q, k, v };
    }
    case 'recommend-inputs':
    case 'recommend':
    case 'recommend-train':
      return runRecommendJob(job);
  }
}

function runAttentionJob(job: AttentionJob): CpuJobResult {
  if (job.inputs.shape.L > MAX_ATTENTION_L_CPU) {
    throw new RangeError(
      `The CPU reference runs attention up to L = ${MAX_ATTENTION_L_CPU} (asked for L = ${job.inputs.shape.L}).`,
    );
  }
  const { reference, ...run } = runAttentionCpu(job.inputs, job.options);
  const magnitudes = attentionMagnitudes(job.inputs, job.options.bias);
  if (job.compare) {
    const compared: AttentionRunResult = { ...run, path: 'fused', ...job.compare };
    return { kind: 'attention', numerics: attentionNumerics(compared, reference, magnitudes) };
  }
  return { kind: 'attention', result: run, numerics: attentionNumerics(run, reference, magnitudes) };
}
