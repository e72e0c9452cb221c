/**
 * What the attention kernels, the float64 reference (ref.ts), the models and the app state share: shapes,
 * limits, mask semantics, input validation and pooling geometry. Tensors are flat and row-major:
 * `[heads][L][d]` for Q, K, V and the output, `[heads][query][key]` for score stages and weights.
 * A masked entry of a `masked` stage is −∞ in the reference and MASKED_SENTINEL on the GPU (WGSL has no
 * infinite constants); isMaskedValue recognises both.
 */
import { msg, str } from '@lit/localize';

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

function defaultScale(d: number): number {
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

/** Readable description in the interface language, e.g. "window (causal, width 3)" — for labels and errors. */
export function describeMask(mask: AttentionMask): string {
  switch (mask.kind) {
    case 'none':
      return msg('none');
    case 'causal':
      return msg('causal');
    case 'custom':
      return msg('custom');
    case 'padding': {
      const n = mask.validLength;
      return msg(str`padding (valid length ${n})`);
    }
    case 'window': {
      const w = mask.width;
      return mask.causal ? msg(str`window (causal, width ${w})`) : msg(str`window (symmetric, width ${w})`);
    }
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
