/**
 * What the Diffusion lab's WGSL kernels and their float64 references (ref.ts) agree on: noise levels, the
 * Philox streams, limits, sampler coefficients (`planStep`), grids and the ε-MLP's parameter layout.
 * Pure TypeScript; src/models builds on it, never the reverse. Layout: particles are row-major
 * [index][component] (component d of particle i at i·D + d).
 */

// ---------------------------------------------------------------------------------------------------------
// Noise levels

/** The per-timestep arrays of a schedule (src/models/schedules.ts), length T + 1, index = timestep t. */
export interface NoiseTable {
  readonly T: number;
  readonly beta: Float64Array;
  readonly alpha: Float64Array;
  readonly alphaBar: Float64Array;
  readonly oneMinusAlphaBar: Float64Array;
  readonly sqrtAlphaBar: Float64Array;
  readonly sqrtOneMinusAlphaBar: Float64Array;
}

/**
 * The noise level a denoiser sees at timestep t (all float64; kernels round them to f32 once).
 * t may be 0 (ᾱ = 1), where the denoiser is undefined; samplers never evaluate it there.
 */
export interface NoiseLevel {
  t: number;
  alphaBar: number;
  oneMinusAlphaBar: number;
  sqrtAlphaBar: number;
  sqrtOneMinusAlphaBar: number;
}

export function noiseLevel(s: NoiseTable, t: number): NoiseLevel {
  if (!Number.isInteger(t) || t < 0 || t > s.T) {
    throw new RangeError(`Timestep must be an integer from 0 to ${s.T} (got ${t}).`);
  }
  return {
    t,
    alphaBar: s.alphaBar[t]!,
    oneMinusAlphaBar: s.oneMinusAlphaBar[t]!,
    sqrtAlphaBar: s.sqrtAlphaBar[t]!,
    sqrtOneMinusAlphaBar: s.sqrtOneMinusAlphaBar[t]!,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Random streams and limits

/**
 * Philox key = (seed, stream), counter = (particle i, step, block ⌊d/4⌋, 0); one call gives the four normals
 * of components 4j…4j+3 (Box–Muller on word pairs). STREAM_FORWARD: the ε of forward noising and of the
 * pure-noise start, step = 0 for every t (scrubbing t moves a particle along one line). STREAM_SAMPLER: the z
 * of a step leaving timestep t, step = t (a chain recomputed from the seed is the same chain).
 */
export const STREAM_FORWARD = 0x0d1f0001;
export const STREAM_SAMPLER = 0x0d1f0002;

/** Largest particle dimension the kernels accept (32×32 images are 1024; 2048 leaves room for 2 channels). */
export const MAX_DIM = 2048;
/** Most particles of the GPU engine. */
export const MAX_PARTICLES_GPU = 4_000_000;
/** The CPU fallback's ceiling; 10⁴ particles keep a 2D step with 1000 data points near 50 ms. */
export const MAX_PARTICLES_CPU = 200_000;

/** A Gaussian data law N(μ, Σ) in D dimensions (Σ row-major D×D, symmetric positive semi-definite). */
export interface GaussianLaw {
  mean: ArrayLike<number>;
  cov: ArrayLike<number>;
}

// ---------------------------------------------------------------------------------------------------------
// Samplers: every step is x_next = cx·x_t + cx0·x̂₀ + ceps·ε̂ + caux·aux + σ·z

export type SamplerSpec =
  /** form: 'epsilon' (default, DESIGN.md's ε-form) or 'posterior' (the posterior mean from x̂₀; the engine
   *  picks it for the MLP, whose ε̂ error the ε-form multiplies by 1/√α). */
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

/**
 * Coefficients of one sampler step from t to tPrev (0 ≤ tPrev < t ≤ T), float64. The denoiser supplies both
 * x̂₀ and ε̂, so no step divides by √ᾱ_t.
 * - DDPM, ε-form (DESIGN.md): cx = 1/√α, ceps = −β/(√(1−ᾱ_t)√α), with the respaced β = 1 − ᾱ_t/ᾱ_prev when
 *   t_prev < t − 1. At α = 0 (zero terminal SNR) and with form 'posterior' it uses the posterior mean
 *   μ̃ = √ᾱ_prev β/(1−ᾱ_t)·x̂₀ + √α(1−ᾱ_prev)/(1−ᾱ_t)·x_t. σ² = β or β̃ = β(1 − ᾱ_prev)/(1 − ᾱ_t).
 * - DDIM (Song et al. 2021), η ∈ [0, 1]: x_prev = √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z.
 * - Probability-flow ODE as an exponential integrator in λ = log(√ᾱ/√(1−ᾱ)) (Lu et al. 2022): Euler is DDIM
 *   η = 0; Heun evaluates x̂₀' at (x', t_prev) and integrates x̂₀ linear in λ exactly (heunCoefficient); the
 *   last step (t_prev = 0) is Euler. (Karras et al.'s trapezoid on ε̂ in σ̄ overshoots here: σ̄_T ≈ 2·10⁴.)
 */
export function planStep(schedule: NoiseTable, sampler: SamplerSpec, t: number, tPrev: number): StepPlan {
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
 * c₂ = σ_p e^{λ_t} (e^h(h − 1) + 1)/h of the Heun corrector, h = λ_p − λ_t > 0, written as α_p·g(h) with
 * g(h) = 1 − (1 − e^{−h})/h (series for small h, where the closed form cancels; g → 1 as ᾱ_t → 0).
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

/** Coefficients of Heun's corrector x' + c₂ x̂₀' − c₂ x̂₀ (x = x', x0 = x̂₀', aux = x̂₀). */
export function heunCorrection(c2: number): StepCoefficients {
  return { cx: 1, cx0: c2, ceps: 0, caux: -c2, sigma: 0 };
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

// ---------------------------------------------------------------------------------------------------------
// The ε-prediction MLP (shaders/diffusion/mlp.wgsl; definition and trainer in src/models/mlp-denoiser/)

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

/** A config and its flat parameter array (layout: `parameterLayout`). */
export interface MlpWeights {
  config: MlpConfig;
  params: Float32Array;
}

/** λ is clipped to ±LAMBDA_CLIP before embedding (ᾱ = 0 gives λ = −∞). */
export const LAMBDA_CLIP = 20;
/** √ᾱ floor and x̂₀ clip of the ε → x̂₀ conversion of an ε-model (x0FromEpsilon in ref.ts). */
export const MLP_MIN_SQRT_ALPHA_BAR = 1e-3;
export const MLP_X0_CLIP = 4;

/** E = 2F(D + 1) embedding features: sin and cos of F frequencies for each of x_1…x_D and λ. */
export function embeddingSize(c: MlpConfig): number {
  return 2 * c.freqs * (c.dim + 1);
}

export function parameterCount(c: MlpConfig): number {
  const E = embeddingSize(c);
  const H = c.hidden;
  return H * E + H + c.blocks * (H * H + H) + c.dim * H + c.dim;
}

/**
 * Offsets of every tensor in the flat parameter array, row-major weights W[out][in]: W_in (H×E), b_in (H),
 * per block W (H×H), b (H), then W_out (D×H), b_out (D).
 */
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

/** Frequencies ω_k = 10000^(−k/(F−1)), k = 0…F−1. */
export function frequencies(freqs: number): Float64Array {
  return Float64Array.from({ length: freqs }, (_, k) => Math.exp((-Math.log(10000) * k) / (freqs - 1)));
}

/** λ = log(ᾱ/(1−ᾱ)) clipped to ±LAMBDA_CLIP (the model's noise-level input). */
export function modelLambda(alphaBar: number, oneMinusAlphaBar: number): number {
  if (alphaBar <= 0) return -LAMBDA_CLIP;
  if (oneMinusAlphaBar <= 0) return LAMBDA_CLIP;
  return Math.max(-LAMBDA_CLIP, Math.min(LAMBDA_CLIP, Math.log(alphaBar) - Math.log(oneMinusAlphaBar)));
}
