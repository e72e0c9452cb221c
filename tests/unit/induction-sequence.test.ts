/**
 * One sequence through the induction model as the Attention lab shows it (src/models/induction/sequence.ts):
 * token names and parsing, generated sequences and their repeat, and analyseSequence on the hand-built
 * circuit (whose scores and losses are known) and on a seeded random model (Q/K/V consistent with the
 * attention it returns: recomputing softmax(QKᵀ/√dh) from the f32 Q, K agrees within 1e-5, f32 rounding of
 * O(1) scores through exp).
 */
import { describe, expect, it } from 'vitest';
import { INDUCTION_DATA, initInduction } from '../../src/models/induction';
import {
  BOS_LABEL,
  analyseSequence,
  demoSequence,
  findRepeat,
  formatSequence,
  parseSequence,
  tokenLabel,
} from '../../src/models/induction/sequence';
import { CONFIG, circuit } from './induction-circuit-helpers';

describe('token sequences', () => {
  it('names 64 tokens by the base64url alphabet and BOS by ⟨BOS⟩', () => {
    const names = Array.from({ length: 64 }, (_, i) => tokenLabel(i));
    expect(new Set(names).size).toBe(64);
    expect(tokenLabel(INDUCTION_DATA.BOS)).toBe(BOS_LABEL);
    expect(tokenLabel(0) + tokenLabel(26) + tokenLabel(52) + tokenLabel(63)).toBe('Aa0_');
  });

  it('parses what it formats, with BOS first and whitespace ignored', () => {
    const p = parseSequence(' ab C\n-_ ');
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect([...p.ids]).toEqual([INDUCTION_DATA.BOS, 26, 27, 2, 62, 63]);
    expect(formatSequence(p.ids)).toBe('abC-_');
  });

  it('names the problem with a bad sequence', () => {
    expect(parseSequence('  ')).toEqual({ ok: false, error: expect.stringContaining('empty') });
    expect(parseSequence('ab!c')).toEqual({
      ok: false,
      error: expect.stringContaining('“!” (character 3) is not a token'),
    });
    const long = parseSequence('A'.repeat(64));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.error).toContain('has 64');
    expect(parseSequence('A'.repeat(63)).ok).toBe(true);
  });

  it('generates BOS, filler and a block repeated once, found again by findRepeat', () => {
    for (const [seed, period] of [
      [1, 4],
      [7, 12],
      [42, 30],
    ] as const) {
      const d = demoSequence(seed, period);
      expect(d.ids.length).toBe(INDUCTION_DATA.T);
      expect(d.ids[0]).toBe(INDUCTION_DATA.BOS);
      for (let j = 0; j < period; j++) expect(d.ids[d.offset + period + j]).toBe(d.ids[d.offset + j]);
      // The planted block is the longest repeat (filler never repeats a bigram, so no longer block matches).
      expect(findRepeat(d.ids)).toEqual({ period, offset: d.offset });
      expect(demoSequence(seed, period).ids).toEqual(d.ids);
    }
    expect(() => demoSequence(1, 3)).toThrow(RangeError);
    expect(() => demoSequence(1, 31)).toThrow(RangeError);
  });

  it('finds no repeat where there is none, and the longest one where there are several', () => {
    expect(findRepeat([64, 1, 2, 3, 4, 5])).toBeNull();
    expect(findRepeat([64, 1, 2, 1, 2, 9, 3, 4, 5, 3, 4, 5])).toEqual({ period: 3, offset: 6 });
  });
});

describe('analyseSequence', () => {
  it('reads the hand-built circuit: previous-token head in layer 0, induction head in layer 1', () => {
    const d = demoSequence(5, 20);
    const a = analyseSequence(circuit(), d.ids, { config: CONFIG, ablations: true });
    expect(a.repeat).toEqual({ period: 20, offset: d.offset });
    // β = 20 stripes (see induction-circuit.test.ts): the scores are within 64·e^−19.8 of 1.
    expect(a.previousToken[0]![0]).toBeGreaterThan(1 - 1e-6);
    expect(a.prefixMatching![1]![0]).toBeGreaterThan(1 - 1e-6);
    expect(a.secondCopy!.top1).toBe(1);
    expect(a.secondCopy!.loss).toBeLessThan(1e-3);
    expect(a.firstCopy!.loss).toBeGreaterThan(Math.log(64) - 1);
    expect(a.ablation).toHaveLength(2);
    for (const cut of a.ablation!) expect(cut.secondCopyLoss - a.secondCopy!.loss).toBeGreaterThan(1.5);
    expect(a.tokenLoss).toHaveLength(63);
  });

  it('ablating the previous-token head changes what layer 1 sees', () => {
    const d = demoSequence(5, 20);
    const whole = analyseSequence(circuit(), d.ids, { config: CONFIG });
    const cut = analyseSequence(circuit(), d.ids, { config: CONFIG, ablate: [{ layer: 0, head: 0 }] });
    // Layer 0's own attention is computed as before; layer 1 loses its keys' previous-token subspace.
    expect(cut.attention[0]).toEqual(whole.attention[0]);
    expect(cut.prefixMatching![1]![0]).toBeLessThan(0.5);
    expect(cut.secondCopy!.loss).toBeGreaterThan(whole.secondCopy!.loss + 1.5);
  });

  it('returns per-head Q, K, V whose softmax(QKᵀ/√dh) is the attention it reports', () => {
    const params = initInduction(3);
    const p = parseSequence('ABCDxyzABCDxyz01');
    if (!p.ok) throw new Error(p.error);
    const a = analyseSequence(params, p.ids);
    const { heads: H, dHead: dh } = { heads: 4, dHead: 16 };
    const n = p.ids.length;
    expect(a.q).toHaveLength(2);
    expect(a.q[1]!.length).toBe(H * n * dh);
    expect(a.repeat).toEqual({ period: 7, offset: 1 });
    for (let l = 0; l < 2; l++)
      for (let h = 0; h < H; h++)
        for (const i of [0, 5, n - 1]) {
          const s = Array.from({ length: i + 1 }, (_, j) => {
            let dot = 0;
            for (let e = 0; e < dh; e++)
              dot += a.q[l]![(h * n + i) * dh + e]! * a.k[l]![(h * n + j) * dh + e]!;
            return dot / Math.sqrt(dh);
          });
          const max = Math.max(...s);
          const sum = s.reduce((acc, x) => acc + Math.exp(x - max), 0);
          for (let j = 0; j <= i; j++)
            expect(
              Math.abs(Math.exp(s[j]! - max) / sum - a.attention[l]![(h * n + i) * n + j]!),
            ).toBeLessThan(1e-5);
        }
  });

  it('leaves prefix-matching and copy losses out when nothing repeats', () => {
    const p = parseSequence('ABCDEFG');
    if (!p.ok) throw new Error(p.error);
    const a = analyseSequence(initInduction(3), p.ids, { ablations: true });
    expect(a.repeat).toBeNull();
    expect(a.prefixMatching).toBeNull();
    expect(a.secondCopy).toBeNull();
    expect(a.ablation).toBeUndefined();
    expect(a.previousToken[0]!.every(Number.isFinite)).toBe(true);
  });
});
