/**
 * What the recommendation kernels (shaders/recommend/*.wgsl), the float64 references (ref.ts), the engine
 * and the app state share: limits, the re-rankers' parameters and the tie rule. Picks are candidate
 * positions 0…M−1 (the engine maps them to item ids). Ties go to the lowest index, everywhere.
 */

/** Embedding width of every item and user vector. */
export const RECOMMEND_DIM = 32;

export const RECOMMEND_LIMITS = {
  /** Re-ranker inputs per user (one workgroup of 256 threads holds 2 candidates per thread). */
  maxCandidates: 512,
  /** Longest re-ranked list (the DPP keeps a Cholesky row of this length per candidate). */
  maxListLength: 64,
  /** Categories (item i has exactly one, categories[i] < maxCategories). */
  maxCategories: 16,
  /** Users per dispatch (one workgroup each; maxComputeWorkgroupsPerDimension). */
  maxUsers: 65535,
  /** Top-k: largest k (k ≤ 512 keeps the running list and a new chunk in 1024 workgroup slots). */
  maxTopK: 512,
} as const;

/** Written where no item was picked (a DPP that stopped early; top-k with k > row length). */
export const NO_PICK = 0xffffffff;

/** The weight of p in q̃ = (1 − a)·q + a·p (Steck 2018), so that KL(p ‖ q̃) is finite. */
export const CALIBRATION_MIX = 0.01;

export type RerankMethod = 'relevance' | 'mmr' | 'dpp' | 'calibration';
export const RERANK_METHODS: readonly RerankMethod[] = ['relevance', 'mmr', 'dpp', 'calibration'];

/**
 * One user's re-ranker input: M candidates with relevance rel[i], unit embeddings emb[i·32 … i·32+31],
 * category cat[i] (< K), and the history's category distribution p (length K, sums to 1).
 */
export interface RerankInstance {
  rel: ArrayLike<number>;
  emb: ArrayLike<number>;
  cat: ArrayLike<number>;
  /** p, the history's category distribution; only calibration reads it. */
  history: ArrayLike<number>;
}

export interface RerankOptions {
  /** List length N (1 ≤ N ≤ min(M, 64)). */
  n: number;
  /** MMR and calibration trade-off λ ∈ [0, 1]: MMR λ = 1 is relevance only, calibration λ = 0 is. */
  lambda?: number;
  /** DPP relevance weight θ ∈ [0, 1): α = θ / (2(1 − θ)) in r = exp(α·rel). */
  theta?: number;
  /**
   * DPP stop: the list ends when the best d² < ε. The kernel is scaled so that the most relevant
   * candidate has r = 1 (r_i = exp(α·(rel_i − max rel))): a common factor of L leaves the picks unchanged,
   * and ε is relative to that candidate's L_ii = 1.
   */
  epsilon?: number;
  /** DPP sliding window w (0 = none): d² is conditioned on the last w picks only (reference only). */
  window?: number;
}

export const RERANK_DEFAULTS = { lambda: 0.5, theta: 0.5, epsilon: 1e-6, window: 0 } as const;

/** One point of a λ/θ sweep: λ for MMR and calibration, θ for the DPP (missing: RERANK_DEFAULTS). */
export interface SweepSetting {
  lambda?: number | undefined;
  theta?: number | undefined;
}

/** The λ of the MMR and calibration sweeps: 0, 0.1, …, 1 (11 points). */
export const SWEEP_LAMBDAS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
/** The θ of the DPP sweep: 0, 0.1, …, 0.9 and 0.99 (θ < 1; 11 points). */
export const SWEEP_THETAS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99];

/** α = θ / (2(1 − θ)) (Chen, Zhang & Zhou 2018, §4), as the f32 the GPU receives. */
export function dppAlpha(theta: number): number {
  if (!(theta >= 0 && theta < 1)) throw new RangeError(`DPP θ must be in [0, 1), got ${theta}.`);
  return Math.fround(theta / (2 * (1 - theta)));
}

/** Re-ranker output: picks[k] is the candidate chosen at step k; gains[k] its objective at that step. */
export interface RerankResult {
  picks: number[];
  /**
   * relevance: rel; MMR: λ·rel − (1 − λ)·max sim (0 penalty for the first pick); DPP: d² of the pick;
   * calibration: the objective (1 − λ)·Σ rel − λ·KL(p ‖ q̃) of the list after the pick.
   */
  gains: number[];
  /** With `trace`: every candidate's objective at every step (NaN for candidates already picked). */
  steps?: Float64Array[];
}

/** Checks one batch's sizes against RECOMMEND_LIMITS (throws a RangeError naming the limit). */
export function validateRerankShape(users: number, m: number, n: number, categories: number): void {
  const L = RECOMMEND_LIMITS;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`Re-rank: ${what}.`);
  };
  check(Number.isInteger(users) && users >= 1 && users <= L.maxUsers, `users must be 1…${L.maxUsers}`);
  check(Number.isInteger(m) && m >= 1 && m <= L.maxCandidates, `M must be 1…${L.maxCandidates}`);
  check(
    Number.isInteger(n) && n >= 1 && n <= Math.min(m, L.maxListLength),
    `N must be 1…min(M, ${L.maxListLength})`,
  );
  check(
    Number.isInteger(categories) && categories >= 1 && categories <= L.maxCategories,
    `categories must be 1…${L.maxCategories}`,
  );
}

export function validateTopKShape(rows: number, length: number, k: number): void {
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= RECOMMEND_LIMITS.maxUsers))
    throw new RangeError(`Top-k: rows must be 1…${RECOMMEND_LIMITS.maxUsers}.`);
  if (!(Number.isInteger(length) && length >= 1 && length < 2 ** 31))
    throw new RangeError('Top-k: the row length must be a positive integer.');
  if (!(Number.isInteger(k) && k >= 1 && k <= RECOMMEND_LIMITS.maxTopK))
    throw new RangeError(`Top-k: k must be 1…${RECOMMEND_LIMITS.maxTopK}.`);
}

/** The tie rule: a before b when its score is larger, or equal with a lower index. */
export function ranksBefore(ga: number, ia: number, gb: number, ib: number): boolean {
  return ga > gb || (ga === gb && ia < ib);
}
