/**
 * Everything the recommendation funnel reads, as flat typed arrays (the GPU buffers' layouts and the CPU
 * reference's inputs): the catalogue, the users' vectors, histories, held-out clicks, the popularity and
 * recent-category channels, and each history's category distribution p.
 */
import { NO_PICK, RECOMMEND_DIM } from '../kernels/recommend/spec';
import { FUNNEL } from '../kernels/recommend/funnel-spec';
import { popularByCategory, recentCategories } from '../kernels/recommend/funnel.ref';
import { topKReference } from '../kernels/recommend/ref';
import { RECOMMEND_DATA, makeItems, makeUsers, type ItemCatalog, type SyntheticUser } from './recommend-data';

export interface RecommendDataRequest {
  seed: number;
  items: number;
  users: number;
  alpha: number;
}

export interface RecommendInputs {
  request: RecommendDataRequest;
  catalog: ItemCatalog;
  users: SyntheticUser[];
  categories: number;
  /** f32 [items] log popularity. */
  logPop: Float32Array;
  /** f32 [users][32] unit user vectors. */
  userVecs: Float32Array;
  /** u32 [users][historyLength] item ids, oldest first (NO_PICK padded). */
  history: Uint32Array;
  /** u32 [users][heldOutClicks] item ids (NO_PICK padded). */
  heldOut: Uint32Array;
  heldOutWidth: number;
  /** u32 [users]: the category of each user's most recent history item. */
  recentCategory: Uint32Array;
  /** u32 [popularK]: the most popular items (one list for every user). */
  popular: Uint32Array;
  /** u32 [K][recentK]: each category's most popular items. */
  recentTable: Uint32Array;
  /** f32 [users][K]: p, each history's category distribution. */
  historyDist: Float32Array;
}

export function makeRecommendInputs(request: RecommendDataRequest): RecommendInputs {
  const catalog = makeItems(request.seed, request.items);
  const users = makeUsers(catalog, request.seed, request.users, request.alpha);
  return packInputs(request, catalog, users);
}

/** Packs a catalogue and users (e.g. made in a worker) into the funnel's arrays. */
export function packInputs(
  request: RecommendDataRequest,
  catalog: ItemCatalog,
  users: SyntheticUser[],
): RecommendInputs {
  const K = RECOMMEND_DATA.categories;
  const D = RECOMMEND_DIM;
  const U = users.length;
  const H = FUNNEL.historyLength;
  const C = RECOMMEND_DATA.heldOutClicks;
  const userVecs = new Float32Array(U * D);
  const history = new Uint32Array(U * H).fill(NO_PICK);
  const heldOut = new Uint32Array(U * C).fill(NO_PICK);
  const historyDist = new Float32Array(U * K);
  users.forEach((u, i) => {
    userVecs.set(u.vector, i * D);
    history.set(u.history.slice(0, H), i * H);
    heldOut.set(u.heldOut.slice(0, C), i * C);
    for (const item of u.history) historyDist[i * K + catalog.category[item]!]! += 1 / u.history.length;
  });
  return {
    request,
    catalog,
    users,
    categories: K,
    logPop: Float32Array.from(catalog.popularity, Math.log),
    userVecs,
    history,
    heldOut,
    heldOutWidth: C,
    recentCategory: recentCategories(history, catalog.category, U),
    popular: Uint32Array.from(topKReference(catalog.popularity, FUNNEL.popularK).indices),
    recentTable: popularByCategory(catalog.popularity, catalog.category, K, FUNNEL.recentK),
    historyDist,
  };
}
