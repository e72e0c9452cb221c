/**
 * Recommendation lab engine: the funnel on the GPU (gpu-funnel.ts) or on the float64 references (cpu.ts),
 * both assembled into one RecommendResult (assemble.ts). The ranker's held-out AUC is computed from the
 * float64 forward of the same weights on the simulated clicks' test split, next to the pre-rank score's.
 */
import { msg } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { adapterIdentity, withErrorScopes } from '../../gpu/device';
import type { RunControl } from '../../gpu/compute';
import { auc, rankerScoreRef, trainRankerCpu } from '../../models/recommend-ranker';
import type { RecommendInputs } from '../../models/recommend-inputs';
import { assembleResult, type RecommendRequest } from './assemble';
import { runFunnelCpu } from './cpu';
import { GpuFunnel } from './gpu-funnel';
import { RecommendKernels } from './kernels';
import type { RecommendResult } from './types';

export type { RecommendRequest } from './assemble';
export { SWEPT } from './assemble';
export type * from './types';
export { FUNNEL_STAGES } from './types';

export type RankerWeights = ReadonlyMap<string, ArrayLike<number>>;

export interface RankerChoice {
  weights: RankerWeights;
  kind: 'shipped' | 'trained';
  trainSteps: number;
}

const aucs = new WeakMap<RecommendInputs, WeakMap<RankerWeights, { auc: number; prerankAuc: number }>>();

/**
 * Held-out AUC of the ranker's weights and of the pre-rank score on the same simulated clicks (the float64
 * forward of the weights; remembered per data set and weights, so a new λ does not recompute it).
 */
export function rankerAuc(
  inputs: RecommendInputs,
  weights: RankerWeights,
): { auc: number; prerankAuc: number } {
  let byWeights = aucs.get(inputs);
  if (!byWeights) aucs.set(inputs, (byWeights = new WeakMap()));
  const known = byWeights.get(weights);
  if (known) return known;
  const { test, testPrerank } = inputs.clicks;
  const rows = test.labels.length;
  const result = {
    auc: auc(rankerScoreRef(weights, test.inputs, rows), test.labels),
    prerankAuc: auc(testPrerank, test.labels),
  };
  byWeights.set(weights, result);
  return result;
}

/** Steps the page trains the ranker for (seconds on a GPU). */
export const RANKER_TRAIN_STEPS = 400;

export function runRecommendCpu(
  inputs: RecommendInputs,
  req: RecommendRequest,
  ranker: RankerChoice,
): RecommendResult {
  const t0 = performance.now();
  const raw = runFunnelCpu(inputs, req, ranker.weights);
  return assembleResult(inputs, req, raw, {
    backend: 'cpu',
    adapter: null,
    ranker: { ...rankerAuc(inputs, ranker.weights), weights: ranker.kind, trainSteps: ranker.trainSteps },
    elapsedMs: performance.now() - t0,
    bytesRead: 0,
  });
}

/** Trains the ranker on the CPU reference (CpuMlp) on the inputs' simulated clicks. */
export function trainRankerOnCpu(inputs: RecommendInputs, steps = RANKER_TRAIN_STEPS) {
  return trainRankerCpu(inputs.clicks, steps, inputs.request.seed);
}

export class RecommendEngine {
  private kernels: RecommendKernels | null = null;
  private funnel: GpuFunnel | null = null;

  constructor(private readonly ctx: Pick<GpuContext, 'device' | 'info'>) {}

  private funnelFor(inputs: RecommendInputs, weights: RankerWeights): GpuFunnel {
    this.kernels ??= new RecommendKernels(this.ctx.device);
    if (this.funnel?.inputs !== inputs) {
      this.funnel?.destroy();
      this.funnel = new GpuFunnel(this.kernels, inputs, weights);
    } else this.funnel.setWeights(weights);
    return this.funnel;
  }

  async run(
    inputs: RecommendInputs,
    req: RecommendRequest,
    ranker: RankerChoice,
    control: RunControl = {},
  ): Promise<RecommendResult> {
    const t0 = performance.now();
    const { raw, bytesRead } = await withErrorScopes(
      this.ctx.device,
      msg('The recommendation funnel'),
      async () => {
        const funnel = this.funnelFor(inputs, ranker.weights);
        return funnel.run(req, control);
      },
    );
    return assembleResult(inputs, req, raw, {
      backend: 'gpu',
      adapter: adapterIdentity(this.ctx.info),
      ranker: { ...rankerAuc(inputs, ranker.weights), weights: ranker.kind, trainSteps: ranker.trainSteps },
      elapsedMs: performance.now() - t0,
      bytesRead,
    });
  }

  /** Trains the ranker in WGSL (GpuMlp on the nn kernels) on the inputs' simulated clicks. */
  async train(inputs: RecommendInputs, start: RankerWeights, steps: number, control: RunControl = {}) {
    const funnel = this.funnelFor(inputs, start);
    return funnel.ranker.train(inputs.clicks, steps, inputs.request.seed, control);
  }

  /** The next run computes every stage again, not only the re-rank (benchmarks measure both). */
  invalidate(): void {
    this.funnel?.invalidate();
  }

  destroy(): void {
    this.funnel?.destroy();
    this.kernels?.destroy();
    this.funnel = null;
    this.kernels = null;
  }
}
