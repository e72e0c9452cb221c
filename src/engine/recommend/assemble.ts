/**
 * Turns one funnel run's raw outputs (the GPU's small readback or the CPU reference's arrays) into the
 * RecommendResult the views draw. Shared by both backends so they describe a run the same way.
 */
import { FUNNEL, FUNNEL_SLOTS } from '../../kernels/recommend/funnel-spec';
import type { ListMetrics as RefMetrics } from '../../kernels/recommend/metrics.ref';
import { listDistribution } from '../../kernels/recommend/ref';
import {
  NO_PICK,
  RECOMMEND_DIM,
  RERANK_METHODS,
  SWEEP_LAMBDAS,
  SWEEP_THETAS,
  type RerankMethod,
} from '../../kernels/recommend/spec';
import type { AdapterIdentity } from '../../gpu/device';
import type { RecommendInputs } from '../../models/recommend-inputs';
import type { FunnelStage, ListMetrics, RecommendResult, SweepCurve } from './types';

/** What the lab asks of one run. */
export interface RecommendRequest {
  user: number;
  method: RerankMethod;
  lambda: number;
  theta: number;
}

/**
 * The DPP stop of the lab's fixed-length lists: relative to the top candidate's L_ii = 1, small enough that
 * a list ends early only when the candidates are exhausted numerically (at θ = 0.99, α = 49.5, a candidate
 * 0.5 below the top has r² ≈ 3e-22 and still ranks by its d²). The lab's data has no exact duplicates.
 */
export const LAB_DPP_EPSILON = 1e-30;

/** The re-rankers the sweep runs, with the parameter each one sweeps. */
export const SWEPT: ReadonlyArray<{
  method: SweepCurve['method'];
  param: SweepCurve['param'];
  values: readonly number[];
}> = [
  { method: 'mmr', param: 'lambda', values: SWEEP_LAMBDAS },
  { method: 'dpp', param: 'theta', values: SWEEP_THETAS },
  { method: 'calibration', param: 'lambda', values: SWEEP_LAMBDAS },
];

export interface FunnelRaw {
  /** Distinct candidates the selected user has after the three recall channels are merged. */
  merged: number;
  /** The selected user's re-rank candidates (item ids) and their relevance, rankK of each. */
  ids: ArrayLike<number>;
  rel: ArrayLike<number>;
  /** Each method's picks (candidate positions, NO_PICK after a DPP stop) and gains for the selected user. */
  picks: Record<RerankMethod, { picks: ArrayLike<number>; gains: ArrayLike<number> }>;
  /** Each method's metrics for the selected user. */
  userMetrics: Record<RerankMethod, RefMetrics>;
  /** Mean metrics over users: sweep[s][p] for SWEPT[s] at its p-th value; the relevance-only baseline. */
  sweep: RefMetrics[][];
  baseline: RefMetrics;
  /** Measured time of each stage for all users (ms). */
  stageMs: { recall: number | null; prerank: number | null; rank: number | null; rerank: number | null };
  /** Stages whose time was measured on their first run on this device (shader compilation included). */
  coldStages?: ReadonlyArray<'recall' | 'prerank' | 'rank' | 'rerank'>;
}

export interface AssembleInfo {
  backend: 'gpu' | 'cpu';
  adapter: AdapterIdentity | null;
  ranker: RecommendResult['ranker'];
  elapsedMs: number;
  bytesRead: number;
}

const copy = (m: RefMetrics): ListMetrics => ({
  ndcg10: m.ndcg10,
  ild: m.ild,
  coverage: m.coverage,
  kl: m.kl,
});

/** What the funnel's stages are built from (FUNNEL's fixed sizes aside). */
export interface FunnelFacts {
  items: number;
  categories: number;
  users: number;
  method: RerankMethod;
  merged: number;
  stageMs: FunnelRaw['stageMs'];
  coldStages: NonNullable<FunnelRaw['coldStages']>;
}

/** The funnel's stages with their English label and detail (the funnel table's export). */
export function funnelStages(x: FunnelFacts): FunnelStage[] {
  const f = FUNNEL;
  const cold = new Set(x.coldStages);
  const stage = (
    name: FunnelStage['name'],
    label: string,
    items: number,
    key: keyof FunnelRaw['stageMs'] | null,
    detail: string,
  ): FunnelStage => {
    if (!key) return { name, label, items, ms: null, detail };
    const first = cold.has(key);
    return {
      name,
      label,
      items,
      ms: x.stageMs[key],
      detail: first
        ? `${detail} (timed on its first run on this device: includes compiling its shaders)`
        : detail,
      ...(first ? { cold: true } : {}),
    };
  };
  return [
    stage('catalogue', 'Catalogue', x.items, null, `${x.categories} categories, Zipf sizes and popularity`),
    stage(
      'recall',
      'Recall (3 channels)',
      x.merged,
      'recall',
      `U·Vᵀ → top ${f.recallK}, + ${f.popularK} popular, + ${f.recentK} of the recent category; ${FUNNEL_SLOTS} slots, duplicates and history removed`,
    ),
    stage('pre-rank', 'Pre-rank', f.prerankK, 'prerank', `u·v + β·log pop (β = 0.1) → top ${f.prerankK}`),
    stage(
      'rank',
      'Rank (MLP)',
      f.rankK,
      'rank',
      `MLP on [u, v, u⊙v, log pop] → click probability → top ${f.rankK}`,
    ),
    stage(
      're-rank',
      'Re-rank',
      f.listN,
      'rerank',
      `${x.method} to ${f.listN}, plus the λ/θ sweep of every method for ${x.users} users`,
    ),
  ];
}

export function assembleResult(
  inputs: RecommendInputs,
  req: RecommendRequest,
  raw: FunnelRaw,
  info: AssembleInfo,
): RecommendResult {
  const { catalog, categories: K } = inputs;
  const D = RECOMMEND_DIM;
  const U = inputs.users.length;
  const user = inputs.users[req.user]!;
  const ids = Array.from(raw.ids);
  const cat = ids.map((i) => catalog.category[i]!);
  const heldOut = new Set(user.heldOut);
  const lists = {} as RecommendResult['lists'];
  const listDist = {} as RecommendResult['listDist'];
  const metrics = {} as RecommendResult['metrics'];
  for (const m of RERANK_METHODS) {
    const { picks, gains } = raw.picks[m];
    const valid: number[] = [];
    for (let k = 0; k < picks.length; k++) if (picks[k]! !== NO_PICK) valid.push(k);
    lists[m] = valid.map((k) => {
      const pos = picks[k]!;
      const item = ids[pos]!;
      return {
        item,
        category: cat[pos]!,
        relevance: raw.rel[pos]!,
        gain: gains[k]!,
        clicked: heldOut.has(item),
      };
    });
    listDist[m] = Array.from(
      listDistribution(
        valid.map((k) => picks[k]!),
        cat,
        K,
      ),
    );
    metrics[m] = copy(raw.userMetrics[m]);
  }
  const funnel = funnelStages({
    items: catalog.count,
    categories: K,
    users: U,
    method: req.method,
    merged: raw.merged,
    stageMs: raw.stageMs,
    coldStages: raw.coldStages ?? [],
  });
  return {
    backend: info.backend,
    adapter: info.adapter,
    seed: inputs.request.seed,
    users: U,
    items: catalog.count,
    categories: K,
    user: req.user,
    taste: Array.from(user.taste),
    history: user.history.map((i) => catalog.category[i]!),
    historyDist: Array.from(inputs.historyDist.subarray(req.user * K, req.user * K + K)),
    funnel,
    candidates: ids.map((item, j) => ({ item, category: cat[j]!, relevance: raw.rel[j]! })),
    embeddings: ids.map((i) => Array.from(catalog.embeddings.subarray(i * D, i * D + D))),
    lists,
    metrics,
    listDist,
    sweep: SWEPT.map((s, si) => ({
      method: s.method,
      param: s.param,
      points: s.values.map((value, p) => ({ value, metrics: copy(raw.sweep[si]![p]!) })),
    })),
    baseline: copy(raw.baseline),
    method: req.method,
    lambda: req.lambda,
    theta: req.theta,
    ranker: info.ranker,
    elapsedMs: info.elapsedMs,
    bytesRead: info.bytesRead,
  };
}
