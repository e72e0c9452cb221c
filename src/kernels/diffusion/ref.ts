/**
 * Float64 references of the Diffusion lab's WGSL kernels (shaders/diffusion/*.wgsl) and the CPU backend's
 * building blocks: Philox noise, forward noising, the exact and Gaussian denoisers, sampler steps (with
 * spec.ts's planStep coefficients), grid points and density histograms.
 */
import { boxMuller } from '../random/ref';
import { philox4x32 } from '../random/philox.ref';
import {
  MLP_MIN_SQRT_ALPHA_BAR,
  MLP_X0_CLIP,
  STREAM_FORWARD,
  STREAM_SAMPLER,
  gridF32,
  heunCorrection,
  noiseLevel,
  planStep,
  type GaussianLaw,
  type GridSpec,
  type NoiseLevel,
  type NoiseTable,
  type SamplerSpec,
  type StepCoefficients,
} from './spec';

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
  minSqrtAlphaBar = MLP_MIN_SQRT_ALPHA_BAR,
  clip = MLP_X0_CLIP,
): number {
  const v = (xt - level.sqrtOneMinusAlphaBar * eps) / Math.max(level.sqrtAlphaBar, minSqrtAlphaBar);
  return Math.min(clip, Math.max(-clip, v));
}

// ---------------------------------------------------------------------------------------------------------
// Sampler steps

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

/**
 * One full sampler step on the CPU: denoise at (x, t) (or reuse `evaluated`), combine, and for Heun denoise
 * again at (x', t_prev) and correct. Returns the new particles.
 */
export function stepReference(
  schedule: NoiseTable,
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
