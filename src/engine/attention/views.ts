/**
 * Pooled and windowed views of a matrix stage, encoded on the buffers of the last run (no recomputation of
 * attention): one dispatch per view, read back heads·rows·cols·4 bytes. After a staged run the kept stage
 * is pooled or copied; after a fused run the weights are pooled from the pass's partials when it wrote them
 * for the same columns (PoolReduceKernel), else recomputed per cell from Q, K and the row stats.
 */
import type { ReadbackPool } from '../../gpu/readback';
import { encodeReadback } from '../../gpu/readback';
import { MASK_KIND_ID, validatePool, type PoolMode, type Rect } from '../../kernels/attention/spec';
import type { AttentionBuffers } from './buffers';
import type { AttentionKernels } from './kernels';
import { partialsServe } from '../../kernels/attention/pool-reduce';
import {
  BYTES,
  clampedPool,
  type AttentionRunResult,
  type MatrixStage,
  type MatrixView,
  type PoolRequest,
  type Resident,
  type WindowRequest,
} from './types';

interface ViewContext {
  kernels: AttentionKernels;
  buffers: AttentionBuffers;
  readback: ReadbackPool;
}

export interface ViewRequests {
  pool?: PoolRequest | undefined;
  window?: WindowRequest | undefined;
}

export type ViewResult = Pick<AttentionRunResult, 'pooled' | 'window' | 'bytesRead'>;

/** Views encoded in a command encoder: how many dispatches, and how to read them once submitted. */
export interface EncodedViews {
  dispatches: number;
  finish(result: ViewResult): Promise<void>;
}

interface ViewPlan {
  key: 'pooled' | 'window';
  stage: MatrixStage;
  rect: Rect;
  rows: number;
  cols: number;
  mode: PoolMode | 'window';
  /** Fused, pooled: reduce the pass's partials (else recompute per cell). */
  fromPass?: boolean;
}

/** The views asked for, validated against the resident run before anything is encoded. */
function planViews(req: ViewRequests, r: Resident): ViewPlan[] {
  const plans: ViewPlan[] = [];
  if (req.pool) {
    const { rect, rows, cols } = clampedPool(req.pool, r.shape.L);
    const stage = req.pool.stage ?? 'weights';
    const fromPass =
      r.path === 'fused' &&
      req.pool.fromPass !== false &&
      !!r.partials &&
      partialsServe(r.partials, rect, cols);
    plans.push({ key: 'pooled', stage, rect, rows, cols, mode: req.pool.mode, fromPass });
  }
  if (req.window) {
    const { rect } = req.window;
    const stage = req.window.stage ?? 'weights';
    plans.push({ key: 'window', stage, rect, rows: rect.rows, cols: rect.cols, mode: 'window' });
  }
  for (const { stage, rect, rows, cols } of plans) {
    validatePool(r.shape.L, rect, rows, cols);
    if (r.path === 'fused' && stage !== 'weights') {
      throw new RangeError(`After a fused run only the weights can be pooled (asked for "${stage}").`);
    }
    if (r.path === 'staged' && !r.stages.has(stage)) {
      throw new RangeError(
        `The "${stage}" stage was not kept by the last staged run; list it in stages or materialize.`,
      );
    }
  }
  return plans;
}

/** Encodes one view into `out`: recomputed weights after a fused run, else a pool or copy of the stage. */
function encodeView(
  encoder: GPUCommandEncoder,
  ctx: ViewContext,
  r: Resident,
  plan: ViewPlan,
  out: GPUBuffer,
): void {
  const { kernels, buffers } = ctx;
  const { key, stage, rect, rows, cols, mode } = plan;
  if (plan.fromPass && r.partials && mode !== 'window') {
    kernels.poolReduce.encode(
      encoder,
      { shape: r.shape, partials: r.partials, rect, outRows: rows, mode },
      { stats: buffers.existing('stats'), partials: buffers.existing('poolPartials'), out },
    );
    return;
  }
  if (r.path === 'fused') {
    const kernel = key === 'pooled' ? kernels.weightsPool : kernels.weightsWindow;
    const params = { shape: r.shape, scale: r.scale, mask: r.mask, biasMode: r.biasMode };
    kernel.encode(
      encoder,
      { ...params, rect, outRows: rows, outCols: cols, mode: mode === 'window' ? 'max' : mode },
      {
        q: buffers.existing('q'),
        k: buffers.existing('k'),
        bias: r.biasMode ? buffers.existing('bias') : undefined,
        maskBits: r.mask.kind === MASK_KIND_ID.custom ? buffers.existing('maskBits') : undefined,
        stats: buffers.existing('stats'),
        out,
      },
    );
    return;
  }
  const src = buffers.existing(stage);
  if (mode === 'window') kernels.window.encode(encoder, r.shape, rect, { src, out });
  else kernels.pool.encode(encoder, r.shape, { rect, outRows: rows, outCols: cols, mode }, { src, out });
}

/** Encodes the pool / window views asked for on the resident buffers, with their readbacks. */
export function encodeViews(
  encoder: GPUCommandEncoder,
  ctx: ViewContext,
  req: ViewRequests,
  resident: Resident | null,
): EncodedViews {
  if (!resident) throw new Error('No attention run yet: call runStaged or runFused first.');
  const plans = planViews(req, resident);
  const pending = plans.map((plan) => {
    const bytes = resident.shape.heads * plan.rows * plan.cols * BYTES;
    const out = ctx.buffers.get(plan.key, bytes, `${plan.key} view`);
    encodeView(encoder, ctx, resident, plan, out);
    const { key, fromPass, ...rest } = plan;
    const view: Omit<MatrixView, 'data'> = { ...rest };
    if (resident.path === 'fused' && key === 'pooled') {
      view.via = fromPass ? 'pass' : 'recomputed';
      if (!fromPass && resident.partialsFallback && req.pool?.fromPass !== false) {
        view.fallback = resident.partialsFallback;
      }
    }
    return { key, view, bytes, dst: encodeReadback(encoder, ctx.readback, out, bytes) };
  });
  return {
    dispatches: pending.length,
    finish: async (result) => {
      await Promise.all(
        pending.map(async ({ key, view, dst, bytes }) => {
          const data = new Float32Array(await ctx.readback.read(dst, bytes));
          result[key] = { ...view, data } satisfies MatrixView;
          result.bytesRead += bytes;
        }),
      );
    },
  };
}
