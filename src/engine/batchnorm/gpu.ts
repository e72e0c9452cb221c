/**
 * The BatchNorm lab on the GPU: one submit per step (both training steps, the optional eval-mode forward,
 * every hidden layer's channel statistics, the held-out pass) and one pooled readback.
 */
import { msg } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { withErrorScopes } from '../../gpu/device';
import { createStorageBuffer } from '../../gpu/compute';
import { ReadbackPool } from '../../gpu/readback';
import * as ops from '../../kernels/nn/ops';
import { encodeDispatches, type Dispatch } from '../../kernels/nn/pipelines';
import { GpuMlp } from '../nn';
import { batchAt, columnPercentiles, heldOutRows, shapes } from './common';
import { encodeSnapshot, restoreSnapshot, snapshotFloats, type BatchNormSnapshot } from './snapshot';
import type {
  BatchNormEngine,
  BatchNormLabConfig,
  BatchNormStep,
  ChannelStats,
  HeldOut,
  LayerReport,
  StepOptions,
} from './types';

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
    /** A snapshot of an engine with the same config: this one continues from its step. */
    from?: BatchNormSnapshot,
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
    const { device } = this.gpu;
    const { batch: B, width: W, depth } = this.config;
    return withErrorScopes(device, msg('BatchNorm lab step'), async () => {
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
      const nets: [GpuMlp, GpuMlp] = [this.bn, this.plain];
      const snapFloats = o.snapshot ? snapshotFloats(nets) : 0;
      const totalFloats =
        4 + 6 * depth * W + 2 * depth * W + 2 * B * W + (ho ? 8 * ho.chunks : 0) + snapFloats;
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
      copy(this.bn.reluInputs[layer]!, B * W);
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
      // The training state after this step's update (the passes after it change no state), read last.
      const snapAt = reads.length;
      const buildSnapshot = o.snapshot ? encodeSnapshot(nets, this.steps + (o.train ? 1 : 0), copy) : null;
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
        ...(buildSnapshot ? { snapshot: buildSnapshot(data.slice(snapAt)) } : {}),
        backend: 'gpu',
      };
    });
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
