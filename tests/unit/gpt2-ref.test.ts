/**
 * The float64 GPT-2 reference (src/models/gpt2/ref.ts) on cases computed by hand: LayerNorm, GELU-tanh, a
 * 1-layer width-4 model whose attention is uniform or planted, top-k and the per-head scores. Everything is
 * float64 arithmetic on a handful of values: tolerances 1e-12 (a few ulps of float64 on order-1 values).
 */
import { describe, expect, it } from 'vitest';
import { layerNormRows } from '../../src/kernels/gpt2/layernorm.ref';
import { gpt2Reference, headScores, topK } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { gpt2TensorSpecs, layerTensorNames, type Gpt2Config } from '../../src/models/gpt2/types';

const TOL = 1e-12;
const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

describe('LayerNorm reference', () => {
  it('normalises each row with the biased variance, then gain and bias', () => {
    const eps = 1e-5;
    const y = layerNormRows([1, 2, 3, 4, 2, 2, 2, 6], 2, 4, [1, 2, 1, 1], [0, 0, 1, 0], eps);
    const inv0 = 1 / Math.sqrt(1.25 + eps);
    const want0 = [-1.5 * inv0, -0.5 * inv0 * 2, 0.5 * inv0 + 1, 1.5 * inv0];
    const inv1 = 1 / Math.sqrt(3 + eps); // mean 3, deviations −1 −1 −1 3: variance 12/4
    const want1 = [-inv1, -2 * inv1, -inv1 + 1, 3 * inv1];
    [...want0, ...want1].forEach((w, i) => expect(Math.abs(y[i]! - w)).toBeLessThan(TOL));
  });
});

/** A 1-layer width-4, 2-head model, vocab 3, context 4, every tensor zero unless set. */
function handModel() {
  const config: Gpt2Config = { nLayer: 1, nHead: 2, nEmbd: 4, vocab: 3, nPositions: 4, eps: 1e-5 };
  const t = new Map<string, Float32Array>();
  for (const s of gpt2TensorSpecs(config)) t.set(s.name, new Float32Array(s.shape.reduce((a, b) => a * b)));
  const n = layerTensorNames(0);
  t.get('wte.weight')!.set([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, -1]);
  t.get('wpe.weight')!.set([0, 0, 0.5, 0, 0, 0, 0, 0.25], 0);
  for (const g of [n.ln1g, n.ln2g, 'ln_f.weight']) t.get(g)!.fill(1);
  return { config, t, n };
}

describe('gpt2Reference on a hand model', () => {
  it('uniform causal attention (q = k = 0), constant v, identity projection, bias-only MLP: logits by hand', () => {
    const { config, t, n } = handModel();
    // c_attn bias: q | k | v = 0 | 0 | [1, 2, 3, 4]; W = 0, so every score is 0 and A[i][j] = 1/(i + 1).
    t.get(n.attnB)!.set([1, 2, 3, 4], 8);
    const proj = t.get(n.attnProjW)!;
    for (let i = 0; i < 4; i++) proj[i * 4 + i] = 1;
    // MLP: fc = GELU(b_fc) (W_fc = 0); out = GELU(b_fc)·W_proj, W_proj[k][c] = 1 when k = c.
    const bfc = t.get(n.fcB)!;
    bfc.set([1, -0.5, 2, 0.25]);
    const wp = t.get(n.projW)!;
    for (let c = 0; c < 4; c++) wp[c * 4 + c] = 1;
    const ids = [0, 1, 2, 1];
    const r = gpt2Reference(t, config, ids, { attention: true, positions: [0] });
    const a = r.attention![0]!;
    for (let h = 0; h < 2; h++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++) {
          const w = a[(h * 4 + i) * 4 + j]!;
          if (j > i) expect(w).toBe(0);
          else expect(Math.abs(w - 1 / (i + 1))).toBeLessThan(TOL);
        }
    const wte = t.get('wte.weight')!;
    const wpe = t.get('wpe.weight')!;
    const mlp = [1, -0.5, 2, 0.25].map(gelu);
    for (const pos of [0, 3]) {
      const x = [0, 1, 2, 3].map((c) => wte[ids[pos]! * 4 + c]! + wpe[pos * 4 + c]! + (c + 1) + mlp[c]!);
      const h = layerNormRows(x, 1, 4, [1, 1, 1, 1], [0, 0, 0, 0], 1e-5);
      const logits = r.logits.get(pos)!;
      expect(logits.length).toBe(3);
      for (let v = 0; v < 3; v++) {
        const want = [0, 1, 2, 3].reduce((s, c) => s + h[c]! * wte[v * 4 + c]!, 0);
        expect(Math.abs(logits[v]! - want)).toBeLessThan(TOL);
      }
    }
    expect([...r.logits.keys()].sort()).toEqual([0, 3]);
  });

  it('planted scores: head 0 scores q·k/√2 from LN(x); rows sum to 1, the upper triangle is exactly 0', () => {
    const { config, t, n } = handModel();
    // q = k = the first two LN(x) columns for head 0 (dh = 2), zero for head 1.
    const w = t.get(n.attnW)!; // [4][12]
    w[0 * 12 + 0] = 1;
    w[1 * 12 + 1] = 1;
    w[0 * 12 + 4] = 2;
    w[1 * 12 + 5] = -1;
    const ids = [0, 1, 2];
    const r = gpt2Reference(t, config, ids, { attention: true });
    const x = ids.flatMap((id, p) =>
      [0, 1, 2, 3].map((c) => t.get('wte.weight')![id * 4 + c]! + t.get('wpe.weight')![p * 4 + c]!),
    );
    const h = layerNormRows(x, 3, 4, [1, 1, 1, 1], [0, 0, 0, 0], 1e-5);
    const a = r.attention![0]!;
    for (let i = 0; i < 3; i++) {
      const s = [0, 1, 2]
        .slice(0, i + 1)
        .map((j) => (h[i * 4]! * 2 * h[j * 4]! - h[i * 4 + 1]! * h[j * 4 + 1]!) / Math.SQRT2);
      const m = Math.max(...s);
      const l = s.reduce((acc, v) => acc + Math.exp(v - m), 0);
      let rowSum = 0;
      for (let j = 0; j < 3; j++) {
        const got = a[i * 3 + j]!;
        rowSum += got;
        if (j > i) expect(got).toBe(0);
        else expect(Math.abs(got - Math.exp(s[j]! - m) / l)).toBeLessThan(TOL);
        expect(a[(3 + i) * 3 + j]).toBe(j > i ? 0 : 1 / (i + 1));
      }
      expect(Math.abs(rowSum - 1)).toBeLessThan(TOL);
    }
    expect([...r.logits.keys()]).toEqual([2]);
  });

  it('a random 2-layer model: attention rows sum to 1, masked weights 0, finite logits of length V', () => {
    const config: Gpt2Config = { nLayer: 2, nHead: 4, nEmbd: 16, vocab: 50, nPositions: 64, eps: 1e-5 };
    const r = gpt2Reference(randomGpt2Tensors(config, 5), config, [1, 7, 3, 3, 49, 0], { attention: true });
    for (const a of r.attention!)
      for (let row = 0; row < 4 * 6; row++) {
        const i = row % 6;
        let s = 0;
        for (let j = 0; j < 6; j++) {
          if (j > i) expect(a[row * 6 + j]).toBe(0);
          s += a[row * 6 + j]!;
        }
        expect(Math.abs(s - 1)).toBeLessThan(TOL);
      }
    const logits = r.logits.get(5)!;
    expect(logits.length).toBe(50);
    expect(logits.every(Number.isFinite)).toBe(true);
  });

  it('refuses too many tokens, a bad id and a bad position', () => {
    const { config, t } = handModel();
    expect(() => gpt2Reference(t, config, [0, 1, 2, 0, 1])).toThrow(RangeError);
    expect(() => gpt2Reference(t, config, [0, 3])).toThrow(/token id 3/);
    expect(() => gpt2Reference(t, config, [0, 1], { positions: [2] })).toThrow(/position 2/);
  });
});

describe('topK and headScores', () => {
  it('topK: the largest logits in order (ties: lower id first) with softmax probabilities', () => {
    const logits = [1, 3, 2, 3, -1];
    const z = logits.reduce((s, v) => s + Math.exp(v), 0);
    const top = topK(logits, 3);
    expect(top.map((x) => x.id)).toEqual([1, 3, 2]);
    top.forEach((x) => expect(Math.abs(x.p - Math.exp(logits[x.id]!) / z)).toBeLessThan(TOL));
    expect(topK(logits, 10).map((x) => x.id)).toEqual([1, 3, 2, 0, 4]);
  });

  it('headScores on planted matrices: identity, previous token, first token, uniform', () => {
    const T = 5;
    const mats = [
      (i: number, j: number) => (i === j ? 1 : 0),
      (i: number, j: number) => (j === Math.max(0, i - 1) ? 1 : 0),
      (_i: number, j: number) => (j === 0 ? 1 : 0),
      (i: number, j: number) => (j <= i ? 1 / (i + 1) : 0),
    ];
    const a = new Float64Array(mats.length * T * T);
    mats.forEach((f, h) => {
      for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) a[(h * T + i) * T + j] = f(i, j);
    });
    const s = headScores(a, mats.length);
    const close = (x: number, y: number) => expect(Math.abs(x - y)).toBeLessThan(TOL);
    close(s[0]!.self, 1);
    close(s[0]!.previous, 0);
    close(s[0]!.first, 1 / T);
    close(s[0]!.distance, 0);
    close(s[1]!.previous, 1);
    close(s[1]!.first, 2 / T);
    close(s[1]!.self, 1 / T);
    close(s[1]!.distance, (T - 1) / T);
    close(s[2]!.first, 1);
    close(s[2]!.distance, (0 + 1 + 2 + 3 + 4) / T);
    // Uniform causal: mean over i of Σ_{j ≤ i} (i − j)/(i + 1) = mean of i/2.
    close(s[3]!.distance, (0 + 1 + 2 + 3 + 4) / 2 / T);
    close(s[3]!.previous, (1 / 2 + 1 / 3 + 1 / 4 + 1 / 5) / 4);
    expect(() => headScores(new Float64Array(7), 1)).toThrow(RangeError);
  });
});

describe('randomGpt2Tensors', () => {
  it('every tensor of the spec with its shape, the same for a seed and different across seeds', () => {
    const config: Gpt2Config = { nLayer: 2, nHead: 2, nEmbd: 16, vocab: 30, nPositions: 64, eps: 1e-5 };
    const a = randomGpt2Tensors(config, 1);
    const b = randomGpt2Tensors(config, 1);
    const c = randomGpt2Tensors(config, 2);
    for (const s of gpt2TensorSpecs(config)) {
      const t = a.get(s.name)!;
      expect(t.length).toBe(s.shape.reduce((x, y) => x * y));
      expect(t).toEqual(b.get(s.name));
      expect(t).not.toEqual(c.get(s.name));
      expect(t.every(Number.isFinite)).toBe(true);
    }
    // LayerNorm gains centre on 1, other tensors on 0.
    const g = a.get('h.0.ln_1.weight')!;
    expect(g.reduce((s, v) => s + v, 0) / g.length).toBeGreaterThan(0.9);
  });
});
