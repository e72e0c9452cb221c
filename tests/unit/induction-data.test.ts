/**
 * The induction model's repeated-sequence data (src/models/induction/data.ts): structure, the documented
 * guarantees (planted tokens unique outside the block, no repeated filler bigram), determinism of the
 * counter-based streams, and the spread of periods, offsets and filler tokens. Exact checks, except the
 * filler frequencies (a χ² statistic with 63 degrees of freedom below its mean + 6 standard deviations).
 */
import { describe, expect, it } from 'vitest';
import { philox4x32, unitFloat } from '../../src/kernels/random/philox.ref';
import {
  INDUCTION_DATA,
  STREAM_TRAIN,
  heldOutBatch,
  inductionBatch,
  sequenceOf,
  type InductionBatch,
} from '../../src/models/induction';

const { T, BOS, vocab: V } = INDUCTION_DATA;

/** Checks every documented guarantee of every sequence of a batch. */
function checkBatch(b: InductionBatch, periods: readonly [number, number]): void {
  for (let s = 0; s < b.size; s++) {
    const x = sequenceOf(b, s);
    const P = b.period[s]!;
    const o = b.firstCopy[s]!;
    expect(P).toBeGreaterThanOrEqual(periods[0]);
    expect(P).toBeLessThanOrEqual(periods[1]);
    expect(o).toBeGreaterThanOrEqual(1);
    expect(o + 2 * P).toBeLessThanOrEqual(T);
    expect(b.secondCopy[s]).toBe(o + P);
    expect(x[0]).toBe(BOS);
    expect(Math.max(...x.subarray(1))).toBeLessThan(V);
    const planted = Array.from(x.subarray(o, o + P));
    expect(Array.from(x.subarray(o + P, o + 2 * P))).toEqual(planted);
    expect(new Set(planted).size).toBe(P);
    const counts = new Map<number, number>();
    for (const tok of x) counts.set(tok, (counts.get(tok) ?? 0) + 1);
    for (const a of planted) expect(counts.get(a)).toBe(2);
    // The only bigrams occurring twice are the planted (a_j, a_j+1); none occurs three times.
    const bigrams = new Map<string, number>();
    for (let t = 1; t < T; t++) {
      const key = `${x[t - 1]},${x[t]}`;
      bigrams.set(key, (bigrams.get(key) ?? 0) + 1);
    }
    const repeated = [...bigrams].filter(([, n]) => n > 1);
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    expect(repeated.map(([k]) => k).sort()).toEqual(
      planted
        .slice(0, -1)
        .map((a, j) => `${a},${planted[j + 1]}`)
        .sort(),
    );
  }
}

describe('induction data', () => {
  it('training batches keep every guarantee, periods 4 … 24', () => {
    for (let step = 0; step < 40; step++) checkBatch(inductionBatch(11, step, 32), INDUCTION_DATA.periods);
  });

  it('the held-out set (512 sequences) keeps them too, with periods 25 … 30 only', () => {
    const h = heldOutBatch(2026);
    expect(h.size).toBe(512);
    checkBatch(h, INDUCTION_DATA.heldOutPeriods);
    expect(new Set(h.period).size).toBe(6);
  });

  it('sequence s of step k does not depend on the batch size, and follows the documented draw order', () => {
    const big = inductionBatch(5, 9, 32);
    const small = inductionBatch(5, 9, 3);
    expect(small.tokens).toEqual(big.tokens.subarray(0, 3 * T));
    expect(inductionBatch(5, 9, 32).tokens).toEqual(big.tokens);
    expect(inductionBatch(5, 10, 32).tokens).not.toEqual(big.tokens);
    expect(inductionBatch(6, 9, 32).tokens).not.toEqual(big.tokens);
    // Draws 0 and 1 of sequence 2: Philox([0, 2, 9, 0], [5, STREAM_TRAIN]) words 0 and 1.
    const [w0, w1] = philox4x32([0, 2, 9, 0], [5, STREAM_TRAIN]);
    const P = 4 + Math.floor(unitFloat(w0) * 21);
    expect(big.period[2]).toBe(P);
    expect(big.firstCopy[2]).toBe(1 + Math.floor(unitFloat(w1) * (T - 2 * P)));
  });

  it('the held-out stream differs from the training stream of the same seed', () => {
    const a = heldOutBatch(3, 16);
    const b = inductionBatch(3, 0, 16);
    let same = 0;
    for (let i = 0; i < a.tokens.length; i++) if (a.tokens[i] === b.tokens[i]) same++;
    // Positions 0 are BOS in both; independent tokens agree with probability ≈ 1/64 elsewhere.
    expect(same).toBeLessThan(16 + 0.05 * a.tokens.length);
  });

  it('periods and offsets spread over their whole ranges (position alone cannot find the copy)', () => {
    const periods = new Set<number>();
    const offsets = new Map<number, Set<number>>();
    for (let step = 0; step < 200; step++) {
      const b = inductionBatch(1, step, 32);
      for (let s = 0; s < b.size; s++) {
        periods.add(b.period[s]!);
        const set = offsets.get(b.period[s]!) ?? new Set<number>();
        set.add(b.firstCopy[s]!);
        offsets.set(b.period[s]!, set);
      }
    }
    expect([...periods].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => 4 + i));
    // P = 24 has 16 possible offsets, P = 4 has 56: with ≈ 300 sequences each, all of them occur.
    expect(offsets.get(24)!.size).toBe(T - 48);
    expect(offsets.get(4)!.size).toBe(T - 8);
  });

  it('filler tokens are spread evenly over the vocabulary', () => {
    const counts = new Float64Array(V);
    let n = 0;
    for (let step = 0; step < 60; step++) {
      const b = inductionBatch(8, step, 32);
      for (let s = 0; s < b.size; s++) {
        const o = b.firstCopy[s]!;
        const end = o + 2 * b.period[s]!;
        for (let t = 1; t < T; t++)
          if (t < o || t >= end) {
            counts[b.tokens[s * T + t]!]!++;
            n++;
          }
      }
    }
    const e = n / V;
    const chi2 = counts.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(63 + 6 * Math.sqrt(2 * 63));
  });

  it('rejects a bad batch size or step', () => {
    expect(() => inductionBatch(1, 0, 0)).toThrow(RangeError);
    expect(() => inductionBatch(1, -1, 4)).toThrow(RangeError);
    expect(() => inductionBatch(1, 1.5, 4)).toThrow(RangeError);
  });
});
