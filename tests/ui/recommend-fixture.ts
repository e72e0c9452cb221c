/**
 * A small, realistic RecommendResult for the view tests, computed in float64 on the CPU: the seeded
 * catalogue and users of src/models/recommend-data.ts, candidates = the top M of u·v + β·log pop outside
 * the history (relevance σ(8·score − 4) standing in for the ranker), the four re-rankers of
 * src/kernels/recommend/ref.ts, and the metrics of src/kernels/recommend/metrics.ref.ts of each list and
 * of each λ/θ sweep point, averaged over every user. Only the funnel timings are made up.
 */
import { listMetrics, meanMetrics } from '../../src/kernels/recommend/metrics.ref';
import { listDistribution, rerankReference, topKReference } from '../../src/kernels/recommend/ref';
import {
  RECOMMEND_DIM,
  RERANK_METHODS,
  type RerankInstance,
  type RerankMethod,
} from '../../src/kernels/recommend/spec';
import {
  RECOMMEND_DATA,
  makeItems,
  makeUsers,
  type ItemCatalog,
  type SyntheticUser,
} from '../../src/models/recommend-data';
import type { ListEntry, ListMetrics, RecommendResult, SweepCurve } from '../../src/engine/recommend/types';

export interface FixtureOptions {
  seed?: number;
  items?: number;
  users?: number;
  /** The selected user (0 = the narrow-taste preset). */
  user?: number;
  method?: RerankMethod;
  lambda?: number;
  theta?: number;
  /** Re-ranker inputs per user and list length. */
  m?: number;
  n?: number;
}

const D = RECOMMEND_DIM;
export const LAMBDA_SWEEP = Array.from({ length: 11 }, (_, i) => i / 10);
/** θ < 1 (α = θ/(2(1 − θ))): the last point is 0.99. */
export const THETA_SWEEP = [...LAMBDA_SWEEP.slice(0, 10), 0.99];

interface UserCase {
  inst: RerankInstance;
  ids: number[];
  held: Set<number>;
  heldOut: number[];
}

function userCase(items: ItemCatalog, user: SyntheticUser, m: number): UserCase {
  const K = RECOMMEND_DATA.categories;
  const seen = new Set(user.history);
  const score = Float64Array.from({ length: items.count }, (_, i) => {
    if (seen.has(i)) return -Infinity;
    let dot = 0;
    for (let c = 0; c < D; c++) dot += user.vector[c]! * items.embeddings[i * D + c]!;
    return dot + RECOMMEND_DATA.beta * Math.log(items.popularity[i]!);
  });
  const ids = topKReference(score, m).indices;
  const history = new Float64Array(K);
  for (const i of user.history) history[items.category[i]!]! += 1 / user.history.length;
  const inst: RerankInstance = {
    rel: ids.map((i) => 1 / (1 + Math.exp(-(8 * score[i]! - 4)))),
    emb: Float32Array.from(ids.flatMap((i) => Array.from(items.embeddings.subarray(i * D, i * D + D)))),
    cat: Uint32Array.from(ids, (i) => items.category[i]!),
    history,
  };
  return { inst, ids, held: new Set(user.heldOut), heldOut: user.heldOut };
}

/** The list's metrics by src/kernels/recommend/metrics.ref.ts (picks are candidate positions). */
function metricsOf(items: ItemCatalog, c: UserCase, picks: number[], n: number): ListMetrics {
  const ids = picks.map((j) => c.ids[j]!);
  return listMetrics(ids, c.heldOut, items.embeddings, items.category, c.inst.history, n);
}

export function recommendFixture(o: FixtureOptions = {}): RecommendResult {
  const seed = o.seed ?? 7;
  const count = o.items ?? 1200;
  const userCount = o.users ?? 6;
  const selected = o.user ?? 0;
  const m = o.m ?? 50;
  const n = o.n ?? 10;
  const lambda = o.lambda ?? 0.5;
  const theta = o.theta ?? 0.5;
  const items = makeItems(seed, count);
  const users = makeUsers(items, seed, userCount, 0.3);
  const cases = users.map((u) => userCase(items, u, m));
  const run = (method: RerankMethod, c: UserCase, value?: number) =>
    rerankReference(method, c.inst, {
      n,
      lambda: method === 'dpp' ? undefined : (value ?? lambda),
      theta: method === 'dpp' ? (value ?? theta) : undefined,
    });
  const sel = cases[selected]!;
  const K = RECOMMEND_DATA.categories;
  const lists = {} as Record<RerankMethod, ListEntry[]>;
  const metrics = {} as Record<RerankMethod, ListMetrics>;
  const listDist = {} as Record<RerankMethod, number[]>;
  for (const method of RERANK_METHODS) {
    const r = run(method, sel);
    lists[method] = r.picks.map((j, k) => ({
      item: sel.ids[j]!,
      category: sel.inst.cat[j]!,
      relevance: sel.inst.rel[j]!,
      gain: r.gains[k]!,
      clicked: sel.held.has(sel.ids[j]!),
    }));
    metrics[method] = metricsOf(items, sel, r.picks, n);
    listDist[method] = Array.from(listDistribution(r.picks, sel.inst.cat, K));
  }
  const sweep: SweepCurve[] = (['mmr', 'dpp', 'calibration'] as const).map((method) => ({
    method,
    param: method === 'dpp' ? 'theta' : 'lambda',
    points: (method === 'dpp' ? THETA_SWEEP : LAMBDA_SWEEP).map((value) => ({
      value,
      metrics: meanMetrics(cases.map((c) => metricsOf(items, c, run(method, c, value).picks, n))),
    })),
  }));
  const user = users[selected]!;
  return {
    backend: 'cpu',
    adapter: null,
    seed,
    users: userCount,
    items: count,
    categories: K,
    user: selected,
    taste: Array.from(user.taste),
    history: user.history.map((i) => items.category[i]!),
    historyDist: Array.from(sel.inst.history),
    funnel: [
      { name: 'catalogue', label: 'Catalogue', items: count, ms: null, detail: 'Every item' },
      {
        name: 'recall',
        label: 'Recall (3 channels)',
        items: 600,
        ms: 1.84,
        detail: 'U·Vᵀ → top 500, + 50 popular, + 50 of the recent category',
      },
      { name: 'pre-rank', label: 'Pre-rank', items: 100, ms: 0.41, detail: 'u·v + 0.1·log pop → top 100' },
      { name: 'rank', label: 'Rank (MLP)', items: m, ms: 0.93, detail: 'MLP on [u, v, u⊙v, log pop]' },
      { name: 're-rank', label: 'Re-rank', items: n, ms: 0.27, detail: 'MMR, DPP, calibration, relevance' },
    ],
    candidates: sel.ids.map((item, j) => ({ item, category: sel.inst.cat[j]!, relevance: sel.inst.rel[j]! })),
    embeddings: sel.ids.map((_, j) => Array.from(sel.inst.emb as Float32Array).slice(j * D, j * D + D)),
    lists,
    metrics,
    listDist,
    sweep,
    baseline: meanMetrics(cases.map((c) => metricsOf(items, c, run('relevance', c).picks, n))),
    method: o.method ?? 'mmr',
    lambda,
    theta,
    ranker: { auc: 0.83, prerankAuc: 0.76, weights: 'shipped', trainSteps: 0 },
    elapsedMs: 3.45,
    bytesRead: 12_288,
  };
}
