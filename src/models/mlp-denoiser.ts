/**
 * A small ε-prediction MLP for the Diffusion lab's 2D datasets: definition, float64 forward (the reference
 * of shaders/diffusion/mlp.wgsl), backward, an Adam trainer, and the binary weight format the app ships.
 *
 * ## Architecture
 * Input: x_t (D components) and the noise level as λ = log(ᾱ/(1 − ᾱ)) (the log-SNR, clipped to ±LAMBDA_CLIP)
 * rather than the integer t, so one model serves every schedule whose log-SNR range it was trained on.
 * Embedding: every scalar v of (x_1 … x_D, λ) becomes 2F sinusoidal features sin(ω_k s v), cos(ω_k s v),
 * ω_k = 10000^(−k/(F−1)), k = 0…F−1, with s = inputScale for coordinates and s = 1 for λ
 * (tiny-diffusion style), E = 2F(D + 1) features.
 * Network: h₀ = silu(W_in e + b_in) (width H); `blocks` residual layers h ← h + silu(W h + b); ε̂ = W_out h + b_out.
 * silu(a) = a·sigmoid(a).
 * x̂₀ for the samplers comes from ε̂ with x0FromEpsilon's rule (src/kernels/diffusion/diffusion.ref.ts):
 * (x_t − √(1−ᾱ) ε̂)/max(√ᾱ, 1e-3), clipped to ±4 — an ε-model cannot identify x̂₀ at ᾱ → 0.
 *
 * ## Parameters
 * One flat array, row-major weights W[out][in]: W_in (H×E), b_in (H), then per block W (H×H), b (H), then
 * W_out (D×H), b_out (D). `parameterCount(config)` gives its length.
 *
 * ## Weight files ("KSMLP1")
 * Little-endian: 8 bytes magic "KSMLP1\0\0", u32 header length n, n bytes of UTF-8 JSON
 * ({ config, dataset, schedule, trainSteps, finalLoss, seed }), zero padding to a multiple of 4, then the
 * parameters as f32. `serializeMlp` / `parseMlp`.
 *
 * ## Training (trainMlp)
 * The DDPM ε objective: x₀ from the data, t uniform in 1…T of the training schedule, ε ~ N(0, I),
 * x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε, loss = mean ‖ε̂(x_t, λ_t) − ε‖². Adam (β = 0.9, 0.999, ε = 1e-8) with a
 * cosine-decayed learning rate, float64 arithmetic, Philox randomness (deterministic for a seed).
 */
import { philox4x32, unitFloat } from '../kernels/random/philox.ref';
import { noiseBlock, x0FromEpsilon, type CpuDenoiser } from '../kernels/diffusion/diffusion.ref';
import { makeSchedule, type Schedule } from './schedules';
import { makeDataset2D } from './datasets2d';

export interface MlpConfig {
  /** Data dimension D. */
  dim: number;
  /** Hidden width H. */
  hidden: number;
  /** Residual blocks. */
  blocks: number;
  /** Frequencies F per scalar (2F features each). */
  freqs: number;
  /** Scale s of the coordinate embedding. */
  inputScale: number;
}

export const DEFAULT_MLP_CONFIG: MlpConfig = { dim: 2, hidden: 64, blocks: 3, freqs: 8, inputScale: 25 };
/** λ is clipped to ±LAMBDA_CLIP before embedding (ᾱ = 0 gives λ = −∞). */
export const LAMBDA_CLIP = 20;
/** Philox key word 1 for the trainer's randomness. */
export const TRAIN_STREAM = 0x0d1f0010;

export interface MlpModel {
  config: MlpConfig;
  /** parameterCount(config) values, layout in the module comment. */
  params: Float32Array;
  /** Free-form description stored with the weights. */
  meta?: Record<string, unknown>;
}

export function embeddingSize(c: MlpConfig): number {
  return 2 * c.freqs * (c.dim + 1);
}

export function parameterCount(c: MlpConfig): number {
  const E = embeddingSize(c);
  const H = c.hidden;
  return H * E + H + c.blocks * (H * H + H) + c.dim * H + c.dim;
}

/** Offsets of every tensor in the flat parameter array. */
export function parameterLayout(c: MlpConfig) {
  const E = embeddingSize(c);
  const H = c.hidden;
  let o = 0;
  const take = (n: number) => {
    const at = o;
    o += n;
    return at;
  };
  const wIn = take(H * E);
  const bIn = take(H);
  const blocks = Array.from({ length: c.blocks }, () => ({ w: take(H * H), b: take(H) }));
  const wOut = take(c.dim * H);
  const bOut = take(c.dim);
  return { E, H, wIn, bIn, blocks, wOut, bOut, total: o };
}

export function checkConfig(c: MlpConfig): void {
  const ok = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  if (!ok(c.dim, 1, 8) || !ok(c.hidden, 1, 256) || !ok(c.blocks, 0, 8) || !ok(c.freqs, 2, 32)) {
    throw new RangeError('MLP config out of range (dim 1–8, hidden 1–256, blocks 0–8, freqs 2–32).');
  }
  if (!(c.inputScale > 0)) throw new RangeError('MLP inputScale must be positive.');
}

/** Frequencies ω_k = 10000^(−k/(F−1)). */
export function frequencies(freqs: number): Float64Array {
  return Float64Array.from({ length: freqs }, (_, k) => Math.exp((-Math.log(10000) * k) / (freqs - 1)));
}

/** λ = log(ᾱ/(1−ᾱ)) clipped to ±LAMBDA_CLIP (the model's noise-level input). */
export function modelLambda(alphaBar: number, oneMinusAlphaBar: number): number {
  if (alphaBar <= 0) return -LAMBDA_CLIP;
  if (oneMinusAlphaBar <= 0) return LAMBDA_CLIP;
  return Math.max(-LAMBDA_CLIP, Math.min(LAMBDA_CLIP, Math.log(alphaBar) - Math.log(oneMinusAlphaBar)));
}

/** The E features of one input (x, λ) into `out` (float64). */
export function embed(
  c: MlpConfig,
  x: ArrayLike<number>,
  xOffset: number,
  lambda: number,
  out: Float64Array,
  omega = frequencies(c.freqs),
): void {
  const F = c.freqs;
  for (let d = 0; d <= c.dim; d++) {
    const v = d < c.dim ? c.inputScale * x[xOffset + d]! : lambda;
    for (let k = 0; k < F; k++) {
      const a = omega[k]! * v;
      out[d * 2 * F + k] = Math.sin(a);
      out[d * 2 * F + F + k] = Math.cos(a);
    }
  }
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
const silu = (a: number) => a * sigmoid(a);
/** d silu / da = σ(a)(1 + a(1 − σ(a))). */
const siluGrad = (a: number) => {
  const s = sigmoid(a);
  return s * (1 + a * (1 - s));
};

/** ε̂ for n inputs at one noise level λ (float64 reference). */
export function mlpForward(model: MlpModel, xt: ArrayLike<number>, n: number, lambda: number): Float64Array {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const omega = frequencies(c.freqs);
  const e = new Float64Array(L.E);
  const h = new Float64Array(L.H);
  const out = new Float64Array(n * c.dim);
  for (let q = 0; q < n; q++) {
    embed(c, xt, q * c.dim, lambda, e, omega);
    for (let j = 0; j < L.H; j++) {
      let a = p[L.bIn + j]!;
      for (let k = 0; k < L.E; k++) a += p[L.wIn + j * L.E + k]! * e[k]!;
      h[j] = silu(a);
    }
    for (const blk of L.blocks) {
      const a = new Float64Array(L.H);
      for (let j = 0; j < L.H; j++) {
        let v = p[blk.b + j]!;
        for (let k = 0; k < L.H; k++) v += p[blk.w + j * L.H + k]! * h[k]!;
        a[j] = v;
      }
      for (let j = 0; j < L.H; j++) h[j] = h[j]! + silu(a[j]!);
    }
    for (let d = 0; d < c.dim; d++) {
      let v = p[L.bOut + d]!;
      for (let k = 0; k < L.H; k++) v += p[L.wOut + d * L.H + k]! * h[k]!;
      out[q * c.dim + d] = v;
    }
  }
  return out;
}

/**
 * Mean squared error of ε̂ against `target` over a batch (inputs with per-sample λ), and its gradient with
 * respect to the parameters (float64), added into `grad` (which the caller zeroes).
 */
export function mlpLossAndGradient(
  model: { config: MlpConfig; params: ArrayLike<number> },
  xt: ArrayLike<number>,
  lambdas: ArrayLike<number>,
  target: ArrayLike<number>,
  n: number,
  grad: Float64Array,
): number {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const H = L.H;
  const omega = frequencies(c.freqs);
  const e = new Float64Array(L.E);
  const a0 = new Float64Array(H);
  const hs = Array.from({ length: c.blocks + 1 }, () => new Float64Array(H));
  const as = Array.from({ length: c.blocks }, () => new Float64Array(H));
  const gh = new Float64Array(H);
  const ga = new Float64Array(H);
  let loss = 0;
  const scale = 2 / (n * c.dim);
  for (let q = 0; q < n; q++) {
    embed(c, xt, q * c.dim, lambdas[q]!, e, omega);
    for (let j = 0; j < H; j++) {
      let a = p[L.bIn + j]!;
      for (let k = 0; k < L.E; k++) a += p[L.wIn + j * L.E + k]! * e[k]!;
      a0[j] = a;
      hs[0]![j] = silu(a);
    }
    for (let l = 0; l < c.blocks; l++) {
      const blk = L.blocks[l]!;
      const h = hs[l]!;
      for (let j = 0; j < H; j++) {
        let v = p[blk.b + j]!;
        for (let k = 0; k < H; k++) v += p[blk.w + j * H + k]! * h[k]!;
        as[l]![j] = v;
        hs[l + 1]![j] = h[j]! + silu(v);
      }
    }
    const hL = hs[c.blocks]!;
    gh.fill(0);
    for (let d = 0; d < c.dim; d++) {
      let v = p[L.bOut + d]!;
      for (let k = 0; k < H; k++) v += p[L.wOut + d * H + k]! * hL[k]!;
      const r = v - target[q * c.dim + d]!;
      loss += r * r;
      const g = scale * r;
      grad[L.bOut + d] = grad[L.bOut + d]! + g;
      for (let k = 0; k < H; k++) {
        grad[L.wOut + d * H + k] = grad[L.wOut + d * H + k]! + g * hL[k]!;
        gh[k] = gh[k]! + g * p[L.wOut + d * H + k]!;
      }
    }
    for (let l = c.blocks - 1; l >= 0; l--) {
      const blk = L.blocks[l]!;
      const h = hs[l]!;
      for (let j = 0; j < H; j++) ga[j] = gh[j]! * siluGrad(as[l]![j]!);
      // h_{l+1} = h_l + silu(W h_l + b): the skip passes gh through unchanged.
      for (let j = 0; j < H; j++) {
        const g = ga[j]!;
        if (g === 0) continue;
        grad[blk.b + j] = grad[blk.b + j]! + g;
        for (let k = 0; k < H; k++) {
          grad[blk.w + j * H + k] = grad[blk.w + j * H + k]! + g * h[k]!;
          gh[k] = gh[k]! + g * p[blk.w + j * H + k]!;
        }
      }
    }
    for (let j = 0; j < H; j++) {
      const g = gh[j]! * siluGrad(a0[j]!);
      grad[L.bIn + j] = grad[L.bIn + j]! + g;
      for (let k = 0; k < L.E; k++) grad[L.wIn + j * L.E + k] = grad[L.wIn + j * L.E + k]! + g * e[k]!;
    }
  }
  return loss / (n * c.dim);
}

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

const MAGIC = 'KSMLP1\0\0';

/** Encodes a model as a "KSMLP1" weight file (format in the module comment). */
export function serializeMlp(model: MlpModel): ArrayBuffer {
  const header = new TextEncoder().encode(JSON.stringify({ config: model.config, ...(model.meta ?? {}) }));
  const headerEnd = 12 + header.length;
  const start = Math.ceil(headerEnd / 4) * 4;
  const buffer = new ArrayBuffer(start + model.params.byteLength);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  new DataView(buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  const view = new DataView(buffer, start);
  model.params.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return buffer;
}

/** Decodes a "KSMLP1" weight file; throws a readable error for anything else. */
export function parseMlp(buffer: ArrayBuffer): MlpModel {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (buffer.byteLength < 12 || magic !== MAGIC) throw new Error('Not a KSMLP1 weight file.');
  const n = new DataView(buffer).getUint32(8, true);
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))) as {
    config: MlpConfig;
  } & Record<string, unknown>;
  const config = meta.config;
  checkConfig(config);
  const start = Math.ceil((12 + n) / 4) * 4;
  const count = parameterCount(config);
  if (buffer.byteLength !== start + 4 * count) {
    throw new Error(
      `Weight file holds ${(buffer.byteLength - start) / 4} parameters; the config needs ${count}.`,
    );
  }
  const view = new DataView(buffer, start);
  const params = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  const { config: _c, ...rest } = meta;
  return { config, params, meta: rest };
}

/** The MLP as a CPU denoiser (float64): ε̂ from mlpForward, x̂₀ by x0FromEpsilon (√ᾱ ≥ 1e-3, |x̂₀| ≤ 4). */
export function mlpDenoiserCpu(model: MlpModel): CpuDenoiser {
  return {
    name: 'mlp',
    predict: (xt, n, dim, level) => {
      if (dim !== model.config.dim)
        throw new RangeError(`Denoiser built for D = ${model.config.dim}, called with D = ${dim}.`);
      const eps = mlpForward(model, xt, n, modelLambda(level.alphaBar, level.oneMinusAlphaBar));
      const x0 = Float64Array.from(eps, (e, k) => x0FromEpsilon(xt[k]!, e, level));
      return { x0, eps };
    },
  };
}

/** Datasets that ship a trained MLP (the user Gaussian has an exact linear denoiser instead). */
export const MLP_DATASETS = [
  'two-moons',
  'swiss-roll',
  'eight-gaussians',
  'checkerboard',
  'rings',
  'spiral',
] as const;

/** What `node scripts/train-diffusion-mlp.mjs` trains for each dataset. */
export const MLP_TRAINING = {
  points: 4000,
  dataSeed: 1,
  schedule: { kind: 'cosine', T: 1000 },
  steps: 12000,
  batch: 256,
  seed: 0,
} as const;

/** The data and trainer options of one dataset's shipped MLP (MLP_TRAINING settings; steps overridable). */
export function datasetTraining(
  kind: (typeof MLP_DATASETS)[number],
  steps: number = MLP_TRAINING.steps,
): TrainOptions & { steps: number; data: Float32Array } {
  const s = MLP_TRAINING;
  return {
    data: makeDataset2D({ kind, n: s.points, seed: s.dataSeed }),
    schedule: makeSchedule(s.schedule),
    config: { ...DEFAULT_MLP_CONFIG },
    steps,
    batch: s.batch,
    seed: s.seed,
    every: 100,
  };
}

/**
 * A trained model of one dataset with its training record in the KSMLP1 header (settings, final loss and
 * `trainer`, e.g. "typescript-f64" or "webgpu: <adapter>"), and the weight file bytes.
 */
export function datasetWeightFile(
  kind: (typeof MLP_DATASETS)[number],
  trained: { config: MlpConfig; params: Float32Array; losses: number[] },
  steps: number,
  trainer: string,
): { bytes: ArrayBuffer; model: MlpModel } {
  const s = MLP_TRAINING;
  const model: MlpModel = {
    config: trained.config,
    params: trained.params,
    meta: {
      dataset: kind,
      points: s.points,
      dataSeed: s.dataSeed,
      schedule: s.schedule,
      trainSteps: steps,
      batch: s.batch,
      seed: s.seed,
      finalLoss: trained.losses[trained.losses.length - 1] ?? null,
      trainer,
    },
  };
  return { bytes: serializeMlp(model), model };
}

/**
 * Trains the shipped MLP of one dataset with the float64 TypeScript trainer (MLP_TRAINING settings unless
 * overridden) and returns the weight file bytes, with the training settings and final loss in its header.
 */
export function trainDatasetMlp(
  kind: (typeof MLP_DATASETS)[number],
  overrides: { steps?: number; onProgress?: (step: number, loss: number) => void } = {},
): { bytes: ArrayBuffer; model: MlpModel; losses: number[] } {
  const options = datasetTraining(kind, overrides.steps);
  const trained = trainMlp({ ...options, onProgress: overrides.onProgress });
  const { bytes, model } = datasetWeightFile(kind, trained, options.steps, 'typescript-f64');
  return { bytes, model, losses: trained.losses };
}
