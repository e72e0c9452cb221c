/**
 * Repeated-sequence batches for the induction model (issue 13): BOS, filler, P distinct tokens at offset o,
 * the same P tokens again at o + P, filler. Philox counter [⌊draw/4⌋, sequence, step, 0], key [seed, stream]:
 * sequence s of step k is the same on every machine. Guarantees: see `sequenceAt`.
 */
import { philox4x32, unitFloat } from '../../kernels/random/philox.ref';

export const INDUCTION_DATA = {
  /** Sequence length (= the model's context). */
  T: 64,
  /** Ordinary tokens 0 … 63; BOS is token 64 and only ever at position 0. */
  vocab: 64,
  BOS: 64,
  /** Training periods P (inclusive). */
  periods: [4, 24] as const,
  /** Held-out periods, never drawn in training, and the held-out test size. */
  heldOutPeriods: [25, 30] as const,
  heldOutCount: 512,
} as const;

/** Philox key word 1 of the training and held-out streams. */
export const STREAM_TRAIN = 0x494e_4454;
export const STREAM_HELD_OUT = 0x494e_4448;

export interface InductionBatch {
  size: number;
  /** T = 64 tokens per sequence. */
  T: number;
  /** [size][T] token ids. */
  tokens: Uint32Array;
  /** Period P of each sequence. */
  period: Uint32Array;
  /** Position o of the first copy (tokens o … o + P − 1); the second copy is o + P … o + 2P − 1. */
  firstCopy: Uint32Array;
  /** o + P. */
  secondCopy: Uint32Array;
}

/** The uniform stream of one sequence: draw i is unitFloat of word i of Philox([⌊i/4⌋, sequence, step, 0]). */
function uniforms(seed: number, stream: number, step: number, sequence: number): () => number {
  let block = 0;
  let words: number[] = [];
  return () => {
    if (words.length === 0)
      words = [...philox4x32([block++, sequence >>> 0, step >>> 0, 0], [seed >>> 0, stream])];
    return unitFloat(words.shift()!);
  };
}

/** Uniform integer in [0, n) from u ∈ [0, 1) (exact for the powers of two ≤ 2²⁴; bias < n·2⁻²⁴ otherwise). */
const below = (u: number, n: number) => Math.floor(u * n);

/**
 * Writes one sequence into `out` (length T) and returns its period and first-copy offset. Draws, in order:
 * P uniform in [pMin, pMax]; o uniform in [1, T − 2P]; the P planted tokens by a partial Fisher–Yates shuffle
 * of 0 … V − 1; then one draw per filler position, left to right. Guarantees:
 * - position 0 is BOS and BOS appears nowhere else;
 * - the P planted tokens are distinct and appear only at o + j and o + P + j, so every second-copy token has
 *   exactly one earlier occurrence (o + j) and the token after it is o + j + 1;
 * - filler tokens are uniform over the V − P unplanted tokens, minus those that would repeat an adjacent pair
 *   (x[t−1], x[t]) already in the sequence: the only bigrams that occur twice are the planted (a_j, a_j+1),
 *   so an induction head earns nothing outside the second copy. (Filler tokens themselves may repeat.)
 */
export function sequenceAt(
  out: Uint32Array,
  seed: number,
  stream: number,
  step: number,
  sequence: number,
  periods: readonly [number, number],
): { period: number; offset: number } {
  const { T, vocab: V, BOS } = INDUCTION_DATA;
  const u = uniforms(seed, stream, step, sequence);
  const P = periods[0] + below(u(), periods[1] - periods[0] + 1);
  const o = 1 + below(u(), T - 2 * P);
  const pool = Array.from({ length: V }, (_, i) => i);
  for (let j = 0; j < P; j++) {
    const k = j + below(u(), V - j);
    [pool[j], pool[k]] = [pool[k]!, pool[j]!];
  }
  const planted = pool.slice(0, P);
  const isPlanted = new Uint8Array(V);
  for (const a of planted) isPlanted[a] = 1;
  out[0] = BOS;
  for (let j = 0; j < P; j++) out[o + j] = out[o + P + j] = planted[j]!;
  // Bigrams seen so far, as prev·(V + 1) + next. Pairs with BOS or a planted token are unique by construction
  // (BOS once; a planted token's neighbours are fixed by the block), so only filler–filler pairs are checked.
  const seen = new Set<number>();
  const allowed: number[] = [];
  for (let t = 1; t < T; t++) {
    const prev = out[t - 1]!;
    if (t >= o && t < o + 2 * P) {
      seen.add(prev * (V + 1) + out[t]!);
      continue;
    }
    const prevIsFiller = t > 1 && !(t - 1 >= o && t - 1 < o + 2 * P);
    allowed.length = 0;
    for (let x = 0; x < V; x++)
      if (!isPlanted[x] && !(prevIsFiller && seen.has(prev * (V + 1) + x))) allowed.push(x);
    // Each earlier filler–filler pair starting with `prev` forbids one of the V − P ≥ 34 candidates.
    if (allowed.length === 0) throw new Error('Induction data: no filler token keeps the bigrams unique.');
    out[t] = allowed[below(u(), allowed.length)]!;
    seen.add(prev * (V + 1) + out[t]!);
  }
  return { period: P, offset: o };
}

function makeBatch(
  seed: number,
  stream: number,
  step: number,
  size: number,
  periods: readonly [number, number],
): InductionBatch {
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`Batch size must be ≥ 1, got ${size}.`);
  if (!(Number.isInteger(step) && step >= 0 && step < 2 ** 32))
    throw new RangeError(`Step must be an integer in 0 … 2³² − 1, got ${step}.`);
  const { T } = INDUCTION_DATA;
  const b: InductionBatch = {
    size,
    T,
    tokens: new Uint32Array(size * T),
    period: new Uint32Array(size),
    firstCopy: new Uint32Array(size),
    secondCopy: new Uint32Array(size),
  };
  for (let s = 0; s < size; s++) {
    const { period, offset } = sequenceAt(
      b.tokens.subarray(s * T, s * T + T),
      seed,
      stream,
      step,
      s,
      periods,
    );
    b.period[s] = period;
    b.firstCopy[s] = offset;
    b.secondCopy[s] = offset + period;
  }
  return b;
}

/** Training batch `step` (a fresh one each step): periods 4 … 24. */
export function inductionBatch(seed: number, step: number, size: number): InductionBatch {
  return makeBatch(seed, STREAM_TRAIN, step, size, INDUCTION_DATA.periods);
}

/** The held-out set: its own Philox stream, periods 25 … 30 (never drawn in training). */
export function heldOutBatch(seed: number, size: number = INDUCTION_DATA.heldOutCount): InductionBatch {
  return makeBatch(seed, STREAM_HELD_OUT, 0, size, INDUCTION_DATA.heldOutPeriods);
}

/** Sequence s of a batch as a fresh array (for display or one-sequence runs). */
export function sequenceOf(batch: InductionBatch, s: number): Uint32Array {
  return batch.tokens.slice(s * batch.T, (s + 1) * batch.T);
}
