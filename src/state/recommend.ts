import { RECOMMEND_LAB_LIMITS as L } from '../models/recommend-data';
import { RERANK_METHODS } from '../kernels/recommend/spec';
import { enumParam, floatParam, intParam, type ValuesOf } from './params';

export const RANKER_WEIGHTS = ['shipped', 'trained'] as const;

/**
 * The Recommendation lab's controls, as they appear in the URL, e.g.
 * `#/recommend?seed=42&items=16384&users=256&user=0&alpha=0.3&method=mmr&lambda=0.5&theta=0.7&ranker=shipped`.
 * - seed, items, users, alpha: the synthetic catalogue and users (src/models/recommend-data.ts); user 0 is the
 *   narrow-taste preset. On a software adapter or the CPU backend the session runs fewer (with a notice).
 * - user: whose lists are shown (clamped to users − 1 with a notice).
 * - method, lambda, theta: the re-ranker shown first and its setting (λ for MMR and calibration, θ for the DPP).
 * - ranker: the MLP ranker's shipped seeded weights, or weights trained in this page on simulated clicks.
 */
export const recommendSchema = {
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 42 }),
  items: intParam({ min: L.minItems, max: L.maxItems, default: L.maxItems }),
  users: intParam({ min: 1, max: L.maxUsers, default: L.maxUsers }),
  user: intParam({ min: 0, max: L.maxUsers - 1, default: 0 }),
  alpha: floatParam({ min: 0.05, max: 10, default: 0.3 }),
  method: enumParam(RERANK_METHODS, 'mmr'),
  lambda: floatParam({ min: 0, max: 1, default: 0.5 }),
  theta: floatParam({ min: 0, max: 0.99, default: 0.7 }),
  ranker: enumParam(RANKER_WEIGHTS, 'shipped'),
};

export type RecommendState = ValuesOf<typeof recommendSchema>;
