/** The BatchNorm lab on the CPU: the same report from the float64 trainer (src/models/mlp.ts). */
import { CpuMlp, type Batch, type StepResult } from '../../models/mlp';
import { MAX_STEPS_PER_CALL, batchAt, checkRun, columnPercentiles, heldOutRows, shapes } from './common';
import type {
  BatchNormEngine,
  BatchNormLabConfig,
  BatchNormRun,
  BatchNormStep,
  HeldOut,
  RunOptions,
  StepMetrics,
  StepOptions,
} from './types';

export class CpuBatchNormEngine implements BatchNormEngine {
  private readonly bn: CpuMlp;
  private readonly plain: CpuMlp;
  readonly maxStepsPerCall = MAX_STEPS_PER_CALL;
  steps = 0;

  constructor(readonly config: BatchNormLabConfig) {
    const [withBN, withoutBN] = shapes(config);
    this.bn = new CpuMlp(withBN, config.seed);
    this.plain = new CpuMlp(withoutBN, config.seed);
  }

  async step(o: StepOptions): Promise<BatchNormStep> {
    const report = this.report(this.advance(o.train), o);
    const heldOut = o.evaluate ? this.evaluate() : undefined;
    return { ...report, ...(heldOut ? { heldOut } : {}) };
  }

  /** options.steps training steps, one after the other; the statistics of the last one only. */
  async run(o: RunOptions): Promise<BatchNormRun> {
    checkRun(o, this.maxStepsPerCall);
    const steps: StepMetrics[] = [];
    let heldOut: BatchNormRun['heldOut'];
    let last!: BatchNormStep;
    for (let k = 1; k <= o.steps; k++) {
      const r = this.advance(true);
      steps.push({
        loss: { withBN: r.bn.loss, withoutBN: r.plain.loss },
        accuracy: { withBN: r.bn.accuracy, withoutBN: r.plain.accuracy },
      });
      if (k === o.steps) last = this.report(r, o);
      const h = o.evaluateAfter === k ? this.evaluate() : undefined;
      if (h) heldOut = { step: this.steps, result: h };
    }
    return { steps, last, ...(heldOut ? { heldOut } : {}) };
  }

  /** Both nets on the batch of the current step (learning when `train`); statistics as the step saw them. */
  private advance(train: boolean): { batch: Batch; bn: StepResult; plain: StepResult } {
    const batch = batchAt(this.config, this.steps);
    // Statistics describe the batch as the step saw it (before the update), like the GPU's train view.
    const bn = this.bn.step(batch, { lr: this.config.lr, train: true, learn: train });
    const plain = this.plain.step(batch, { lr: this.config.lr, train: true, learn: train });
    if (train) this.steps++;
    return { batch, bn, plain };
  }

  private report(
    r: { batch: Batch; bn: StepResult; plain: StepResult },
    o: Pick<StepOptions, 'view' | 'layer' | 'unit'>,
  ): BatchNormStep {
    const { batch: B, width: W, depth } = this.config;
    const { bn: rBN, plain: rPlain } = r;
    const shown: StepResult = o.view === 'eval' ? this.bn.step(r.batch, { lr: 0, train: false }) : rBN;
    const arr = (v: Float64Array) => Array.from(v);
    const layer = Math.min(Math.max(0, o.layer), depth - 1);
    const unit = Math.min(Math.max(0, o.unit), W - 1);
    return {
      step: this.steps,
      view: o.view,
      loss: { withBN: rBN.loss, withoutBN: rPlain.loss },
      accuracy: { withBN: rBN.accuracy, withoutBN: rPlain.accuracy },
      layers: shown.layers.map((s, l) => ({
        index: l,
        preBN: { mean: arr(s.preBN.mean), var: arr(s.preBN.variance) },
        postBN: { mean: arr(s.postBN!.mean), var: arr(s.postBN!.variance) },
        runningMean: arr(this.bn.running[l]!.mean),
        runningVar: arr(this.bn.running[l]!.var),
        plain: { mean: arr(rPlain.layers[l]!.preBN.mean), var: arr(rPlain.layers[l]!.preBN.variance) },
      })),
      percentiles: {
        layer,
        unit,
        withBN: columnPercentiles(shown.layers[layer]!.h, B, W, unit),
        withoutBN: columnPercentiles(rPlain.layers[layer]!.h, B, W, unit),
      },
      backend: 'cpu',
    };
  }

  /** Eval-mode forward of both nets over the held-out rows the GPU engine would use. */
  private evaluate(): HeldOut | undefined {
    const test = this.config.data?.test;
    const rows = heldOutRows(this.config);
    if (!test || rows === 0) return undefined;
    const inDim = test.inputs.length / test.labels.length;
    const batch: Batch = {
      x: test.inputs.slice(0, rows * inDim),
      labels: Uint32Array.from({ length: rows }, (_, i) => test.labels[i]!),
    };
    const a = this.bn.step(batch, { lr: 0, train: false });
    const b = this.plain.step(batch, { lr: 0, train: false });
    return {
      count: rows,
      loss: { withBN: a.loss, withoutBN: b.loss },
      accuracy: { withBN: a.accuracy, withoutBN: b.accuracy },
    };
  }

  destroy(): void {}
}
