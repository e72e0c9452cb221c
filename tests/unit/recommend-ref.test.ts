/**
 * The float64 re-rankers and top-k (src/kernels/recommend/ref.ts) against brute force and the issue's
 * hand cases. Tolerances: determinant identities agree to 1e-9 relative (float64 elimination of ≤ 10×10
 * matrices with condition numbers below ~1e4 loses at most ~1e-12); hand cases are exact picks.
 */
import { describe, expect, it } from 'vitest';
import {
  calibratedKl,
  calibrationReference,
  dppGreedy,
  dppQuality,
  dppReference,
  dppSimilarity,
  listDistribution,
  mmrReference,
  relevanceReference,
  topKReference,
} from '../../src/kernels/recommend/ref';
import { NO_PICK, RECOMMEND_DIM, dppAlpha, type RerankInstance } from '../../src/kernels/recommend/spec';
import { mulberry32 } from '../../src/util/rng';

const D = RECOMMEND_DIM;

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}

/** M random unit vectors, relevance in [0, 1), K categories, a random history distribution. */
function randomInstance(seed: number, m: number, k = 4): RerankInstance {
  const next = mulberry32(seed);
  const emb = new Float64Array(m * D);
  for (let i = 0; i < m; i++) {
    let norm = 0;
    for (let c = 0; c < D; c++) norm += (emb[i * D + c] = gaussian(next)) ** 2;
    for (let c = 0; c < D; c++) emb[i * D + c]! /= Math.sqrt(norm);
  }
  const rel = Float64Array.from({ length: m }, () => next());
  const cat = Uint32Array.from({ length: m }, () => Math.floor(next() * k));
  const h = Float64Array.from({ length: k }, () => next() + 0.1);
  const sum = h.reduce((a, b) => a + b, 0);
  return { rel, emb, cat, history: h.map((x) => x / sum) };
}

/** det of an n×n matrix (row-major) by Gaussian elimination with partial pivoting. */
function det(a: number[][]): number {
  const m = a.map((row) => [...row]);
  const n = m.length;
  let d = 1;
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[p]![col]!)) p = r;
    if (m[p]![col] === 0) return 0;
    if (p !== col) {
      [m[p], m[col]] = [m[col]!, m[p]!];
      d = -d;
    }
    d *= m[col]![col]!;
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c < n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return d;
}

function kernelOf(inst: RerankInstance, theta: number) {
  const r = dppQuality(inst.rel, theta);
  const s = dppSimilarity(inst.emb);
  return (i: number, j: number) => r[i]! * s(i, j) * r[j]!;
}
const detOf = (L: (i: number, j: number) => number, ys: readonly number[]) =>
  ys.length === 0 ? 1 : det(ys.map((i) => ys.map((j) => L(i, j))));

const relClose = (a: number, b: number, rtol = 1e-9) =>
  expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rtol * Math.max(Math.abs(a), Math.abs(b)));

describe('DPP greedy MAP against brute force (M ≤ 10)', () => {
  const cases = [
    [1, 6, 4, 0.5],
    [2, 10, 6, 0.3],
    [3, 9, 9, 0],
    [4, 10, 10, 0.7],
    [5, 8, 5, 0.9],
  ] as const;

  it('each candidate’s d² equals det(L_{Y∪i}) / det(L_Y) at every step', () => {
    for (const [seed, m, n, theta] of cases) {
      const inst = randomInstance(seed, m);
      const L = kernelOf(inst, theta);
      const res = dppReference(inst, { n, theta, epsilon: 0 }, true);
      expect(res.steps!.length).toBe(n);
      for (let k = 0; k < res.steps!.length; k++) {
        const ys = res.picks.slice(0, k);
        const base = detOf(L, ys);
        for (let i = 0; i < m; i++) {
          if (ys.includes(i)) expect(res.steps![k]![i]).toBeNaN();
          else relClose(res.steps![k]![i]!, detOf(L, [...ys, i]) / base);
        }
      }
    }
  });

  it('picks equal a naive determinant greedy, and Σ log d² = log det L_Y', () => {
    for (const [seed, m, n, theta] of cases) {
      const inst = randomInstance(seed, m);
      const L = kernelOf(inst, theta);
      const res = dppReference(inst, { n, theta, epsilon: 0 });
      const naive: number[] = [];
      for (let k = 0; k < n; k++) {
        let best = -Infinity;
        let bestI = -1;
        for (let i = 0; i < m; i++) {
          if (naive.includes(i)) continue;
          const v = detOf(L, [...naive, i]);
          if (v > best) [best, bestI] = [v, i];
        }
        naive.push(bestI);
      }
      expect(res.picks, `seed ${seed}`).toEqual(naive);
      const sumLog = res.gains.reduce((a, g) => a + Math.log(g), 0);
      expect(Math.abs(sumLog - Math.log(detOf(L, res.picks)))).toBeLessThan(1e-9);
    }
  });

  it('S = I gives the top-N by relevance', () => {
    const inst = randomInstance(11, 10);
    const r = dppQuality(inst.rel, 0.5);
    const res = dppGreedy(r, (i, j) => (i === j ? 1 : 0), { n: 6, epsilon: 0 });
    expect(res.picks).toEqual(relevanceReference(inst, { n: 6 }).picks);
  });

  it('an exact duplicate is never picked twice (its d² drops to 0 < ε)', () => {
    for (let seed = 20; seed < 30; seed++) {
      const inst = randomInstance(seed, 8);
      const emb = Float64Array.from(inst.emb);
      // Candidate `dup` duplicates the most relevant candidate.
      const top = relevanceReference(inst, { n: 1 }).picks[0]!;
      const dup = top === 7 ? 6 : 7;
      emb.set(emb.subarray(top * D, top * D + D), dup * D);
      const res = dppReference({ ...inst, emb }, { n: 8, theta: 0.5, epsilon: 1e-9 });
      expect(res.picks[0]).toBe(top);
      expect(res.picks.includes(dup), `seed ${seed}`).toBe(false);
      expect(new Set(res.picks).size).toBe(res.picks.length);
    }
  });

  it('θ → 1 gives the top-N by relevance', () => {
    // Relevance on a grid with gaps ≥ 0.05: with θ = 0.99 (α = 49.5) r² grows ≥ e^4.95 ≈ 141× per step
    // of the grid, more than any ratio of the similarity parts of d² (those lie in (0.01, 1] here).
    for (let seed = 40; seed < 45; seed++) {
      const inst = randomInstance(seed, 10);
      const order = mulberry32(seed + 1);
      const rel = Float64Array.from({ length: 10 }, (_, i) => 0.5 * i * 0.1 + 0.001 * order());
      const res = dppReference({ ...inst, rel }, { n: 5, theta: 0.99, epsilon: 0 });
      expect(res.picks, `seed ${seed}`).toEqual(relevanceReference({ ...inst, rel }, { n: 5 }).picks);
    }
  });

  it('θ = 0.99 is α = 49.5, and θ outside [0, 1) is refused', () => {
    expect(dppAlpha(0.99)).toBeCloseTo(49.5, 4);
    expect(() => dppAlpha(1)).toThrow(RangeError);
  });

  it('a window ≥ N equals the full DPP; a short window differs from brute force only by conditioning', () => {
    for (const [seed, m, n, theta] of cases) {
      const inst = randomInstance(seed, m);
      const full = dppReference(inst, { n, theta, epsilon: 0 });
      const win = dppReference(inst, { n, theta, epsilon: 0, window: n });
      expect(win.picks).toEqual(full.picks);
      win.gains.forEach((g, k) => relClose(g, full.gains[k]!, 1e-12));
      // Window 2: each d² is det(L_{W∪i}) / det(L_W) with W the last two picks.
      const L = kernelOf(inst, theta);
      const w2 = dppReference(inst, { n, theta, epsilon: 0, window: 2 }, true);
      for (let k = 0; k < w2.steps!.length; k++) {
        const ws = w2.picks.slice(Math.max(0, k - 2), k);
        const i = w2.picks[k]!;
        relClose(w2.gains[k]!, detOf(L, [...ws, i]) / detOf(L, ws));
      }
    }
  });

  it('stops when the best d² < ε (rank of S is at most 33 in R^32)', () => {
    const inst = randomInstance(50, 40);
    const res = dppReference(inst, { n: 40, theta: 0, epsilon: 1e-9 });
    expect(res.picks.length).toBeLessThanOrEqual(33);
    expect(res.gains.every((g) => g >= 1e-9)).toBe(true);
  });
});

describe('MMR by hand', () => {
  // rel = (.9, .85, .5); sim(1,2) = .95 and .1 for the other pairs (1-based as in the issue): unit vectors
  // with these dot products, built from a Gram matrix by Cholesky.
  const gram = [
    [1, 0.95, 0.1],
    [0.95, 1, 0.1],
    [0.1, 0.1, 1],
  ];
  const emb = new Float64Array(3 * D);
  const l: number[][] = [[], [], []];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j <= i; j++) {
      let s = gram[i]![j]!;
      for (let c = 0; c < j; c++) s -= l[i]![c]! * l[j]![c]!;
      l[i]![j] = i === j ? Math.sqrt(s) : s / l[j]![j]!;
    }
    for (let j = 0; j <= i; j++) emb[i * D + j] = l[i]![j]!;
  }
  const inst: RerankInstance = { rel: [0.9, 0.85, 0.5], emb, cat: [0, 0, 0], history: [1] };

  it('λ = 0.5 gives [1, 3, 2] and λ = 1 gives [1, 2, 3] (0-based [0, 2, 1], [0, 1, 2])', () => {
    expect(mmrReference(inst, { n: 3, lambda: 0.5 }).picks).toEqual([0, 2, 1]);
    expect(mmrReference(inst, { n: 3, lambda: 1 }).picks).toEqual([0, 1, 2]);
    const g = mmrReference(inst, { n: 3, lambda: 0.5 }).gains;
    [0.45, 0.5 * 0.5 - 0.5 * 0.1, 0.5 * 0.85 - 0.5 * 0.95].forEach((want, k) =>
      expect(g[k]).toBeCloseTo(want, 12),
    );
  });

  it('λ = 1 equals relevance only on random instances', () => {
    for (let seed = 60; seed < 65; seed++) {
      const r = randomInstance(seed, 30);
      expect(mmrReference(r, { n: 12, lambda: 1 }).picks).toEqual(relevanceReference(r, { n: 12 }).picks);
    }
  });
});

describe('calibration', () => {
  it('λ = 0 gives the top-N by relevance', () => {
    for (let seed = 70; seed < 75; seed++) {
      const r = randomInstance(seed, 40, 6);
      const res = calibrationReference(r, { n: 10, lambda: 0 });
      expect(res.picks).toEqual(relevanceReference(r, { n: 10 }).picks);
    }
  });

  it('KL ≈ 0 when the candidates can match p (λ = 1, p = (.5, .3, .2), N = 10)', () => {
    const r = randomInstance(80, 60, 3);
    const history = [0.5, 0.3, 0.2];
    const res = calibrationReference({ ...r, history }, { n: 10, lambda: 1 });
    const q = listDistribution(res.picks, r.cat, 3);
    [0.5, 0.3, 0.2].forEach((p, c) => expect(q[c]).toBeCloseTo(p, 12));
    const counts = q.map((x) => x * 10);
    expect(calibratedKl(history, counts, 10)).toBeLessThan(1e-12);
    expect(-res.gains.at(-1)!).toBeLessThan(1e-12);
  });

  it('the gain is the objective of the list after each pick', () => {
    const r = randomInstance(90, 30, 5);
    const lambda = 0.4;
    const res = calibrationReference(r, { n: 8, lambda });
    res.picks.forEach((_, k) => {
      const list = res.picks.slice(0, k + 1);
      const counts = listDistribution(list, r.cat, 5).map((x) => x * list.length);
      const sum = list.reduce((a, i) => a + r.rel[i]!, 0);
      const want = (1 - lambda) * sum - lambda * calibratedKl(r.history, counts, list.length);
      expect(res.gains[k]).toBeCloseTo(want, 12);
    });
  });
});

describe('top-k', () => {
  it('equals a stable descending sort (ties to the lowest index), padding beyond the row', () => {
    const next = mulberry32(100);
    for (const [n, k] of [
      [1, 1],
      [7, 3],
      [100, 100],
      [1000, 37],
      [5, 8],
    ] as const) {
      // Values on a coarse grid so that ties are common.
      const values = Float64Array.from({ length: n }, () => Math.floor(next() * 20) / 4 - 2);
      const sorted = [...values.keys()].sort((a, b) => values[b]! - values[a]! || a - b);
      const got = topKReference(values, k);
      expect(got.indices).toEqual([
        ...sorted.slice(0, k),
        ...Array<number>(Math.max(0, k - n)).fill(NO_PICK),
      ]);
      got.indices.forEach((i, s) => expect(got.values[s]).toBe(i === NO_PICK ? -Infinity : values[i]));
    }
  });
});
