/**
 * Float64 CPU reference for masked scaled-dot-product attention:
 *
 *     scores  = Q Kᵀ                        (raw, per head)
 *     scaled  = scores · scale (+ bias)     scale = 1/√d unless overridden; bias added after scaling
 *     masked  = scaled.masked_fill(mask == 0, −∞)
 *     weights = softmax_row(masked)         max-subtracted; masked entries give exactly 0
 *     out     = weights · V
 *
 * A fully-masked row gives zero weights and zero output (PyTorch ≥ 2.5 / ONNX), never NaN;
 * literalMaskedSoftmaxRow shows the NaN the literal pseudocode gives there. Shapes and masks: spec.ts.
 */
import {
  biasAt,
  isMaskedValue,
  maskMatrix,
  resolveScale,
  validateAttention,
  validatePool,
  poolCellRange,
  type AttentionInputs,
  type AttentionOptions,
  type AttentionShape,
  type FloatArray,
  type PoolMode,
  type Rect,
  type RowStats,
} from './spec';

export interface AttentionReference {
  shape: AttentionShape;
  scale: number;
  /** Raw QKᵀ, [heads][L][L]. */
  scores: Float64Array;
  /** scores·scale + bias, [heads][L][L]. */
  scaled: Float64Array;
  /** scaled with masked entries = −Infinity, [heads][L][L]. */
  masked: Float64Array;
  /** Row softmax of masked; masked entries exactly 0; fully-masked rows all 0. [heads][L][L]. */
  weights: Float64Array;
  /** weights·V, [heads][L][d]. */
  output: Float64Array;
  stats: RowStats;
}

/** Raw QKᵀ per head in float64: [heads][L][L]. */
function referenceScores(shape: AttentionShape, q: FloatArray, k: FloatArray): Float64Array {
  const { heads, L, d } = shape;
  const out = new Float64Array(heads * L * L);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < L; i++) {
      const qo = (h * L + i) * d;
      for (let j = 0; j < L; j++) {
        const ko = (h * L + j) * d;
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qo + c]! * k[ko + c]!;
        out[(h * L + i) * L + j] = s;
      }
    }
  }
  return out;
}

/**
 * Max-subtracted row softmax of a `masked` stage (any array whose masked entries satisfy isMaskedValue):
 * masked entries → exactly 0; rows with no kept entry → all 0. Returns weights and row stats.
 */
export function referenceSoftmax(
  shape: Pick<AttentionShape, 'heads' | 'L'>,
  masked: ArrayLike<number>,
): { weights: Float64Array; stats: RowStats } {
  const { heads, L } = shape;
  const weights = new Float64Array(heads * L * L);
  const max = new Float64Array(heads * L);
  const sum = new Float64Array(heads * L);
  const fully = new Uint8Array(heads * L);
  let count = 0;
  for (let r = 0; r < heads * L; r++) {
    const o = r * L;
    let m = -Infinity;
    for (let j = 0; j < L; j++) {
      const x = masked[o + j]!;
      if (!isMaskedValue(x) && x > m) m = x;
    }
    let l = 0;
    if (m > -Infinity) {
      for (let j = 0; j < L; j++) {
        const x = masked[o + j]!;
        if (!isMaskedValue(x)) l += Math.exp(x - m);
      }
      for (let j = 0; j < L; j++) {
        const x = masked[o + j]!;
        weights[o + j] = isMaskedValue(x) ? 0 : Math.exp(x - m) / l;
      }
    } else {
      fully[r] = 1;
      count++;
    }
    max[r] = m;
    sum[r] = l;
  }
  return { weights, stats: { max, sum, fullyMasked: fully, fullyMaskedCount: count } };
}

/** weights·V per head: [heads][L][L] × [heads][L][d] → [heads][L][d]. */
export function referenceWeightsTimesV(
  shape: AttentionShape,
  weights: ArrayLike<number>,
  v: FloatArray,
): Float64Array {
  const { heads, L, d } = shape;
  const out = new Float64Array(heads * L * d);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < L; i++) {
      const oo = (h * L + i) * d;
      for (let j = 0; j < L; j++) {
        const w = weights[(h * L + i) * L + j]!;
        if (w === 0) continue;
        const vo = (h * L + j) * d;
        for (let c = 0; c < d; c++) out[oo + c]! += w * v[vo + c]!;
      }
    }
  }
  return out;
}

/** Every stage of masked scaled-dot-product attention in float64. */
export function attentionReference(
  inputs: AttentionInputs,
  options: AttentionOptions = {},
): AttentionReference {
  validateAttention(inputs, options);
  const { shape } = inputs;
  const { heads, L } = shape;
  const mask = options.mask ?? { kind: 'none' };
  const scale = resolveScale(shape, options);
  const scores = referenceScores(shape, inputs.q, inputs.k);
  const scaled = new Float64Array(scores.length);
  const masked = new Float64Array(scores.length);
  const keep = maskMatrix(mask, L);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        const idx = (h * L + i) * L + j;
        const s = scores[idx]! * scale + biasAt(options.bias, L, h, i, j);
        scaled[idx] = s;
        masked[idx] = keep[i * L + j] ? s : -Infinity;
      }
    }
  }
  const { weights, stats } = referenceSoftmax(shape, masked);
  const output = referenceWeightsTimesV(shape, weights, inputs.v);
  return { shape, scale, scores, scaled, masked, weights, output, stats };
}

/**
 * The literal pseudocode on one row: softmax of a row that may hold −∞ (masked_fill(mask == 0, −inf)),
 * max-subtracted. A fully-masked row gives NaN (−∞ − (−∞)); the lab's kernels give zeros instead.
 */
export function literalMaskedSoftmaxRow(row: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < row.length; j++) m = Math.max(m, row[j]!);
  const e = Float64Array.from({ length: row.length }, (_, j) => Math.exp(row[j]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/**
 * Pools each head's [L][L] matrix over `rect` (default: all of it) to [heads][outRows][outCols] by max or
 * mean over each cell (poolCellRange). Masked entries (isMaskedValue) are skipped by the mean; a cell with
 * only masked entries gives −∞ (the GPU: MASKED_SENTINEL). Weights have no masked entries (they are 0).
 */
export function poolReference(
  values: ArrayLike<number>,
  shape: Pick<AttentionShape, 'heads' | 'L'>,
  outRows: number,
  outCols: number,
  mode: PoolMode,
  rect: Rect = { row0: 0, col0: 0, rows: shape.L, cols: shape.L },
): Float64Array {
  const { heads, L } = shape;
  validatePool(L, rect, outRows, outCols);
  const out = new Float64Array(heads * outRows * outCols);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < outRows; r++) {
      const [r0, r1] = poolCellRange(r, outRows, rect.row0, rect.rows);
      for (let c = 0; c < outCols; c++) {
        const [c0, c1] = poolCellRange(c, outCols, rect.col0, rect.cols);
        let m = -Infinity;
        let s = 0;
        let n = 0;
        for (let i = r0; i < r1; i++) {
          for (let j = c0; j < c1; j++) {
            const x = values[(h * L + i) * L + j]!;
            if (x > m) m = x;
            if (!isMaskedValue(x)) {
              s += x;
              n++;
            }
          }
        }
        out[(h * outRows + r) * outCols + c] =
          mode === 'max' ? (isMaskedValue(m) ? -Infinity : m) : n ? s / n : -Infinity;
      }
    }
  }
  return out;
}

/** Copies a rectangle of each head's [L][L] matrix at full resolution: [heads][rect.rows][rect.cols]. */
export function windowReference(
  values: ArrayLike<number>,
  shape: Pick<AttentionShape, 'heads' | 'L'>,
  rect: Rect,
): Float64Array {
  const { heads, L } = shape;
  validatePool(L, rect, rect.rows, rect.cols);
  const out = new Float64Array(heads * rect.rows * rect.cols);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < rect.rows; i++)
      for (let j = 0; j < rect.cols; j++)
        out[(h * rect.rows + i) * rect.cols + j] = values[(h * L + rect.row0 + i) * L + rect.col0 + j]!;
  return out;
}
