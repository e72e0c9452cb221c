/**
 * Shapes, layouts and limits shared by the attention-only transformer's training kernels (issue 13;
 * shaders/transformer, attention-train.ts, embedding.ts), their float64 references (ref.ts) and the induction
 * model. All tensors are flat, row-major f32 (Float64Array in the references); token ids are u32.
 */

/**
 * Layouts (B = batch, T = sequence length, H = heads, dh = head dimension, D = d_model):
 * - activations (residual stream, projections, their gradients): [B·T][width], row b·T + t;
 *   a Q, K or V projection is the column block [offset, offset + H·dh) of a row of `width` columns
 *   (width = H·dh and offset 0 for separate projections; width 3·H·dh for a fused QKV);
 * - per-head Q, K, V, attention output O and their gradients: [B][H][T][dh];
 * - scores S, weights A, dA, dS: [B][H][T][T] (query row, key column), softmax row stats [B][H][T][2].
 * The kernels treat (batch, head) as one axis of B·H independent heads.
 */
export interface HeadShape {
  batch: number;
  heads: number;
  /** Sequence length T. */
  len: number;
  /** Head dimension dh. */
  dHead: number;
}

/** Where a head split reads (or a merge writes) its column block in a [B·T][width] activation. */
export interface ColumnBlock {
  /** Columns per activation row (default H·dh). */
  width?: number;
  /** First column of the block (default 0). */
  offset?: number;
}

/**
 * Embedding sizes: B·T token positions of sequences of length `len`; `vocab` is the number of rows of E_tok
 * (every id the model embeds, BOS included: 65 for the induction model's 64 tokens + BOS); model width.
 */
export interface EmbeddingShape {
  batch: number;
  len: number;
  vocab: number;
  dModel: number;
}

/** Largest sizes the kernels accept (uniform u32 indices stay far below 2³²; one row fits an invocation). */
export const TRANSFORMER_LIMITS = { maxLen: 1024, maxDHead: 256, maxHeads: 64, maxVocab: 65536 } as const;

/** Default score scale 1/√dh. */
export function defaultScale(dHead: number): number {
  return 1 / Math.sqrt(dHead);
}

/** Causal mask: query i keeps key j when j ≤ i; masked weights are exactly 0. */
export function causalKeeps(i: number, j: number): boolean {
  return j <= i;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new RangeError(`transformer: ${name} = ${v} is not an integer in [${lo}, ${hi}]`);
  }
}

/** Throws a RangeError naming the field when a head shape is out of range. */
export function validateHeadShape(s: HeadShape): void {
  checkInt('batch', s.batch, 1, 1 << 16);
  checkInt('heads', s.heads, 1, TRANSFORMER_LIMITS.maxHeads);
  checkInt('len', s.len, 1, TRANSFORMER_LIMITS.maxLen);
  checkInt('dHead', s.dHead, 1, TRANSFORMER_LIMITS.maxDHead);
}

/** The column block with defaults filled in, checked against the head shape. */
export function columnBlock(s: HeadShape, c: ColumnBlock = {}): { width: number; offset: number } {
  const width = c.width ?? s.heads * s.dHead;
  const offset = c.offset ?? 0;
  checkInt('offset', offset, 0, width);
  if (offset + s.heads * s.dHead > width) {
    throw new RangeError(`transformer: column block ${offset} + ${s.heads * s.dHead} exceeds width ${width}`);
  }
  return { width, offset };
}

export function validateEmbeddingShape(s: EmbeddingShape): void {
  checkInt('batch', s.batch, 1, 1 << 16);
  checkInt('len', s.len, 1, TRANSFORMER_LIMITS.maxLen);
  checkInt('vocab', s.vocab, 1, TRANSFORMER_LIMITS.maxVocab);
  checkInt('dModel', s.dModel, 1, 4096);
}

/** Index of (b, h, t, c) in a [B][H][T][dh] tensor. */
export function headIndex(s: HeadShape, b: number, h: number, t: number, c: number): number {
  return ((b * s.heads + h) * s.len + t) * s.dHead + c;
}

/** Index of (b, h, i, j) in a [B][H][T][T] tensor. */
export function scoreIndex(s: HeadShape, b: number, h: number, i: number, j: number): number {
  return ((b * s.heads + h) * s.len + i) * s.len + j;
}
