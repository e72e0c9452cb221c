/**
 * Trains the Diffusion lab's ε-prediction MLP on the GPU (same architecture, parameter layout, batches and
 * Adam settings as the float64 trainMlp of src/models/mlp-denoiser/) with the training-core kernels
 * (shaders/nn; graph in denoiser-graph.ts). Batches come from trainingBatch() on the CPU (5·batch·4 bytes
 * uploaded per step); a step is one compute pass and one submit and creates nothing. The mean loss of a chunk
 * is summed on the GPU and read back once per chunk. Runs in the browser and in Node on Dawn.
 */
import * as ops from '../kernels/nn/ops';
import { encodeDispatches, type Dispatch } from '../kernels/nn/pipelines';
import {
  ADAM_BETA1,
  ADAM_BETA2,
  ADAM_EPS,
  DEFAULT_MLP_CONFIG,
  checkConfig,
  checkTrainOptions,
  initMlp,
  learningRateAt,
  parameterCount,
  trainingBatch,
  type MlpConfig,
  type MlpMeta,
  type MlpModel,
} from '../models/mlp-denoiser';
import type { Schedule } from '../models/schedules';
import { buildDenoiserGraph, type GpuTensor } from './denoiser-graph';

export interface GpuTrainerOptions {
  /** M×dim training points. */
  data: Float32Array;
  /** The schedule the training noise levels come from. */
  schedule: Schedule;
  config?: MlpConfig;
  /** Total steps (the cosine learning-rate decay runs over them). */
  steps: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  /**
   * Matmul kernel of the Linear layers: 'direct' (one thread per output, no workgroup barriers; default) or
   * 'tiled' (16×16 tiles in workgroup memory). Same summation order, so the same results to rounding.
   */
  matmul?: 'direct' | 'tiled';
  /** Start from these parameters instead of initMlp(config, seed). */
  init?: Float32Array;
  /** Continue a run of these same options from a snapshot (e.g. after a lost device); overrides init. */
  resume?: TrainerSnapshot;
  label?: string;
}

export interface TrainProgress {
  /** Steps done so far. */
  step: number;
  totalSteps: number;
  /** Mean loss of the steps of the last chunk. */
  loss: number;
}

/**
 * The trainer's state on the CPU: parameters (KSMLP1 layout), Adam's moments in the same layout, and the
 * steps done. Continuing from it gives the numbers the uninterrupted run gives (batches depend only on
 * seed and step).
 */
export interface TrainerSnapshot {
  step: number;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export class GpuDenoiserTrainer {
  readonly config: MlpConfig;
  readonly batch: number;
  readonly totalSteps: number;
  readonly tensors: GpuTensor[] = [];
  /** Uploaded batch: x_t [batch·D], λ [batch], target ε [batch·D]. */
  readonly xt: GPUBuffer;
  readonly lambdas: GPUBuffer;
  readonly target: GPUBuffer;
  /** (loss of the last step, running sum of losses since the last readLoss). */
  readonly result: GPUBuffer;
  /** ε̂ of the last forward [batch·D]. */
  readonly output: GPUBuffer;
  /** Steps done. */
  step = 0;
  private readonly buffers: GPUBuffer[] = [];
  private readonly res: ops.OpResources;
  private readonly list: Dispatch[] = [];
  private readonly adamParams: GPUBuffer;
  private readonly lossStaging: GPUBuffer;
  private readonly paramStaging: GPUBuffer;
  private snapStaging: GPUBuffer | null = null;
  private readonly host: {
    xt: Float32Array<ArrayBuffer>;
    lambdas: Float32Array<ArrayBuffer>;
    target: Float32Array<ArrayBuffer>;
  };
  private readonly lr0: number;
  private readonly seed: number;
  private stepsSinceRead = 0;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    readonly options: GpuTrainerOptions,
  ) {
    const config = options.config ?? { ...DEFAULT_MLP_CONFIG };
    checkConfig(config);
    this.config = config;
    this.batch = options.batch ?? 256;
    this.totalSteps = options.steps;
    this.lr0 = options.learningRate ?? 2e-3;
    this.seed = options.seed ?? 0;
    checkTrainOptions(options.data, config.dim, options.steps, this.batch);
    if (!(this.lr0 > 0 && Number.isFinite(this.lr0)))
      throw new RangeError(`Learning rate must be positive (got ${this.lr0}).`);
    const label = options.label ?? 'nn.denoiser';
    const direct = (options.matmul ?? 'direct') === 'direct';
    const B = this.batch;
    const D = config.dim;
    const P = parameterCount(config);
    const resume = options.resume;
    const init = resume?.params ?? options.init ?? initMlp(config, this.seed).params;
    if (resume && !(Number.isInteger(resume.step) && resume.step >= 0 && resume.step <= options.steps)) {
      throw new RangeError(`A snapshot's step must be an integer from 0 to ${options.steps}.`);
    }
    if (init.length !== P || (resume && (resume.m.length !== P || resume.v.length !== P))) {
      throw new RangeError(`Initial parameters hold ${init.length} values; this MLP needs ${P}.`);
    }
    this.res = new ops.OpResources(device);
    const graph = buildDenoiserGraph(device, this.res, config, B, init, label, direct);
    this.tensors = graph.tensors;
    this.xt = graph.xt;
    this.lambdas = graph.lambdas;
    this.target = graph.target;
    this.result = graph.result;
    this.output = graph.output;
    this.adamParams = graph.adamParams;
    this.list = graph.list;
    this.buffers.push(...graph.buffers);
    if (resume) {
      for (const t of this.tensors) {
        device.queue.writeBuffer(t.m, 0, resume.m.slice(t.offset, t.offset + t.size));
        device.queue.writeBuffer(t.v, 0, resume.v.slice(t.offset, t.offset + t.size));
      }
      this.step = resume.step;
    }
    this.host = {
      xt: new Float32Array(B * D),
      lambdas: new Float32Array(B),
      target: new Float32Array(B * D),
    };
    this.lossStaging = this.staging('loss.readback', 8);
    this.paramStaging = this.staging('params.readback', 4 * P);
  }

  private staging(name: string, bytes: number): GPUBuffer {
    const b = this.device.createBuffer({
      label: `${this.options.label ?? 'nn.denoiser'}.${name}`,
      size: Math.ceil(bytes / 16) * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.buffers.push(b);
    return b;
  }

  /** Uploads batch `step` (trainingBatch with this trainer's data, schedule and seed). */
  private upload(step: number): void {
    const o = this.options;
    trainingBatch(o.data, this.config.dim, o.schedule, this.seed, step, this.batch, this.host);
    const q = this.device.queue;
    q.writeBuffer(this.xt, 0, this.host.xt);
    q.writeBuffer(this.lambdas, 0, this.host.lambdas);
    q.writeBuffer(this.target, 0, this.host.target);
  }

  /** The batch of a step as uploaded (f32), for tests and references. */
  batchOf(step: number): { xt: Float32Array; lambdas: Float32Array; target: Float32Array } {
    const B = this.batch;
    const D = this.config.dim;
    const out = {
      xt: new Float32Array(B * D),
      lambdas: new Float32Array(B),
      target: new Float32Array(B * D),
    };
    trainingBatch(this.options.data, D, this.options.schedule, this.seed, step, B, out);
    return out;
  }

  /** Uploads the next batch and runs one training step (one compute pass, one submit). */
  trainStep(): void {
    if (this.destroyed) throw new Error('The trainer was destroyed.');
    if (this.step >= this.totalSteps) throw new RangeError(`All ${this.totalSteps} steps are done.`);
    const t = this.step + 1;
    this.upload(this.step);
    ops.ADAM.write(this.device, this.adamParams, {
      lr: learningRateAt(this.lr0, this.step, this.totalSteps),
      beta1: ADAM_BETA1,
      beta2: ADAM_BETA2,
      eps: ADAM_EPS,
      bc1: 1 - ADAM_BETA1 ** t,
      bc2: 1 - ADAM_BETA2 ** t,
      weight_decay: 0,
    });
    const enc = this.device.createCommandEncoder({ label: `${this.options.label ?? 'nn.denoiser'}.step` });
    const pass = enc.beginComputePass({ label: `${this.options.label ?? 'nn.denoiser'}.step` });
    encodeDispatches(pass, this.list);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    this.step++;
    this.stepsSinceRead++;
  }

  /**
   * The mean loss of the steps since the last call (each step's loss is taken before its update), read
   * through a persistent buffer; the GPU running sum is cleared. NaN when no step ran.
   */
  async readLoss(): Promise<number> {
    const n = this.stepsSinceRead;
    const enc = this.device.createCommandEncoder({ label: 'nn.denoiser.loss' });
    enc.copyBufferToBuffer(this.result, 0, this.lossStaging, 0, 8);
    enc.clearBuffer(this.result, 4, 4);
    this.device.queue.submit([enc.finish()]);
    this.stepsSinceRead = 0;
    await this.lossStaging.mapAsync(GPUMapMode.READ, 0, 8);
    const sum = new Float32Array(this.lossStaging.getMappedRange(0, 8))[1]!;
    this.lossStaging.unmap();
    return n > 0 ? sum / n : NaN;
  }

  /** The current parameters as a model in the KSMLP1 layout (ready for serializeMlp or MlpDenoiser). */
  async model(meta?: MlpMeta): Promise<MlpModel> {
    const enc = this.device.createCommandEncoder({ label: 'nn.denoiser.params' });
    for (const t of this.tensors)
      enc.copyBufferToBuffer(t.param, 0, this.paramStaging, 4 * t.offset, 4 * t.size);
    this.device.queue.submit([enc.finish()]);
    const bytes = 4 * parameterCount(this.config);
    await this.paramStaging.mapAsync(GPUMapMode.READ, 0, Math.ceil(bytes / 16) * 16);
    const params = new Float32Array(
      this.paramStaging.getMappedRange(0, Math.ceil(bytes / 16) * 16).slice(0, bytes),
    );
    this.paramStaging.unmap();
    return meta ? { config: { ...this.config }, params, meta } : { config: { ...this.config }, params };
  }

  /** Reads parameters and Adam's moments (one submit, one persistent staging buffer) at the current step. */
  async snapshot(): Promise<TrainerSnapshot> {
    const P = parameterCount(this.config);
    const bytes = 12 * P;
    this.snapStaging ??= this.staging('snapshot.readback', bytes);
    const enc = this.device.createCommandEncoder({ label: 'nn.denoiser.snapshot' });
    for (const t of this.tensors) {
      enc.copyBufferToBuffer(t.param, 0, this.snapStaging, 4 * t.offset, 4 * t.size);
      enc.copyBufferToBuffer(t.m, 0, this.snapStaging, 4 * (P + t.offset), 4 * t.size);
      enc.copyBufferToBuffer(t.v, 0, this.snapStaging, 4 * (2 * P + t.offset), 4 * t.size);
    }
    const step = this.step;
    this.device.queue.submit([enc.finish()]);
    const mapped = Math.ceil(bytes / 16) * 16;
    await this.snapStaging.mapAsync(GPUMapMode.READ, 0, mapped);
    const all = new Float32Array(this.snapStaging.getMappedRange(0, mapped).slice(0, bytes));
    this.snapStaging.unmap();
    return { step, params: all.slice(0, P), m: all.slice(P, 2 * P), v: all.slice(2 * P) };
  }

  /**
   * Runs steps in chunks of at most `chunk` (one loss readback each) until `until` (default: all) steps are
   * done. With `chunkMs`, chunks start at one step and adapt so that each takes about that long (a slow
   * adapter then still reports and cancels promptly). `signal` is checked before every chunk; `onChunk` gets
   * the progress after each (it may be async, e.g. to read a snapshot of the model). Resolves with whether it
   * stopped early.
   */
  async run(
    o: {
      until?: number;
      chunk?: number;
      chunkMs?: number;
      signal?: AbortSignal;
      onChunk?: (p: TrainProgress) => void | Promise<void>;
    } = {},
  ): Promise<{ step: number; aborted: boolean }> {
    const until = Math.min(o.until ?? this.totalSteps, this.totalSteps);
    const maxChunk = Math.max(1, Math.floor(o.chunk ?? 100));
    let size = o.chunkMs ? 1 : maxChunk;
    while (this.step < until) {
      if (o.signal?.aborted) return { step: this.step, aborted: true };
      const end = Math.min(until, this.step + size);
      const n = end - this.step;
      const started = performance.now();
      while (this.step < end) this.trainStep();
      const loss = await this.readLoss();
      if (o.chunkMs) {
        const perStep = Math.max(1e-3, (performance.now() - started) / n);
        size = Math.max(1, Math.min(maxChunk, Math.round(o.chunkMs / perStep)));
      }
      await o.onChunk?.({ step: this.step, totalSteps: this.totalSteps, loss });
    }
    return { step: this.step, aborted: false };
  }

  destroy(): void {
    this.destroyed = true;
    this.res.destroy();
    for (const b of this.buffers) b.destroy();
  }
}

/**
 * trainMlp's contract on the GPU: trains for options.steps steps and reports the mean loss of every `every`
 * steps (default 100). Stops early (aborted: true, the model so far) when `signal` aborts between chunks.
 */
export async function trainMlpGpu(
  device: GPUDevice,
  options: GpuTrainerOptions & {
    every?: number;
    signal?: AbortSignal;
    onProgress?: (step: number, loss: number) => void;
  },
): Promise<MlpModel & { losses: number[]; aborted: boolean }> {
  const trainer = new GpuDenoiserTrainer(device, options);
  try {
    const losses: number[] = [];
    const { aborted } = await trainer.run({
      chunk: options.every ?? 100,
      signal: options.signal,
      onChunk: (p) => {
        losses.push(p.loss);
        options.onProgress?.(p.step, p.loss);
      },
    });
    const model = await trainer.model();
    return { ...model, losses, aborted };
  } finally {
    trainer.destroy();
  }
}
