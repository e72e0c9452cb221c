/**
 * The BatchNorm lab on the GPU: one submit and one pooled readback per call, whether the call is a look,
 * one step or a run of many steps. The batches go up in one write into a BatchRing; each step's loss and
 * accuracy are copied into a per-step buffer inside the command buffer; the statistics (every hidden
 * layer's channel statistics, the chosen unit's activations), the held-out pass and the snapshot are
 * encoded once, for the last step (the held-out pass where it was asked for).
 */
import { msg } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { withErrorScopes } from '../../gpu/device';
import { createStorageBuffer } from '../../gpu/compute';
import { ReadbackPool } from '../../gpu/readback';
import * as ops from '../../kernels/nn/ops';
import { ColumnGather } from '../../kernels/nn/column';
import { encodeDispatches, type Dispatch } from '../../kernels/nn/pipelines';
import { BatchRing } from '../batch-ring';
import { GpuMlp } from '../nn';
import { MAX_STEPS_PER_CALL, batchAt, checkRun, columnPercentiles, heldOutRows, shapes } from './common';
import { encodeSnapshot, restoreSnapshot, snapshotFloats, type BatchNormSnapshot } from './snapshot';
import type {
  BatchNormEngine,
  BatchNormLabConfig,
  BatchNormRun,
  BatchNormStep,
  ChannelStats,
  HeldOut,
  LayerReport,
  RunOptions,
  StepMetrics,
  StepOptions,
} from './types';

/** Floats per step in the per-step buffer: (loss, accuracy) of the BN net, then of the plain net. */
const METRIC_FLOATS = 4;

interface Call {
  /** Training steps (0: a look, one forward that changes nothing). */
  n: number;
  view: 'train' | 'eval';
  layer: number;
  unit: number;
  /** Held-out pass after this many of the call's steps (0 with n = 0: after the look). */
  evaluateAfter?: number;
  snapshot?: boolean;
}

export class GpuBatchNormEngine implements BatchNormEngine {
  private readonly bn: GpuMlp;
  private readonly plain: GpuMlp;
  private readonly res: ops.OpResources;
  private readonly pool: ReadbackPool;
  private readonly ring: BatchRing;
  /** Per step of a call: METRIC_FLOATS floats (copied from the nets' result buffers after each step). */
  private readonly metrics: GPUBuffer;
  /** Per layer: [preBN(2w) | postBN(2w) | plain(2w)] (mean, var interleaved per channel). */
  private readonly statsBuffers: GPUBuffer[] = [];
  private readonly statsList: Dispatch[] = [];
  /** Per layer, the chosen unit's activation input of both nets (y of the BN net, z of the plain net). */
  private readonly columns: ColumnGather;
  /** Held-out split on the GPU (when config.data has one): inputs, labels, and per-chunk results. */
  private readonly heldOut: {
    x: GPUBuffer;
    labels: GPUBuffer;
    out: GPUBuffer;
    chunks: number;
    inDim: number;
  } | null = null;
  readonly maxStepsPerCall: number;
  steps = 0;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device'>,
    readonly config: BatchNormLabConfig,
    /** A snapshot of an engine with the same config: this one continues from its step. */
    from?: BatchNormSnapshot,
  ) {
    const { device } = gpu;
    const [withBN, withoutBN] = shapes(config);
    this.bn = new GpuMlp(device, withBN, config.batch, config.seed, 'batchnorm.withBN');
    this.plain = new GpuMlp(device, withoutBN, config.batch, config.seed, 'batchnorm.withoutBN');
    this.res = new ops.OpResources(device);
    this.pool = new ReadbackPool(device, 'batchnorm');
    const inDim = withBN.inDim!;
    this.ring = new BatchRing(device, 'batchnorm', {
      rows: config.batch,
      inDim,
      slots: MAX_STEPS_PER_CALL,
    });
    this.maxStepsPerCall = this.ring.capacity;
    this.metrics = createStorageBuffer(device, 'batchnorm.metrics', this.maxStepsPerCall * METRIC_FLOATS * 4);
    const test = config.data?.test;
    const rows = heldOutRows(config);
    if (test && rows > 0) {
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
    this.columns = new ColumnGather(
      device,
      'batchnorm',
      config.batch,
      config.width,
      this.bn.reluInputs.map((y, l) => [y, this.plain.layers[l]!.z]),
    );
    if (from) {
      try {
        restoreSnapshot(device, [this.bn, this.plain], from);
      } catch (e) {
        this.destroy();
        throw e;
      }
      this.steps = from.step;
    }
  }

  /** The training state now, in one small submit of its own (where no step is coming to carry it). */
  async readSnapshot(): Promise<BatchNormSnapshot> {
    const { device } = this.gpu;
    return withErrorScopes(device, msg('BatchNorm lab snapshot'), async () => {
      const nets: [GpuMlp, GpuMlp] = [this.bn, this.plain];
      const floats = snapshotFloats(nets);
      const staging = this.pool.acquire(floats * 4);
      const enc = device.createCommandEncoder({ label: 'batchnorm.snapshot' });
      const reads: [number, number][] = [];
      let filled = 0;
      const build = encodeSnapshot(nets, this.steps, (src, n) => {
        enc.copyBufferToBuffer(src, 0, staging, filled * 4, n * 4);
        reads.push([filled, n]);
        filled += n;
      });
      device.queue.submit([enc.finish()]);
      const all = new Float32Array(await this.pool.read(staging, floats * 4));
      return build(reads.map(([at, n]) => all.subarray(at, at + n)));
    });
  }

  async step(o: StepOptions): Promise<BatchNormStep> {
    const { last, heldOut } = await this.exec({
      ...o,
      n: o.train ? 1 : 0,
      ...(o.evaluate ? { evaluateAfter: o.train ? 1 : 0 } : {}),
    });
    return { ...last, ...(heldOut ? { heldOut: heldOut.result } : {}) };
  }

  async run(o: RunOptions): Promise<BatchNormRun> {
    checkRun(o, this.maxStepsPerCall);
    return this.exec({ ...o, n: o.steps });
  }

  /** Encodes the call into one command buffer, submits it and reads everything back in one map. */
  private async exec(c: Call): Promise<BatchNormRun> {
    const { device } = this.gpu;
    const { batch: B, width: W, depth } = this.config;
    return withErrorScopes(device, msg('BatchNorm lab step'), async () => {
      const count = Math.max(1, c.n);
      const first = this.steps;
      const slot = this.ring.write(Array.from({ length: count }, (_, k) => batchAt(this.config, first + k)));
      const nets: [GpuMlp, GpuMlp] = [this.bn, this.plain];
      const ho = c.evaluateAfter !== undefined ? this.heldOut : null;
      const enc = device.createCommandEncoder({ label: 'batchnorm.step' });
      for (let k = 0; k < count; k++) {
        this.ring.encodeCopy(enc, slot + k, nets);
        const pass = enc.beginComputePass({ label: 'batchnorm.train' });
        // A look (n = 0): a train-mode forward that changes nothing (the eval view adds its own pass below).
        for (const net of nets) net.encodeStep(pass, { train: true, learn: c.n > 0, lr: this.config.lr });
        pass.end();
        enc.copyBufferToBuffer(this.bn.result, 0, this.metrics, k * METRIC_FLOATS * 4, 8);
        enc.copyBufferToBuffer(this.plain.result, 0, this.metrics, (k * METRIC_FLOATS + 2) * 4, 8);
        // A held-out pass before the last step: the next step copies its own batch in again, and the
        // eval-mode forward changes no weights or statistics.
        if (ho && c.evaluateAfter === k + 1 && k + 1 < count) this.encodeHeldOut(enc);
      }
      // Everything read back goes into one pooled staging buffer (one map per call), each copy encoded
      // where the command stream has the value.
      const snapFloats = c.snapshot ? snapshotFloats(nets) : 0;
      const totalFloats =
        METRIC_FLOATS * count + 6 * depth * W + 2 * depth * W + 2 * B + (ho ? 8 * ho.chunks : 0) + snapFloats;
      const staging = this.pool.acquire(totalFloats * 4);
      const reads: [number, number][] = [];
      let filled = 0;
      const copy = (src: GPUBuffer, floats: number) => {
        enc.copyBufferToBuffer(src, 0, staging, filled * 4, floats * 4);
        reads.push([filled, floats]);
        filled += floats;
        return reads.length - 1;
      };
      const metricsAt = copy(this.metrics, METRIC_FLOATS * count);
      const layer = Math.min(Math.max(0, c.layer), depth - 1);
      const unit = Math.min(Math.max(0, c.unit), W - 1);
      const pass2 = enc.beginComputePass({ label: 'batchnorm.stats' });
      // Eval view: the BN net's forward on the same batch with the running statistics (x̂ re-normalised).
      if (c.view === 'eval') this.bn.encodeStep(pass2, { train: false, lr: 0 });
      encodeDispatches(pass2, this.statsList);
      // The chosen unit's column of the [B, W] layer in both nets: only what the percentiles need.
      this.columns.encode(pass2, layer, unit);
      pass2.end();
      const statsAt = reads.length;
      for (const b of this.statsBuffers) copy(b, 2 * W);
      for (let l = 0; l < depth; l++) {
        copy(this.bn.layers[l]!.bn!.runningMean, W);
        copy(this.bn.layers[l]!.bn!.runningVar, W);
      }
      const hAt = copy(this.columns.out, 2 * B);
      // After the last step: last in the command buffer (everything above has been copied out).
      if (ho && c.evaluateAfter === c.n) this.encodeHeldOut(enc);
      const heldAt = ho ? copy(ho.out, 2 * ho.chunks * 4) : -1;
      // The training state after this call's updates (the passes after them change no state), read last.
      const snapAt = reads.length;
      const buildSnapshot = c.snapshot ? encodeSnapshot(nets, first + c.n, copy) : null;
      device.queue.submit([enc.finish()]);
      if (filled !== totalFloats)
        throw new Error(`BatchNorm lab step: read ${filled} floats, sized ${totalFloats}`);
      const all = new Float32Array(await this.pool.read(staging, totalFloats * 4));
      const data = reads.map(([at, n]) => all.subarray(at, at + n));
      this.steps = first + c.n;
      const m = data[metricsAt]!;
      const steps: StepMetrics[] = Array.from({ length: count }, (_, k) => ({
        loss: { withBN: m[k * METRIC_FLOATS]!, withoutBN: m[k * METRIC_FLOATS + 2]! },
        accuracy: { withBN: m[k * METRIC_FLOATS + 1]!, withoutBN: m[k * METRIC_FLOATS + 3]! },
      }));
      const split = (v: Float32Array): ChannelStats => ({
        mean: Array.from({ length: W }, (_, ch) => v[2 * ch]!),
        var: Array.from({ length: W }, (_, ch) => v[2 * ch + 1]!),
      });
      const layers: LayerReport[] = [];
      for (let l = 0; l < depth; l++) {
        layers.push({
          index: l,
          preBN: split(data[statsAt + 3 * l]!),
          postBN: split(data[statsAt + 1 + 3 * l]!),
          plain: split(data[statsAt + 2 + 3 * l]!),
          runningMean: Array.from(data[statsAt + 3 * depth + 2 * l]!),
          runningVar: Array.from(data[statsAt + 3 * depth + 1 + 2 * l]!),
        });
      }
      const last: BatchNormStep = {
        step: this.steps,
        view: c.view,
        ...steps[count - 1]!,
        layers,
        percentiles: {
          layer,
          unit,
          withBN: columnPercentiles(data[hAt]!.subarray(0, B), B, 1, 0),
          withoutBN: columnPercentiles(data[hAt]!.subarray(B), B, 1, 0),
        },
        ...(buildSnapshot ? { snapshot: buildSnapshot(data.slice(snapAt)) } : {}),
        backend: 'gpu',
      };
      const heldOut = ho
        ? { step: first + c.evaluateAfter!, result: this.heldOutResult(data[heldAt]!) }
        : null;
      return { steps: c.n > 0 ? steps : [], last, ...(heldOut ? { heldOut } : {}) };
    });
  }

  /** Each chunk of the held-out rows copied into the nets' inputs and run forward in eval mode. */
  private encodeHeldOut(enc: GPUCommandEncoder): void {
    const ho = this.heldOut!;
    const B = this.config.batch;
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
  }

  private heldOutResult(r: Float32Array): HeldOut {
    const ho = this.heldOut!;
    // Equal chunks: the mean of the chunk means is the mean over all held-out rows.
    const avg = (net: 0 | 1, field: 0 | 1) => {
      let sum = 0;
      for (let k = 0; k < ho.chunks; k++) sum += r[(net * ho.chunks + k) * 4 + field]!;
      return sum / ho.chunks;
    };
    return {
      count: ho.chunks * this.config.batch,
      loss: { withBN: avg(0, 0), withoutBN: avg(1, 0) },
      accuracy: { withBN: avg(0, 1), withoutBN: avg(1, 1) },
    };
  }

  destroy(): void {
    this.bn.destroy();
    this.plain.destroy();
    this.res.destroy();
    this.pool.destroy();
    this.ring.destroy();
    this.columns.destroy();
    this.metrics.destroy();
    for (const b of this.statsBuffers) b.destroy();
    if (this.heldOut) for (const b of [this.heldOut.x, this.heldOut.labels, this.heldOut.out]) b.destroy();
  }
}
