/**
 * Types of the attention engine's requests and results, and the small pure helpers shared by its GPU and
 * CPU paths. Layouts: Q, K, V and the output [heads][L][d]; matrix stages [heads][query][key].
 */
import type { MaskUniform } from '../../kernels/attention/common';
import type { PoolPartialsSpec } from '../../kernels/attention/pool-reduce';
import type {
  AttentionMask,
  AttentionOptions,
  AttentionShape,
  PoolMode,
  Rect,
  RowStats,
} from '../../kernels/attention/spec';

export type AttentionStage = 'scores' | 'scaled' | 'masked' | 'weights' | 'output';
/** The stages that are [heads][L][L] matrices (everything but the output). */
export type MatrixStage = Exclude<AttentionStage, 'output'>;
export const ATTENTION_STAGES: readonly AttentionStage[] = [
  'scores',
  'scaled',
  'masked',
  'weights',
  'output',
];
export const MATRIX_STAGES: readonly MatrixStage[] = ['scores', 'scaled', 'masked', 'weights'];

/** Pool a matrix stage to screen resolution. */
export interface PoolRequest {
  /** Default 'weights'. After a fused run only 'weights' exists (recomputed per cell). */
  stage?: MatrixStage;
  /** Output size; clamped to the rectangle's size (so asking for more rows than L gives L). */
  rows: number;
  cols: number;
  mode: PoolMode;
  /** Part of the matrix to pool; default all of it. */
  rect?: Rect;
  /**
   * Fused path only. true (default): in runFused the pass writes per-row partials and a reduce gives the
   * map (no Q Kᵀ recomputation); pool() after it reduces the same partials when the columns match. false:
   * recompute each cell's weights from Q, K and the row stats (weights_pool.wgsl), as before.
   */
  fromPass?: boolean;
}

/** Copy a rectangle of a matrix stage at full resolution (zoom / pan). */
export interface WindowRequest {
  /** Default 'weights'. */
  stage?: MatrixStage;
  rect: Rect;
}

/** A pooled or windowed view of a matrix stage: [heads][rows][cols], with where it came from. */
export interface MatrixView {
  stage: MatrixStage;
  /** 'max' / 'mean' for pooled views, 'window' for full-resolution copies. */
  mode: PoolMode | 'window';
  rect: Rect;
  rows: number;
  cols: number;
  data: Float32Array;
  /**
   * After a fused run, how the weights were pooled: 'pass' (the fused pass's partials, reduced) or
   * 'recomputed' (per cell from Q, K and the row stats); absent after a staged run.
   */
  via?: 'pass' | 'recomputed';
  /** Why a pooled map asked for from the pass was recomputed instead (the adapter limit it exceeds). */
  fallback?: string;
}

export interface AttentionRunOptions extends AttentionOptions {
  /**
   * Stages to read back at full resolution. Staged/CPU default ['weights', 'output']; fused supports only
   * 'output' (default ['output']).
   */
  stages?: readonly AttentionStage[];
  /** Staged only: extra matrix stages to keep on the GPU for later pool()/window() calls. */
  materialize?: readonly MatrixStage[];
  /** Read back per-row (max, sum) statistics (heads·L·8 bytes). Default true. */
  stats?: boolean;
  /** Also pool a stage to rows×cols in the same submit. */
  pool?: PoolRequest;
  /** Also copy a window of a stage in the same submit. */
  window?: WindowRequest;
}

type AttentionPath = 'staged' | 'fused' | 'cpu';

export interface AttentionRunResult {
  path: AttentionPath;
  /** What computed it, for the numerics panel: e.g. "GPU (google swiftshader (software adapter))". */
  backend: string;
  shape: AttentionShape;
  /** The scale used (1/√d unless overridden). */
  scale: number;
  mask: AttentionMask;
  /** The stages read back, f32 (masked entries of `masked`: MASKED_SENTINEL). */
  stages: Partial<Record<AttentionStage, Float32Array>>;
  /** Row statistics (max = MASKED_SENTINEL and sum = 0 for fully-masked rows), when asked for. */
  stats?: RowStats;
  /** Number of fully-masked (head, query) rows (from the stats; counted from the mask when stats are off). */
  fullyMaskedRows: number;
  pooled?: MatrixView;
  window?: MatrixView;
  /** Wall time on the CPU side from encode to results, ms (on software adapters this is not GPU speed). */
  elapsedMs: number;
  /** Bytes copied from the GPU to JavaScript. */
  bytesRead: number;
  /** Compute dispatches and queue submits this call made. */
  dispatches: number;
  submits: number;
}

/** Where the last GPU run's buffers are, for pool() and window() afterwards. */
export interface Resident {
  path: 'staged' | 'fused';
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  biasMode: number;
  stages: Set<MatrixStage>;
  /** Fused: where the pass wrote pooled-map partials (buffer `poolPartials`), if it did. */
  partials?: PoolPartialsSpec | null;
  /** Fused: why the pass wrote none although runFused asked for a pooled map from it. */
  partialsFallback?: string;
}

/** Bytes per f32. */
export const BYTES = 4;

/** Bytes of one [heads][L][L] f32 stage. */
export function matrixStageBytes(shape: AttentionShape): number {
  return shape.heads * shape.L * shape.L * BYTES;
}

/** The rectangle (default: the whole matrix) and output size of a pool request, clamped to the rectangle. */
export function clampedPool(req: PoolRequest, L: number): { rect: Rect; rows: number; cols: number } {
  const rect = req.rect ?? { row0: 0, col0: 0, rows: L, cols: L };
  return { rect, rows: Math.min(req.rows, rect.rows), cols: Math.min(req.cols, rect.cols) };
}

/** Fully-masked (head, query) rows counted from the mask alone (all heads share the mask). */
export function countFullyMaskedRows(mask: AttentionMask, shape: AttentionShape): number {
  const { heads, L } = shape;
  let rows = 0;
  switch (mask.kind) {
    case 'none':
    case 'causal':
      rows = 0;
      break;
    case 'padding':
      rows = mask.validLength === 0 ? L : 0;
      break;
    case 'window':
      rows = mask.width === 0 ? L : 0;
      break;
    case 'custom':
      for (let q = 0; q < L; q++) {
        let any = false;
        for (let k = 0; k < L && !any; k++) any = mask.keep[q * L + k] !== 0;
        if (!any) rows++;
      }
      break;
  }
  return rows * heads;
}
