/**
 * Seeded synthetic items and users for the recommendation lab (issue 12, "Data"); nothing is downloaded.
 * Every random number is Philox4x32-10 (counter = [block, entity, purpose, 0], key = [seed, stream]) with
 * the project's u32 → [0, 1) map and Box–Muller, so a seed gives the same catalogue everywhere.
 */
import { philox4x32, unitFloat } from '../kernels/random/philox.ref';
import { boxMuller } from '../kernels/random/ref';
import { RECOMMEND_DIM } from '../kernels/recommend/spec';

const D = RECOMMEND_DIM;
const STREAM_ITEMS = 0x5245_4301;
const STREAM_USERS = 0x5245_4302;

export const RECOMMEND_DATA = {
  /** K categories with centroids on the unit sphere. */
  categories: 12,
  /** Category pairs whose centroids are correlated (cosine ≈ correlation). */
  correlatedPairs: [
    [0, 1],
    [2, 3],
    [4, 5],
  ] as ReadonlyArray<readonly [number, number]>,
  correlation: 0.6,
  /** Sub-clusters per category and the length of their offsets from the centroid. */
  subClusters: 4,
  subSpread: 0.5,
  /** Length of an item's own noise (per dimension noise / √32): small, so near-duplicates exist. */
  noise: 0.12,
  /** Zipf exponents of category sizes and of item popularity. */
  zipfCategory: 1,
  zipfPopularity: 1,
  historyLength: 30,
  heldOutClicks: 20,
  /** History logits (u·v + β·log pop)/τ. */
  beta: 0.1,
  tau: 0.1,
  /** The narrow-taste preset: 85 % on one category, two minor interests. */
  narrow: { major: 0, minors: [5, 9] as const, weights: [0.85, 0.1, 0.05] as const },
} as const;

/** Sizes the lab runs: the GPU up to 256 users × 16,384 items; a software adapter and the CPU fewer. */
export const RECOMMEND_LAB_LIMITS = {
  minItems: 1024,
  maxItems: 16384,
  /** The ranker's held-out split takes every 5th user, so at least 5; 8 keeps a few test users. */
  minUsers: 8,
  maxUsers: 256,
  software: { items: 4096, users: 32 },
  cpu: { items: 2048, users: 16 },
} as const;

/** A counter-based stream of uniforms for one (entity, purpose). */
function stream(seed: number, key: number, entity: number, purpose: number) {
  let block = 0;
  let words: number[] = [];
  const word = () => {
    if (words.length === 0) words = [...philox4x32([block++, entity >>> 0, purpose, 0], [seed >>> 0, key])];
    return words.shift()!;
  };
  let spare: number | undefined;
  return {
    /** In [0, 1). */
    uniform: () => unitFloat(word()),
    /** In (0, 1): never 0 or 1 (for logs of logs). */
    open: () => ((word() >>> 8) + 0.5) * 2 ** -24,
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      const [a, b] = boxMuller(word(), word());
      spare = b;
      return a;
    },
  };
}
type Stream = ReturnType<typeof stream>;

function normalize(v: Float64Array): Float64Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
function gaussianVector(s: Stream, scale = 1): Float64Array {
  return Float64Array.from({ length: D }, () => scale * s.normal());
}

/** Sizes ∝ (c + 1)^−s summing to `total` (largest remainder; every category gets at least one item). */
export function zipfSizes(total: number, k: number, s: number): number[] {
  const w = Array.from({ length: k }, (_, c) => (c + 1) ** -s);
  const sum = w.reduce((a, b) => a + b, 0);
  const share = w.map((x) => 1 + ((total - k) * x) / sum);
  const sizes = share.map(Math.floor);
  const order = share
    .map((x, c) => [x - Math.floor(x), c] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  for (const [, c] of order) if (left-- > 0) sizes[c]!++;
  return sizes;
}

export interface ItemCatalog {
  count: number;
  /** [K][32] unit centroids. */
  centroids: Float64Array;
  /** Items per category (Zipf); items are grouped by category in id order. */
  categorySizes: number[];
  category: Uint32Array;
  subCluster: Uint8Array;
  /** [count][32] unit vectors, rounded to f32 (what the GPU sees). */
  embeddings: Float32Array;
  /** Zipf popularity over a seeded permutation of the items; sums to 1. */
  popularity: Float64Array;
}

export function makeItems(seed: number, count: number): ItemCatalog {
  if (!(Number.isInteger(count) && count >= RECOMMEND_DATA.categories))
    throw new RangeError(`At least ${RECOMMEND_DATA.categories} items are needed, got ${count}.`);
  const P = RECOMMEND_DATA;
  const K = P.categories;
  const centroids = new Float64Array(K * D);
  for (let c = 0; c < K; c++)
    centroids.set(normalize(gaussianVector(stream(seed, STREAM_ITEMS, c, 1))), c * D);
  for (const [a, b] of P.correlatedPairs) {
    const rho = P.correlation;
    const ortho = gaussianVector(stream(seed, STREAM_ITEMS, b, 2));
    const va = centroids.subarray(a * D, a * D + D);
    const proj = ortho.reduce((acc, x, i) => acc + x * va[i]!, 0);
    const perp = normalize(ortho.map((x, i) => x - proj * va[i]!));
    centroids.set(
      va.map((x, i) => rho * x + Math.sqrt(1 - rho * rho) * perp[i]!),
      b * D,
    );
  }
  const offsets = new Float64Array(K * P.subClusters * D);
  for (let j = 0; j < K * P.subClusters; j++)
    offsets.set(
      normalize(gaussianVector(stream(seed, STREAM_ITEMS, j, 3))).map((x) => x * P.subSpread),
      j * D,
    );
  const categorySizes = zipfSizes(count, K, P.zipfCategory);
  const category = new Uint32Array(count);
  const subCluster = new Uint8Array(count);
  const embeddings = new Float32Array(count * D);
  let id = 0;
  for (let c = 0; c < K; c++) {
    for (let n = 0; n < categorySizes[c]!; n++, id++) {
      const s = stream(seed, STREAM_ITEMS, id, 4);
      const sub = Math.floor(s.uniform() * P.subClusters);
      const noise = gaussianVector(s, P.noise / Math.sqrt(D));
      const v = new Float64Array(D);
      for (let i = 0; i < D; i++)
        v[i] = centroids[c * D + i]! + offsets[(c * P.subClusters + sub) * D + i]! + noise[i]!;
      embeddings.set(normalize(v), id * D);
      category[id] = c;
      subCluster[id] = sub;
    }
  }
  // Popularity: Zipf over ranks, ranks a seeded Fisher–Yates permutation.
  const rank = Uint32Array.from({ length: count }, (_, i) => i);
  const s = stream(seed, STREAM_ITEMS, 0, 5);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(s.uniform() * (i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const popularity = Float64Array.from(rank, (r) => (r + 1) ** -P.zipfPopularity);
  const total = popularity.reduce((a, b) => a + b, 0);
  popularity.forEach((x, i) => (popularity[i] = x / total));
  return { count, centroids, categorySizes, category, subCluster, embeddings, popularity };
}

export interface SyntheticUser {
  /** θ, the true taste over categories (sums to 1). */
  taste: Float64Array;
  /** u = normalize(Σ_c θ_c μ_c). */
  vector: Float64Array;
  /** Item ids drawn without replacement from softmax((u·v + β log pop)/τ) (Gumbel top-k). */
  history: number[];
  /** Held-out clicks: category ~ θ, then an item of it from softmax((μ_c·v + β log pop)/τ), not in history. */
  heldOut: number[];
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), with the U^{1/a} boost for shape < 1. */
function gamma(s: Stream, shape: number): number {
  if (shape < 1) return gamma(s, shape + 1) * s.open() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = s.normal();
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(s.open()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** The narrow-taste preset's θ (85 % on one category plus two minor interests). */
export function narrowTaste(): Float64Array {
  const t = new Float64Array(RECOMMEND_DATA.categories);
  const n = RECOMMEND_DATA.narrow;
  [n.major, ...n.minors].forEach((c, i) => (t[c] = n.weights[i]!));
  return t;
}

/**
 * `count` users; user 0 has the narrow-taste preset, the others θ ~ Dirichlet(α·1). Histories and held-out
 * clicks as documented on SyntheticUser. The history is a Gumbel top-k over every item; a held-out click
 * inverts the category's softmax CDF (made once per category) and redraws items already seen, which is
 * exact sampling from the softmax restricted to unseen items.
 */
export function makeUsers(
  items: ItemCatalog,
  seed: number,
  count: number,
  alpha: number,
  heldOutClicks: number = RECOMMEND_DATA.heldOutClicks,
): SyntheticUser[] {
  if (!(alpha > 0)) throw new RangeError(`Dirichlet α must be positive, got ${alpha}.`);
  const P = RECOMMEND_DATA;
  const K = P.categories;
  const emb = items.embeddings;
  const logPop = items.popularity.map(Math.log);
  const logit = (w: ArrayLike<number>, i: number) => {
    let dot = 0;
    for (let c = 0; c < D; c++) dot += w[c]! * emb[i * D + c]!;
    return (dot + P.beta * logPop[i]!) / P.tau;
  };
  const byCategory = Array.from({ length: K }, () => [] as number[]);
  items.category.forEach((c, i) => byCategory[c]!.push(i));
  // Per category: the items' softmax((μ_c·v + β log pop)/τ) as a cumulative distribution.
  const cdfs = new Map<number, Float64Array>();
  const cdfOf = (c: number) => {
    let cdf = cdfs.get(c);
    if (!cdf) {
      const mu = items.centroids.subarray(c * D, c * D + D);
      const l = byCategory[c]!.map((i) => logit(mu, i));
      const top = Math.max(...l);
      cdf = new Float64Array(l.length);
      let acc = 0;
      l.forEach((x, j) => (cdf![j] = acc += Math.exp(x - top)));
      cdfs.set(c, cdf);
    }
    return cdf;
  };
  const users: SyntheticUser[] = [];
  const keys = new Float64Array(items.count);
  const hLen = Math.min(P.historyLength, items.count);
  for (let id = 0; id < count; id++) {
    const s = stream(seed, STREAM_USERS, id, 1);
    let taste: Float64Array;
    if (id === 0) taste = narrowTaste();
    else {
      const g = Float64Array.from({ length: K }, () => gamma(s, alpha));
      const sum = g.reduce((a, b) => a + b, 0);
      taste = g.map((x) => x / sum);
    }
    const vector = new Float64Array(D);
    for (let c = 0; c < K; c++)
      for (let i = 0; i < D; i++) vector[i]! += taste[c]! * items.centroids[c * D + i]!;
    const u = normalize(vector);
    // Gumbel top-k: the k largest logit + Gumbel are a sample without replacement from the softmax.
    for (let i = 0; i < items.count; i++) keys[i] = logit(u, i) - Math.log(-Math.log(s.open()));
    const history = topIndices(keys, hLen);
    const seen = new Set(history);
    const heldOut: number[] = [];
    for (let n = 0; n < heldOutClicks; n++) {
      let c = 0;
      let x = s.uniform();
      while (c < K - 1 && x >= taste[c]!) x -= taste[c++]!;
      const pool = byCategory[c]!;
      if (pool.every((i) => seen.has(i))) continue;
      const cdf = cdfOf(c);
      let pick: number;
      do pick = pool[upperBound(cdf, s.uniform() * cdf[cdf.length - 1]!)]!;
      while (seen.has(pick));
      heldOut.push(pick);
      seen.add(pick);
    }
    users.push({ taste, vector: u, history, heldOut });
  }
  return users;
}

/** Indices of the k largest keys, largest first (ties to the lower index), by insertion into a short list. */
export function topIndices(keys: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const v = keys[i]!;
    if (top.length === k) {
      if (!(v > keys[top[k - 1]!]!)) continue;
      top.pop();
    }
    let j = top.length;
    top.push(i);
    while (j > 0 && v > keys[top[j - 1]!]!) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = i;
  }
  return top;
}

/** The first j with cdf[j] > x (cdf non-decreasing, x < cdf's last entry). */
export function upperBound(cdf: Float64Array, x: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
