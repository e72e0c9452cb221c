/**
 * Gradient checks of every backward reference (src/kernels/nn/ref.ts) against central finite
 * differences of the float64 forward: L = Σ r ⊙ f(·) with random r, step h = 1e-6, tolerance
 * |analytic − numeric| ≤ 1e-6 + 1e-5·|numeric| (truncation O(h²) plus cancellation ~1e-16/h).
 */
import { describe, expect, it } from 'vitest';
import * as ref from '../../src/kernels/nn/ref';
import { ACTIVATIONS } from '../../src/kernels/nn/spec';
import { CpuMlp, makeBatch, TASKS } from '../../src/models/mlp';
import { mulberry32 } from '../../src/util/rng';

/** Uniforms on [−1, 1). */
function rng(seed: number) {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}
const rand = (n: number, r: () => number) => Float64Array.from({ length: n }, r);
const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

/** Checks d/dv Σ weights·f(v) at every entry of v against `analytic`. */
function gradCheck(v: Float64Array, f: () => number, analytic: Float64Array) {
  const h = 1e-6;
  for (let i = 0; i < v.length; i++) {
    const old = v[i]!;
    v[i] = old + h;
    const up = f();
    v[i] = old - h;
    const down = f();
    v[i] = old;
    const numeric = (up - down) / (2 * h);
    expect(Math.abs(analytic[i]! - numeric), `entry ${i}`).toBeLessThanOrEqual(
      1e-6 + 1e-5 * Math.abs(numeric),
    );
  }
}

describe('nn references: gradient checks (central differences)', () => {
  it('Linear: dX, dW, db (B=5, I=3, O=4)', () => {
    const r = rng(1);
    const [B, I, O] = [5, 3, 4];
    const x = rand(B * I, r);
    const w = rand(I * O, r);
    const b = rand(O, r);
    const dy = rand(B * O, r);
    const g = ref.linearBackward(x, w, dy, B, I, O);
    const L = () => dot(dy, ref.linearForward(x, w, b, B, I, O));
    gradCheck(x, L, g.dx);
    gradCheck(w, L, g.dw);
    gradCheck(b, L, g.db);
  });

  it('ReLU (inputs kept away from the kink)', () => {
    const r = rng(2);
    const x = rand(20, r).map((v) => (Math.abs(v) < 0.05 ? 0.3 : v));
    const dy = rand(20, r);
    gradCheck(x, () => dot(dy, ref.reluForward(x)), ref.reluBackward(x, dy));
  });

  for (const kind of ACTIVATIONS.filter((k) => k !== 'relu')) {
    it(`${kind}: dx = dy·f'(x)`, () => {
      const r = rng(5);
      const x = rand(40, r).map((v) => 4 * v);
      const dy = rand(40, r);
      gradCheck(x, () => dot(dy, ref.activationForward(kind, x)), ref.activationBackward(kind, x, dy));
    });
  }

  for (const train of [true, false]) {
    it(`BatchNorm1d ${train ? 'train' : 'eval'}: dX, dγ, dβ (B=7, C=3)`, () => {
      const r = rng(3);
      const [B, C] = [7, 3];
      const x = rand(B * C, r).map((v, i) => 2 * v + (i % C));
      const gamma = rand(C, r).map((v) => 1 + 0.5 * v);
      const beta = rand(C, r);
      const runningMean = rand(C, r);
      const runningVar = rand(C, r).map((v) => 1.5 + v);
      const dy = rand(B * C, r);
      const state = () => ({ gamma, beta, runningMean, runningVar });
      const f = ref.bnForward(x, B, C, state(), train, false);
      const g = ref.bnBackward(dy, f.xhat, gamma, f.invStd, B, C, train);
      const L = () => dot(dy, ref.bnForward(x, B, C, state(), train, false).y);
      gradCheck(x, L, g.dx);
      gradCheck(gamma, L, g.dgamma);
      gradCheck(beta, L, g.dbeta);
    });
  }

  it('softmax cross-entropy: d(mean loss)/d logits (B=6, K=4)', () => {
    const r = rng(4);
    const [B, K] = [6, 4];
    const logits = rand(B * K, r).map((v) => 3 * v);
    const labels = [0, 3, 1, 2, 2, 0];
    const g = ref.softmaxXent(logits, labels, B, K);
    gradCheck(logits, () => ref.softmaxXent(logits, labels, B, K).loss, g.dlogits);
  });
});

describe('MSE loss reference', () => {
  it('gradient check: d(mean loss)/d pred (B=5, D=3)', () => {
    const r = rng(11);
    const pred = rand(15, r).map((v) => 2 * v);
    const target = rand(15, r);
    const g = ref.mseLoss(pred, target);
    gradCheck(pred, () => ref.mseLoss(pred, target).loss, g.dpred);
  });

  it('is the mean over batch and outputs of the squared error; mismatched lengths are refused', () => {
    const pred = Float64Array.from([1, 2, 3, 4]);
    const target = [0, 2, 5, 4];
    const g = ref.mseLoss(pred, target);
    expect(g.loss).toBe((1 + 0 + 4 + 0) / 4);
    expect(Array.from(g.dpred)).toEqual([0.5, 0, -1, 0]);
    expect(() => ref.mseLoss(pred, [1, 2])).toThrow(/4 predictions but 2 targets/);
  });
});

describe('AdamW reference (decoupled weight decay)', () => {
  it('weight decay 0 is Adam exactly, and AdamW = Adam − lr·wd·p (decay outside the moments)', () => {
    const r = rng(12);
    const n = 50;
    const lr = 0.01;
    const wd = 0.1;
    const p0 = rand(n, r);
    const pAdam = Float64Array.from(p0);
    const pZero = Float64Array.from(p0);
    const pW = Float64Array.from(p0);
    const ms = [0, 1, 2].map(() => [new Float64Array(n), new Float64Array(n)] as const);
    for (let t = 1; t <= 4; t++) {
      const g = rand(n, r);
      const before = Float64Array.from(pW);
      const adamOfW = Float64Array.from(pW);
      // The Adam part of an AdamW step from the same state (moments copied so they advance once).
      const [mw, vw] = ms[2]!;
      ref.adamStep(adamOfW, g, Float64Array.from(mw), Float64Array.from(vw), t, { lr });
      ref.adamStep(pAdam, g, ms[0]![0], ms[0]![1], t, { lr });
      ref.adamStep(pZero, g, ms[1]![0], ms[1]![1], t, { lr, weightDecay: 0 });
      ref.adamStep(pW, g, mw, vw, t, { lr, weightDecay: wd });
      for (let i = 0; i < n; i++) {
        expect(Math.abs(pW[i]! - (adamOfW[i]! - lr * wd * before[i]!))).toBeLessThanOrEqual(1e-15);
      }
    }
    expect(Array.from(pZero)).toEqual(Array.from(pAdam));
    // The moments never see the decay: they are those of plain Adam on the same gradients.
    expect(Array.from(ms[2]![0])).toEqual(Array.from(ms[0]![0]));
  });

  it('with zero gradient a step only shrinks the weights by the factor 1 − lr·wd (not lr·sign(p))', () => {
    const p = Float64Array.from([2, -0.5, 1e-3]);
    ref.adamStep(p, new Float64Array(3), new Float64Array(3), new Float64Array(3), 1, {
      lr: 0.1,
      weightDecay: 0.2,
    });
    expect(p[0]).toBeCloseTo(2 * 0.98, 14);
    expect(p[1]).toBeCloseTo(-0.5 * 0.98, 14);
    expect(p[2]).toBeCloseTo(1e-3 * 0.98, 16);
  });
});

describe('nn references: forward facts', () => {
  it('BN train: x̂ has mean 0 and biased variance σ²/(σ²+ε); running stats use the unbiased variance', () => {
    const [B, C] = [8, 2];
    const x = Float64Array.from({ length: B * C }, (_, i) => (i % C === 0 ? i : 100 + i * i));
    const s = {
      gamma: new Float64Array(C).fill(1),
      beta: new Float64Array(C),
      runningMean: new Float64Array(C),
      runningVar: new Float64Array(C).fill(1),
    };
    const f = ref.bnForward(x, B, C, s, true);
    const st = ref.channelStats(f.xhat, B, C);
    for (let c = 0; c < C; c++) {
      expect(Math.abs(st.mean[c]!)).toBeLessThan(1e-12);
      expect(st.variance[c]).toBeCloseTo(f.variance[c]! / (f.variance[c]! + 1e-5), 12);
      expect(s.runningMean[c]).toBeCloseTo(0.1 * f.mean[c]!, 12);
      expect(s.runningVar[c]).toBeCloseTo(0.9 + (0.1 * f.variance[c]! * B) / (B - 1), 10);
    }
  });

  it('Adam: first step moves every weight by lr·sign(g) (bias-corrected)', () => {
    const p = Float64Array.from([1, 2, 3]);
    const g = Float64Array.from([0.5, -2, 1e-3]);
    ref.adamStep(p, g, new Float64Array(3), new Float64Array(3), 1, { lr: 0.1 });
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(2.1, 6);
    expect(p[2]).toBeCloseTo(2.9, 4);
  });

  it('datasets are seeded, balanced-ish and deterministic', () => {
    for (const task of TASKS) {
      const a = makeBatch(task, 7, 3, 256);
      const b = makeBatch(task, 7, 3, 256);
      expect(a.x).toEqual(b.x);
      const ones = a.labels.reduce((s, v) => s + v, 0);
      expect(ones).toBeGreaterThan(80);
      expect(ones).toBeLessThan(176);
    }
  });
});

describe('CPU MLP trainer', () => {
  it('BN net (depth 3, width 32, batch 64, lr 0.01, seed 1) fits spirals: loss < 0.3 within 300 steps', () => {
    const m = new CpuMlp({ depth: 3, width: 32, batchNorm: true }, 1);
    let loss = Infinity;
    const first = m.step(makeBatch('spirals', 1, 0, 64), { lr: 0.01 }).loss;
    for (let s = 1; s < 300; s++) loss = m.step(makeBatch('spirals', 1, s, 64), { lr: 0.01 }).loss;
    expect(first).toBeGreaterThan(0.5);
    expect(loss).toBeLessThan(0.3);
  });
});
