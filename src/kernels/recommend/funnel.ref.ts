/**
 * Float64 references of the funnel before the ranker (shaders/recommend/candidates.wgsl, gather.wgsl), in
 * the kernels' order of operations: recall scores, the merged candidate slots, the pre-rank score, the
 * gathers and the ranker's features. Used by the tests and the CPU backend.
 */
import { RANKER_FEATURES } from './funnel-spec';
import { NO_PICK, RECOMMEND_DIM, ranksBefore } from './spec';

const D = RECOMMEND_DIM;
/** −FLT_MAX, the score of a NO_PICK slot (NEG_BIG in ranks.wgsl). */
export const NO_PICK_SCORE = -3.4028234663852886e38;

/** u_user · v_item, summed in dimension order. */
function dot(userVecs: ArrayLike<number>, user: number, emb: ArrayLike<number>, item: number): number {
  let s = 0;
  for (let c = 0; c < D; c++) s += userVecs[user * D + c]! * emb[item * D + c]!;
  return s;
}

function rowsOf(what: string, length: number, users: number): number {
  const w = length / users;
  if (!Number.isInteger(w))
    throw new RangeError(`${what}: ${length} entries do not split into ${users} rows.`);
  return w;
}

/** [users][items] u·v (dimension order). */
export function recallScores(
  userVecs: ArrayLike<number>,
  emb: ArrayLike<number>,
  users: number,
  items: number,
): Float64Array {
  const out = new Float64Array(users * items);
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++) out[u * items + i] = dot(userVecs, u, emb, i);
  return out;
}

/**
 * Merged slots [users][S]: recall row, then popular, then recent row; an item already in an earlier slot of
 * the same user, an item in the user's history, or NO_PICK becomes NO_PICK. S = recallK + popularK +
 * recentK of the inputs. (An earlier slot holding the same id means the first occurrence is kept, or was
 * itself dropped as a history item, so comparing raw slot values is enough — the kernel does the same.)
 */
export function mergeCandidates(
  recall: Uint32Array,
  popular: Uint32Array,
  recent: Uint32Array,
  history: Uint32Array,
  users: number,
): Uint32Array {
  const R = rowsOf('Merge: recall', recall.length, users);
  const C = rowsOf('Merge: recent', recent.length, users);
  const H = rowsOf('Merge: history', history.length, users);
  const P = popular.length;
  const S = R + P + C;
  const out = new Uint32Array(users * S);
  const raw = new Uint32Array(S);
  for (let u = 0; u < users; u++) {
    raw.set(recall.subarray(u * R, (u + 1) * R), 0);
    raw.set(popular, R);
    raw.set(recent.subarray(u * C, (u + 1) * C), R + P);
    const hist = history.subarray(u * H, (u + 1) * H);
    for (let s = 0; s < S; s++) {
      const id = raw[s]!;
      let drop = id === NO_PICK;
      for (let h = 0; h < H && !drop; h++) drop = hist[h] === id;
      for (let j = 0; j < s && !drop; j++) drop = raw[j] === id;
      out[u * S + s] = drop ? NO_PICK : id;
    }
  }
  return out;
}

/**
 * [users][S] u·v + β·logPop[item]; −FLT_MAX where NO_PICK. β is taken as the f32 the kernel receives.
 * Order: the dot product in dimension order, then β·log pop, then the sum.
 */
export function prerankScores(
  merged: Uint32Array,
  userVecs: ArrayLike<number>,
  emb: ArrayLike<number>,
  logPop: ArrayLike<number>,
  users: number,
  beta: number,
): Float64Array {
  const S = rowsOf('Pre-rank: merged', merged.length, users);
  const b = Math.fround(beta);
  const out = new Float64Array(users * S);
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < S; s++) {
      const id = merged[u * S + s]!;
      out[u * S + s] = id === NO_PICK ? NO_PICK_SCORE : dot(userVecs, u, emb, id) + b * logPop[id]!;
    }
  }
  return out;
}

/**
 * Gather: out[u][j] = source[u][positions[u][j]] (NO_PICK stays NO_PICK); sourceWidth = row length of
 * source. A position ≥ sourceWidth also gives NO_PICK (the kernel never reads outside the row).
 */
export function gatherRows(
  positions: Uint32Array,
  source: Uint32Array,
  users: number,
  sourceWidth: number,
): Uint32Array {
  const k = rowsOf('Gather: positions', positions.length, users);
  if (source.length !== users * sourceWidth)
    throw new RangeError(`Gather: source has ${source.length} entries, not ${users}×${sourceWidth}.`);
  const out = new Uint32Array(users * k);
  for (let u = 0; u < users; u++) {
    for (let j = 0; j < k; j++) {
      const p = positions[u * k + j]!;
      out[u * k + j] = p >= sourceWidth ? NO_PICK : source[u * sourceWidth + p]!;
    }
  }
  return out;
}

/**
 * [users·k][97]: [u, v, u⊙v, logPop[item]] of each (user, item); zeros for NO_PICK. The inputs are rounded
 * to f32 first (what the kernel reads), so u⊙v is the correctly rounded f32 product, as on the GPU.
 */
export function rankerFeatures(
  ids: Uint32Array,
  userVecs: ArrayLike<number>,
  emb: ArrayLike<number>,
  logPop: ArrayLike<number>,
  users: number,
): Float32Array {
  const k = rowsOf('Features: ids', ids.length, users);
  const F = RANKER_FEATURES;
  const out = new Float32Array(users * k * F);
  for (let u = 0; u < users; u++) {
    for (let j = 0; j < k; j++) {
      const id = ids[u * k + j]!;
      if (id === NO_PICK) continue;
      const row = (u * k + j) * F;
      for (let c = 0; c < D; c++) {
        const a = Math.fround(userVecs[u * D + c]!);
        const v = Math.fround(emb[id * D + c]!);
        out[row + c] = a;
        out[row + D + c] = v;
        out[row + 2 * D + c] = a * v;
      }
      out[row + 3 * D] = logPop[id]!;
    }
  }
  return out;
}

/**
 * The recent-category channel's table [K][C]: per category its C most popular items (ties → lower id;
 * NO_PICK pad).
 */
export function popularByCategory(
  popularity: ArrayLike<number>,
  category: ArrayLike<number>,
  k: number,
  c: number,
): Uint32Array {
  if (category.length !== popularity.length)
    throw new RangeError('Popular by category: popularity and category differ in length.');
  const members = Array.from({ length: k }, () => [] as number[]);
  for (let i = 0; i < category.length; i++) {
    const cat = category[i]!;
    if (!(Number.isInteger(cat) && cat >= 0 && cat < k))
      throw new RangeError(`Popular by category: item ${i} has category ${cat}, not in 0…${k - 1}.`);
    members[cat]!.push(i);
  }
  const out = new Uint32Array(k * c).fill(NO_PICK);
  members.forEach((ids, cat) => {
    ids.sort((a, b) => (ranksBefore(popularity[a]!, a, popularity[b]!, b) ? -1 : 1));
    out.set(ids.slice(0, c), cat * c);
  });
  return out;
}

/** The category of each user's most recent history item (the last of each row; history is oldest first). */
export function recentCategories(
  history: Uint32Array,
  category: ArrayLike<number>,
  users: number,
): Uint32Array {
  const H = rowsOf('Recent category: history', history.length, users);
  if (H === 0) throw new RangeError('Recent category: the history is empty.');
  return Uint32Array.from({ length: users }, (_, u) => {
    const item = history[u * H + H - 1]!;
    if (!(item < category.length)) throw new RangeError(`Recent category: user ${u}'s last item is ${item}.`);
    return category[item]!;
  });
}
