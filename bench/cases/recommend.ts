/**
 * Recommend family: the whole funnel (recall U·Vᵀ + top-500, merge, pre-rank, MLP rank, four re-rankers and
 * the 33-point λ/θ sweep with metrics) at growing item counts, GPU against the float64 CPU reference (which
 * runs fewer users: its row says how many); `gpu-rerank` is a re-run after a new λ/θ (the re-rank stage
 * only). The target: 256 users × 16,384 items well inside one 16 ms frame on a real GPU.
 */
import { RecommendEngine, runRecommendCpu, type RankerChoice } from '../../src/engine/recommend';
import { makeRecommendInputs } from '../../src/models/recommend-inputs';
import { SHIPPED_RANKER, shippedRankerWeights } from '../../src/models/recommend-ranker';
import type { Suite } from '../suite';
import type { CaseResult } from '../types';

export async function recommendCases(s: Suite): Promise<void> {
  const { p, name } = s;
  const engine = s.setupTime('RecommendEngine', () => new RecommendEngine(s.wrapped));
  const ranker: RankerChoice = {
    weights: shippedRankerWeights(),
    kind: 'shipped',
    trainSteps: SHIPPED_RANKER.steps,
  };
  const request = { user: 0, method: 'mmr' as const, lambda: 0.5, theta: 0.7 };
  const pred = s.predictor(1);
  for (const items of p.recommendItems) {
    // The GPU at the CPU's user count (for the CPU ÷ GPU ratio) and at the full count.
    for (const users of [...new Set([p.recommendCpuUsers, p.recommendUsers])]) {
      const inputs = makeRecommendInputs({ seed: 42, items, users, alpha: 0.3 });
      const g: CaseResult = {
        family: 'recommend',
        variant: 'gpu',
        params: { users },
        size: items,
        backend: name,
      };
      const slow = pred.tooSlow(`gpu${users}`, items, p.maxGpuRunMs);
      if (slow) g.skipped = slow;
      else
        await s.measure(
          g,
          async () => {
            engine.invalidate();
            return engine.run(inputs, request, ranker);
          },
          { gpu: true },
        );
      pred.record(`gpu${users}`, items, g.wallMs?.median);
      s.push(g);
      // What a new λ or θ costs: the re-rank stage alone (four lists, the 33-point sweep, metrics).
      const r: CaseResult = {
        family: 'recommend',
        variant: 'gpu-rerank',
        params: { users },
        size: items,
        backend: name,
      };
      if (slow) r.skipped = slow;
      else await s.measure(r, async () => engine.run(inputs, request, ranker), { gpu: true });
      s.push(r);
    }
    const users = p.recommendCpuUsers;
    const cpuInputs = makeRecommendInputs({ seed: 42, items, users, alpha: 0.3 });
    const c: CaseResult = {
      family: 'recommend',
      variant: 'cpu',
      params: { users },
      size: items,
      backend: 'CPU (JavaScript float64 reference)',
    };
    const cpuSlow = pred.tooSlow('cpu', items, p.maxCpuRunMs);
    if (cpuSlow) c.skipped = cpuSlow;
    else
      await s.measure(c, async () => runRecommendCpu(cpuInputs, request, ranker), {
        gpu: false,
        maxReps: 3,
        warmup: 1,
      });
    pred.record('cpu', items, c.wallMs?.median);
    s.push(c);
  }
  engine.destroy();
}
