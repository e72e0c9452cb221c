/**
 * Float64 references of the transformer training kernels (src/kernels/transformer/ref.ts): each against a
 * naive formula written independently (full matrices, explicit masks, the softmax Jacobian, one-hot
 * products), and central-difference gradient checks of the composed attention block.
 * Tolerances: the references and the naive formulas are both float64 with different summation orders, so
 * they agree to ~n·2⁻⁵³ relative (1e-12 is used); central differences with ε = 1e-6 have truncation error
 * O(ε²·|f'''|) ≈ 1e-12 and rounding error ≈ 2⁻⁵³·|loss|/ε ≈ 1e-10·|loss|, so the gradient checks ask for
 * |numeric − analytic| ≤ 1e-6·max|analytic| per tensor (relative error < 1e-6).
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/transformer/ref';
import {
  causalKeeps,
  columnBlock,
  defaultScale,
  headIndex,
  scoreIndex,
  validateEmbeddingShape,
  validateHeadShape,
  type HeadShape,
} from '../../src/kernels/transformer/spec';
import { mulberry32 } from '../../src/util/rng';

function randn(n: number, seed: number, scale = 1): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => {
    const u = 1 - r();
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  });
}

function expectAllClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  expect(a.length).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol * Math.max(scale, 1e-300))) {
      expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (scale ${scale})`);
    }
  }
}

const S: HeadShape = { batch: 2, heads: 3, len: 7, dHead: 5 };
const G = S.batch * S.heads;

describe('spec', () => {
  it('validates shapes with errors naming the field, fills column-block defaults, keeps j ≤ i', () => {
    const ok: HeadShape = { batch: 2, heads: 4, len: 64, dHead: 16 };
    expect(() => validateHeadShape(ok)).not.toThrow();
    expect(() => validateHeadShape({ ...ok, len: 0 })).toThrow(/len = 0/);
    expect(() => validateHeadShape({ ...ok, dHead: 2.5 })).toThrow(/dHead = 2.5/);
    expect(() => validateHeadShape({ ...ok, heads: 65 })).toThrow(/heads = 65/);
    expect(() => validateEmbeddingShape({ batch: 1, len: 8, vocab: 0, dModel: 4 })).toThrow(/vocab = 0/);
    expect(columnBlock(ok)).toEqual({ width: 64, offset: 0 });
    expect(columnBlock(ok, { width: 192, offset: 128 })).toEqual({ width: 192, offset: 128 });
    expect(() => columnBlock(ok, { width: 192, offset: 129 })).toThrow(RangeError);
    expect(headIndex(ok, 1, 2, 3, 4)).toBe(((1 * 4 + 2) * 64 + 3) * 16 + 4);
    expect(scoreIndex(ok, 1, 2, 3, 4)).toBe(((1 * 4 + 2) * 64 + 3) * 64 + 4);
    expect([causalKeeps(3, 3), causalKeeps(3, 2), causalKeeps(3, 4)]).toEqual([true, true, false]);
    expect(defaultScale(16)).toBe(0.25);
  });
});

describe('head split / merge', () => {
  it('split reads head h of row b·T + t at columns offset + h·dh + c; merge is its inverse', () => {
    const width = 3 * S.heads * S.dHead + 2;
    const x = randn(S.batch * S.len * width, 1);
    for (const offset of [0, S.heads * S.dHead, 2 * S.heads * S.dHead + 2]) {
      const y = ref.headSplit(x, S, { width, offset });
      for (let b = 0; b < S.batch; b++)
        for (let h = 0; h < S.heads; h++)
          for (let t = 0; t < S.len; t++)
            for (let c = 0; c < S.dHead; c++) {
              const want = x[(b * S.len + t) * width + offset + h * S.dHead + c];
              expect(y[headIndex(S, b, h, t, c)]).toBe(want);
            }
      const back = ref.headMerge(y, S, { width, offset }, new Float64Array(x.length));
      for (let r = 0; r < S.batch * S.len; r++)
        for (let col = 0; col < width; col++) {
          const inBlock = col >= offset && col < offset + S.heads * S.dHead;
          expect(back[r * width + col]).toBe(inBlock ? x[r * width + col] : 0);
        }
    }
  });
  it('rejects a block wider than the row', () => {
    expect(() => ref.headSplit(new Float64Array(1000), S, { width: 15, offset: 1 })).toThrow(RangeError);
  });
});

/** Naive per-head matrices: M[g] as T×T or T×dh nested arrays. */
const mat = (v: ArrayLike<number>, g: number, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => v[(g * rows + i) * cols + j]!),
  );

describe('causal attention forward', () => {
  const q = randn(G * S.len * S.dHead, 2);
  const k = randn(G * S.len * S.dHead, 3);
  const v = randn(G * S.len * S.dHead, 4);
  const scale = defaultScale(S.dHead);
  const { scores, a } = ref.causalAttentionWeights(q, k, S);

  it('A = softmax(scale·QKᵀ + causal −∞ mask) (no max subtraction), masked entries exactly 0', () => {
    for (let g = 0; g < G; g++) {
      const Q = mat(q, g, S.len, S.dHead);
      const K = mat(k, g, S.len, S.dHead);
      for (let i = 0; i < S.len; i++) {
        const e = K.map((kr, j) =>
          j > i ? 0 : Math.exp(scale * kr.reduce((s, x, c) => s + x * Q[i]![c]!, 0)),
        );
        const z = e.reduce((s, x) => s + x, 0);
        for (let j = 0; j < S.len; j++) {
          const got = a[scoreIndex(S, Math.floor(g / S.heads), g % S.heads, i, j)]!;
          if (j > i) {
            expect(got).toBe(0);
            expect(scores[(g * S.len + i) * S.len + j]).toBe(-Infinity);
          } else expect(Math.abs(got - e[j]! / z)).toBeLessThan(1e-12);
        }
      }
    }
  });
  it('saturates without overflow at scores of ±1000', () => {
    const big = ref.causalAttentionWeights(
      q.map((x) => x * 60),
      k.map((x) => x * 60),
      S,
    );
    for (const x of big.a) expect(Number.isFinite(x) && x >= 0 && x <= 1).toBe(true);
    for (let r = 0; r < G * S.len; r++) {
      let sum = 0;
      for (let j = 0; j < S.len; j++) sum += big.a[r * S.len + j]!;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
    }
  });
  it('O = A·V as a full matrix product', () => {
    const o = ref.attendValues(a, v, S);
    const want = new Float64Array(o.length);
    for (let g = 0; g < G; g++) {
      const A = mat(a, g, S.len, S.len);
      const V = mat(v, g, S.len, S.dHead);
      for (let i = 0; i < S.len; i++)
        for (let c = 0; c < S.dHead; c++)
          want[(g * S.len + i) * S.dHead + c] = A[i]!.reduce((s, w, j) => s + w * V[j]![c]!, 0);
    }
    expectAllClose(o, want, 1e-12, 'O');
  });
  it('backward: dA = dO·Vᵀ, dS through the softmax Jacobian, dQ, dK, dV as full products', () => {
    const dO = randn(G * S.len * S.dHead, 5);
    const gr = ref.causalAttentionBackward({ q, k, v, a }, dO, S);
    const T = S.len;
    for (let g = 0; g < G; g++) {
      const [A, V, Q] = [mat(a, g, T, T), mat(v, g, T, S.dHead), mat(q, g, T, S.dHead)];
      const Kg = mat(k, g, T, S.dHead);
      const dOg = mat(dO, g, T, S.dHead);
      const dA = dOg.map((row, i) =>
        V.map((vr, j) => (j > i ? 0 : vr.reduce((s, x, c) => s + x * row[c]!, 0))),
      );
      // dS_j = Σ_m dA_m · ∂A_m/∂S_j = Σ_m dA_m · A_m (δ_mj − A_j).
      const dS = A.map((ar, i) =>
        ar.map((_, j) => ar.reduce((s, am, m) => s + dA[i]![m]! * am * ((m === j ? 1 : 0) - ar[j]!), 0)),
      );
      for (let i = 0; i < T; i++)
        for (let j = 0; j < T; j++) {
          expect(Math.abs(gr.dA[(g * T + i) * T + j]! - dA[i]![j]!)).toBeLessThan(1e-12);
          expect(Math.abs(gr.dS[(g * T + i) * T + j]! - dS[i]![j]!)).toBeLessThan(1e-12);
          if (j > i) expect(gr.dS[(g * T + i) * T + j]).toBe(0);
        }
      for (let t = 0; t < T; t++)
        for (let c = 0; c < S.dHead; c++) {
          const at = (g * T + t) * S.dHead + c;
          let dq = 0;
          let dk = 0;
          let dv = 0;
          for (let m = 0; m < T; m++) {
            dq += dS[t]![m]! * Kg[m]![c]! * (1 / Math.sqrt(S.dHead));
            dk += dS[m]![t]! * Q[m]![c]! * (1 / Math.sqrt(S.dHead));
            dv += A[m]![t]! * dOg[m]![c]!;
          }
          expect(Math.abs(gr.dQ[at]! - dq)).toBeLessThan(1e-12);
          expect(Math.abs(gr.dK[at]! - dk)).toBeLessThan(1e-12);
          expect(Math.abs(gr.dV[at]! - dv)).toBeLessThan(1e-12);
        }
    }
  });
});

describe('embedding', () => {
  const E = { batch: 3, len: 6, vocab: 5, dModel: 4 };
  const rows = E.batch * E.len;
  const tokens = Array.from({ length: rows }, (_, r) => (r * 7 + 3) % E.vocab);
  tokens[4] = E.vocab + 2; // out of range: position only, no gradient
  const eTok = randn(E.vocab * E.dModel, 6);
  const ePos = randn(E.len * E.dModel, 7);
  it('forward: one-hot(X)·E_tok + E_pos', () => {
    const h = ref.embeddingForward(tokens, eTok, ePos, E);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < E.dModel; c++) {
        let tok = 0;
        for (let id = 0; id < E.vocab; id++) tok += (tokens[r] === id ? 1 : 0) * eTok[id * E.dModel + c]!;
        expect(h[r * E.dModel + c]).toBe(tok + ePos[(r % E.len) * E.dModel + c]!);
      }
  });
  it('backward: dE_tok = one-hot(X)ᵀ·dH, dE_pos = Σ_batch dH', () => {
    const dH = randn(rows * E.dModel, 8);
    const { dTok, dPos } = ref.embeddingBackward(tokens, dH, E);
    for (let id = 0; id < E.vocab; id++)
      for (let c = 0; c < E.dModel; c++) {
        let s = 0;
        for (let r = 0; r < rows; r++) if (tokens[r] === id) s += dH[r * E.dModel + c]!;
        expect(dTok[id * E.dModel + c]).toBeCloseTo(s, 12);
      }
    for (let t = 0; t < E.len; t++)
      for (let c = 0; c < E.dModel; c++) {
        let s = 0;
        for (let b = 0; b < E.batch; b++) s += dH[(b * E.len + t) * E.dModel + c]!;
        expect(dPos[t * E.dModel + c]).toBeCloseTo(s, 12);
      }
  });
});

/** Central differences of `loss` in every entry of `x` (perturbed in place and restored). */
function numericGrad(x: Float64Array, loss: () => number, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + eps;
    const up = loss();
    x[i] = x0 - eps;
    const down = loss();
    x[i] = x0;
    g[i] = (up - down) / (2 * eps);
  }
  return g;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe('central-difference gradient checks (ε = 1e-6, relative error < 1e-6)', () => {
  it('attention: loss = Σ w ⊙ O with respect to Q, K, V', () => {
    const s: HeadShape = { batch: 2, heads: 2, len: 6, dHead: 4 };
    const n = s.batch * s.heads * s.len * s.dHead;
    const [q, k, v, w] = [randn(n, 11), randn(n, 12), randn(n, 13), randn(n, 14)];
    const loss = () => dot(w, ref.attendValues(ref.causalAttentionWeights(q, k, s).a, v, s));
    const { a } = ref.causalAttentionWeights(q, k, s);
    const g = ref.causalAttentionBackward({ q, k, v, a }, w, s);
    expectAllClose(numericGrad(q, loss), g.dQ, 1e-6, 'dQ');
    expectAllClose(numericGrad(k, loss), g.dK, 1e-6, 'dK');
    expectAllClose(numericGrad(v, loss), g.dV, 1e-6, 'dV');
  });
  it('embedding + split + attention + merge + W_O with a residual: every parameter', () => {
    const s = { batch: 2, heads: 2, len: 5, dHead: 3, vocab: 6, dModel: 4 };
    const hd = s.heads * s.dHead;
    const tokens = [0, 3, 5, 3, 1, 2, 2, 4, 0, 3];
    const p: ref.BlockParams = {
      eTok: randn(s.vocab * s.dModel, 21),
      ePos: randn(s.len * s.dModel, 22),
      wq: randn(s.dModel * hd, 23, 0.7),
      wk: randn(s.dModel * hd, 24, 0.7),
      wv: randn(s.dModel * hd, 25),
      wo: randn(hd * s.dModel, 26),
    };
    const w = randn(s.batch * s.len * s.dModel, 27);
    const grads = ref.blockBackward(tokens, p, s, w);
    const loss = () => dot(w, ref.blockForward(tokens, p, s).y);
    for (const name of ['eTok', 'ePos', 'wq', 'wk', 'wv', 'wo'] as const) {
      expectAllClose(numericGrad(p[name], loss), grads[name], 1e-6, name);
    }
  });
  it('catches a wrong backward (the check is sharp): dropping the rowsum term fails it', () => {
    const s: HeadShape = { batch: 1, heads: 1, len: 4, dHead: 3 };
    const n = s.len * s.dHead;
    const [q, k, v, w] = [randn(n, 31), randn(n, 32), randn(n, 33), randn(n, 34)];
    const { a } = ref.causalAttentionWeights(q, k, s);
    const g = ref.causalAttentionBackward({ q, k, v, a }, w, s);
    const dQwrong = new Float64Array(n);
    for (let i = 0; i < s.len; i++)
      for (let c = 0; c < s.dHead; c++)
        for (let j = 0; j <= i; j++)
          dQwrong[i * s.dHead + c]! +=
            a[i * s.len + j]! * g.dA[i * s.len + j]! * k[j * s.dHead + c]! * defaultScale(3);
    const loss = () => dot(w, ref.attendValues(ref.causalAttentionWeights(q, k, s).a, v, s));
    const num = numericGrad(q, loss);
    expect(() => expectAllClose(num, dQwrong, 1e-6, 'dQ')).toThrow();
  });
});
