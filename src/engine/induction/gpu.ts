/**
 * GpuInductionTrainer: trains the induction model on WebGPU with the graph of graph.ts. A step uploads its
 * tokens and the Adam uniform (queue writes, ordered before its submit: the warm-up's per-step lr costs no
 * stall), encodes one compute pass and a copy of its (loss, accuracy) into a history buffer, and submits;
 * steps go back to back and the history is read once per chunk. Runs in the browser and in Node on Dawn.
 */
import { msg, str } from '@lit/localize';
import { throwIfAborted, type RunControl } from '../../gpu/compute';
import { ReadbackPool, encodeReadback } from '../../gpu/readback';
import * as ops from '../../kernels/nn/ops';
import { encodeDispatches, type Dispatch } from '../../kernels/nn/pipelines';
import {
  INDUCTION_CONFIG,
  initInduction,
  parameterCount,
  type InductionConfig,
} from '../../models/induction/params';
import { INDUCTION_DATA } from '../../models/induction/data';
import type { TrainerOptions } from './cpu';
import { buildInductionGraph, type GpuTensor, type InductionGraph } from './graph';
import {
  INDUCTION_TRAINING,
  defaultTokens,
  learningRateAt,
  splitTargets,
  type TokenSource,
  type TrainingSettings,
} from './training';

export interface GpuTrainerOptions extends TrainerOptions {
  /** Sequence length T of the token source (default: the issue data's 64, or context + 1 with `tokens`). */
  sequenceLength?: number;
  /** Steps whose losses the history buffer holds between reads (default 1024). */
  maxUnread?: number;
  label?: string;
}

export interface TrainChunk {
  /** Steps done after the chunk. */
  step: number;
  /** Loss and accuracy of each step of the chunk (before its update). */
  losses: Float32Array;
  accuracies: Float32Array;
  /** Mean of `losses`. */
  loss: number;
}

export class GpuInductionTrainer {
  readonly config: InductionConfig;
  readonly settings: TrainingSettings;
  /** Sequence length T of the batches and the number of positions that run (T − 1). */
  readonly sequenceLength: number;
  readonly len: number;
  readonly graph: InductionGraph;
  /** Optimiser steps done. */
  step = 0;
  readonly submitsPerStep = 1;
  private readonly res: ops.OpResources;
  private readonly pool: ReadbackPool;
  private readonly history: GPUBuffer;
  private readonly trainList: Dispatch[];
  private readonly tokens: TokenSource;
  private readonly label: string;
  private readonly maxUnread: number;
  private unread = 0;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    o: GpuTrainerOptions,
  ) {
    this.config = o.config ?? INDUCTION_CONFIG;
    this.settings = { ...INDUCTION_TRAINING, ...o.settings };
    this.label = o.label ?? 'induction.train';
    this.tokens = o.tokens ?? defaultTokens(o.seed, this.config);
    this.sequenceLength = o.sequenceLength ?? (o.tokens ? this.config.context + 1 : INDUCTION_DATA.T);
    this.len = this.sequenceLength - 1;
    if (!(Number.isInteger(this.len) && this.len >= 1 && this.len <= this.config.context))
      throw new RangeError(
        `Sequence length must be 2 … ${this.config.context + 1}, got ${this.sequenceLength}.`,
      );
    const count = parameterCount(this.config);
    const init = o.init ?? initInduction(o.seed, this.config);
    if (init.length !== count)
      throw new RangeError(`Initial parameters hold ${init.length} values; this model needs ${count}.`);
    this.maxUnread = o.maxUnread ?? 1024;
    this.res = new ops.OpResources(device);
    const B = this.settings.batch;
    this.graph = buildInductionGraph(device, this.res, this.config, B, this.len, init, this.label);
    this.trainList = [...this.graph.forward, ...this.graph.backward, ...this.graph.update];
    this.history = device.createBuffer({
      label: `${this.label}.loss_history`,
      size: Math.max(16, 8 * this.maxUnread),
      usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.pool = new ReadbackPool(device, this.label);
  }

  /** Dispatches in one training step's compute pass. */
  get dispatchesPerStep(): number {
    return this.trainList.length;
  }

  /** The tokens [batch][T] of step `step` (what trainStep uploads then). */
  batchTokens(step: number): Uint32Array {
    const t = this.tokens(step, this.settings.batch);
    if (t.length !== this.settings.batch * this.sequenceLength)
      throw new RangeError(
        `Step ${step}: ${t.length} tokens, [${this.settings.batch}][${this.sequenceLength}] needed.`,
      );
    return t;
  }

  private upload(step: number): void {
    const { inputs, targets } = splitTargets(this.batchTokens(step), this.settings.batch, this.config);
    this.device.queue.writeBuffer(this.graph.tokens, 0, inputs);
    this.device.queue.writeBuffer(this.graph.labels, 0, targets);
  }

  private check(): void {
    if (this.destroyed) throw new Error('The induction trainer was destroyed.');
  }

  /** Uploads batch `step`, runs one training step (one pass, one submit); reads nothing back. */
  trainStep(): void {
    this.check();
    if (this.unread >= this.maxUnread)
      throw new RangeError(`${this.maxUnread} steps' losses are unread: call readLosses() first.`);
    this.upload(this.step);
    const t = this.step + 1;
    const { beta1, beta2, eps } = this.settings;
    ops.ADAM.write(this.device, this.graph.adamParams, {
      lr: learningRateAt(t, this.settings),
      beta1,
      beta2,
      eps,
      bc1: 1 - beta1 ** t,
      bc2: 1 - beta2 ** t,
      weight_decay: 0,
    });
    const enc = this.device.createCommandEncoder({ label: `${this.label}.step` });
    const pass = enc.beginComputePass({ label: `${this.label}.step` });
    encodeDispatches(pass, this.trainList);
    pass.end();
    enc.copyBufferToBuffer(this.graph.result, 0, this.history, 8 * this.unread, 8);
    this.device.queue.submit([enc.finish()]);
    this.step = t;
    this.unread++;
  }

  /** Loss and accuracy of every step since the last read (one pooled readback). */
  async readLosses(): Promise<{ losses: Float32Array; accuracies: Float32Array }> {
    this.check();
    const n = this.unread;
    if (n === 0) return { losses: new Float32Array(0), accuracies: new Float32Array(0) };
    const enc = this.device.createCommandEncoder({ label: `${this.label}.losses` });
    const dst = encodeReadback(enc, this.pool, this.history, 8 * n);
    this.device.queue.submit([enc.finish()]);
    this.unread = 0;
    const pairs = new Float32Array(await this.pool.read(dst, 8 * n));
    const losses = new Float32Array(n);
    const accuracies = new Float32Array(n);
    for (let i = 0; i < n; i++) [losses[i], accuracies[i]] = [pairs[2 * i]!, pairs[2 * i + 1]!];
    return { losses, accuracies };
  }

  private async readTensors(pick: (t: GpuTensor) => GPUBuffer): Promise<Float32Array> {
    this.check();
    const count = parameterCount(this.config);
    const enc = this.device.createCommandEncoder({ label: `${this.label}.read` });
    const parts = this.graph.tensors.map((t) => encodeReadback(enc, this.pool, pick(t), 4 * t.size));
    this.device.queue.submit([enc.finish()]);
    const out = new Float32Array(count);
    for (const [i, t] of this.graph.tensors.entries())
      out.set(new Float32Array(await this.pool.read(parts[i]!, 4 * t.size)), t.offset);
    return out;
  }

  /** The parameters now, in parameterLayout order (for serializeInduction or the float64 forward). */
  weights(): Promise<Float32Array> {
    return this.readTensors((t) => t.param);
  }

  /**
   * Loss, accuracy and gradient of the current parameters on batch `this.step` (the batch the next step
   * trains on), without updating anything: the forward and backward lists only.
   */
  async lossAndGradient(): Promise<{ loss: number; accuracy: number; grad: Float32Array }> {
    this.check();
    this.upload(this.step);
    const enc = this.device.createCommandEncoder({ label: `${this.label}.gradient` });
    const pass = enc.beginComputePass({ label: `${this.label}.gradient` });
    encodeDispatches(pass, [...this.graph.forward, ...this.graph.backward]);
    pass.end();
    const r = encodeReadback(enc, this.pool, this.graph.result, 8);
    this.device.queue.submit([enc.finish()]);
    const [loss, accuracy] = new Float32Array(await this.pool.read(r, 8));
    return { loss: loss!, accuracy: accuracy!, grad: await this.readTensors((t) => t.grad) };
  }

  /**
   * Trains until `until` steps are done, in chunks (one loss readback each) of at most `chunk` steps (default
   * 50); with `chunkMs` chunks adapt to take about that long. control.signal is checked before every chunk
   * (an aborted run rejects with an AbortError; the steps already submitted finish), control.onProgress
   * hears each chunk, `onChunk` gets its losses, and a true `stop` after a chunk ends the run early.
   */
  async run(o: {
    until: number;
    chunk?: number;
    chunkMs?: number;
    control?: RunControl;
    onChunk?: (c: TrainChunk) => void | Promise<void>;
    stop?: (c: TrainChunk) => boolean | Promise<boolean>;
  }): Promise<{ step: number; stopped: boolean }> {
    const maxChunk = Math.max(1, Math.min(this.maxUnread, Math.floor(o.chunk ?? 50)));
    let size = o.chunkMs ? 1 : maxChunk;
    while (this.step < o.until) {
      throwIfAborted(o.control?.signal);
      const end = Math.min(o.until, this.step + size);
      const started = performance.now();
      const n = end - this.step;
      while (this.step < end) this.trainStep();
      const { losses, accuracies } = await this.readLosses();
      if (o.chunkMs) {
        const perStep = Math.max(1e-3, (performance.now() - started) / n);
        size = Math.max(1, Math.min(maxChunk, Math.round(o.chunkMs / perStep)));
      }
      const loss = losses.reduce((a, b) => a + b, 0) / losses.length;
      const c: TrainChunk = { step: this.step, losses, accuracies, loss };
      const [step, until, l] = [this.step, o.until, loss.toFixed(3)];
      o.control?.onProgress?.({
        phase: 'run',
        message: msg(str`Training: step ${step} of ${until}, loss ${l}`),
        done: this.step,
        total: o.until,
      });
      await o.onChunk?.(c);
      if (await o.stop?.(c)) return { step: this.step, stopped: true };
    }
    return { step: this.step, stopped: false };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.res.destroy();
    this.pool.destroy();
    this.history.destroy();
    for (const b of this.graph.buffers) b.destroy();
  }
}
