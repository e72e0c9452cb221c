/**
 * The synthetic recommendation data (src/models/recommend-data.ts) has the properties issue 12 documents.
 * Tolerances: unit norms within 1e-6 (f32 rounding of 32 components, ≤ 32·2⁻²⁴ relative on the squared
 * norm); the narrow user's held-out share of its major category within 4 binomial standard errors of 0.85.
 */
import { describe, expect, it } from 'vitest';
import {
  RECOMMEND_DATA,
  makeItems,
  makeUsers,
  narrowTaste,
  zipfSizes,
} from '../../src/models/recommend-data';

const D = 32;

describe('synthetic items', () => {
  const items = makeItems(7, 3000);

  it('category sizes follow Zipf (∝ 1/(c + 1)), sum to the item count and never increase', () => {
    const K = RECOMMEND_DATA.categories;
    expect(items.categorySizes.reduce((a, b) => a + b, 0)).toBe(3000);
    const H = Array.from({ length: K }, (_, c) => 1 / (c + 1)).reduce((a, b) => a + b, 0);
    items.categorySizes.forEach((n, c) => {
      expect(Math.abs(n - (1 + (3000 - K) / (c + 1) / H))).toBeLessThanOrEqual(1);
      if (c > 0) expect(n).toBeLessThanOrEqual(items.categorySizes[c - 1]!);
    });
    expect(zipfSizes(12, 12, 1)).toEqual(Array<number>(12).fill(1));
  });

  it('embeddings and centroids are unit vectors; correlated pairs have cosine ≈ 0.6', () => {
    for (let i = 0; i < items.count; i++) {
      let n = 0;
      for (let c = 0; c < D; c++) n += items.embeddings[i * D + c]! ** 2;
      expect(Math.abs(Math.sqrt(n) - 1)).toBeLessThan(1e-6);
    }
    const cos = (a: number, b: number) => {
      let s = 0;
      for (let c = 0; c < D; c++) s += items.centroids[a * D + c]! * items.centroids[b * D + c]!;
      return s;
    };
    for (const [a, b] of RECOMMEND_DATA.correlatedPairs) expect(cos(a, b)).toBeCloseTo(0.6, 10);
    expect(cos(3, 3)).toBeCloseTo(1, 12);
  });

  it('items sit near their category centroid; same sub-cluster items are near-duplicates', () => {
    let nearest = 0;
    let sameSub = -1;
    for (let i = 0; i < items.count; i++) {
      let best = -2;
      let bestC = -1;
      for (let c = 0; c < RECOMMEND_DATA.categories; c++) {
        let s = 0;
        for (let e = 0; e < D; e++) s += items.embeddings[i * D + e]! * items.centroids[c * D + e]!;
        if (s > best) [best, bestC] = [s, c];
      }
      if (bestC === items.category[i]) nearest++;
    }
    expect(nearest / items.count).toBeGreaterThan(0.95);
    // The two first items of category 0 with the same sub-cluster.
    for (let j = 1; j < items.categorySizes[0]! && sameSub < 0; j++)
      if (items.subCluster[j] === items.subCluster[0]) {
        let s = 0;
        for (let e = 0; e < D; e++) s += items.embeddings[e]! * items.embeddings[j * D + e]!;
        sameSub = s;
      }
    expect(sameSub).toBeGreaterThan(0.97);
  });

  it('popularity is a Zipf over a permutation, sums to 1, and the catalogue is seeded', () => {
    const sorted = [...items.popularity].sort((a, b) => b - a);
    expect(sorted[0]! / sorted[9]!).toBeCloseTo(10, 9);
    expect(items.popularity.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(makeItems(7, 3000).embeddings).toEqual(items.embeddings);
    expect(makeItems(8, 3000).embeddings).not.toEqual(items.embeddings);
  });
});

describe('synthetic users', () => {
  const items = makeItems(3, 4000);

  it('the narrow-taste user puts 85 % on one category plus two minor interests', () => {
    const t = narrowTaste();
    expect(Math.max(...t)).toBe(0.85);
    expect(t.filter((x) => x > 0).length).toBe(3);
    const [user] = makeUsers(items, 5, 1, 1, 400);
    const major = RECOMMEND_DATA.narrow.major;
    const share = user!.heldOut.filter((i) => items.category[i] === major).length / user!.heldOut.length;
    expect(user!.heldOut.length).toBe(400);
    expect(Math.abs(share - 0.85)).toBeLessThan(4 * Math.sqrt((0.85 * 0.15) / 400));
    // The history over-concentrates: relevance to u favours the major category beyond its 85 %.
    const hist = user!.history.filter((i) => items.category[i] === major).length;
    expect(user!.history.length).toBe(RECOMMEND_DATA.historyLength);
    expect(hist / user!.history.length).toBeGreaterThanOrEqual(0.85);
  });

  it('Dirichlet tastes sum to 1 with mean 1/K; histories and clicks are distinct items', () => {
    const users = makeUsers(items, 9, 60, 0.5);
    const K = RECOMMEND_DATA.categories;
    const mean = new Float64Array(K);
    for (const u of users.slice(1)) {
      expect(u.taste.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      u.taste.forEach((x, c) => (mean[c]! += x / 59));
      const all = [...u.history, ...u.heldOut];
      expect(new Set(all).size).toBe(all.length);
    }
    // Dir(0.5·1): each θ_c has sd √((1/K)(1 − 1/K)/(K·0.5 + 1)) ≈ 0.074; the mean of 59 within 4 SE.
    mean.forEach((m) => expect(Math.abs(m - 1 / K)).toBeLessThan((4 * 0.074) / Math.sqrt(59)));
  });
});
