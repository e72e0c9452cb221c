/**
 * BatchNorm lab engine: two MLPs of the same shape and the same initial Linear weights — one with
 * BatchNorm1d after every Linear, one without — trained side by side on the same batches. One submit per
 * step: both training steps, an optional eval-mode forward of the BN net (running statistics), and the
 * per-channel statistics of every hidden layer (Chan/Pébay merge reduction on the GPU). Read back: two
 * (loss, accuracy) pairs, the statistics (6·width floats per layer), and one layer's activation inputs for the
 * unit percentiles (taken on the CPU from that small batch). The CPU engine does the same from the float64
 * references (src/models/mlp.ts).
 */
import type { GpuContext } from '../gpu/device';
import { withErrorScopes } from '../gpu/device';
import { createStorageBuffer } from '../gpu/compute';
import { ReadbackPool } from '../gpu/readback';
import * as ops from '../kernels/nn/ops';
import { encodeDispatches, type Dispatch } from '../kernels/nn/pipelines';
import {
  CpuMlp,
  isImageTask,
  labDataDim,
  makeBatch,
  makeDataBatch,
  type Batch,
  type LabData,
  type LabTask,
  type MlpShape,
  type StepResult,
} from '../models/mlp';
import { GpuMlp } from './nn';
import type { Activation } from '../kernels/nn/nn.ref';

export interface BatchNormLabConfig {
  /** A 2D task generated on the fly, or an image task whose images come in `data`. */
  task: LabTask;
  lr: number;
  batch: number;
  depth: number;
  width: number;
  seed: number;
  /** Hidden nonlinearity (default ReLU). */
  activation?: Activation;
  /**
   * A fixed data set (required by the image tasks, optional for the others): batches are drawn from its
   * rows with replacement, and its held-out split is evaluated when a step asks for it.
   */
  data?: LabData;
}

export interface StepOptions {
  /** Take a training step (false: only evaluate the current batch, e.g. while paused). */
  train: boolean;
  /** Show the BN net in train mode (batch statistics) or eval mode (running statistics). */
  view: 'train' | 'eval';
  /** Layer whose unit input is summarised by percentiles. */
  layer: number;
  unit: number;
  /** Also evaluate both networks on the held-out split of config.data (eval mode: running statistics). */
  evaluate?: boolean;
}

/** Held-out loss and accuracy of both networks on `count` rows (a whole number of batches). */
export interface HeldOut {
  count: number;
  loss: { withBN: number; withoutBN: number };
  accuracy: { withBN: number; withoutBN: number };
}

export interface ChannelStats {
  mean: number[];
  var: number[];
}

export interface LayerReport {
  index: number;
  /** BN net: batch statistics of the Linear output (BN input). */
  preBN: ChannelStats;
  /** BN net: batch statistics of x̂ (BN output before γ, β) — in eval view, normalised by the running stats. */
  postBN: ChannelStats;
  runningMean: number[];
  runningVar: number[];
  /** Plain net: batch statistics of the same layer's Linear output. */
  plain: ChannelStats;
}

export interface BatchNormStep {
  /** Training steps taken so far. */
  step: number;
  view: 'train' | 'eval';
  loss: { withBN: number; withoutBN: number };
  accuracy: { withBN: number; withoutBN: number };
  layers: LayerReport[];
  /** 15th, 50th, 85th percentiles of the chosen unit's activation input (BN output / Linear output). */
  percentiles: {
    layer: number;
    unit: number;
    withBN: [number, number, number];
    withoutBN: [number, number, number];
  };
  /** Present when the step was asked to evaluate and the data has a held-out split. */
  heldOut?: HeldOut;
  backend: 'gpu' | 'cpu';
}

export interface BatchNormEngine {
  readonly config: BatchNormLabConfig;
  readonly steps: number;
  step(options: StepOptions): Promise<BatchNormStep>;
  destroy(): void;
}

export const PERCENTILES = [0.15, 0.5, 0.85] as const;

/** Linear-interpolated quantiles (type 7) of a column of a [rows, width] array. */
export function columnPercentiles(values: ArrayLike<number>, rows: number, width: number, unit: number) {
  const col = Float64Array.from({ length: rows }, (_, r) => values[r * width + unit]!).sort();
  return PERCENTILES.map((q) => {
    const pos = q * (rows - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(rows - 1, lo + 1);
    return col[lo]! + (pos - lo) * (col[hi]! - col[lo]!);
  }) as [number, number, number];
}

/** Checks the config; returns the input dimension and class count of its task. */
function taskShape(c: BatchNormLabConfig): { inDim: number; classes: number } {
  if (c.data) return { inDim: labDataDim(c.data), classes: c.data.classes };
  if (isImageTask(c.task)) {
    throw new Error(
      `The ${c.task} task needs its images: the page renders them and passes them as config.data.`,
    );
  }
  return { inDim: 2, classes: 2 };
}

const shapes = (c: BatchNormLabConfig): [MlpShape, MlpShape] => {
  const { inDim, classes } = taskShape(c);
  const common = { depth: c.depth, width: c.width, activation: c.activation ?? 'relu', inDim, classes };
  return [
    { ...common, batchNorm: true },
    { ...common, batchNorm: false },
  ];
};

/** The batch of training step `step` (the same on both backends). */
function batchAt(c: BatchNormLabConfig, step: number): Batch {
  if (c.data) return makeDataBatch(c.data, c.seed, step, c.batch);
  if (isImageTask(c.task)) throw new Error(`The ${c.task} task needs its images in config.data.`);
  return makeBatch(c.task, c.seed, step, c.batch);
}

/** Held-out rows evaluated: whole batches only (the GPU nets are sized for one batch). */
export function heldOutRows(c: BatchNormLabConfig): number {
  const n = c.data?.test?.labels.length ?? 0;
  return Math.floor(n / c.batch) * c.batch;
}

export class GpuBatchNormEngine implements BatchNormEngine {
  private readonly bn: GpuMlp;
  private readonly plain: GpuMlp;
  private readonly res: ops.OpResources;
  private readonly pool: ReadbackPool;
  /** Per layer: [preBN(2w) | postBN(2w) | plain(2w)] (mean, var interleaved per channel). */
  private readonly statsBuffers: GPUBuffer[] = [];
  private readonly statsList: Dispatch[] = [];
  /** Held-out split on the GPU (when config.data has one): inputs, labels, and per-chunk results. */
  private readonly heldOut: {
    x: GPUBuffer;
    labels: GPUBuffer;
    out: GPUBuffer;
    chunks: number;
    inDim: number;
  } | null = null;
  steps = 0;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device'>,
    readonly config: BatchNormLabConfig,
  ) {
    const { device } = gpu;
    const [withBN, withoutBN] = shapes(config);
    this.bn = new GpuMlp(device, withBN, config.batch, config.seed, 'batchnorm.withBN');
    this.plain = new GpuMlp(device, withoutBN, config.batch, config.seed, 'batchnorm.withoutBN');
    this.res = new ops.OpResources(device);
    this.pool = new ReadbackPool(device, 'batchnorm');
    const test = config.data?.test;
    const rows = heldOutRows(config);
    if (test && rows > 0) {
      const inDim = withBN.inDim!;
      const x = createStorageBuffer(device, 'batchnorm.heldOut.x', rows * inDim * 4);
      const labels = createStorageBuffer(device, 'batchnorm.heldOut.labels', rows * 4);
      device.queue.writeBuffer(x, 0, test.inputs.slice(0, rows * inDim));
      device.queue.writeBuffer(
        labels,
        0,
        Uint32Array.from({ length: rows }, (_, i) => test.labels[i]!),
      );
      const chunks = rows / config.batch;
      // Per chunk and net: the 16-byte (loss, accuracy, …) result of an eval-mode forward.
      const out = createStorageBuffer(device, 'batchnorm.heldOut.results', 2 * chunks * 16);
      this.heldOut = { x, labels, out, chunks, inDim };
    }
    const s = { rows: config.batch, channels: config.width };
    for (let l = 0; l < config.depth; l++) {
      const out = [0, 1, 2].map((k) =>
        createStorageBuffer(device, `batchnorm.stats.${l}.${k}`, 2 * config.width * 4),
      );
      this.statsBuffers.push(...out);
      this.statsList.push(
        ...ops.channelStats(this.res, `batchnorm.stats.${l}.pre`, s, this.bn.layers[l]!.z, out[0]!),
        ...ops.channelStats(this.res, `batchnorm.stats.${l}.post`, s, this.bn.layers[l]!.bn!.xhat, out[1]!),
        ...ops.channelStats(this.res, `batchnorm.stats.${l}.plain`, s, this.plain.layers[l]!.z, out[2]!),
      );
    }
  }

  async step(o: StepOptions): Promise<BatchNormStep> {
    const { device } = this.gpu;
    const { batch: B, width: W, depth } = this.config;
    return withErrorScopes(device, 'BatchNorm lab step', async () => {
      const batch = batchAt(this.config, this.steps);
      this.bn.setBatch(batch);
      this.plain.setBatch(batch);
      const enc = device.createCommandEncoder({ label: 'batchnorm.step' });
      const pass = enc.beginComputePass({ label: 'batchnorm.train' });
      // Not learning: a train-mode forward that changes nothing (the eval view adds its own pass below).
      this.bn.encodeStep(pass, { train: true, learn: o.train, lr: this.config.lr });
      this.plain.encodeStep(pass, { train: true, learn: o.train, lr: this.config.lr });
      pass.end();
      // Everything read back goes into one pooled staging buffer (one map per step instead of one per
      // tensor), each copy encoded where the command stream has the value: [offset in floats, floats].
      const ho = o.evaluate ? this.heldOut : null;
      const totalFloats = 4 + 6 * depth * W + 2 * depth * W + 2 * B * W + (ho ? 8 * ho.chunks : 0);
      const staging = this.pool.acquire(totalFloats * 4);
      const reads: [number, number][] = [];
      let filled = 0;
      const copy = (src: GPUBuffer, floats: number) => {
        enc.copyBufferToBuffer(src, 0, staging, filled * 4, floats * 4);
        reads.push([filled, floats]);
        filled += floats;
      };
      copy(this.bn.result, 2);
      copy(this.plain.result, 2);
      const pass2 = enc.beginComputePass({ label: 'batchnorm.stats' });
      // Eval view: the BN net's forward on the same batch with the running statistics (x̂ re-normalised).
      if (o.view === 'eval') this.bn.encodeStep(pass2, { train: false, lr: 0 });
      encodeDispatches(pass2, this.statsList);
      pass2.end();
      for (const b of this.statsBuffers) copy(b, 2 * W);
      for (let l = 0; l < depth; l++) {
        copy(this.bn.layers[l]!.bn!.runningMean, W);
        copy(this.bn.layers[l]!.bn!.runningVar, W);
      }
      const layer = Math.min(Math.max(0, o.layer), depth - 1);
      const unit = Math.min(Math.max(0, o.unit), W - 1);
      // The ReLU input of the chosen layer: y of the BN net, z of the plain net.
      copy(this.bnReluInput(layer), B * W);
      copy(this.plain.layers[layer]!.z, B * W);
      if (ho) {
        // Last in the command buffer (everything above has been copied out): each chunk of the held-out
        // rows is copied into the nets' input buffers and run forward in eval mode.
        for (let k = 0; k < ho.chunks; k++) {
          for (const net of [this.bn, this.plain]) {
            enc.copyBufferToBuffer(ho.x, k * B * ho.inDim * 4, net.x, 0, B * ho.inDim * 4);
            enc.copyBufferToBuffer(ho.labels, k * B * 4, net.labels, 0, B * 4);
          }
          const p = enc.beginComputePass({ label: `batchnorm.heldOut.${k}` });
          this.bn.encodeStep(p, { train: false, lr: 0 });
          this.plain.encodeStep(p, { train: false, lr: 0 });
          p.end();
          enc.copyBufferToBuffer(this.bn.result, 0, ho.out, k * 16, 16);
          enc.copyBufferToBuffer(this.plain.result, 0, ho.out, (ho.chunks + k) * 16, 16);
        }
        copy(ho.out, 2 * ho.chunks * 4);
      }
      device.queue.submit([enc.finish()]);
      if (filled !== totalFloats)
        throw new Error(`BatchNorm lab step: read ${filled} floats, sized ${totalFloats}`);
      const all = new Float32Array(await this.pool.read(staging, totalFloats * 4));
      const data = reads.map(([at, n]) => all.subarray(at, at + n));
      if (o.train) this.steps++;
      const split = (v: Float32Array): ChannelStats => ({
        mean: Array.from({ length: W }, (_, c) => v[2 * c]!),
        var: Array.from({ length: W }, (_, c) => v[2 * c + 1]!),
      });
      const layers: LayerReport[] = [];
      for (let l = 0; l < depth; l++) {
        layers.push({
          index: l,
          preBN: split(data[2 + 3 * l]!),
          postBN: split(data[3 + 3 * l]!),
          plain: split(data[4 + 3 * l]!),
          runningMean: Array.from(data[2 + 3 * depth + 2 * l]!),
          runningVar: Array.from(data[3 + 3 * depth + 2 * l]!),
        });
      }
      const hBN = data[2 + 5 * depth]!;
      const hPlain = data[3 + 5 * depth]!;
      let heldOut: HeldOut | undefined;
      if (ho) {
        const r = data[4 + 5 * depth]!;
        // Equal chunks: the mean of the chunk means is the mean over all held-out rows.
        const avg = (net: 0 | 1, field: 0 | 1) => {
          let sum = 0;
          for (let k = 0; k < ho.chunks; k++) sum += r[(net * ho.chunks + k) * 4 + field]!;
          return sum / ho.chunks;
        };
        heldOut = {
          count: ho.chunks * B,
          loss: { withBN: avg(0, 0), withoutBN: avg(1, 0) },
          accuracy: { withBN: avg(0, 1), withoutBN: avg(1, 1) },
        };
      }
      return {
        step: this.steps,
        view: o.view,
        loss: { withBN: data[0]![0]!, withoutBN: data[1]![0]! },
        accuracy: { withBN: data[0]![1]!, withoutBN: data[1]![1]! },
        layers,
        percentiles: {
          layer,
          unit,
          withBN: columnPercentiles(hBN, B, W, unit),
          withoutBN: columnPercentiles(hPlain, B, W, unit),
        },
        ...(heldOut ? { heldOut } : {}),
        backend: 'gpu',
      };
    });
  }

  private bnReluInput(layer: number): GPUBuffer {
    return this.bn.reluInputs[layer]!;
  }

  destroy(): void {
    this.bn.destroy();
    this.plain.destroy();
    this.res.destroy();
    this.pool.destroy();
    for (const b of this.statsBuffers) b.destroy();
    if (this.heldOut) for (const b of [this.heldOut.x, this.heldOut.labels, this.heldOut.out]) b.destroy();
  }
}

export class CpuBatchNormEngine implements BatchNormEngine {
  private readonly bn: CpuMlp;
  private readonly plain: CpuMlp;
  steps = 0;

  constructor(readonly config: BatchNormLabConfig) {
    const [withBN, withoutBN] = shapes(config);
    this.bn = new CpuMlp(withBN, config.seed);
    this.plain = new CpuMlp(withoutBN, config.seed);
  }

  async step(o: StepOptions): Promise<BatchNormStep> {
    const { batch: B, width: W, depth } = this.config;
    const batch = batchAt(this.config, this.steps);
    // Statistics describe the batch as the step saw it (before the update), like the GPU's train view.
    const rBN = this.bn.step(batch, { lr: this.config.lr, train: true, learn: o.train });
    const rPlain = this.plain.step(batch, { lr: this.config.lr, train: true, learn: o.train });
    const shown: StepResult = o.view === 'eval' ? this.bn.step(batch, { lr: 0, train: false }) : rBN;
    if (o.train) this.steps++;
    const arr = (v: Float64Array) => Array.from(v);
    const layer = Math.min(Math.max(0, o.layer), depth - 1);
    const unit = Math.min(Math.max(0, o.unit), W - 1);
    const heldOut = o.evaluate ? this.evaluate() : undefined;
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
      ...(heldOut ? { heldOut } : {}),
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

export function createBatchNormEngine(
  gpu: Pick<GpuContext, 'device'> | null,
  config: BatchNormLabConfig,
): BatchNormEngine {
  return gpu ? new GpuBatchNormEngine(gpu, config) : new CpuBatchNormEngine(config);
}
