/**
 * The whole funnel on the float64 references (the CPU backend, in the worker, and the tests' oracle):
 * recall → merge → pre-rank → rank → re-rank → metrics, for every user, in the kernels' order of operations.
 */
import { FUNNEL, FUNNEL_SLOTS } from '../../kernels/recommend/funnel-spec';
import {
  gatherRows,
  mergeCandidates,
  prerankScores,
  rankerFeatures,
  recallScores,
} from '../../kernels/recommend/funnel.ref';
import { listMetrics, meanMetrics, type ListMetrics } from '../../kernels/recommend/metrics.ref';
import { rerankReference, topKReference } from '../../kernels/recommend/ref';
import {
  NO_PICK,
  RECOMMEND_DIM,
  RERANK_METHODS,
  type RerankInstance,
  type RerankMethod,
} from '../../kernels/recommend/spec';
import { RECOMMEND_DATA } from '../../models/recommend-data';
import { rankerScoreRef } from '../../models/recommend-ranker';
import type { RecommendInputs } from '../../models/recommend-inputs';
import { LAB_DPP_EPSILON, SWEPT, type FunnelRaw, type RecommendRequest } from './assemble';

const FLT_MAX = 3.4028234663852886e38;

/** Row-wise top-k positions of a [rows][width] array. */
function topRows(values: ArrayLike<number>, rows: number, width: number, k: number): Uint32Array {
  const out = new Uint32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: width }, (_, j) => values[r * width + j]!);
    out.set(topKReference(row, k).indices, r * k);
  }
  return out;
}

/** The re-rank inputs of every user: candidate ids [users][rankK] and their relevance. */
export function funnelCandidatesCpu(
  inputs: RecommendInputs,
  weights: ReadonlyMap<string, ArrayLike<number>>,
) {
  const { catalog, userVecs, logPop } = inputs;
  const U = inputs.users.length;
  const I = catalog.count;
  const emb = catalog.embeddings;
  const t0 = performance.now();
  const recall = topRows(recallScores(userVecs, emb, U, I), U, I, FUNNEL.recallK);
  const recent = new Uint32Array(U * FUNNEL.recentK);
  for (let u = 0; u < U; u++) {
    const c = inputs.recentCategory[u]!;
    recent.set(inputs.recentTable.subarray(c * FUNNEL.recentK, (c + 1) * FUNNEL.recentK), u * FUNNEL.recentK);
  }
  const merged = mergeCandidates(recall, inputs.popular, recent, inputs.history, U);
  const t1 = performance.now();
  const pre = prerankScores(merged, userVecs, emb, logPop, U, RECOMMEND_DATA.beta);
  const pre100 = gatherRows(topRows(pre, U, FUNNEL_SLOTS, FUNNEL.prerankK), merged, U, FUNNEL_SLOTS);
  const t2 = performance.now();
  const rows = U * FUNNEL.prerankK;
  const scores = rankerScoreRef(weights, rankerFeatures(pre100, userVecs, emb, logPop, U), rows);
  for (let r = 0; r < rows; r++) if (pre100[r] === NO_PICK) scores[r] = -FLT_MAX;
  const pos50 = topRows(scores, U, FUNNEL.prerankK, FUNNEL.rankK);
  const ids = gatherRows(pos50, pre100, U, FUNNEL.prerankK);
  const rel = new Float64Array(U * FUNNEL.rankK);
  for (let u = 0; u < U; u++)
    for (let j = 0; j < FUNNEL.rankK; j++)
      rel[u * FUNNEL.rankK + j] = scores[u * FUNNEL.prerankK + pos50[u * FUNNEL.rankK + j]!]!;
  const t3 = performance.now();
  return { merged, ids, rel, ms: { recall: t1 - t0, prerank: t2 - t1, rank: t3 - t2 } };
}

/** One user's re-rank instance (embeddings and categories gathered by item id). */
export function instanceFor(
  inputs: RecommendInputs,
  ids: ArrayLike<number>,
  rel: ArrayLike<number>,
  u: number,
): RerankInstance {
  const D = RECOMMEND_DIM;
  const M = FUNNEL.rankK;
  const K = inputs.categories;
  const emb = new Float64Array(M * D);
  const cat = new Uint32Array(M);
  for (let j = 0; j < M; j++) {
    const item = ids[u * M + j]!;
    for (let c = 0; c < D; c++) emb[j * D + c] = inputs.catalog.embeddings[item * D + c]!;
    cat[j] = inputs.catalog.category[item]!;
  }
  return {
    rel: Float64Array.from({ length: M }, (_, j) => rel[u * M + j]!),
    emb,
    cat,
    history: inputs.historyDist.subarray(u * K, u * K + K),
  };
}

export function runFunnelCpu(
  inputs: RecommendInputs,
  req: RecommendRequest,
  weights: ReadonlyMap<string, ArrayLike<number>>,
): FunnelRaw {
  const U = inputs.users.length;
  const M = FUNNEL.rankK;
  const N = FUNNEL.listN;
  const H = inputs.heldOutWidth;
  const { merged, ids, rel, ms } = funnelCandidatesCpu(inputs, weights);
  const t0 = performance.now();
  const metricsOf = (u: number, picks: number[]): ListMetrics =>
    listMetrics(
      picks.map((p) => ids[u * M + p]!),
      inputs.heldOut.subarray(u * H, u * H + H),
      inputs.catalog.embeddings,
      inputs.catalog.category,
      inputs.historyDist.subarray(u * inputs.categories, (u + 1) * inputs.categories),
      N,
    );
  const sweep: ListMetrics[][] = SWEPT.map((s) => s.values.map(() => [] as never));
  const sweepAll: ListMetrics[][][] = SWEPT.map((s) => s.values.map(() => []));
  const baseline: ListMetrics[] = [];
  let picks = {} as FunnelRaw['picks'];
  let userMetrics = {} as FunnelRaw['userMetrics'];
  for (let u = 0; u < U; u++) {
    const inst = instanceFor(inputs, ids, rel, u);
    const base = rerankReference('relevance', inst, { n: N });
    baseline.push(metricsOf(u, base.picks));
    SWEPT.forEach((s, si) =>
      s.values.forEach((v, p) => {
        const r = rerankReference(s.method, inst, { n: N, epsilon: LAB_DPP_EPSILON, [s.param]: v });
        sweepAll[si]![p]!.push(metricsOf(u, r.picks));
      }),
    );
    if (u === req.user) {
      picks = {} as FunnelRaw['picks'];
      userMetrics = {} as FunnelRaw['userMetrics'];
      for (const m of RERANK_METHODS) {
        const r = rerankReference(m as RerankMethod, inst, {
          n: N,
          lambda: req.lambda,
          theta: req.theta,
          epsilon: LAB_DPP_EPSILON,
        });
        const padded = [...r.picks, ...Array<number>(N - r.picks.length).fill(NO_PICK)];
        picks[m] = { picks: padded, gains: [...r.gains, ...Array<number>(N - r.gains.length).fill(0)] };
        userMetrics[m] = metricsOf(u, r.picks);
      }
    }
  }
  sweepAll.forEach((curve, si) => curve.forEach((all, p) => (sweep[si]![p] = meanMetrics(all))));
  let distinct = 0;
  for (let s = 0; s < FUNNEL_SLOTS; s++) if (merged[req.user * FUNNEL_SLOTS + s] !== NO_PICK) distinct++;
  return {
    merged: distinct,
    ids: ids.subarray(req.user * M, (req.user + 1) * M),
    rel: rel.subarray(req.user * M, (req.user + 1) * M),
    picks,
    userMetrics,
    sweep,
    baseline: meanMetrics(baseline),
    stageMs: { ...ms, rerank: performance.now() - t0 },
  };
}
