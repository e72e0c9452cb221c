/** Random family: one RandomEngine.run (Box–Muller, 64 bins) per count, against the CPU path. */
import { RandomEngine, runRandomCpu } from '../../src/engine/random';
import { MAX_COUNT_CPU } from '../../src/kernels/random/spec';
import type { Suite } from '../suite';
import type { CaseResult } from '../types';

export async function randomCases(s: Suite): Promise<void> {
  const { p, name } = s;
  const engine = s.setupTime('RandomEngine', () => new RandomEngine(s.wrapped));
  const pred = s.predictor(1);
  for (const count of p.randomCounts) {
    const params = { transform: 'box-muller' as const, seed: 42, count, bins: 64 };
    const g: CaseResult = {
      family: 'random',
      variant: 'gpu',
      params: { ...params },
      size: count,
      backend: name,
    };
    const slow = pred.tooSlow('gpu', count, p.maxGpuRunMs);
    if (slow) g.skipped = slow;
    else
      await s.measure(g, async () => engine.run(params), {
        gpu: true,
        poolCount: () => engine.buffersCreated,
      });
    pred.record('gpu', count, g.wallMs?.median);
    s.push(g);
    const c: CaseResult = {
      family: 'random',
      variant: 'cpu',
      params: { ...params },
      size: count,
      backend: 'CPU (JavaScript float64 reference)',
    };
    const cpuSlow =
      count > MAX_COUNT_CPU
        ? `skipped: above the CPU path's limit (${MAX_COUNT_CPU.toLocaleString('en-US')})`
        : pred.tooSlow('cpu', count, p.maxCpuRunMs);
    if (cpuSlow) c.skipped = cpuSlow;
    else await s.measure(c, async () => runRandomCpu(params), { gpu: false, maxReps: 5, warmup: 1 });
    pred.record('cpu', count, c.wallMs?.median);
    s.push(c);
  }
  engine.destroy();
}
