/**
 * The BatchNorm lab's engine on Dawn in Node: GpuBatchNormEngine (f32) against CpuBatchNormEngine (float64)
 * on the same batches, every figure the lab shows (losses, accuracies, per-layer batch statistics of both
 * networks, running statistics, the unit percentiles), train and eval view. Run by tests/node/run.mjs.
 * Tolerances: the first-order f32 bound of tests/node/bn-bound.ts, computed from a float64 twin of the
 * networks at the state the step saw.
 */
import assert from 'node:assert/strict';
import { requestNodeGpu } from '../../src/gpu/node';
import type { GpuContext } from '../../src/gpu/device';
import {
  CpuBatchNormEngine,
  GpuBatchNormEngine,
  type BatchNormLabConfig,
  type BatchNormStep,
  type StepOptions,
} from '../../src/engine/batchnorm';
import { CpuMlp, makeBatch, type MlpShape } from '../../src/models/mlp';
import { forwardBound, type ForwardBound } from './bn-bound';
import { U, checkWithin } from './numerics';

let gpu: GpuContext;

const config: BatchNormLabConfig = { task: 'spirals', lr: 0.01, batch: 40, depth: 3, width: 16, seed: 7 };
const shape = (batchNorm: boolean): MlpShape => ({
  depth: config.depth,
  width: config.width,
  activation: 'relu',
  inDim: 2,
  classes: 2,
  batchNorm,
});

/** Float64 twins of the engine's two networks (same seed: same initial parameters). */
function twins() {
  return { bn: new CpuMlp(shape(true), config.seed), plain: new CpuMlp(shape(false), config.seed) };
}

/** Compares one GPU step with the float64 step; `bn`/`plain` are the bounds at the state the step saw. */
function compareStep(
  what: string,
  g: BatchNormStep,
  c: BatchNormStep,
  o: StepOptions,
  bound: { bn: ForwardBound; plain: ForwardBound; bnShown: ForwardBound },
  checkRunning: boolean,
): void {
  assert.equal(g.step, c.step);
  const B = config.batch;
  checkWithin(`${what} loss with BN`, [g.loss.withBN], [c.loss.withBN], () => bound.bn.eLoss);
  checkWithin(`${what} loss without BN`, [g.loss.withoutBN], [c.loss.withoutBN], () => bound.plain.eLoss);
  assert.ok(Math.abs(g.accuracy.withBN - c.accuracy.withBN) <= bound.bn.ambiguousRows / B + 1e-7);
  assert.ok(Math.abs(g.accuracy.withoutBN - c.accuracy.withoutBN) <= bound.plain.ambiguousRows / B + 1e-7);
  const flat = (pick: (l: BatchNormStep['layers'][number]) => number[], s: BatchNormStep) =>
    s.layers.flatMap(pick);
  const W = config.width;
  const layerOf = (k: number) => Math.floor(k / W);
  const chan = (k: number) => k % W;
  const shown = bound.bnShown.layers;
  checkWithin(
    `${what} BN pre mean`,
    flat((l) => l.preBN.mean, g),
    flat((l) => l.preBN.mean, c),
    (k) => shown[layerOf(k)]!.pre.eMean[chan(k)]!,
  );
  checkWithin(
    `${what} BN pre var`,
    flat((l) => l.preBN.var, g),
    flat((l) => l.preBN.var, c),
    (k) => shown[layerOf(k)]!.pre.eVar[chan(k)]!,
  );
  checkWithin(
    `${what} BN x̂ mean`,
    flat((l) => l.postBN.mean, g),
    flat((l) => l.postBN.mean, c),
    (k) => shown[layerOf(k)]!.post!.eMean[chan(k)]!,
  );
  checkWithin(
    `${what} BN x̂ var`,
    flat((l) => l.postBN.var, g),
    flat((l) => l.postBN.var, c),
    (k) => shown[layerOf(k)]!.post!.eVar[chan(k)]!,
  );
  const plain = bound.plain.layers;
  checkWithin(
    `${what} plain mean`,
    flat((l) => l.plain.mean, g),
    flat((l) => l.plain.mean, c),
    (k) => plain[layerOf(k)]!.pre.eMean[chan(k)]!,
  );
  checkWithin(
    `${what} plain var`,
    flat((l) => l.plain.var, g),
    flat((l) => l.plain.var, c),
    (k) => plain[layerOf(k)]!.pre.eVar[chan(k)]!,
  );
  if (checkRunning) {
    const bn = bound.bn.layers;
    checkWithin(
      `${what} running mean`,
      flat((l) => l.runningMean, g),
      flat((l) => l.runningMean, c),
      (k) => bn[layerOf(k)]!.eRunningMean![chan(k)]!,
    );
    checkWithin(
      `${what} running var`,
      flat((l) => l.runningVar, g),
      flat((l) => l.runningVar, c),
      (k) => bn[layerOf(k)]!.eRunningVar![chan(k)]!,
    );
  }
  // Order statistics are 1-Lipschitz in the max norm: a percentile moves by at most the column's bound.
  const column = (b: ForwardBound) => {
    let e = 0;
    for (let r = 0; r < B; r++) e = Math.max(e, b.layers[o.layer]!.eh[r * W + o.unit]!);
    return e;
  };
  const [eBN, ePlain] = [column(bound.bnShown), column(bound.plain)];
  checkWithin(
    `${what} percentiles with BN`,
    g.percentiles.withBN,
    c.percentiles.withBN,
    (k) => eBN + 4 * U * Math.abs(c.percentiles.withBN[k]!),
  );
  checkWithin(
    `${what} percentiles without BN`,
    g.percentiles.withoutBN,
    c.percentiles.withoutBN,
    (k) => ePlain + 4 * U * Math.abs(c.percentiles.withoutBN[k]!),
  );
}

export default {
  async setup() {
    gpu = await requestNodeGpu();
  },
  teardown() {
    gpu.destroy();
  },
  tests: [
    [
      'first training step (train view): every statistic, the running statistics and the percentiles within the f32 bound',
      async () => {
        const g = new GpuBatchNormEngine(gpu, config);
        const c = new CpuBatchNormEngine(config);
        const o: StepOptions = { train: true, view: 'train', layer: 1, unit: 3 };
        const t = twins();
        const batch = makeBatch(config.task as 'spirals', config.seed, 0, config.batch);
        const bn = forwardBound(t.bn, batch, 'train');
        const plain = forwardBound(t.plain, batch, 'train');
        compareStep('step 1', await g.step(o), await c.step(o), o, { bn, plain, bnShown: bn }, true);
        g.destroy();
      },
    ],
    [
      'eval view without learning: the BN net normalised by the running statistics, within the f32 bound; nothing changes',
      async () => {
        const g = new GpuBatchNormEngine(gpu, config);
        const c = new CpuBatchNormEngine(config);
        const o: StepOptions = { train: false, view: 'eval', layer: 2, unit: 11 };
        const t = twins();
        const batch = makeBatch(config.task as 'spirals', config.seed, 0, config.batch);
        const bound = {
          bn: forwardBound(t.bn, batch, 'train'),
          plain: forwardBound(t.plain, batch, 'train'),
          bnShown: forwardBound(t.bn, batch, 'eval'),
        };
        const first = await g.step(o);
        compareStep('look (eval)', first, await c.step(o), o, bound, false);
        const again = await g.step(o);
        assert.equal(again.step, 0);
        assert.deepEqual(again.loss, first.loss);
        for (const l of again.layers) {
          assert.ok(l.runningMean.every((m) => m === 0));
          assert.ok(l.runningVar.every((v) => v === 1));
        }
        g.destroy();
      },
    ],
    [
      'five training steps (train view): losses and statistics follow the float64 engine',
      async () => {
        const g = new GpuBatchNormEngine(gpu, config);
        const c = new CpuBatchNormEngine(config);
        const t = twins();
        const o: StepOptions = { train: true, view: 'train', layer: 0, unit: 5 };
        for (let s = 0; s < 5; s++) {
          const batch = makeBatch(config.task as 'spirals', config.seed, s, config.batch);
          const bn = forwardBound(t.bn, batch, 'train');
          const plain = forwardBound(t.plain, batch, 'train');
          t.bn.step(batch, { lr: config.lr, train: true });
          t.plain.step(batch, { lr: config.lr, train: true });
          compareStep(
            `step ${s + 1}`,
            await g.step(o),
            await c.step(o),
            o,
            { bn, plain, bnShown: bn },
            s === 0,
          );
        }
        g.destroy();
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
