/**
 * The recommendation lab's ranker (issue 12, "Rank"): a small MLP on [u, v, u⊙v, log pop] trained with the
 * logistic loss (2-class softmax cross-entropy) on simulated clicks, its float64 scorer, exact AUC, the CPU
 * trainer and the shipped seeded weights (written by scripts/train-ranker.ts). Pure TypeScript.
 */
import { philox4x32 } from '../kernels/random/philox.ref';
import { RANKER_FEATURES } from '../kernels/recommend/funnel-spec';
import { RECOMMEND_DIM } from '../kernels/recommend/spec';
import { CpuMlp, makeDataBatch, tensorSpecs, type LabData, type MlpShape } from './mlp';
import {
  RECOMMEND_DATA,
  topIndices,
  upperBound,
  type ItemCatalog,
  type SyntheticUser,
} from './recommend-data';
import shipped from './recommend-ranker-weights.json';

const D = RECOMMEND_DIM;
/** Features per (user, item): u (32), v (32), u⊙v (32), log pop (the funnel's layout). */
export { RANKER_FEATURES };

export const RANKER_SHAPE: MlpShape = {
  depth: 1,
  width: 32,
  batchNorm: false,
  activation: 'relu',
  inDim: RANKER_FEATURES,
  classes: 2,
};

/** Training settings shared by the GPU (GpuRanker.train) and CPU (trainRankerCpu) trainers. */
export const RANKER_TRAIN = {
  /** Rows per Adam step (drawn with replacement by makeDataBatch). */
  batch: 256,
  lr: 0.003,
  /** The reported loss is the mean training loss over this many last steps. */
  lossWindow: 50,
} as const;

/** Defaults of clickData. */
export const CLICK_DEFAULTS = {
  /** Clicks per user (category ~ θ, then an item of it; like SyntheticUser.heldOut). */
  positives: 20,
  /** Impressions without a click per user (drawn from the pre-rank distribution). */
  negatives: 60,
  /** Users u with u % testEvery === testEvery − 1 are held out whole (their rows are the test split). */
  testEvery: 5,
} as const;

/** Philox key word of the click simulation ("REC" + 3): makeUsers uses …01/…02, so nothing is shared. */
const STREAM_CLICKS = 0x5245_4303;
const PURPOSE_POSITIVE = 1;
const PURPOSE_NEGATIVE = 2;

/**
 * One feature row at out[offset …]: u, v, u⊙v (each product of the f32-rounded factors, rounded once, as
 * an f32 multiply on the GPU gives), log pop (f64 log, rounded to f32).
 */
export function rankerFeatureRow(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  logPop: number,
  out: Float32Array,
  offset: number,
): void {
  for (let k = 0; k < D; k++) {
    const a = Math.fround(u[k]!);
    const b = Math.fround(v[k]!);
    out[offset + k] = a;
    out[offset + D + k] = b;
    out[offset + 2 * D + k] = a * b;
  }
  out[offset + 3 * D] = logPop;
}

/** Uniforms and Gumbel noise from Philox (counter [block, user, purpose, 0], key [seed, STREAM_CLICKS]). */
function clickStream(seed: number, user: number, purpose: number) {
  let block = 0;
  let words: number[] = [];
  const word = () => {
    if (words.length === 0)
      words = [...philox4x32([block++, user >>> 0, purpose, 0], [seed >>> 0, STREAM_CLICKS])];
    return words.shift()!;
  };
  return {
    /** In [0, 1). */
    uniform: () => (word() >>> 8) * 2 ** -24,
    /** −log(−log U) with U in (0, 1). */
    gumbel: () => -Math.log(-Math.log(((word() >>> 8) + 0.5) * 2 ** -24)),
  };
}

/** Category c ~ θ by inversion of one uniform. */
function categoryOf(taste: ArrayLike<number>, x: number): number {
  let c = 0;
  while (c < taste.length - 1 && x >= taste[c]!) x -= taste[c++]!;
  return c;
}

export interface ClickOptions {
  positives?: number;
  negatives?: number;
  testEvery?: number;
}

export type ClickData = LabData & {
  labels: Uint8Array;
  test: { inputs: Float32Array; labels: Uint8Array };
  /** The pre-rank score u·v + β log pop (float64) of each test row. */
  testPrerank: Float32Array;
  /** User and item of each training and test row. */
  trainRows: { user: Uint32Array; item: Uint32Array };
  testRows: { user: Uint32Array; item: Uint32Array };
};

/**
 * Simulated clicks (label 1) and unclicked impressions (label 0). Per user, from Philox streams of their
 * own (key [seed, STREAM_CLICKS], so independent of makeUsers' histories and held-out clicks):
 * - positives: category c ~ θ, then an item of c, not in the history nor clicked already, from
 *   softmax((μ_c·v + β log pop)/τ) — the law of SyntheticUser.heldOut (skipped when c has no unseen item);
 * - negatives: the first items, not in the history nor clicked, of a Gumbel top-k of (u·v + β log pop)/τ
 *   over the catalogue — what the pre-ranker would have shown.
 * Whole users are held out (u % testEvery === testEvery − 1). Rows: each user's positives, then negatives.
 */
export function clickData(
  items: ItemCatalog,
  users: SyntheticUser[],
  seed: number,
  opts: ClickOptions = {},
): ClickData {
  const { positives, negatives, testEvery } = { ...CLICK_DEFAULTS, ...opts };
  if (!(Number.isInteger(testEvery) && testEvery >= 2)) throw new RangeError(`testEvery must be ≥ 2.`);
  if (users.length < testEvery)
    throw new RangeError(`Click data needs at least ${testEvery} users (one held out), got ${users.length}.`);
  const { beta, tau } = RECOMMEND_DATA;
  const n = items.count;
  const emb = items.embeddings;
  const logPop = Float64Array.from(items.popularity, Math.log);
  const byCategory: number[][] = Array.from({ length: RECOMMEND_DATA.categories }, () => []);
  items.category.forEach((c, i) => byCategory[c]!.push(i));
  // Per category: the cumulative softmax((μ_c·v + β log pop)/τ) over its items (id order).
  const cdfs = byCategory.map((pool, c) => {
    const l = pool.map((i) => {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += items.centroids[c * D + k]! * emb[i * D + k]!;
      return (dot + beta * logPop[i]!) / tau;
    });
    const top = Math.max(...l);
    let acc = 0;
    return Float64Array.from(l, (x) => (acc += Math.exp(x - top)));
  });
  const rowsOf = (count: number) => ({
    inputs: new Float32Array(count * RANKER_FEATURES),
    labels: new Uint8Array(count),
    user: new Uint32Array(count),
    item: new Uint32Array(count),
    prerank: new Float32Array(count),
    filled: 0,
  });
  const testUsers = users.filter((_, u) => u % testEvery === testEvery - 1).length;
  const perUser = positives + negatives;
  const train = rowsOf((users.length - testUsers) * perUser);
  const test = rowsOf(testUsers * perUser);
  const prerank = new Float64Array(n);
  const keys = new Float64Array(n);
  users.forEach((user, u) => {
    const seen = new Set(user.history);
    const clicks: number[] = [];
    const sPos = clickStream(seed, u, PURPOSE_POSITIVE);
    for (let p = 0; p < positives; p++) {
      const c = categoryOf(user.taste, sPos.uniform());
      const pool = byCategory[c]!;
      if (pool.every((i) => seen.has(i))) continue;
      // Inverting the CDF and redrawing seen items samples the softmax restricted to unseen items.
      const cdf = cdfs[c]!;
      let pick: number;
      do pick = pool[upperBound(cdf, sPos.uniform() * cdf[cdf.length - 1]!)]!;
      while (seen.has(pick));
      clicks.push(pick);
      seen.add(pick);
    }
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += user.vector[k]! * emb[i * D + k]!;
      prerank[i] = dot + beta * logPop[i]!;
    }
    const sNeg = clickStream(seed, u, PURPOSE_NEGATIVE);
    for (let i = 0; i < n; i++) keys[i] = prerank[i]! / tau + sNeg.gumbel();
    // The Gumbel top-(negatives + |seen|) holds at least `negatives` unseen items.
    const shown = topIndices(keys, Math.min(n, negatives + seen.size))
      .filter((i) => !seen.has(i))
      .slice(0, negatives);
    const out = u % testEvery === testEvery - 1 ? test : train;
    for (const [label, list] of [
      [1, clicks],
      [0, shown],
    ] as const) {
      for (const i of list) {
        const r = out.filled++;
        rankerFeatureRow(
          user.vector,
          emb.subarray(i * D, i * D + D),
          logPop[i]!,
          out.inputs,
          r * RANKER_FEATURES,
        );
        out.labels[r] = label;
        out.user[r] = u;
        out.item[r] = i;
        out.prerank[r] = prerank[i]!;
      }
    }
  });
  const trim = (s: ReturnType<typeof rowsOf>) => ({
    inputs: s.inputs.slice(0, s.filled * RANKER_FEATURES),
    labels: s.labels.slice(0, s.filled),
    user: s.user.slice(0, s.filled),
    item: s.item.slice(0, s.filled),
    prerank: s.prerank.slice(0, s.filled),
  });
  const tr = trim(train);
  const te = trim(test);
  return {
    inputs: tr.inputs,
    labels: tr.labels,
    classes: 2,
    test: { inputs: te.inputs, labels: te.labels },
    testPrerank: te.prerank,
    trainRows: { user: tr.user, item: tr.item },
    testRows: { user: te.user, item: te.item },
  };
}

/** Exact AUC (Mann–Whitney U / (P·N)); tied scores count ½ (mid-ranks). Labels: 1 positive, 0 negative. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`AUC: ${n} scores for ${labels.length} labels.`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let lo = 0; lo < n;) {
    let hi = lo;
    while (hi + 1 < n && scores[order[hi + 1]!] === scores[order[lo]!]) hi++;
    const midRank = (lo + hi) / 2 + 1;
    for (let k = lo; k <= hi; k++) {
      if (labels[order[k]!] === 1) {
        pos++;
        rankSum += midRank;
      }
    }
    lo = hi + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0)
    throw new RangeError(`AUC needs both classes (${pos} positive, ${neg} negative).`);
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * σ(logit₁ − logit₀) of each feature row, float64: hidden layers h = relu(x·W + b) (W [fan_in][width], as
 * src/kernels/nn/ref.ts linearForward), logits = h·W_out + b_out. Names as tensorSpecs(RANKER_SHAPE).
 */
export function rankerScoreRef(
  weights: ReadonlyMap<string, ArrayLike<number>>,
  features: ArrayLike<number>,
  rows: number,
): Float64Array {
  const { depth, width } = RANKER_SHAPE;
  const W = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new RangeError(`Ranker weights lack "${name}".`);
    return w;
  };
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let a: ArrayLike<number> = Array.from(
      { length: RANKER_FEATURES },
      (_, k) => features[r * RANKER_FEATURES + k]!,
    );
    for (let l = 0; l < depth; l++) {
      const w = W(`layers.${l}.weight`);
      const b = W(`layers.${l}.bias`);
      const h = new Float64Array(width);
      for (let j = 0; j < width; j++) {
        let s = b[j]!;
        for (let k = 0; k < a.length; k++) s += a[k]! * w[k * width + j]!;
        h[j] = Math.max(0, s);
      }
      a = h;
    }
    const w = W('out.weight');
    const b = W('out.bias');
    let l0 = b[0]!;
    let l1 = b[1]!;
    for (let j = 0; j < a.length; j++) {
      l0 += a[j]! * w[2 * j]!;
      l1 += a[j]! * w[2 * j + 1]!;
    }
    out[r] = 1 / (1 + Math.exp(-(l1 - l0)));
  }
  return out;
}

/** Little-endian f32 bytes of `values` as base64 (the weight file's tensors). */
export function encodeTensor(values: ArrayLike<number>): string {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function decodeTensor(text: string): Float32Array {
  const s = atob(text);
  const view = new DataView(Uint8Array.from(s, (ch) => ch.charCodeAt(0)).buffer);
  return Float32Array.from({ length: s.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}

/** What scripts/train-ranker.ts writes to src/models/recommend-ranker-weights.json. */
export interface RankerWeightFile {
  seed: number;
  items: number;
  users: number;
  /** makeUsers' Dirichlet α. */
  alpha: number;
  steps: number;
  auc: number;
  prerankAuc: number;
  /** Tensor name → base64 of its little-endian f32 values. */
  tensors: Record<string, string>;
}

/** The shipped weights' provenance and held-out AUCs (ranker and pre-rank score on the same test rows). */
export const SHIPPED_RANKER = {
  seed: shipped.seed,
  items: shipped.items,
  users: shipped.users,
  alpha: shipped.alpha,
  steps: shipped.steps,
  auc: shipped.auc,
  prerankAuc: shipped.prerankAuc,
};

/** The shipped seeded weights, checked against RANKER_SHAPE. */
export function shippedRankerWeights(): Map<string, Float32Array> {
  const tensors = (shipped as RankerWeightFile).tensors;
  const out = new Map<string, Float32Array>();
  for (const s of tensorSpecs(RANKER_SHAPE)) {
    const text = tensors[s.name];
    const w = text === undefined ? undefined : decodeTensor(text);
    if (!w || w.length !== s.size)
      throw new Error(`The shipped ranker weights lack "${s.name}" of ${s.size} values: rerun train-ranker.`);
    out.set(s.name, w);
  }
  return out;
}

/** CPU training with CpuMlp (float64): the same batches (makeDataBatch) and Adam steps as GpuRanker.train. */
export function trainRankerCpu(
  data: LabData,
  steps: number,
  seed: number,
): { weights: Map<string, Float32Array>; loss: number } {
  const mlp = new CpuMlp(RANKER_SHAPE, seed);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = makeDataBatch(data, seed, step, RANKER_TRAIN.batch);
    losses.push(mlp.step(batch, { lr: RANKER_TRAIN.lr }).loss);
  }
  const tail = losses.slice(-RANKER_TRAIN.lossWindow);
  const weights = new Map<string, Float32Array>();
  for (const [name, w] of mlp.weights) weights.set(name, Float32Array.from(w));
  return { weights, loss: tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length) };
}
