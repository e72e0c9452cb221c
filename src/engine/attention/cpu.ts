/**
 * The CPU backend: the float64 reference (every stage computed), returned in the same form as a GPU run
 * (f32 arrays; −∞ written as MASKED_SENTINEL so one code path draws both).
 */
import { poolReference, windowReference, attentionReference } from '../../kernels/attention/ref';
import type { AttentionReference } from '../../kernels/attention/ref';
import {
  MASKED_SENTINEL,
  type AttentionInputs,
  type PoolMode,
  type Rect,
} from '../../kernels/attention/spec';
import {
  clampedPool,
  type AttentionRunOptions,
  type AttentionRunResult,
  type AttentionStage,
  type MatrixStage,
  type MatrixView,
} from './types';

function toF32(a: Float64Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.max(a[i]!, MASKED_SENTINEL);
  return out;
}

/**
 * Attention on the float64 reference. `reference` holds the float64 stages for the numerics panel; pool
 * and window requests are served from the reference too.
 */
export function runAttentionCpu(
  inputs: AttentionInputs,
  options: AttentionRunOptions = {},
): AttentionRunResult & { reference: AttentionReference } {
  const start = performance.now();
  const ref = attentionReference(inputs, options);
  const { shape } = inputs;
  const wanted = options.stages ?? ['weights', 'output'];
  const stages: Partial<Record<AttentionStage, Float32Array>> = {};
  for (const s of wanted) stages[s] = toF32(ref[s]);
  const view = (
    stage: MatrixStage,
    mode: PoolMode | 'window',
    rect: Rect,
    rows: number,
    cols: number,
  ): MatrixView => ({
    stage,
    mode,
    rect,
    rows,
    cols,
    data: toF32(
      mode === 'window'
        ? windowReference(ref[stage], shape, rect)
        : poolReference(ref[stage], shape, rows, cols, mode, rect),
    ),
  });
  const result: AttentionRunResult & { reference: AttentionReference } = {
    path: 'cpu',
    backend: 'CPU (float64 reference)',
    shape,
    scale: ref.scale,
    mask: options.mask ?? { kind: 'none' },
    stages,
    fullyMaskedRows: ref.stats.fullyMaskedCount,
    elapsedMs: 0,
    bytesRead: 0,
    dispatches: 0,
    submits: 0,
    reference: ref,
  };
  if (options.stats ?? true) {
    result.stats = {
      ...ref.stats,
      max: toF32(ref.stats.max as Float64Array),
      sum: Float32Array.from(ref.stats.sum),
    };
  }
  if (options.pool) {
    const { rect, rows, cols } = clampedPool(options.pool, shape.L);
    result.pooled = view(options.pool.stage ?? 'weights', options.pool.mode, rect, rows, cols);
  }
  if (options.window) {
    const rect = options.window.rect;
    result.window = view(options.window.stage ?? 'weights', 'window', rect, rect.rows, rect.cols);
  }
  result.elapsedMs = performance.now() - start;
  return result;
}
