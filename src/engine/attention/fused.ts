/**
 * The fused path's pieces outside the engine class: which options it accepts, how a long run is split
 * into batches of heads (so progress and Cancel work between submits), the encoding of one batch, and
 * whether the pass can write the pooled-map partials a run asks for.
 */
import { msg, str } from '@lit/localize';
import type { AdapterSummary } from '../../gpu/device';
import { LimitError, checkStorageSize } from '../../gpu/limits';
import type { FusedAttentionKernel } from '../../kernels/attention/fused';
import { poolPartialsBytes, type PoolPartialsSpec } from '../../kernels/attention/pool-reduce';
import { validatePool, type AttentionShape } from '../../kernels/attention/spec';
import type { AttentionBuffers, PreparedRun } from './buffers';
import { BYTES, clampedPool, type AttentionRunOptions } from './types';

/** Multiply-adds of fused attention per submit before a run is split by heads (≈ 1 s on a software adapter). */
export const WORK_PER_SUBMIT = 2 ** 27;
/** The same for the GPU family (flash): L = 4096 with 8 heads of d = 64 is 2³⁴, a few ms on a GPU. */
export const WORK_PER_SUBMIT_GPU = 2 ** 35;

/** Throws a RangeError for options only the staged path has. */
export function checkFusedOptions(options: AttentionRunOptions): void {
  for (const s of options.stages ?? []) {
    if (s !== 'output') {
      throw new RangeError(`The fused path computes only the output; "${s}" needs runStaged.`);
    }
  }
  for (const req of [options.pool, options.window]) {
    if (req && (req.stage ?? 'weights') !== 'weights') {
      throw new RangeError(`The fused path can pool only the weights (asked for "${req.stage}").`);
    }
  }
  if (options.materialize?.length) throw new RangeError('The fused path materialises no L×L stage.');
}

/**
 * The partials the pass writes for `options.pool` (its rows and pool columns), null when no pooled map is
 * asked for from the pass, or the reason it is recomputed instead: the partials buffer (heads · rect rows ·
 * pool columns · 8 bytes) exceeds maxStorageBufferBindingSize or maxBufferSize.
 */
export function passPoolPlan(
  info: Pick<AdapterSummary, 'limits'>,
  options: AttentionRunOptions,
  shape: AttentionShape,
): { spec: PoolPartialsSpec; bytes: number } | { fallback: string } | null {
  if (!options.pool || options.pool.fromPass === false) return null;
  const { rect, rows, cols } = clampedPool(options.pool, shape.L);
  validatePool(shape.L, rect, rows, cols);
  const spec = { rect, outCols: cols };
  const bytes = poolPartialsBytes(shape.heads, spec);
  try {
    checkStorageSize(info, msg('The pooled-map partials'), bytes);
  } catch (e) {
    if (!(e instanceof LimitError)) throw e;
    const why = e.message;
    return { fallback: msg(str`${why} The pooled map is recomputed per cell instead.`) };
  }
  return { spec, bytes };
}

/** Heads per submit and the number of batch submits (0: the whole run fits one submit). */
export function fusedBatches(
  shape: AttentionShape,
  workPerSubmit: number,
): { headsPerSubmit: number; batches: number } {
  const { heads, L, d } = shape;
  const headsPerSubmit = Math.max(1, Math.floor(workPerSubmit / (L * L * d)));
  return { headsPerSubmit, batches: headsPerSubmit < heads ? Math.ceil(heads / headsPerSubmit) : 0 };
}

/**
 * Fused attention for heads h0…h0+n−1 only: copies their Q, K, V (and per-head bias) into scratch
 * buffers, runs the fused kernel on them as an n-head problem and copies the output and row stats
 * into place in the full buffers. Same arithmetic per head as the one-dispatch run.
 */
export function encodeFusedHeads(
  encoder: GPUCommandEncoder,
  fused: FusedAttentionKernel,
  buffers: AttentionBuffers,
  p: PreparedRun,
  heads: { h0: number; n: number },
  targets: { out: GPUBuffer; stats: GPUBuffer; partials?: GPUBuffer | undefined },
  pool?: PoolPartialsSpec,
): void {
  const { h0, n } = heads;
  const { L, d } = p.shape;
  const vecBytes = n * L * d * BYTES;
  const vecOffset = h0 * L * d * BYTES;
  const slice = (src: GPUBuffer, name: string, offset: number, bytes: number) => {
    const dst = buffers.get(`batch.${name}`, bytes, `batch ${name}`);
    encoder.copyBufferToBuffer(src, offset, dst, 0, bytes);
    return dst;
  };
  const q = slice(p.q, 'q', vecOffset, vecBytes);
  const k = slice(p.k, 'k', vecOffset, vecBytes);
  const v = slice(p.v, 'v', vecOffset, vecBytes);
  const bias =
    p.bias && p.biasMode === 2 ? slice(p.bias, 'bias', h0 * L * L * BYTES, n * L * L * BYTES) : p.bias;
  const batchOut = buffers.get('batch.output', vecBytes, 'batch output');
  const batchStats = buffers.get('batch.stats', n * L * 2 * BYTES, 'batch row stats');
  const partialBytes = pool ? poolPartialsBytes(n, pool) : 0;
  const partials = pool
    ? buffers.get('batch.poolPartials', partialBytes, 'batch pooled-map partials')
    : undefined;
  fused.encode(
    encoder,
    { shape: { heads: n, L, d }, scale: p.scale, mask: p.maskU, biasMode: p.biasMode, pool },
    { q, k, v, bias, maskBits: p.maskBits, out: batchOut, stats: batchStats, partials },
  );
  encoder.copyBufferToBuffer(batchOut, 0, targets.out, vecOffset, vecBytes);
  encoder.copyBufferToBuffer(batchStats, 0, targets.stats, h0 * L * 2 * BYTES, n * L * 2 * BYTES);
  if (partials && targets.partials) {
    encoder.copyBufferToBuffer(partials, 0, targets.partials, h0 * poolPartialsBytes(1, pool!), partialBytes);
  }
}
