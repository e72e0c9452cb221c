/**
 * The whole recommendation funnel on the GPU (RecommendEngine: four submits) against the float64 CPU
 * funnel (runRecommendCpu) on the same seeded data: the re-rankers' candidates and every list must be the
 * same items in the same order, and every metric equal within f32 rounding; again after a new λ/θ (which
 * re-runs only the re-rank stage).
 *
 * Tolerances (u = 2⁻²³): relevance is σ of an f32 MLP (|err| ≤ 2e-7 measured by the ranker's own test,
 * bound 1e-6 here); NDCG, ILD and KL of one list are sums of ≤ 45 terms of size ≤ 1 (≤ 60u·max ≈ 7e-6), and
 * the means over users add (U/256 + 10)u; we allow 2e-5 absolute. Coverage is a count: exact.
 */
import { describe, expect, it } from 'vitest';
import { RecommendEngine, runRecommendCpu, type RankerChoice } from '../../src/engine/recommend';
import { RERANK_METHODS } from '../../src/kernels/recommend/spec';
import { makeRecommendInputs } from '../../src/models/recommend-inputs';
import { SHIPPED_RANKER, shippedRankerWeights } from '../../src/models/recommend-ranker';
import { gpu, useRecommendGpu } from './recommend-helpers';

useRecommendGpu('recommend-engine.test.ts');

const METRIC_TOL = 2e-5;
const REL_TOL = 1e-6;

describe('RecommendEngine (GPU) = runRecommendCpu (float64)', () => {
  const ranker: RankerChoice = {
    weights: shippedRankerWeights(),
    kind: 'shipped',
    trainSteps: SHIPPED_RANKER.steps,
  };
  for (const c of [
    { seed: 42, items: 1024, users: 8, user: 0, method: 'mmr' as const, lambda: 0.5, theta: 0.7 },
    { seed: 7, items: 1500, users: 10, user: 3, method: 'dpp' as const, lambda: 0.3, theta: 0.99 },
  ]) {
    it(`seed ${c.seed}, ${c.users} users × ${c.items} items, user ${c.user}`, async () => {
      const inputs = makeRecommendInputs({ seed: c.seed, items: c.items, users: c.users, alpha: 0.3 });
      const req = { user: c.user, method: c.method, lambda: c.lambda, theta: c.theta };
      const engine = new RecommendEngine(gpu);
      try {
        const g = await engine.run(inputs, req, ranker);
        const r = runRecommendCpu(inputs, req, ranker);
        expect(g.backend).toBe('gpu');
        expect(g.candidates.map((x) => x.item)).toEqual(r.candidates.map((x) => x.item));
        g.candidates.forEach((x, j) =>
          expect(Math.abs(x.relevance - r.candidates[j]!.relevance)).toBeLessThanOrEqual(REL_TOL),
        );
        expect(g.funnel.map((s) => s.items)).toEqual(r.funnel.map((s) => s.items));
        for (const m of RERANK_METHODS) {
          expect(
            g.lists[m].map((e) => e.item),
            m,
          ).toEqual(r.lists[m].map((e) => e.item));
          expect(g.metrics[m].coverage, m).toBe(r.metrics[m].coverage);
          for (const k of ['ndcg10', 'ild', 'kl'] as const)
            expect(Math.abs(g.metrics[m][k] - r.metrics[m][k]), `${m} ${k}`).toBeLessThanOrEqual(METRIC_TOL);
        }
        const worst = { mean: 0 };
        g.sweep.forEach((curve, s) =>
          curve.points.forEach((p, i) => {
            const q = r.sweep[s]!.points[i]!;
            for (const k of ['ndcg10', 'ild', 'coverage', 'kl'] as const) {
              const d = Math.abs(p.metrics[k] - q.metrics[k]);
              worst.mean = Math.max(worst.mean, d);
              expect(d, `${curve.method} ${p.value} ${k}`).toBeLessThanOrEqual(METRIC_TOL);
            }
          }),
        );
        console.log(
          `recommend engine: worst |GPU − CPU| of a sweep mean ${worst.mean.toExponential(2)}; read back ${g.bytesRead} B`,
        );
        // Only the selected user's rows and the means come back.
        expect(g.bytesRead).toBeLessThan(8192);
        // A new λ and θ re-run only the re-rank stage (recall, pre-rank and rank stay in the buffers), and
        // another user reads other rows of the same buffers: still the CPU funnel's lists.
        const again = { ...req, user: c.users - 1, lambda: 0.2, theta: 0.4 };
        const g2 = await engine.run(inputs, again, ranker);
        const r2 = runRecommendCpu(inputs, again, ranker);
        expect(g2.funnel.map((s) => s.ms)).toEqual([
          null,
          ...g.funnel.slice(1, 4).map((s) => s.ms),
          g2.funnel[4]!.ms,
        ]);
        for (const m of RERANK_METHODS)
          expect(
            g2.lists[m].map((e) => e.item),
            m,
          ).toEqual(r2.lists[m].map((e) => e.item));
      } finally {
        engine.destroy();
      }
    });
  }
});
