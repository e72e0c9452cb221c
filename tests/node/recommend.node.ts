/**
 * The recommendation funnel runs unchanged in Node on Dawn: RecommendEngine against the float64 CPU funnel
 * on one small seeded data set (the same comparison as tests/gpu/recommend-engine.test.ts, whose header
 * derives the 2e-5 metric tolerance). Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import type { GpuContext } from '../../src/gpu/device';
import { RecommendEngine, runRecommendCpu, type RankerChoice } from '../../src/engine/recommend';
import { RERANK_METHODS } from '../../src/kernels/recommend/spec';
import { makeRecommendInputs } from '../../src/models/recommend-inputs';
import { SHIPPED_RANKER, shippedRankerWeights } from '../../src/models/recommend-ranker';
import { gpuSuite } from './suite';

let gpu: GpuContext;

export default gpuSuite(
  (g) => (gpu = g),
  [
    [
      'the funnel on Dawn picks the float64 funnel’s lists for every method',
      async () => {
        const inputs = makeRecommendInputs({ seed: 3, items: 1024, users: 8, alpha: 0.3 });
        const ranker: RankerChoice = {
          weights: shippedRankerWeights(),
          kind: 'shipped',
          trainSteps: SHIPPED_RANKER.steps,
        };
        const req = { user: 0, method: 'calibration' as const, lambda: 0.4, theta: 0.6 };
        const engine = new RecommendEngine(gpu);
        try {
          const g = await engine.run(inputs, req, ranker);
          const r = runRecommendCpu(inputs, req, ranker);
          assert.deepEqual(
            g.candidates.map((c) => c.item),
            r.candidates.map((c) => c.item),
          );
          for (const m of RERANK_METHODS) {
            assert.deepEqual(
              g.lists[m].map((e) => e.item),
              r.lists[m].map((e) => e.item),
              m,
            );
            assert.ok(Math.abs(g.metrics[m].ndcg10 - r.metrics[m].ndcg10) <= 2e-5, `${m} NDCG@10`);
          }
          g.sweep.forEach((c, s) =>
            c.points.forEach((p, i) =>
              assert.ok(
                Math.abs(p.metrics.ild - r.sweep[s]!.points[i]!.metrics.ild) <= 2e-5,
                `${c.method} ${p.value}`,
              ),
            ),
          );
          console.log(
            `  funnel stages (ms): ${g.funnel.map((f) => `${f.name} ${f.ms?.toFixed(1) ?? '—'}`).join(', ')}`,
          );
        } finally {
          engine.destroy();
        }
      },
    ],
  ],
);
