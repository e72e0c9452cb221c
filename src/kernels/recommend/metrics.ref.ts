/**
 * Float64 reference of the list metrics (shaders/recommend/metrics.wgsl): NDCG@n against held-out clicks,
 * intra-list diversity, category coverage and Steck's calibrated KL, and their mean over users.
 */
import { calibratedKl } from './ref';
import { NO_PICK, RECOMMEND_DIM } from './spec';

/** Same fields as src/engine/recommend/types.ts ListMetrics. */
export interface ListMetrics {
  ndcg10: number;
  ild: number;
  coverage: number;
  kl: number;
}

const D = RECOMMEND_DIM;

/** 1 / log2(r + 2): the NDCG discount of list position r (0-based). */
export function discount(r: number): number {
  return 1 / Math.log2(r + 2);
}

/**
 * picks: item ids in list order (NO_PICK entries skipped: positions count the items kept); heldOut: item ids
 * (NO_PICK padded). NDCG@n with binary gains (gain 1 if the item is in heldOut), IDCG over min(n, |heldOut|)
 * positions, 0 if heldOut is empty; ILD = mean over pairs i<j of (1 − v_i·v_j) (0 below 2 items); coverage =
 * distinct categories; kl = calibratedKl(p, counts, len) (q = 0 for an empty list). emb [items][32] and
 * category [items] are indexed by item id; p has one entry per category.
 */
export function listMetrics(
  picks: ArrayLike<number>,
  heldOut: ArrayLike<number>,
  emb: ArrayLike<number>,
  category: ArrayLike<number>,
  p: ArrayLike<number>,
  n: number,
): ListMetrics {
  const list: number[] = [];
  for (let k = 0; k < picks.length; k++) if (picks[k] !== NO_PICK) list.push(picks[k]!);
  const held = new Set<number>();
  let heldCount = 0;
  for (let h = 0; h < heldOut.length; h++) {
    if (heldOut[h] === NO_PICK) continue;
    heldCount++;
    held.add(heldOut[h]!);
  }
  let dcg = 0;
  list.forEach((item, r) => {
    if (held.has(item)) dcg += discount(r);
  });
  let idcg = 0;
  for (let r = 0; r < Math.min(n, heldCount); r++) idcg += discount(r);
  let pairs = 0;
  let dissim = 0;
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      let dot = 0;
      for (let c = 0; c < D; c++) dot += emb[list[i]! * D + c]! * emb[list[j]! * D + c]!;
      dissim += 1 - dot;
      pairs++;
    }
  }
  const counts = new Float64Array(p.length);
  for (const item of list) counts[category[item]!]! += 1;
  return {
    ndcg10: idcg > 0 ? dcg / idcg : 0,
    ild: pairs > 0 ? dissim / pairs : 0,
    coverage: counts.filter((x) => x > 0).length,
    kl: calibratedKl(p, counts, Math.max(1, list.length)),
  };
}

/** The mean of each metric over the lists (users); throws on an empty array. */
export function meanMetrics(all: readonly ListMetrics[]): ListMetrics {
  if (all.length === 0) throw new RangeError('meanMetrics: no lists.');
  const sum = { ndcg10: 0, ild: 0, coverage: 0, kl: 0 };
  for (const x of all) {
    sum.ndcg10 += x.ndcg10;
    sum.ild += x.ild;
    sum.coverage += x.coverage;
    sum.kl += x.kl;
  }
  const u = all.length;
  return { ndcg10: sum.ndcg10 / u, ild: sum.ild / u, coverage: sum.coverage / u, kl: sum.kl / u };
}
