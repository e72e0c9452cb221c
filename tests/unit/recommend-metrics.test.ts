/**
 * The float64 list metrics (src/kernels/recommend/metrics.ref.ts) on hand-made lists. Expected values are
 * written out from the definitions; float64 evaluation of these few terms is exact to ~1e-16, so they are
 * compared to 1e-14 (toBeCloseTo(x, 14)); counts are exact.
 */
import { describe, expect, it } from 'vitest';
import { discount, listMetrics, meanMetrics } from '../../src/kernels/recommend/metrics.ref';
import { NO_PICK, RECOMMEND_DIM } from '../../src/kernels/recommend/spec';

const D = RECOMMEND_DIM;

/** `count` items: item i is the unit vector e_{axis(i)}, category cat(i). */
function catalogue(count: number, axis: (i: number) => number, cat: (i: number) => number) {
  const emb = new Float64Array(count * D);
  for (let i = 0; i < count; i++) emb[i * D + axis(i)] = 1;
  return { emb, category: Uint32Array.from({ length: count }, (_, i) => cat(i)) };
}

const P3 = [0.5, 0.25, 0.25];

describe('listMetrics (float64 reference)', () => {
  it('NDCG@n: 2 of 3 held-out clicks at positions 2 and 5 of a 5-item list', () => {
    const { emb, category } = catalogue(
      20,
      (i) => i % D,
      (i) => i % 3,
    );
    const got = listMetrics([10, 11, 12, 13, 14], [11, 14, 19, NO_PICK], emb, category, P3, 5);
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(6);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(got.ndcg10).toBeCloseTo(dcg / idcg, 14);
    expect(discount(0)).toBe(1);
    expect(discount(2)).toBe(0.5);
    // Every click at the top: NDCG = 1; no click in the list: 0.
    expect(listMetrics([11, 14, 19, 3], [11, 14, 19], emb, category, P3, 4).ndcg10).toBeCloseTo(1, 14);
    expect(listMetrics([1, 2, 3], [11, 14], emb, category, P3, 3).ndcg10).toBe(0);
  });

  it('IDCG over min(n, |heldOut|) positions; an empty held-out set gives 0; NO_PICK entries are skipped', () => {
    const { emb, category } = catalogue(
      20,
      (i) => i % D,
      (i) => i % 3,
    );
    // 5 clicks, n = 2: the ideal list has 2 hits; the list [click, click] is ideal.
    expect(listMetrics([4, 5], [1, 2, 3, 4, 5], emb, category, P3, 2).ndcg10).toBeCloseTo(1, 14);
    expect(listMetrics([4, 5], [NO_PICK, NO_PICK], emb, category, P3, 2).ndcg10).toBe(0);
    expect(listMetrics([4, 5], [], emb, category, P3, 2).ndcg10).toBe(0);
    // [NO_PICK, 7, NO_PICK, 8]: the kept list is [7, 8]; the click 8 is at position 2.
    const got = listMetrics([NO_PICK, 7, NO_PICK, 8], [8], emb, category, P3, 4);
    expect(got.ndcg10).toBeCloseTo(1 / Math.log2(3), 14);
    expect(got.coverage).toBe(2);
  });

  it('ILD: orthogonal vectors give 1, identical vectors 0, fewer than 2 items 0, mixed by hand', () => {
    const orth = catalogue(
      8,
      (i) => i,
      () => 0,
    );
    expect(listMetrics([0, 1, 2, 3], [], orth.emb, orth.category, [1], 4).ild).toBe(1);
    const same = catalogue(
      8,
      () => 5,
      () => 0,
    );
    expect(listMetrics([0, 1, 2, 3], [], same.emb, same.category, [1], 4).ild).toBe(0);
    expect(listMetrics([2], [], orth.emb, orth.category, [1], 1).ild).toBe(0);
    expect(listMetrics([NO_PICK, 2, NO_PICK], [], orth.emb, orth.category, [1], 3).ild).toBe(0);
    // Items 0 and 1 identical (axis 0), item 2 orthogonal: pairs (0,1) → 0, (0,2) → 1, (1,2) → 1: ILD = 2/3.
    const mixed = catalogue(
      3,
      (i) => (i < 2 ? 0 : 1),
      () => 0,
    );
    expect(listMetrics([0, 1, 2], [], mixed.emb, mixed.category, [1], 3).ild).toBeCloseTo(2 / 3, 14);
  });

  it('coverage counts distinct categories of the kept items', () => {
    const { emb, category } = catalogue(
      12,
      (i) => i,
      (i) => [0, 0, 1, 3, 3, 3, 2, 2, 0, 1, 1, 1][i]!,
    );
    const p = [0.25, 0.25, 0.25, 0.25];
    expect(listMetrics([0, 1, 8], [], emb, category, p, 3).coverage).toBe(1);
    expect(listMetrics([0, 2, 3, 6], [], emb, category, p, 4).coverage).toBe(4);
    expect(listMetrics([3, 4, NO_PICK, 5], [], emb, category, p, 4).coverage).toBe(1);
    expect(listMetrics([NO_PICK, NO_PICK], [], emb, category, p, 2).coverage).toBe(0);
  });

  it('KL ≈ 0 when the list distribution q equals p; by hand otherwise', () => {
    const { emb, category } = catalogue(
      8,
      (i) => i,
      (i) => [0, 0, 1, 2, 0, 1, 2, 2][i]!,
    );
    // Categories [0, 0, 1, 2] give q = (½, ¼, ¼) = p: q̃ = p and KL = 0.
    expect(listMetrics([0, 1, 2, 3], [], emb, category, P3, 4).kl).toBeCloseTo(0, 14);
    // All of category 0: q = (1, 0, 0), q̃ = (0.99 + 0.005, 0.0025, 0.0025).
    const a = 0.01;
    const qt = [1 - a + a * 0.5, a * 0.25, a * 0.25];
    const want = P3.reduce((s, pc, c) => s + pc * (Math.log(pc) - Math.log(qt[c]!)), 0);
    expect(listMetrics([0, 1, 4], [], emb, category, P3, 3).kl).toBeCloseTo(want, 14);
    // p_c = 0 contributes nothing: p = (1, 0, 0) against an all-category-0 list is 0.
    expect(listMetrics([0, 1], [], emb, category, [1, 0, 0], 2).kl).toBeCloseTo(0, 14);
    // An empty list has q = 0: q̃ = a·p, KL = Σ p·log(1/a) = log 100.
    expect(listMetrics([NO_PICK], [], emb, category, P3, 1).kl).toBeCloseTo(Math.log(1 / a), 14);
  });

  it('meanMetrics averages each field and refuses an empty set', () => {
    const m = meanMetrics([
      { ndcg10: 1, ild: 0.5, coverage: 3, kl: 0.25 },
      { ndcg10: 0, ild: 0.25, coverage: 4, kl: 0.75 },
    ]);
    expect(m).toEqual({ ndcg10: 0.5, ild: 0.375, coverage: 3.5, kl: 0.5 });
    expect(() => meanMetrics([])).toThrow(RangeError);
  });
});
