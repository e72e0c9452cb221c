/**
 * Shared by the Random lab's kernels (shaders/random, shaders/common/philox.wgsl), their references
 * (philox.ref.ts, ref.ts), the engine, state and UI: transforms and their WGSL ids, the Philox constants,
 * the lab's count and bin limits, histogram ranges, and the moment types.
 */

/** Philox4x32-10 round multipliers and key increments (Salmon et al., SC 2011), as in philox.wgsl. */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;

export const TRANSFORMS = ['uniform', 'standardized', 'irwin-hall', 'box-muller'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** Transform ids of shaders/random/generate.wgsl (0 = raw words). */
export const TRANSFORM_ID: Record<Transform | 'raw', number> = {
  raw: 0,
  uniform: 1,
  standardized: 2,
  'irwin-hall': 3,
  'box-muller': 4,
};

export interface StreamKey {
  seed: number;
  /** Second key word: independent streams for the same seed (the diffusion lab uses it per step). */
  stream?: number;
}

/** Values per Random lab run: at least MIN_COUNT; at most MAX_COUNT_GPU on the GPU, MAX_COUNT_CPU on the CPU. */
export const MIN_COUNT = 1_000;
export const MAX_COUNT_GPU = 10_000_000;
export const MAX_COUNT_CPU = 1_000_000;

/** Histogram bins the URL accepts: from MIN_BINS to MAX_BINS, the most the GPU kernel takes. */
export const MIN_BINS = 8;
export const MAX_BINS = 1024;

export interface HistogramSpec {
  bins: number;
  lo: number;
  hi: number;
}

/** Histogram range per transform: the support (uniforms) or ±5 (the normal-like ones). */
export function histogramSpec(transform: Transform, bins = 64): HistogramSpec {
  if (transform === 'uniform') return { bins, lo: 0, hi: 1 };
  if (transform === 'standardized') return { bins, lo: -Math.sqrt(3), hi: Math.sqrt(3) };
  return { bins, lo: -5, hi: 5 };
}

export interface Moments {
  count: number;
  mean: number;
  /** Population variance M2 / n (the lab shows this; n ≥ 10³ makes n vs n − 1 immaterial). */
  variance: number;
  /** M3/n / (M2/n)^{3/2}. */
  skewness: number;
  /** (M4/n) / (M2/n)² − 3. */
  excessKurtosis: number;
}

/** Count, mean and central sums M2…M4: what the GPU reduction returns and Chan/Pébay merging combines. */
export interface CentralSums {
  n: number;
  mean: number;
  m2: number;
  m3: number;
  m4: number;
}
