/**
 * The float64 funnel references (src/kernels/recommend/funnel.ref.ts) on hand-made cases: merge order and
 * de-duplication, history filtering, NO_PICK passthrough, the pre-rank score, gathers, the ranker's
 * features and popularByCategory's ties. Tolerances: none — the hand cases use values whose float64
 * arithmetic is exact (powers of two, unit basis vectors), and features are compared to f32 products.
 */
import { describe, expect, it } from 'vitest';
import {
  FUNNEL,
  FUNNEL_LIMITS,
  FUNNEL_SLOTS,
  RANKER_FEATURES,
  validateCandidateShape,
  validateFunnelShape,
} from '../../src/kernels/recommend/funnel-spec';
import {
  NO_PICK_SCORE,
  gatherRows,
  mergeCandidates,
  popularByCategory,
  prerankScores,
  rankerFeatures,
  recallScores,
  recentCategories,
} from '../../src/kernels/recommend/funnel.ref';
import { NO_PICK, RECOMMEND_DIM } from '../../src/kernels/recommend/spec';
import { mulberry32 } from '../../src/util/rng';

const D = RECOMMEND_DIM;
const X = NO_PICK;
const u32 = (a: number[]) => Uint32Array.from(a);

/** Unit basis vector e_c, or a row of them. */
function basis(...cs: number[]): Float64Array {
  const out = new Float64Array(cs.length * D);
  cs.forEach((c, r) => (out[r * D + c] = 1));
  return out;
}

describe('funnel spec', () => {
  it('has the lab’s sizes', () => {
    expect(FUNNEL_SLOTS).toBe(600);
    expect(RANKER_FEATURES).toBe(97);
    expect(FUNNEL.prerankK).toBeLessThanOrEqual(FUNNEL_SLOTS);
    expect(FUNNEL_SLOTS).toBeLessThanOrEqual(FUNNEL_LIMITS.maxSlots);
    expect(FUNNEL.historyLength).toBeLessThanOrEqual(FUNNEL_LIMITS.maxHistory);
  });

  it('validateFunnelShape names the limit it enforces', () => {
    expect(() => validateFunnelShape(256, 16384)).not.toThrow();
    expect(() => validateFunnelShape(1, FUNNEL_LIMITS.minItems)).not.toThrow();
    expect(() => validateFunnelShape(0, 1000)).toThrow(/maxUsers/);
    expect(() => validateFunnelShape(257, 1000)).toThrow(RangeError);
    expect(() => validateFunnelShape(1.5, 1000)).toThrow(/users/);
    expect(() => validateFunnelShape(4, 16385)).toThrow(/maxItems/);
    expect(() => validateFunnelShape(4, FUNNEL_LIMITS.minItems - 1)).toThrow(/minItems/);
  });

  it('validateCandidateShape bounds the workgroup arrays', () => {
    const ok = { users: 3, items: 300, recallK: 40, popularK: 8, recentK: 8, historyLength: 5 };
    expect(() => validateCandidateShape(ok)).not.toThrow();
    expect(() => validateCandidateShape({ ...ok, recallK: 1020 })).toThrow(/maxSlots/);
    expect(() => validateCandidateShape({ ...ok, historyLength: 65 })).toThrow(/maxHistory/);
    expect(() => validateCandidateShape({ ...ok, users: 0 })).toThrow(/users/);
    expect(() => validateCandidateShape({ ...ok, recallK: 0, popularK: 0, recentK: 0 })).toThrow(/maxSlots/);
  });
});

describe('mergeCandidates', () => {
  it('keeps the first occurrence in order recall, popular, recent and drops history and NO_PICK', () => {
    // user 0: recall 5 7 5 | popular 7 9 | recent 9 1; history 1 4.
    // user 1: recall 4 X 2 | popular 7 9 | recent 3 3; history 4 X.
    const merged = mergeCandidates(
      u32([5, 7, 5, 4, X, 2]),
      u32([7, 9]),
      u32([9, 1, 3, 3]),
      u32([1, 4, 4, X]),
      2,
    );
    expect(Array.from(merged)).toEqual([5, 7, X, X, 9, X, X, X, X, 2, 7, 9, 3, X]);
  });

  it('channels may be empty', () => {
    expect(Array.from(mergeCandidates(u32([3, 3]), u32([]), u32([]), u32([]), 1))).toEqual([3, X]);
    expect(Array.from(mergeCandidates(u32([]), u32([2, 2]), u32([2]), u32([]), 1))).toEqual([2, X, X]);
  });

  it('equals a set-based formulation on random rows with many duplicates', () => {
    const next = mulberry32(7);
    const users = 5;
    const [R, P, C, H] = [40, 8, 8, 5];
    const id = () => (next() < 0.05 ? X : Math.floor(next() * 60));
    const recall = Uint32Array.from({ length: users * R }, id);
    const popular = Uint32Array.from({ length: P }, id);
    const recent = Uint32Array.from({ length: users * C }, id);
    const history = Uint32Array.from({ length: users * H }, id);
    const merged = mergeCandidates(recall, popular, recent, history, users);
    const S = R + P + C;
    let kept = 0;
    for (let u = 0; u < users; u++) {
      const seen = new Set<number>(history.subarray(u * H, (u + 1) * H));
      seen.add(X);
      const raw = [
        ...recall.subarray(u * R, (u + 1) * R),
        ...popular,
        ...recent.subarray(u * C, (u + 1) * C),
      ];
      const want = raw.map((v) => (seen.has(v) ? X : (seen.add(v), v)));
      expect(Array.from(merged.subarray(u * S, (u + 1) * S)), `user ${u}`).toEqual(want);
      kept += want.filter((v) => v !== X).length;
    }
    // Not vacuous: some slots kept, some dropped.
    expect(kept).toBeGreaterThan(users * 20);
    expect(kept).toBeLessThan(users * S);
  });

  it('rejects rows that do not split into users', () => {
    expect(() => mergeCandidates(u32([1, 2, 3]), u32([]), u32([]), u32([]), 2)).toThrow(RangeError);
  });
});

describe('scores', () => {
  it('recallScores is u·v of every (user, item)', () => {
    const users = basis(0, 1);
    const emb = new Float64Array(3 * D);
    emb.set([1, 2], 0);
    emb.set([0.5, -0.25], D);
    emb.set([-1, 4], 2 * D);
    expect(Array.from(recallScores(users, emb, 2, 3))).toEqual([1, 0.5, -1, 2, -0.25, 4]);
  });

  it('prerankScores adds β·log pop and gives −FLT_MAX to NO_PICK slots', () => {
    const emb = basis(0, 1, 0);
    const logPop = [-2, -1, -8];
    const merged = u32([0, 1, X, 2, 1, X]);
    const s = prerankScores(merged, basis(0, 1), emb, logPop, 2, 0.5);
    // user 0 (e0): 1 − 1, 0 − 0.5, X; user 1 (e1): 0 − 4, 1 − 0.5, X.
    expect(Array.from(s)).toEqual([0, -0.5, NO_PICK_SCORE, -4, 0.5, NO_PICK_SCORE]);
    expect(NO_PICK_SCORE).toBe(-Math.fround(3.4028234663852886e38));
  });

  it('prerankScores uses β as the f32 the kernel receives', () => {
    const s = prerankScores(u32([0]), basis(1), basis(0), [-1], 1, 0.1);
    expect(s[0]).toBe(-Math.fround(0.1));
  });
});

describe('gatherRows', () => {
  it('reads each row at its positions; NO_PICK and out-of-row positions give NO_PICK', () => {
    const source = u32([10, 11, X, 20, 21, 22]);
    const positions = u32([2, 0, 1, X, 0, 1, 2, 3]);
    expect(Array.from(gatherRows(positions, source, 2, 3))).toEqual([X, 10, 11, X, 20, 21, 22, X]);
  });

  it('checks the source size', () => {
    expect(() => gatherRows(u32([0]), u32([1, 2]), 1, 3)).toThrow(RangeError);
  });
});

describe('rankerFeatures', () => {
  it('is [u, v, u⊙v, log pop] per (user, item), f32 products, zeros for NO_PICK', () => {
    const next = mulberry32(3);
    const userVecs = Float64Array.from({ length: 2 * D }, () => next() - 0.5);
    const emb = Float64Array.from({ length: 4 * D }, () => next() - 0.5);
    const logPop = [-1.5, -2.25, -3.1, -0.7];
    const ids = u32([3, X, 0, 0, 2, 1]);
    const f = rankerFeatures(ids, userVecs, emb, logPop, 2);
    const F = RANKER_FEATURES;
    expect(f.length).toBe(6 * F);
    for (let r = 0; r < 6; r++) {
      const id = ids[r]!;
      const u = r < 3 ? 0 : 1;
      const row = Array.from(f.subarray(r * F, (r + 1) * F));
      if (id === X) {
        expect(row.every((x) => x === 0)).toBe(true);
        continue;
      }
      for (let c = 0; c < D; c++) {
        const a = Math.fround(userVecs[u * D + c]!);
        const v = Math.fround(emb[id * D + c]!);
        expect(row[c]).toBe(a);
        expect(row[D + c]).toBe(v);
        expect(row[2 * D + c]).toBe(Math.fround(a * v));
      }
      expect(row[3 * D]).toBe(Math.fround(logPop[id]!));
    }
  });
});

describe('popularByCategory and recentCategories', () => {
  it('lists each category’s most popular items, ties to the lower id, NO_PICK padded', () => {
    const popularity = [0.1, 0.3, 0.3, 0.2, 0.1];
    const category = [0, 1, 1, 0, 0];
    expect(Array.from(popularByCategory(popularity, category, 3, 2))).toEqual([3, 0, 1, 2, X, X]);
    expect(Array.from(popularByCategory(popularity, category, 2, 4))).toEqual([3, 0, 4, X, 1, 2, X, X]);
  });

  it('rejects categories out of range', () => {
    expect(() => popularByCategory([1, 2], [0, 2], 2, 1)).toThrow(RangeError);
  });

  it('takes the category of the last (most recent) history item', () => {
    expect(Array.from(recentCategories(u32([0, 1, 2, 4, 3, 0]), [5, 6, 7, 8, 9], 2))).toEqual([7, 5]);
    expect(() => recentCategories(u32([0, X]), [5, 6], 1)).toThrow(RangeError);
  });
});
