/**
 * The induction model's float64 forward pass (src/models/induction/index.ts). A hand-set 2-layer model whose
 * head 0 attends to the previous position and copies what it reads gives closed-form attention and logits
 * (tolerance 1e-14: values ≤ 1 after ≈ 20 float64 roundings of 2⁻⁵³ each, plus exp's 1 ULP). Causality,
 * batch independence and ablation are exact (the same float64 operations run in the same order).
 */
import { describe, expect, it } from 'vitest';
import {
  INDUCTION_CONFIG,
  evaluateInduction,
  heldOutBatch,
  inductionForward,
  initInduction,
  parameterCount,
  parameterLayout,
  tensorSlot,
  type InductionConfig,
} from '../../src/models/induction';

// Residual dims: 0–3 token one-hot (3 = BOS), 4–7 position one-hot, 8–11 layer-0 copy, 12–15 layer-1 copy.
const TINY: InductionConfig = { layers: 2, heads: 2, dModel: 16, dHead: 4, vocab: 3, context: 4 };
const C = 3; // q·k = c² on the stripe; scaled by 1/√4: β = 4.5
const BETA = (C * C) / 2;

function tinyModel(): Float64Array {
  const layout = parameterLayout(TINY);
  const p = new Float64Array(parameterCount(TINY));
  const set = (name: string, r: number, c: number, v: number) => {
    const s = tensorSlot(layout, name);
    p[s.offset + r * s.shape[1] + c] = v;
  };
  for (let v = 0; v < 4; v++) set('tokEmbed', v, v, 1);
  for (let t = 0; t < 4; t++) set('posEmbed', t, 4 + t, 1);
  for (let l = 0; l < 2; l++) {
    for (let t = 0; t < 4; t++) set(`layers.${l}.wQ`, 4 + t, t, C);
    for (let s = 0; s < 3; s++) set(`layers.${l}.wK`, 4 + s, s + 1, C);
    for (let v = 0; v < 4; v++) {
      set(`layers.${l}.wV`, l === 0 ? v : 8 + v, v, 1);
      set(`layers.${l}.wO`, v, l === 0 ? 8 + v : 12 + v, 1);
    }
  }
  for (let v = 0; v < 4; v++) set('unembed', 12 + v, v, 1);
  return p;
}

/** Head 0's attention: row 0 → [1]; row t ≥ 1: e^β on key t − 1 and 1 on the others, normalised. */
const stripe = (t: number, s: number) =>
  s > t ? 0 : t === 0 ? 1 : (s === t - 1 ? Math.exp(BETA) : 1) / (Math.exp(BETA) + t);

describe('induction forward pass', () => {
  const tokens = Uint32Array.from([3, 0, 1, 2, 3, 2, 2, 0]);
  const n = 4;

  it('a hand-set previous-token model gives closed-form attention and logits', () => {
    const r = inductionForward(tinyModel(), tokens, 2, TINY);
    expect(r.logits.length).toBe(2 * n * 4);
    for (let b = 0; b < 2; b++) {
      const tok = tokens.subarray(b * n, b * n + n);
      // y0[s][v]: what layer 0 copies to position s; logits[t][v] = Σ_s A[t][s] y0[s][v].
      const y0 = (s: number, v: number) => tok.reduce((acc, x, r2) => acc + (x === v ? stripe(s, r2) : 0), 0);
      for (let t = 0; t < n; t++) {
        for (let l = 0; l < 2; l++)
          for (let s = 0; s < n; s++) {
            const a0 = r.attention[l]![((b * 2 + 0) * n + t) * n + s]!;
            const a1 = r.attention[l]![((b * 2 + 1) * n + t) * n + s]!;
            expect(Math.abs(a0 - stripe(t, s))).toBeLessThan(1e-14);
            expect(a1).toBe(s > t ? 0 : 1 / (t + 1)); // zero Q, K: exactly uniform
          }
        for (let v = 0; v < 4; v++) {
          let want = 0;
          for (let s = 0; s <= t; s++) want += stripe(t, s) * y0(s, v);
          expect(Math.abs(r.logits[(b * n + t) * 4 + v]! - want)).toBeLessThan(1e-14);
        }
      }
    }
    // Sanity of the closed form: at t = 3 of [BOS, 0, 1, 2] the model mostly predicts token 0 (two back).
    const last = Array.from(r.logits.subarray(3 * 4, 4 * 4));
    expect(last.indexOf(Math.max(...last))).toBe(0);
  });

  it('ablating a head zeroes its output: the copy chain breaks, a zero head changes nothing', () => {
    const p = tinyModel();
    const full = inductionForward(p, tokens, 2, TINY);
    for (const layer of [0, 1]) {
      const cut = inductionForward(p, tokens, 2, TINY, { ablate: [{ layer, head: 0 }] });
      expect(Array.from(cut.logits).every((x) => x === 0)).toBe(true);
      expect(cut.attention[layer]).toEqual(full.attention[layer]);
    }
    const idle = inductionForward(p, tokens, 2, TINY, { ablate: [{ layer: 0, head: 1 }] });
    expect(idle.logits).toEqual(full.logits);
  });

  describe('the full model at init', () => {
    const params = initInduction(12);
    const data = heldOutBatch(34, 4);
    const full = inductionForward(params, data.tokens, 4, INDUCTION_CONFIG, { cache: true });
    const T = 64;
    const V1 = 65;

    it('is causal: changing token 40 of each sequence changes nothing before position 40', () => {
      const other = data.tokens.slice();
      for (let b = 0; b < 4; b++) other[b * T + 40] = (other[b * T + 40]! + 1) % 64;
      const r = inductionForward(params, other, 4, INDUCTION_CONFIG);
      for (let b = 0; b < 4; b++) {
        const row = (b * T + 39) * V1;
        expect(r.logits.subarray(b * T * V1, row + V1)).toEqual(full.logits.subarray(b * T * V1, row + V1));
        expect(r.logits.subarray(row + V1, row + 2 * V1)).not.toEqual(
          full.logits.subarray(row + V1, row + 2 * V1),
        );
      }
    });

    it('treats sequences independently, and a prefix like the full sequence', () => {
      const one = inductionForward(params, data.tokens.subarray(T, 2 * T), 1);
      expect(one.logits).toEqual(full.logits.subarray(T * V1, 2 * T * V1));
      const short = inductionForward(params, data.tokens.subarray(0, 10), 1);
      expect(short.logits).toEqual(full.logits.subarray(0, 10 * V1));
    });

    it('returns causal attention rows that sum to 1 and the residual stream that gives the logits', () => {
      for (const a of full.attention)
        for (let row = 0; row < 4 * 4 * T; row++) {
          const t = row % T;
          const r = a.subarray(row * T, row * T + T);
          // T terms ≤ 1: |Σ − 1| ≤ T·2⁻⁵³ plus the division's rounding of each.
          expect(Math.abs(r.reduce((s, x) => s + x, 0) - 1)).toBeLessThan(2 * T * 2 ** -53);
          expect(r.subarray(t + 1).every((x) => x === 0)).toBe(true);
        }
      const cache = full.cache!;
      expect(cache.residual.length).toBe(3);
      const u = tensorSlot(parameterLayout(), 'unembed');
      const x = cache.residual[2]!;
      let logit = 0;
      for (let c = 0; c < 64; c++) logit += x[5 * 64 + c]! * params[u.offset + c * V1 + 7]!;
      expect(full.logits[5 * V1 + 7]).toBe(logit);
    });

    it('rejects a wrong parameter count and out-of-range tokens', () => {
      expect(() => inductionForward(params.subarray(1), data.tokens, 4)).toThrow(/45184 parameters/);
      expect(() => inductionForward(params, Uint32Array.from([64, 65]), 1)).toThrow(/Token 65/);
      expect(() => inductionForward(params, new Uint32Array(65), 1)).toThrow(/1 ≤ n ≤ 64/);
    });
  });

  it('evaluates the 512 held-out sequences at init: no induction yet, near-uniform predictions', () => {
    const params = initInduction(1);
    const data = heldOutBatch(77);
    const s = evaluateInduction(params, data);
    // Near-uniform attention puts ≈ 1/(i + 1) ≤ 1/27 on the prefix target of second-copy row i ≥ 26.
    for (const row of s.prefixMatching) for (const v of row) expect(v).toBeLessThanOrEqual(0.1);
    // Init logits have variance ≈ 64·1·(1/64)² ≈ 0.016: CE ≈ ln 65 + var/2 within 0.05.
    expect(Math.abs(s.firstCopy.loss - Math.log(65))).toBeLessThan(0.05);
    expect(Math.abs(s.secondCopy.loss - Math.log(65))).toBeLessThan(0.05);
    // Chunking changes only the order of float64 sums (≈ 512·63 terms ≤ 1: relative ≤ 2⁻³⁷).
    const part = heldOutBatch(77, 40);
    const a = evaluateInduction(params, part, INDUCTION_CONFIG, { chunk: 7 });
    const b = evaluateInduction(params, part, INDUCTION_CONFIG, { chunk: 40 });
    expect(Math.abs(a.secondCopy.loss - b.secondCopy.loss)).toBeLessThan(1e-11);
    expect(Math.abs(a.prefixMatching[1]![2]! - b.prefixMatching[1]![2]!)).toBeLessThan(1e-11);
  }, 60_000); // ≈ 1.6·10⁹ multiply-adds in float64: a few seconds on one core
});
