/** The recommendation kernels and readback pool, compiled once per device and shared by every data set. */
import { ReadbackPool } from '../../gpu/readback';
import { CalibrationKernel } from '../../kernels/recommend/calibration';
import { CandidateKernel } from '../../kernels/recommend/candidates';
import { DppKernel } from '../../kernels/recommend/dpp';
import { GatherKernel } from '../../kernels/recommend/gather';
import { MetricsKernel } from '../../kernels/recommend/metrics';
import { MmrKernel } from '../../kernels/recommend/mmr';
import type { RerankKernelBase } from '../../kernels/recommend/rerank-common';
import type { RerankMethod } from '../../kernels/recommend/spec';
import { TopKKernel } from '../../kernels/recommend/topk';

export class RecommendKernels {
  readonly topk: TopKKernel;
  readonly candidates: CandidateKernel;
  readonly gather: GatherKernel;
  readonly metrics: MetricsKernel;
  readonly rerank: Record<Exclude<RerankMethod, 'relevance'>, RerankKernelBase>;
  readonly readback: ReadbackPool;
  /** Stages that have run on this device (their first run also compiles the shaders). */
  readonly warm = new Set<string>();

  constructor(readonly device: GPUDevice) {
    this.topk = new TopKKernel(device);
    this.candidates = new CandidateKernel(device);
    this.gather = new GatherKernel(device);
    this.metrics = new MetricsKernel(device);
    this.rerank = {
      mmr: new MmrKernel(device),
      dpp: new DppKernel(device),
      calibration: new CalibrationKernel(device),
    };
    this.readback = new ReadbackPool(device, 'recommend.readback');
  }

  destroy(): void {
    for (const k of [this.topk, this.candidates, this.gather, this.metrics, ...Object.values(this.rerank)])
      k.destroy();
    this.readback.destroy();
  }
}
