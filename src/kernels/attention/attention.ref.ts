/**
 * Float64 CPU reference for masked scaled-dot-product attention, written from the interview pseudocode:
 *
 *     scores  = Q Kᵀ                        (raw, per head)
 *     scaled  = scores · scale (+ bias)     scale = 1/√d unless overridden; bias added after scaling
 *     masked  = scaled.masked_fill(mask == 0, −∞)
 *     weights = softmax_row(masked)         max-subtracted; masked entries give exactly 0
 *     out     = weights · V
 *
 * Tensors are batch-less, `[heads][L][d]` for Q, K, V and the output, `[heads][L][L]` (head, query, key)
 * for the score stages and the weights, flat and row-major. A row whose every key is masked gives all-zero
 * weights and a zero output (PyTorch ≥ 2.5 / ONNX convention), never NaN; `literalMaskedSoftmaxRow` shows
 * what the literal `masked_fill(−inf)` + softmax gives there (NaN).
 *
 * Marker for masked entries: in this reference's `masked` stage a masked entry is `-Infinity` (exactly what
 * masked_fill(−inf) writes). The GPU cannot store infinities from WGSL constants, so its `masked` stage holds
 * MASKED_SENTINEL (−3.0e38 as f32) there; `isMaskedValue` recognises both.
 */

/** Largest sizes the attention lab supports (the GPU kernels and the JSON import refuse larger). */
export const ATTENTION_LIMITS = { maxHeads: 16, maxL: 4096, maxD: 256 } as const;

/** The f32 value the GPU writes for masked entries of the `masked` stage (WGSL has no infinite constants). */
export const MASKED_SENTINEL = Math.fround(-3.0e38);

/** True for a masked entry of a `masked` stage (reference −∞ or the GPU's sentinel). */
export function isMaskedValue(x: number): boolean {
  return x <= MASKED_SENTINEL;
}

/** Tensor sizes: `heads` heads, sequence length `L` (queries = keys), head dimension `d`. */
export interface AttentionShape {
  heads: number;
  L: number;
  d: number;
}

/**
 * Which (query, key) pairs take part. Shared by all heads.
 * - none: every key.
 * - causal: key ≤ query.
 * - padding: key < validLength (validLength 0 masks every key: every row is fully masked).
 * - window, causal: query − width < key ≤ query (the last `width` keys up to and including the query).
 * - window, not causal: |query − key| < width (a band of 2·width − 1 keys centred on the query).
 *   Width 0 masks everything.
 * - custom: keep[query·L + key] ≠ 0 keeps the pair (an L×L matrix of keep flags, e.g. painted by the user).
 */
export type AttentionMask =
  | { kind: 'none' }
  | { kind: 'causal' }
  | { kind: 'padding'; validLength: number }
  | { kind: 'window'; width: number; causal: boolean }
  | { kind: 'custom'; keep: Uint8Array };

export type MaskKind = AttentionMask['kind'];
export const MASK_KINDS: readonly MaskKind[] = ['none', 'causal', 'padding', 'window', 'custom'];

/** Mask kind ids shared with shaders/attention/mask.wgsl. */
export const MASK_KIND_ID = {
  none: 0,
  causal: 1,
  padding: 2,
  windowCausal: 3,
  window: 4,
  custom: 5,
} as const;

export type FloatArray = Float32Array | Float64Array;

export interface AttentionInputs {
  shape: AttentionShape;
  /** [heads][L][d] */
  q: FloatArray;
  /** [heads][L][d] (keys) */
  k: FloatArray;
  /** [heads][L][d] (values) */
  v: FloatArray;
}

export interface AttentionOptions {
  /** Default: no mask. */
  mask?: AttentionMask;
  /** Multiplies QKᵀ; default 1/√d. Must be finite. */
  scale?: number;
  /**
   * Optional additive bias, added after scaling and before masking: [L][L] (shared by all heads) or
   * [heads][L][L]. Must be finite (exclude entries with a mask, not with −∞).
   */
  bias?: FloatArray;
}

export function defaultScale(d: number): number {
  return 1 / Math.sqrt(d);
}

export function resolveScale(shape: AttentionShape, options: AttentionOptions): number {
  return options.scale ?? defaultScale(shape.d);
}

/** Whether `mask` keeps key `key` for query `query` in a sequence of length L. */
export function maskKeeps(mask: AttentionMask, L: number, query: number, key: number): boolean {
  switch (mask.kind) {
    case 'none':
      return true;
    case 'causal':
      return key <= query;
    case 'padding':
      return key < mask.validLength;
    case 'window':
      return mask.causal ? key <= query && query - key < mask.width : Math.abs(query - key) < mask.width;
    case 'custom':
      return mask.keep[query * L + key] !== 0;
  }
}

/** The mask as an L×L matrix of keep flags (1 keep, 0 masked), [query][key]. */
export function maskMatrix(mask: AttentionMask, L: number): Uint8Array {
  const out = new Uint8Array(L * L);
  for (let q = 0; q < L; q++) for (let k = 0; k < L; k++) out[q * L + k] = maskKeeps(mask, L, q, k) ? 1 : 0;
  return out;
}

/** Per query row: 1 when every key is masked (the row's weights and output are then all zero). */
export function fullyMaskedRows(mask: AttentionMask, L: number): Uint8Array {
  const out = new Uint8Array(L);
  for (let q = 0; q < L; q++) {
    let any = false;
    for (let k = 0; k < L && !any; k++) any = maskKeeps(mask, L, q, k);
    out[q] = any ? 0 : 1;
  }
  return out;
}

/** Readable description, e.g. "window (causal, width 3)" — for labels and errors. */
export function describeMask(mask: AttentionMask): string {
  switch (mask.kind) {
    case 'padding':
      return `padding (valid length ${mask.validLength})`;
    case 'window':
      return `window (${mask.causal ? 'causal' : 'symmetric'}, width ${mask.width})`;
    default:
      return mask.kind;
  }
}

/**
 * Checks sizes, lengths and values; throws a RangeError naming the problem. Shared by the reference, the
 * CPU backend and the GPU engine so that every backend refuses the same inputs.
 */
export function validateAttention(inputs: AttentionInputs, options: AttentionOptions = {}): void {
  const { heads, L, d } = inputs.shape;
  const { maxHeads, maxL, maxD } = ATTENTION_LIMITS;
  const intIn = (name: string, x: number, lo: number, hi: number) => {
    if (!Number.isInteger(x) || x < lo || x > hi) {
      throw new RangeError(`${name} must be an integer from ${lo} to ${hi} (got ${x}).`);
    }
  };
  intIn('heads', heads, 1, maxHeads);
  intIn('L', L, 1, maxL);
  intIn('d', d, 1, maxD);
  const n = heads * L * d;
  for (const name of ['q', 'k', 'v'] as const) {
    const a = inputs[name];
    if (a.length !== n) {
      throw new RangeError(`${name} has ${a.length} values, expected heads·L·d = ${heads}·${L}·${d} = ${n}.`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(a[i]!)) throw new RangeError(`${name}[${i}] is not finite (${a[i]}).`);
    }
  }
  const scale = resolveScale(inputs.shape, options);
  if (!Number.isFinite(scale)) throw new RangeError(`scale must be finite (got ${scale}).`);
  const bias = options.bias;
  if (bias) {
    if (bias.length !== L * L && bias.length !== heads * L * L) {
      throw new RangeError(
        `bias has ${bias.length} values, expected L·L = ${L * L} (shared) or heads·L·L = ${heads * L * L}.`,
      );
    }
    for (let i = 0; i < bias.length; i++) {
      if (!Number.isFinite(bias[i]!)) {
        throw new RangeError(`bias[${i}] is not finite (${bias[i]}); exclude entries with a mask instead.`);
      }
    }
  }
  const mask = options.mask ?? { kind: 'none' };
  if (mask.kind === 'padding') intIn('padding validLength', mask.validLength, 0, L);
  if (mask.kind === 'window') {
    intIn('window width', mask.width, 0, maxL);
    if (typeof mask.causal !== 'boolean') throw new RangeError('window mask needs causal: true or false.');
  }
  if (mask.kind === 'custom' && mask.keep.length !== L * L) {
    throw new RangeError(`custom mask has ${mask.keep.length} flags, expected L·L = ${L * L}.`);
  }
}

/** Bias value for (head, query, key), or 0 without bias. */
export function biasAt(bias: FloatArray | undefined, L: number, h: number, q: number, k: number): number {
  if (!bias) return 0;
  return bias.length === L * L ? bias[q * L + k]! : bias[(h * L + q) * L + k]!;
}

/** Per-row softmax statistics, [heads][L]. */
export interface RowStats {
  /** Max over kept logits; −∞ (reference) or MASKED_SENTINEL (GPU) for a fully-masked row. */
  max: FloatArray;
  /** Σ exp(x − max) over kept logits; 0 for a fully-masked row. */
  sum: FloatArray;
  /** 1 where every key of the row is masked. */
  fullyMasked: Uint8Array;
  /** Number of fully-masked (head, query) rows. */
  fullyMaskedCount: number;
}

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
export function referenceScores(shape: AttentionShape, q: FloatArray, k: FloatArray): Float64Array {
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

/** A rectangle of a [rows][cols] matrix: rows row0…row0+rows−1, cols col0…col0+cols−1. */
export interface Rect {
  row0: number;
  col0: number;
  rows: number;
  cols: number;
}

export type PoolMode = 'max' | 'mean';

/**
 * How pooling maps output cells onto source rows (the same in WGSL): output row r of R covers source rows
 * row0 + ⌊r·rows/R⌋ … row0 + ⌊(r+1)·rows/R⌋ − 1 (never empty because R ≤ rows); columns alike.
 */
export function poolCellRange(
  index: number,
  outCount: number,
  start: number,
  count: number,
): [number, number] {
  return [
    start + Math.floor((index * count) / outCount),
    start + Math.floor(((index + 1) * count) / outCount),
  ];
}

/** Checks a rectangle and output size for pooling an [L][L] matrix; throws a RangeError naming the problem. */
export function validatePool(L: number, rect: Rect, outRows: number, outCols: number): void {
  const { row0, col0, rows, cols } = rect;
  for (const [name, x] of [
    ['rect.row0', row0],
    ['rect.col0', col0],
    ['rect.rows', rows],
    ['rect.cols', cols],
    ['outRows', outRows],
    ['outCols', outCols],
  ] as const) {
    if (!Number.isInteger(x) || x < 0)
      throw new RangeError(`${name} must be a non-negative integer (got ${x}).`);
  }
  if (rows < 1 || cols < 1 || row0 + rows > L || col0 + cols > L) {
    throw new RangeError(
      `rectangle rows ${row0}…${row0 + rows - 1}, cols ${col0}…${col0 + cols - 1} is not inside the ${L}×${L} matrix.`,
    );
  }
  if (outRows < 1 || outRows > rows || outCols < 1 || outCols > cols) {
    throw new RangeError(
      `pooled size ${outRows}×${outCols} must be from 1×1 up to the rectangle's ${rows}×${cols}.`,
    );
  }
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
