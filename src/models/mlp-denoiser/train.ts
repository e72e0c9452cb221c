/**
 * The float64 trainer of the ε-MLP and the pieces the GPU trainer (src/engine/denoiser-train.ts) shares:
 * Philox initialisation and batches, the cosine learning rate, Adam. The DDPM ε objective: x₀ from the data,
 * t uniform in 1…T, ε ~ N(0, I), loss = mean ‖ε̂(x_t, λ_t) − ε‖². Deterministic for a seed.
 */
import { philox4x32, unitFloat } from '../../kernels/random/philox.ref';
import { noiseBlock } from '../../kernels/diffusion/ref';
import {
  checkConfig,
  modelLambda,
  parameterCount,
  parameterLayout,
  type MlpConfig,
} from '../../kernels/diffusion/spec';
import type { Schedule } from '../schedules';
import type { MlpModel } from './format';
import { DEFAULT_MLP_CONFIG, mlpLossAndGradient } from './model';

/** Philox key word 1 for the trainer's randomness. */
const TRAIN_STREAM = 0x0d1f0010;

/** Seeded initialisation: weights N(0, 1/fan_in) from Philox, biases 0. */
export function initMlp(config: MlpConfig, seed: number): MlpModel {
  checkConfig(config);
  const L = parameterLayout(config);
  const params = new Float32Array(L.total);
  let counter = 0;
  const normals = (offset: number, count: number, fanIn: number) => {
    for (let i = 0; i < count; i += 4) {
      const z = noiseBlock(seed, TRAIN_STREAM + 1, counter++, 0, 0);
      for (let k = 0; k < 4 && i + k < count; k++) params[offset + i + k] = z[k]! / Math.sqrt(fanIn);
    }
  };
  normals(L.wIn, L.H * L.E, L.E);
  for (const blk of L.blocks) normals(blk.w, L.H * L.H, L.H);
  normals(L.wOut, config.dim * L.H, L.H);
  return { config, params };
}

export interface TrainOptions {
  /** M×dim training points. */
  data: Float32Array;
  /** The schedule the training noise levels come from (use a long one, e.g. cosine T = 1000, to cover a
   *  wide log-SNR range). */
  schedule: Schedule;
  config?: MlpConfig;
  steps?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  /** Called every `every` steps with the mean loss since the last call. */
  onProgress?: (step: number, loss: number) => void;
  every?: number;
}

/** Adam's constants in both trainers (trainMlp and the GPU trainer in src/engine/denoiser-train.ts). */
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const ADAM_EPS = 1e-8;

/** The cosine-decayed learning rate of step `step` (0-based) of `steps`: lr0·½(1 + cos(π·step/steps)). */
export function learningRateAt(lr0: number, step: number, steps: number): number {
  return lr0 * 0.5 * (1 + Math.cos((Math.PI * step) / steps));
}

/** Where trainingBatch writes a batch: x_t [batch·D], λ [batch], the target noise ε [batch·D]. */
export interface BatchArrays {
  xt: Float64Array | Float32Array;
  lambdas: Float64Array | Float32Array;
  target: Float64Array | Float32Array;
}

/**
 * Batch `step` of the DDPM ε objective, as both trainers draw it: for sample b, Philox counter (b, step, 0, 1)
 * with key (seed, TRAIN_STREAM) picks the data point (word 0) and t uniform in 1…T (word 1); ε ~ N(0, I)
 * from noiseBlock(seed, TRAIN_STREAM, b, step, ·); x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε, λ = modelLambda(ᾱ_t).
 */
export function trainingBatch(
  data: ArrayLike<number>,
  dim: number,
  schedule: Schedule,
  seed: number,
  step: number,
  batch: number,
  out: BatchArrays,
): void {
  const D = dim;
  const m = Math.floor(data.length / D);
  for (let b = 0; b < batch; b++) {
    const w = philox4x32([b, step, 0, 1], [seed >>> 0, TRAIN_STREAM]);
    const i = Math.min(m - 1, Math.floor(unitFloat(w[0]) * m));
    const t = 1 + Math.min(schedule.T - 1, Math.floor(unitFloat(w[1]) * schedule.T));
    const s = schedule.sqrtAlphaBar[t]!;
    const r = schedule.sqrtOneMinusAlphaBar[t]!;
    out.lambdas[b] = modelLambda(schedule.alphaBar[t]!, schedule.oneMinusAlphaBar[t]!);
    for (let j = 0; j * 4 < D; j++) {
      const z = noiseBlock(seed, TRAIN_STREAM, b, step, j);
      for (let k = 0; k < 4 && 4 * j + k < D; k++) {
        const d = 4 * j + k;
        out.target[b * D + d] = z[k]!;
        out.xt[b * D + d] = s * data[i * D + d]! + r * z[k]!;
      }
    }
  }
}

/** Checks a trainer's inputs; throws a readable RangeError. */
export function checkTrainOptions(data: ArrayLike<number>, dim: number, steps: number, batch: number): void {
  if (data.length < dim || data.length % dim !== 0) {
    throw new RangeError(
      `Training data must hold whole points of ${dim} values (got ${data.length} values).`,
    );
  }
  if (!Array.prototype.every.call(data, Number.isFinite)) {
    throw new RangeError('Training data contain a non-finite value.');
  }
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`Training steps must be ≥ 1 (got ${steps}).`);
  if (!Number.isInteger(batch) || batch < 1 || batch > 65536) {
    throw new RangeError(`Batch size must be an integer in 1–65536 (got ${batch}).`);
  }
}

/**
 * The float64 trainer one step at a time (trainMlp runs it to the end; the Diffusion lab's trainer panel
 * runs it in chunks when there is no GPU). Deterministic for a seed.
 */
export class MlpTrainer {
  readonly config: MlpConfig;
  readonly totalSteps: number;
  readonly batch: number;
  /** Steps done. */
  step = 0;
  private readonly theta: Float64Array;
  private readonly grad: Float64Array;
  private readonly m1: Float64Array;
  private readonly m2: Float64Array;
  private readonly arrays: BatchArrays;
  private readonly lr0: number;
  private readonly seed: number;

  constructor(private readonly options: TrainOptions) {
    this.config = options.config ?? { ...DEFAULT_MLP_CONFIG };
    this.totalSteps = options.steps ?? 4000;
    this.batch = options.batch ?? 256;
    this.lr0 = options.learningRate ?? 2e-3;
    this.seed = options.seed ?? 0;
    const D = this.config.dim;
    checkTrainOptions(options.data, D, this.totalSteps, this.batch);
    const P = parameterCount(this.config);
    this.theta = Float64Array.from(initMlp(this.config, this.seed).params);
    this.grad = new Float64Array(P);
    this.m1 = new Float64Array(P);
    this.m2 = new Float64Array(P);
    this.arrays = {
      xt: new Float64Array(this.batch * D),
      target: new Float64Array(this.batch * D),
      lambdas: new Float64Array(this.batch),
    };
  }

  /** One step (batch trainingBatch(step), gradient, Adam); returns the batch loss before the update. */
  trainStep(): number {
    if (this.step >= this.totalSteps) throw new RangeError(`All ${this.totalSteps} steps are done.`);
    const { data, schedule } = this.options;
    const a = this.arrays;
    trainingBatch(data, this.config.dim, schedule, this.seed, this.step, this.batch, a);
    this.grad.fill(0);
    const loss = mlpLossAndGradient(
      { config: this.config, params: this.theta },
      a.xt,
      a.lambdas,
      a.target,
      this.batch,
      this.grad,
    );
    adamUpdate(
      this.theta,
      this.grad,
      this.m1,
      this.m2,
      this.step + 1,
      learningRateAt(this.lr0, this.step, this.totalSteps),
    );
    this.step++;
    return loss;
  }

  /** The current parameters (rounded to f32, the weight-file precision). */
  model(): MlpModel {
    return { config: { ...this.config }, params: Float32Array.from(this.theta) };
  }
}

/** Trains an ε-prediction MLP (see the module comment). Deterministic for a seed. */
export function trainMlp(options: TrainOptions): MlpModel & { losses: number[] } {
  const trainer = new MlpTrainer(options);
  const every = options.every ?? 100;
  const losses: number[] = [];
  let acc = 0;
  while (trainer.step < trainer.totalSteps) {
    acc += trainer.trainStep();
    if (trainer.step % every === 0) {
      losses.push(acc / every);
      options.onProgress?.(trainer.step, acc / every);
      acc = 0;
    }
  }
  return { ...trainer.model(), losses };
}

/** One Adam step t ≥ 1 (float64, in place): the update both trainers apply. */
export function adamUpdate(
  theta: Float64Array,
  grad: ArrayLike<number>,
  m1: Float64Array,
  m2: Float64Array,
  t: number,
  lr: number,
): void {
  const c1 = 1 - ADAM_BETA1 ** t;
  const c2 = 1 - ADAM_BETA2 ** t;
  for (let k = 0; k < theta.length; k++) {
    const g = grad[k]!;
    // 0.1 and 0.001 written out: 1 − 0.9 and 1 − 0.999 are not those numbers in float64.
    m1[k] = ADAM_BETA1 * m1[k]! + 0.1 * g;
    m2[k] = ADAM_BETA2 * m2[k]! + 0.001 * g * g;
    theta[k] = theta[k]! - (lr * (m1[k]! / c1)) / (Math.sqrt(m2[k]! / c2) + ADAM_EPS);
  }
}
