/**
 * Float64 references for the Diffusion lab's WGSL kernels (shaders/diffusion/*.wgsl), the sampler
 * coefficients both backends use, and the CPU backend's building blocks.
 *
 * ## Layout
 * Particles, data and outputs are row-major [index][component]: component d of particle i is at i·D + d.
 *
 * ## Noise: which Philox numbers feed which particle (GPU and CPU draw the same z)
 * Key = (seed, stream), counter = (particle i, step, block j, 0). One Philox4x32-10 call gives four words
 * (w0, w1, w2, w3) → four standard normals by Box–Muller on (w0, w1) and (w2, w3) (cos, sin of each pair, as
 * src/kernels/random/random.ref.ts `boxMuller`: u₁ = 1 − unit(w), angle in [−π, π)). Component d of particle
 * i uses block j = ⌊d/4⌋, value d mod 4. Streams:
 * - STREAM_FORWARD: the ε of forward noising, with step = 0 for every t — so scrubbing t moves each particle
 *   along one straight line, and "pure noise" x_T = ε is the forward process at ᾱ = 0;
 * - STREAM_SAMPLER: the z of a sampler step leaving timestep t, with step = t — so recomputing a chain from
 *   the seed (step back past the stored history) reproduces it exactly.
 * Particle indices < 2³², timesteps ≤ 1000, D ≤ 4·2³²: every (particle, step, component) has its own number.
 *
 * ## Samplers (all steps are x_next = cx·x_t + cx0·x̂₀ + ceps·ε̂ + σ·z, coefficients in float64 here)
 * The denoiser supplies both x̂₀ and ε̂ (for the exact denoiser they satisfy x_t = √ᾱ x̂₀ + √(1−ᾱ) ε̂).
 * - DDPM ancestral, t → t_prev (t_prev = t − 1 normally; any t_prev < t uses the respaced β = 1 − ᾱ_t/ᾱ_prev):
 *   DESIGN's ε-form x_prev = (x_t − β/√(1−ᾱ_t)·ε̂)/√(1−β) + σ z, i.e. cx = 1/√α, ceps = −β/(√(1−ᾱ_t)√α).
 *   When α = 0 (β = 1, only with zero terminal SNR) that divides by zero; its limit, the posterior mean
 *   √ᾱ_prev·x̂₀, is used (cx0 = √ᾱ_prev). σ² = β or β̃ = β(1 − ᾱ_prev)/(1 − ᾱ_t).
 *   form: 'posterior' uses the posterior mean μ̃ = √ᾱ_prev β/(1−ᾱ_t)·x̂₀ + √α(1−ᾱ_prev)/(1−ᾱ_t)·x_t
 *   instead — identical for a consistent (x̂₀, ε̂), but it takes the (clipped) x̂₀ of an ε-model, as
 *   diffusers' DDPMScheduler does with clip_sample. The ε-form multiplies ε̂'s error by 1/√α (31.6 at the
 *   cosine schedule's clipped β_T = 0.999): harmless for the exact denoiser (ε̂ = x_T to f32 rounding), but a
 *   trained MLP's chain diverges.
 * - DDIM (Song et al. 2021) with η ∈ [0, 1], any t → t_prev: x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z,
 *   σ = η √((1−ᾱ_prev)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev). x̂₀ is the denoiser's own (equal to DESIGN's
 *   (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t for a consistent pair, and defined at ᾱ_t = 0 too).
 * - Probability-flow ODE (Song et al. 2021), written as an exponential integrator (Lu et al. 2022,
 *   DPM-Solver++): with α = √ᾱ, σ = √(1−ᾱ), λ = log(α/σ) (half the log-SNR), the exact solution from t to
 *   t_prev is x_prev = (σ_p/σ_t) x_t + σ_p ∫_{λ_t}^{λ_p} e^λ x̂₀(x_λ, λ) dλ.
 *   Euler holds x̂₀ at its value at t: x_prev = α_p x̂₀ + σ_p ε̂ — exactly the DDIM η = 0 update (and the
 *   Euler step of dx̄/dσ̄ = ε̂ in x̄ = x/α, σ̄ = σ/α).
 *   Heun (2nd order): predictor x' = that Euler step; the denoiser is evaluated again at (x', t_prev) giving
 *   x̂₀'; the corrector integrates x̂₀ interpolated linearly in λ between x̂₀ and x̂₀' exactly:
 *   x_prev = x' + c₂ (x̂₀' − x̂₀), c₂ = σ_p e^{λ_t} (e^h (h − 1) + 1)/h, h = λ_p − λ_t
 *   (c₂ → α_p when ᾱ_t = 0, h = ∞). Like Karras et al. (2022), the last step (t_prev = 0, where the denoiser
 *   is undefined) is plain Euler. Why not Heun's trapezoid on ε̂ in σ̄ (Karras et al.)? Their σ̄ ≤ 80; here
 *   σ̄_T reaches 2·10⁴ (cosine, T = 1000), and the trapezoid over [σ̄_prev, σ̄_T] then overshoots by tens of
 *   data units on Gaussian data, while the λ form stays exact in the limits.
 */
import { boxMuller } from '../random/ref';
import { philox4x32 } from '../random/philox.ref';
import type { NoiseLevel, Schedule } from '../../models/schedules';
import { noiseLevel } from '../../models/schedules';

/** Second key word of the forward-noising ε (and of the pure-noise start). */
export const STREAM_FORWARD = 0x0d1f0001;
/** Second key word of the sampler noise z. */
export const STREAM_SAMPLER = 0x0d1f0002;

/** Four standard normals from Philox block (particle, step, block) under key (seed, stream). */
export function noiseBlock(
  seed: number,
  stream: number,
  particle: number,
  step: number,
  block: number,
): [number, number, number, number] {
  const w = philox4x32([particle >>> 0, step >>> 0, block >>> 0, 0], [seed >>> 0, stream >>> 0]);
  const [a, b] = boxMuller(w[0], w[1]);
  const [c, d] = boxMuller(w[2], w[3]);
  return [a, b, c, d];
}

/** The n×dim noise array of one (stream, step), component d of particle i from block ⌊d/4⌋. */
export function particleNoise(
  seed: number,
  stream: number,
  step: number,
  n: number,
  dim: number,
): Float64Array {
  const out = new Float64Array(n * dim);
  const blocks = Math.ceil(dim / 4);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < blocks; j++) {
      const z = noiseBlock(seed, stream, i, step, j);
      for (let k = 0; k < 4 && 4 * j + k < dim; k++) out[i * dim + 4 * j + k] = z[k]!;
    }
  }
  return out;
}

export interface ForwardResult {
  xt: Float64Array;
  eps: Float64Array;
}

/**
 * Forward noising x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε for n particles; particle i's x₀ is source point i mod m
 * (so n = m noises each data point once; n > m repeats the data with fresh ε).
 */
export function forwardReference(
  source: ArrayLike<number>,
  m: number,
  n: number,
  dim: number,
  level: Pick<NoiseLevel, 'sqrtAlphaBar' | 'sqrtOneMinusAlphaBar'>,
  seed: number,
): ForwardResult {
  const eps = particleNoise(seed, STREAM_FORWARD, 0, n, dim);
  const xt = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const src = (i % m) * dim;
    for (let d = 0; d < dim; d++) {
      const k = i * dim + d;
      xt[k] = level.sqrtAlphaBar * source[src + d]! + level.sqrtOneMinusAlphaBar * eps[k]!;
    }
  }
  return { xt, eps };
}

export interface DenoiserOutput {
  /** x̂₀ = E[x₀ | x_t], n×dim. */
  x0: Float64Array;
  /** ε̂ = (x_t − √ᾱ x̂₀)/√(1−ᾱ), n×dim. */
  eps: Float64Array;
}

/** A denoiser on the CPU (float64): the reference of a GPU EpsilonModel. */
export interface CpuDenoiser {
  readonly name: string;
  predict(xt: ArrayLike<number>, n: number, dim: number, level: NoiseLevel): DenoiserOutput;
}

function checkLevel(level: NoiseLevel): void {
  if (!(level.oneMinusAlphaBar > 0)) {
    throw new RangeError('The denoiser is undefined at ᾱ = 1 (t = 0): there is no noise to remove.');
  }
}

/**
 * The exact denoiser of the empirical data {x_i}: E[x₀|x_t] = Σ_i softmax_i(ℓ) x_i with
 * ℓ_i = −‖x_t − √ᾱ x_i‖² / (2(1−ᾱ)); ε̂ = (x_t − √ᾱ x̂₀)/√(1−ᾱ). Float64, max-subtracted softmax.
 */
export function exactDenoiserReference(
  xt: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  dim: number,
  level: NoiseLevel,
): DenoiserOutput & { maxAbsLogit: Float64Array } {
  checkLevel(level);
  const s = level.sqrtAlphaBar;
  const invTwoVar = 1 / (2 * level.oneMinusAlphaBar);
  const invR = 1 / level.sqrtOneMinusAlphaBar;
  const x0 = new Float64Array(n * dim);
  const eps = new Float64Array(n * dim);
  const maxAbsLogit = new Float64Array(n);
  const logits = new Float64Array(m);
  for (let q = 0; q < n; q++) {
    let mx = -Infinity;
    let big = 0;
    for (let i = 0; i < m; i++) {
      let d2 = 0;
      for (let d = 0; d < dim; d++) {
        const diff = xt[q * dim + d]! - s * data[i * dim + d]!;
        d2 += diff * diff;
      }
      const l = -d2 * invTwoVar;
      logits[i] = l;
      if (l > mx) mx = l;
    }
    let sum = 0;
    for (let i = 0; i < m; i++) {
      const w = Math.exp(logits[i]! - mx);
      // The GPU's error bound only involves logits whose weight is not negligible.
      if (w > 1e-12) big = Math.max(big, Math.abs(logits[i]!));
      sum += w;
      for (let d = 0; d < dim; d++) x0[q * dim + d] = x0[q * dim + d]! + w * data[i * dim + d]!;
    }
    maxAbsLogit[q] = big;
    for (let d = 0; d < dim; d++) {
      const k = q * dim + d;
      x0[k] = x0[k]! / sum;
      eps[k] = (xt[k]! - s * x0[k]!) * invR;
    }
  }
  return { x0, eps, maxAbsLogit };
}

export function exactDenoiserCpu(data: Float32Array, dim: number): CpuDenoiser {
  const m = data.length / dim;
  return {
    name: 'exact',
    predict: (xt, n, d, level) => {
      if (d !== dim) throw new RangeError(`Denoiser built for D = ${dim}, called with D = ${d}.`);
      return exactDenoiserReference(xt, n, data, m, dim, level);
    },
  };
}

/** A Gaussian data law N(μ, Σ) in D dimensions (Σ row-major D×D, symmetric positive semi-definite). */
export interface GaussianLaw {
  mean: ArrayLike<number>;
  cov: ArrayLike<number>;
}

/** Solves K Y = B for symmetric positive definite K (D×D) and B (D×D), float64 Cholesky. */
function spdSolve(K: Float64Array, B: Float64Array, D: number): Float64Array {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = K[i * D + j]!;
      for (let k = 0; k < j; k++) s -= L[i * D + k]! * L[j * D + k]!;
      if (i === j) {
        if (!(s > 0)) throw new RangeError('Matrix is not positive definite.');
        L[i * D + i] = Math.sqrt(s);
      } else L[i * D + j] = s / L[j * D + j]!;
    }
  }
  const Y = new Float64Array(D * D);
  for (let c = 0; c < D; c++) {
    const z = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      let s = B[i * D + c]!;
      for (let k = 0; k < i; k++) s -= L[i * D + k]! * z[k]!;
      z[i] = s / L[i * D + i]!;
    }
    for (let i = D - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < D; k++) s -= L[k * D + i]! * Y[k * D + c]!;
      Y[i * D + c] = s / L[i * D + i]!;
    }
  }
  return Y;
}

/**
 * The exact (linear) denoiser of a Gaussian law: E[x₀|x_t] = A x_t + b with A = √ᾱ Σ (ᾱΣ + (1−ᾱ)I)⁻¹ and
 * b = μ − √ᾱ A μ. Returns A (row-major D×D) and b; at ᾱ = 0, A = 0 and b = μ.
 */
export function gaussianAffine(
  law: GaussianLaw,
  dim: number,
  level: NoiseLevel,
): { A: Float64Array; b: Float64Array } {
  checkLevel(level);
  const s = level.sqrtAlphaBar;
  const K = new Float64Array(dim * dim);
  const S = new Float64Array(dim * dim);
  for (let i = 0; i < dim * dim; i++) {
    K[i] = level.alphaBar * law.cov[i]!;
    S[i] = s * law.cov[i]!;
  }
  for (let i = 0; i < dim; i++) K[i * dim + i] = K[i * dim + i]! + level.oneMinusAlphaBar;
  // A = S K⁻¹ with S and K symmetric: Aᵀ = K⁻¹ S, so solve K Y = S and transpose.
  const Y = spdSolve(K, S, dim);
  const A = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) A[i * dim + j] = Y[j * dim + i]!;
  const b = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    let v = law.mean[i]!;
    for (let j = 0; j < dim; j++) v -= s * A[i * dim + j]! * law.mean[j]!;
    b[i] = v;
  }
  return { A, b };
}

/** x̂₀ = A x_t + b, ε̂ = (x_t − √ᾱ x̂₀)/√(1−ᾱ) for n particles (the reference of shaders/diffusion/affine.wgsl). */
export function affineDenoiserReference(
  xt: ArrayLike<number>,
  n: number,
  dim: number,
  A: ArrayLike<number>,
  b: ArrayLike<number>,
  level: NoiseLevel,
): DenoiserOutput {
  const x0 = new Float64Array(n * dim);
  const eps = new Float64Array(n * dim);
  const invR = 1 / level.sqrtOneMinusAlphaBar;
  for (let q = 0; q < n; q++) {
    for (let i = 0; i < dim; i++) {
      let v = b[i]!;
      for (let j = 0; j < dim; j++) v += A[i * dim + j]! * xt[q * dim + j]!;
      x0[q * dim + i] = v;
    }
    for (let i = 0; i < dim; i++) {
      const k = q * dim + i;
      eps[k] = (xt[k]! - level.sqrtAlphaBar * x0[k]!) * invR;
    }
  }
  return { x0, eps };
}

export function gaussianDenoiserCpu(law: GaussianLaw, dim: number): CpuDenoiser {
  return {
    name: 'gaussian',
    predict: (xt, n, d, level) => {
      if (d !== dim) throw new RangeError(`Denoiser built for D = ${dim}, called with D = ${d}.`);
      const { A, b } = gaussianAffine(law, dim, level);
      return affineDenoiserReference(xt, n, dim, A, b, level);
    },
  };
}

/**
 * x̂₀ from an ε-prediction: (x_t − √(1−ᾱ) ε̂)/max(√ᾱ, minSqrtAlphaBar), clipped to ±clip. For ε-only models
 * (a trained MLP): at ᾱ → 0 the division amplifies the model's error without bound (at ᾱ = 0 x̂₀ is not
 * identifiable from ε̂ at all), so √ᾱ is floored and x̂₀ clipped to the data's range, as diffusers'
 * `clip_sample` does.
 */
export function x0FromEpsilon(
  xt: number,
  eps: number,
  level: Pick<NoiseLevel, 'sqrtAlphaBar' | 'sqrtOneMinusAlphaBar'>,
  minSqrtAlphaBar = 1e-3,
  clip = 4,
): number {
  const v = (xt - level.sqrtOneMinusAlphaBar * eps) / Math.max(level.sqrtAlphaBar, minSqrtAlphaBar);
  return Math.min(clip, Math.max(-clip, v));
}

// ---------------------------------------------------------------------------------------------------------
// Samplers

export type SamplerSpec =
  /** form: 'epsilon' (default, DESIGN.md's ε-form) or 'posterior' (the posterior mean from x̂₀; see the
   *  module comment — the engine picks it for the MLP). */
  | { kind: 'ddpm'; variance: 'beta' | 'beta-tilde'; form?: 'epsilon' | 'posterior' }
  | { kind: 'ddim'; eta: number }
  | { kind: 'ode'; method: 'euler' | 'heun' };

/** x_next = cx·x + cx0·x̂₀ + ceps·ε̂ + caux·aux + sigma·z (aux: a fourth input, Heun's first x̂₀). */
export interface StepCoefficients {
  cx: number;
  cx0: number;
  ceps: number;
  caux: number;
  sigma: number;
}

export interface StepPlan {
  t: number;
  tPrev: number;
  /** The Euler / DDPM / DDIM step: x' = cx x_t + cx0 x̂₀ + ceps ε̂ + σ z. */
  first: StepCoefficients;
  /** Heun's correction x_prev = x' + c₂(x̂₀' − x̂₀), x̂₀' the denoiser at (x', t_prev); null when not applied. */
  heunC2: number | null;
  /** Counter word `step` of the sampler noise (= t). */
  noiseStep: number;
}

export function describeSampler(s: SamplerSpec): string {
  if (s.kind === 'ddpm') return `DDPM (σ² = ${s.variance === 'beta' ? 'β' : 'β̃'})`;
  if (s.kind === 'ddim') return `DDIM (η = ${s.eta})`;
  return `probability-flow ODE (${s.method === 'euler' ? 'Euler' : 'Heun'})`;
}

/** Coefficients of one sampler step from t to tPrev (0 ≤ tPrev < t ≤ T), float64. */
export function planStep(schedule: Schedule, sampler: SamplerSpec, t: number, tPrev: number): StepPlan {
  if (!Number.isInteger(t) || !Number.isInteger(tPrev) || tPrev < 0 || tPrev >= t || t > schedule.T) {
    throw new RangeError(`A step needs integers 0 ≤ t_prev < t ≤ T (got t = ${t}, t_prev = ${tPrev}).`);
  }
  const cur = noiseLevel(schedule, t);
  const prev = noiseLevel(schedule, tPrev);
  const zero = { cx: 0, cx0: 0, ceps: 0, caux: 0, sigma: 0 };
  let first: StepCoefficients;
  let heunC2: number | null = null;
  if (sampler.kind === 'ddpm') {
    const alpha = tPrev === t - 1 ? schedule.alpha[t]! : cur.alphaBar / prev.alphaBar;
    const beta = tPrev === t - 1 ? schedule.beta[t]! : 1 - alpha;
    const variance =
      sampler.variance === 'beta' ? beta : (beta * prev.oneMinusAlphaBar) / cur.oneMinusAlphaBar;
    const sigma = Math.sqrt(Math.max(0, variance));
    if (alpha > 0 && sampler.form !== 'posterior') {
      const ra = Math.sqrt(alpha);
      first = { ...zero, cx: 1 / ra, ceps: -beta / (cur.sqrtOneMinusAlphaBar * ra), sigma };
    } else {
      // μ̃ = √ᾱ_prev β/(1−ᾱ_t)·x̂₀ + √α (1−ᾱ_prev)/(1−ᾱ_t)·x_t (→ √ᾱ_prev x̂₀ when α = 0).
      first = {
        ...zero,
        cx: (Math.sqrt(alpha) * prev.oneMinusAlphaBar) / cur.oneMinusAlphaBar,
        cx0: (prev.sqrtAlphaBar * beta) / cur.oneMinusAlphaBar,
        sigma,
      };
    }
  } else if (sampler.kind === 'ddim') {
    const eta = sampler.eta;
    if (!(eta >= 0 && eta <= 1)) throw new RangeError(`DDIM η must be in [0, 1] (got ${eta}).`);
    const ratio = prev.alphaBar > 0 ? cur.alphaBar / prev.alphaBar : 0;
    const sigma =
      eta === 0
        ? 0
        : eta * Math.sqrt(prev.oneMinusAlphaBar / cur.oneMinusAlphaBar) * Math.sqrt(Math.max(0, 1 - ratio));
    first = {
      ...zero,
      cx0: prev.sqrtAlphaBar,
      ceps: Math.sqrt(Math.max(0, prev.oneMinusAlphaBar - sigma * sigma)),
      sigma,
    };
  } else {
    first = { ...zero, cx0: prev.sqrtAlphaBar, ceps: prev.sqrtOneMinusAlphaBar };
    if (sampler.method === 'heun' && tPrev > 0) heunC2 = heunCoefficient(cur, prev);
  }
  return { t, tPrev, first, heunC2, noiseStep: t };
}

/**
 * c₂ = σ_p e^{λ_t} (e^h(h − 1) + 1)/h of the Heun corrector (see the module comment), h = λ_p − λ_t > 0.
 * Written as α_p·g(h) with g(h) = (e^h(h − 1) + 1)/(h e^h) = 1 − (1 − e^{−h})/h (series for small h, where
 * the closed form cancels; g → 1 as h → ∞, i.e. ᾱ_t = 0).
 */
export function heunCoefficient(cur: NoiseLevel, prev: NoiseLevel): number {
  if (cur.alphaBar === 0) return prev.sqrtAlphaBar;
  const lambdaT = 0.5 * (Math.log(cur.alphaBar) - Math.log(cur.oneMinusAlphaBar));
  const lambdaP = 0.5 * (Math.log(prev.alphaBar) - Math.log(prev.oneMinusAlphaBar));
  const h = lambdaP - lambdaT;
  // 1 − (1 − e^{−h})/h = h/2 − h²/6 + h³/24 − h⁴/120 + …
  const g =
    h < 1e-2 ? h / 2 - (h * h) / 6 + (h * h * h) / 24 - (h * h * h * h) / 120 : 1 + Math.expm1(-h) / h;
  return prev.sqrtAlphaBar * g;
}

/** out = cx·x + cx0·x̂₀ + ceps·ε̂ + caux·aux + σ z, z from STREAM_SAMPLER at `noiseStep` (shaders/diffusion/step.wgsl). */
export function combineReference(
  c: StepCoefficients,
  x: ArrayLike<number>,
  x0: ArrayLike<number>,
  eps: ArrayLike<number>,
  aux: ArrayLike<number> | null,
  n: number,
  dim: number,
  seed: number,
  noiseStep: number,
): Float64Array {
  const z = c.sigma !== 0 ? particleNoise(seed, STREAM_SAMPLER, noiseStep, n, dim) : null;
  const out = new Float64Array(n * dim);
  for (let k = 0; k < n * dim; k++) {
    let v = 0;
    if (c.cx !== 0) v += c.cx * x[k]!;
    if (c.cx0 !== 0) v += c.cx0 * x0[k]!;
    if (c.ceps !== 0) v += c.ceps * eps[k]!;
    if (c.caux !== 0 && aux) v += c.caux * aux[k]!;
    if (z) v += c.sigma * z[k]!;
    out[k] = v;
  }
  return out;
}

/** Coefficients of Heun's corrector x' + c₂ x̂₀' − c₂ x̂₀ (x = x', x0 = x̂₀', aux = x̂₀). */
export function heunCorrection(c2: number): StepCoefficients {
  return { cx: 1, cx0: c2, ceps: 0, caux: -c2, sigma: 0 };
}

/**
 * One full sampler step on the CPU: denoise at (x, t) (or reuse `evaluated`), combine, and for Heun denoise
 * again at (x', t_prev) and correct. Returns the new particles.
 */
export function stepReference(
  schedule: Schedule,
  sampler: SamplerSpec,
  denoiser: CpuDenoiser,
  x: ArrayLike<number>,
  n: number,
  dim: number,
  t: number,
  tPrev: number,
  seed: number,
  evaluated?: DenoiserOutput,
): Float64Array {
  const plan = planStep(schedule, sampler, t, tPrev);
  const out = evaluated ?? denoiser.predict(x, n, dim, noiseLevel(schedule, t));
  const xp = combineReference(plan.first, x, out.x0, out.eps, null, n, dim, seed, plan.noiseStep);
  if (plan.heunC2 === null) return xp;
  const second = denoiser.predict(xp, n, dim, noiseLevel(schedule, tPrev));
  return combineReference(heunCorrection(plan.heunC2), xp, second.x0, xp, out.x0, n, dim, seed, 0);
}

// ---------------------------------------------------------------------------------------------------------
// Grids

/** A G×G grid over [xMin, xMax) × [yMin, yMax). Cell (row r, column c) is index r·G + c, row 0 at yMin. */
export interface GridSpec {
  size: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export const MAX_GRID = 1024;

export function checkGrid(g: GridSpec): void {
  if (!Number.isInteger(g.size) || g.size < 1 || g.size > MAX_GRID) {
    throw new RangeError(`Grid size must be an integer from 1 to ${MAX_GRID} (got ${g.size}).`);
  }
  if (!(g.xMax > g.xMin) || !(g.yMax > g.yMin)) throw new RangeError('Grid bounds must satisfy min < max.');
}

/** The f32 parameters both backends use: origin and cell size (cell centres) or 1/cell size (binning). */
export function gridF32(g: GridSpec) {
  const f = Math.fround;
  return {
    xMin: f(g.xMin),
    yMin: f(g.yMin),
    dx: f((g.xMax - g.xMin) / g.size),
    dy: f((g.yMax - g.yMin) / g.size),
    scaleX: f(g.size / (g.xMax - g.xMin)),
    scaleY: f(g.size / (g.yMax - g.yMin)),
  };
}

/** Cell centres (x, y) of the grid, G² points interleaved: x = xMin + (c + ½)·dx (f32 parameters). */
export function gridPointsReference(g: GridSpec): Float64Array {
  const p = gridF32(g);
  const out = new Float64Array(2 * g.size * g.size);
  for (let r = 0; r < g.size; r++) {
    for (let c = 0; c < g.size; c++) {
      const k = r * g.size + c;
      out[2 * k] = p.xMin + (c + 0.5) * p.dx;
      out[2 * k + 1] = p.yMin + (r + 0.5) * p.dy;
    }
  }
  return out;
}

/**
 * Density histogram of components (0, 1) of n particles on the grid: counts[r·G + c], plus counts[G²] =
 * particles outside (or NaN). f32 arithmetic emulated (bin = floor((x − xMin)·scaleX) in f32) so counts equal
 * the GPU's exactly.
 */
export function densityReference(
  positions: ArrayLike<number>,
  n: number,
  dim: number,
  g: GridSpec,
): Uint32Array {
  const p = gridF32(g);
  const f = Math.fround;
  const G = g.size;
  const counts = new Uint32Array(G * G + 1);
  for (let i = 0; i < n; i++) {
    const x = f(positions[i * dim]!);
    const y = f(positions[i * dim + 1]!);
    const bx = Math.floor(f(f(x - p.xMin) * p.scaleX));
    const by = Math.floor(f(f(y - p.yMin) * p.scaleY));
    if (bx >= 0 && bx < G && by >= 0 && by < G) counts[by * G + bx]!++;
    else counts[G * G]!++;
  }
  return counts;
}
