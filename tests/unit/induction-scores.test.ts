/**
 * Head scores and copy losses (src/models/induction/scores.ts) on planted attention and logits. A planted
 * stripe scores exactly 1 (sums of ones divided by their count are exact in float64). The uniform causal
 * matrix's expected scores are computed as exact rationals (BigInt), converted within 2 ULP; the code sums n
 * float64 terms ≤ 1, so its error is ≤ n·2⁻⁵³ relative (tolerance stated per test). Cross-entropies of
 * planted logits match their closed forms within n·2⁻⁵² relative (a mean of n equal float64 terms ≤ 6).
 */
import { describe, expect, it } from 'vitest';
import {
  copyLosses,
  headScores,
  heldOutBatch,
  inductionBatch,
  newTally,
  summarize,
  tallyAttention,
  type InductionBatch,
} from '../../src/models/induction';

const T = 64;
const H = 4;

type Pattern = 'previous' | 'induction' | 'uniform' | 'bos';

/** [batch][head][T][T] attention where head h follows patterns[h] (rows sum to 1, causal). */
function planted(b: InductionBatch, patterns: Pattern[]): Float64Array {
  const a = new Float64Array(b.size * patterns.length * T * T);
  for (let s = 0; s < b.size; s++) {
    const o = b.firstCopy[s]!;
    const P = b.period[s]!;
    patterns.forEach((p, h) => {
      const base = (s * patterns.length + h) * T * T;
      for (let t = 0; t < T; t++) {
        const row = base + t * T;
        if (p === 'uniform') for (let k = 0; k <= t; k++) a[row + k] = 1 / (t + 1);
        else if (p === 'bos') a[row] = 1;
        else if (p === 'induction' && t >= o + P && t < o + 2 * P) a[row + t - P + 1] = 1;
        else a[row + Math.max(0, t - 1)] = 1;
      }
    });
  }
  return a;
}

/** Σ 1/d over the denominators, as an exact fraction [num, den]. */
function harmonic(dens: number[]): [bigint, bigint] {
  let num = 0n;
  let den = 1n;
  for (const d of dens) {
    num = num * BigInt(d) + den;
    den *= BigInt(d);
  }
  return [num, den];
}
/** num / (den · k) in float64 within 2 ULP (both scaled below 2⁶⁰ before the conversion). */
function ratio([num, den]: [bigint, bigint], k: number): number {
  const d = den * BigInt(k);
  const shift = BigInt(Math.max(0, d.toString(2).length - 60));
  return Number(num >> shift) / Number(d >> shift);
}

describe('induction head scores', () => {
  const batch = heldOutBatch(99, 6);

  it('a planted previous-token stripe scores exactly 1 (and prefix-matching exactly 0)', () => {
    const s = headScores([planted(batch, ['previous', 'previous', 'previous', 'previous'])], H, batch);
    expect(s.previousToken).toEqual([[1, 1, 1, 1]]);
    expect(s.prefixMatching).toEqual([[0, 0, 0, 0]]);
  });

  it('a planted induction stripe scores exactly 1 for prefix matching, in its own layer and head', () => {
    const layer0 = planted(batch, ['uniform', 'previous', 'bos', 'bos']);
    const layer1 = planted(batch, ['bos', 'bos', 'induction', 'uniform']);
    const s = headScores([layer0, layer1], H, batch);
    expect(s.prefixMatching[1]![2]).toBe(1);
    expect(s.previousToken[0]![1]).toBe(1);
    // The induction head's rows outside the second copy are previous-token rows: (63 − P) of 63 per sequence.
    const prevRows = Array.from(batch.period).reduce((acc, P) => acc + (T - 1 - P), 0);
    expect(s.previousToken[1]![2]).toBe(prevRows / (batch.size * (T - 1)));
    // Attending to BOS: A[1][0] is the only previous-token entry; the prefix target o + j + 1 ≥ 2 is never BOS.
    expect(s.previousToken[0]![2]).toBe(1 / (T - 1));
    expect(s.prefixMatching[0]![2]).toBe(0);
  });

  it('a uniform causal matrix scores its exact expected values', () => {
    const s = headScores([planted(batch, ['uniform', 'uniform', 'uniform', 'uniform'])], H, batch);
    // previous-token: mean over t = 1 … 63 of 1/(t + 1) = (H₆₄ − 1)/63, the same for every sequence.
    const prev = ratio(harmonic(Array.from({ length: T - 1 }, (_, i) => i + 2)), T - 1);
    // prefix matching: mean over second-copy rows i = o + P + j of 1/(i + 1).
    const rows: number[] = [];
    for (let b = 0; b < batch.size; b++)
      for (let j = 0; j < batch.period[b]!; j++) rows.push(batch.firstCopy[b]! + batch.period[b]! + j + 1);
    const prefix = ratio(harmonic(rows), rows.length);
    for (let h = 0; h < H; h++) {
      // Sums of 6·63 and ≈ 6·28 terms: relative error ≤ 378·2⁻⁵³ ≈ 4.2e-14.
      expect(Math.abs(s.previousToken[0]![h]! - prev)).toBeLessThanOrEqual(4.2e-14 * prev);
      expect(Math.abs(s.prefixMatching[0]![h]! - prefix)).toBeLessThanOrEqual(4.2e-14 * prefix);
    }
    // Cross-check: H₆₄ ≈ ln 64 + γ + 1/128 − 1/(12·64²) = 4.743891 (error < 1/(120·64⁴)).
    expect(prev).toBeCloseTo((4.743891 - 1) / 63, 7);
  });

  it('tallies over chunks add up to the tally of the whole batch', () => {
    const whole = inductionBatch(4, 2, 8);
    const attention = planted(whole, ['uniform', 'previous', 'induction', 'bos']);
    const one = headScores([attention], H, whole);
    const tally = newTally(1, H);
    for (const [from, to] of [
      [0, 3],
      [3, 8],
    ] as const) {
      const part = {
        size: to - from,
        T,
        tokens: whole.tokens.subarray(from * T, to * T),
        period: whole.period.subarray(from, to),
        firstCopy: whole.firstCopy.subarray(from, to),
      };
      tallyAttention(tally, [attention.subarray(from * H * T * T, to * H * T * T)], part);
    }
    const two = summarize(tally);
    // Two partial sums instead of one: a few ULP (values ≤ 1, ≈ 500 terms: ≤ 500·2⁻⁵³).
    for (const key of ['previousToken', 'prefixMatching'] as const)
      for (let h = 0; h < H; h++) expect(Math.abs(two[key][0]![h]! - one[key][0]![h]!)).toBeLessThan(6e-14);
  });

  it('rejects attention of the wrong size', () => {
    expect(() => headScores([new Float64Array(10)], H, batch)).toThrow(/attention has 10 values/);
  });
});

describe('induction copy losses', () => {
  const batch = heldOutBatch(5, 4);
  const C = 65;

  it('scores first-copy targets o … o + P − 1 and second-copy targets o + P + 1 … o + 2P − 1', () => {
    // Logits at t − 1 for the second-copy targets: 5 on the right token. Everywhere else: 5 on BOS.
    const logits = new Float64Array(batch.size * T * C);
    for (let b = 0; b < batch.size; b++) {
      for (let t = 0; t < T; t++) logits[(b * T + t) * C + 64] = 5;
      const o = batch.firstCopy[b]!;
      const P = batch.period[b]!;
      for (let t = o + P + 1; t < o + 2 * P; t++) {
        logits[(b * T + t - 1) * C + 64] = 0;
        logits[(b * T + t - 1) * C + batch.tokens[b * T + t]!] = 5;
      }
    }
    const { firstCopy, secondCopy } = copyLosses(logits, C, batch);
    const periods = Array.from(batch.period);
    expect(firstCopy.count).toBe(periods.reduce((a, P) => a + P, 0));
    expect(secondCopy.count).toBe(periods.reduce((a, P) => a + P - 1, 0));
    // Target logit 0 with one logit 5 and 63 zeros: CE = log(64 + e⁵); top-1 never (BOS wins).
    const tol = (n: number, v: number) => n * 2 ** -52 * v;
    const first = Math.log(64 + Math.exp(5));
    expect(Math.abs(firstCopy.loss - first)).toBeLessThanOrEqual(tol(firstCopy.count, first));
    expect(firstCopy.top1).toBe(0);
    // Target logit 5, others 0: CE = log(e⁵ + 64) − 5; top-1 always.
    const second = Math.log(Math.exp(5) + 64) - 5;
    expect(Math.abs(secondCopy.loss - second)).toBeLessThanOrEqual(tol(secondCopy.count, 6));
    expect(secondCopy.top1).toBe(1);
  });

  it('uniform logits give ln 65 (a mean of n equal terms: within n·2⁻⁵² relative)', () => {
    const { firstCopy, secondCopy } = copyLosses(new Float64Array(batch.size * T * C), C, batch);
    for (const c of [firstCopy, secondCopy])
      expect(Math.abs(c.loss - Math.log(65))).toBeLessThanOrEqual(c.count * 2 ** -52 * Math.log(65));
    expect(() => copyLosses(new Float64Array(7), C, batch)).toThrow(/Logits have 7 values/);
  });
});
