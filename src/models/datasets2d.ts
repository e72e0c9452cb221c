/**
 * Seeded 2D toy datasets for the Diffusion lab (pure TypeScript). Every random number comes from the
 * project's Philox4x32-10 reference (src/kernels/random/philox.ref.ts), so a (dataset, n, seed) triple gives
 * the same points on every machine.
 *
 * Randomness layout: point i draws Philox blocks with counter (i, j, 0, DATASET_TAG) for j = 0, 1 and key
 * (seed, DATASET_STREAM): eight words per point, wi[0..3] from j = 0, wi[4..7] from j = 1. Uniforms are
 * (w >> 8)·2⁻²⁴ and normals are Box–Muller on word pairs, exactly as the Random lab does. The diffusion
 * kernels use other streams (src/kernels/diffusion/spec.ts), so data and sampler noise never share numbers.
 *
 * Scale: every dataset except the user Gaussian is centred near the origin and scaled by a fixed constant so
 * that its standard deviation per axis is roughly 1 (between about 0.7 and 1.25; the constants are fixed, not
 * estimated from the sample, so adding points never moves the old ones). Output is a Float32Array of n
 * interleaved (x, y) pairs — the GPU's layout — and the CPU reference reads the same f32 values.
 */
import { boxMuller } from '../kernels/random/ref';
import { philox4x32, unitFloat } from '../kernels/random/philox.ref';

export const DATASETS_2D = [
  'two-moons',
  'swiss-roll',
  'eight-gaussians',
  'checkerboard',
  'rings',
  'spiral',
  'gaussian',
] as const;
export type Dataset2DKind = (typeof DATASETS_2D)[number];

/** Second Philox key word for dataset sampling ("DA7A"). */
const DATASET_STREAM = 0x0da7a000;
/** Fourth counter word for dataset sampling. */
const DATASET_TAG = 0x2d;

export interface GaussianSpec {
  /** Mean (μx, μy). */
  mean: [number, number];
  /** Covariance [[σxx, σxy], [σxy, σyy]]; must be symmetric positive semi-definite. */
  cov: [[number, number], [number, number]];
}

export interface Dataset2DOptions {
  kind: Dataset2DKind;
  /** Number of points (≥ 1). */
  n: number;
  seed: number;
  /**
   * Noise level in the dataset's own units before scaling (two moons: 0.05 like scikit-learn's examples;
   * swiss roll 0.25 on a roll of radius ~14; 8 Gaussians: std of each mode 0.02·radius… see DEFAULT_NOISE).
   */
  noise?: number;
  /** Only for kind 'gaussian' (default: mean 0, identity covariance). Not rescaled. */
  gaussian?: GaussianSpec;
}

const DEFAULT_NOISE: Record<Dataset2DKind, number> = {
  'two-moons': 0.05,
  'swiss-roll': 0.25,
  'eight-gaussians': 0.1,
  checkerboard: 0,
  rings: 0.04,
  spiral: 0.1,
  gaussian: 0,
};

/** The eight words of point i: two Philox blocks. */
function wordsFor(i: number, seed: number): number[] {
  const a = philox4x32([i >>> 0, 0, 0, DATASET_TAG], [seed >>> 0, DATASET_STREAM]);
  const b = philox4x32([i >>> 0, 1, 0, DATASET_TAG], [seed >>> 0, DATASET_STREAM]);
  return [...a, ...b];
}

/** Cholesky factor of a 2×2 covariance: [[l00, 0], [l10, l11]]. */
function cholesky2(cov: GaussianSpec['cov']): [number, number, number] {
  const a = cov[0][0];
  const b = cov[0][1];
  const c = cov[1][1];
  if (!(a >= 0 && c >= 0) || Math.abs(cov[1][0] - b) > 1e-12 * (Math.abs(b) + 1)) {
    throw new RangeError('Covariance must be symmetric with non-negative variances.');
  }
  const l00 = Math.sqrt(a);
  const l10 = l00 > 0 ? b / l00 : 0;
  const r = c - l10 * l10;
  if (r < -1e-12 * (a + c)) throw new RangeError('Covariance must be positive semi-definite.');
  return [l00, l10, Math.sqrt(Math.max(0, r))];
}

// Fixed scales: divide each dataset's natural coordinates by these (after centring) for std ≈ 1 per axis.
const SCALE: Record<Exclude<Dataset2DKind, 'gaussian'>, number> = {
  'two-moons': 0.7,
  'swiss-roll': 7,
  'eight-gaussians': 1.42,
  checkerboard: 1.15,
  rings: 0.87,
  spiral: 0.76,
};

/**
 * One point of a dataset from its eight words (u = uniforms in [0, 1), z = standard normals), in natural
 * coordinates, already centred. i is the point index (two moons and rings alternate components by i).
 */
function point(
  kind: Exclude<Dataset2DKind, 'gaussian'>,
  i: number,
  w: number[],
  noise: number,
): [number, number] {
  const u = (k: number) => unitFloat(w[k]!);
  const [z0, z1] = boxMuller(w[4]!, w[5]!);
  switch (kind) {
    case 'two-moons': {
      // scikit-learn make_moons: outer (cos θ, sin θ), inner (1 − cos θ, ½ − sin θ), θ ∈ [0, π]; centred.
      const th = Math.PI * u(0);
      const outer = i % 2 === 0;
      const x = outer ? Math.cos(th) : 1 - Math.cos(th);
      const y = outer ? Math.sin(th) : 0.5 - Math.sin(th);
      return [x - 0.5 + noise * z0, y - 0.25 + noise * z1];
    }
    case 'swiss-roll': {
      // scikit-learn make_swiss_roll projected on (x, z): r = 1.5π(1 + 2u), point r·(cos r, sin r) − (2, 0.2).
      const r = 1.5 * Math.PI * (1 + 2 * u(0));
      return [r * Math.cos(r) - 2 + noise * z0, r * Math.sin(r) - 0.2 + noise * z1];
    }
    case 'eight-gaussians': {
      const k = Math.min(7, Math.floor(8 * u(0)));
      const a = (k * Math.PI) / 4;
      const radius = 2;
      return [radius * Math.cos(a) + noise * radius * z0, radius * Math.sin(a) + noise * radius * z1];
    }
    case 'checkerboard': {
      // FFJORD's checkerboard: 8 squares of side 1 in [−2, 2)², alternate ones filled.
      const x1 = 4 * u(0) - 2;
      const x2 = u(1) - 2 * Math.min(1, Math.floor(2 * u(2))) + (Math.floor(x1) & 1);
      return [x1 + noise * z0, x2 + noise * z1];
    }
    case 'rings': {
      // Three concentric rings of radii 0.5, 1, 1.5, points per ring in proportion 1 : 2 : 3 by i.
      const m = i % 6;
      const radius = m === 0 ? 0.5 : m < 3 ? 1 : 1.5;
      const a = 2 * Math.PI * u(0);
      return [radius * Math.cos(a) + noise * z0, radius * Math.sin(a) + noise * z1];
    }
    case 'spiral': {
      // Two interleaved Archimedean arms, r = θ/(2π)·… over 1.5 turns, arm by i parity.
      const th = Math.sqrt(u(0)) * 3 * Math.PI;
      const arm = i % 2 === 0 ? 0 : Math.PI;
      const r = th / (2 * Math.PI);
      return [r * Math.cos(th + arm) + noise * z0, r * Math.sin(th + arm) + noise * z1];
    }
  }
}

/** n points of a seeded 2D dataset as interleaved f32 (x, y) pairs (see the module comment). */
export function makeDataset2D(options: Dataset2DOptions): Float32Array {
  const { kind, n, seed } = options;
  if (!DATASETS_2D.includes(kind)) throw new RangeError(`Unknown dataset "${String(kind)}".`);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`Number of points must be a positive integer (got ${n}).`);
  const noise = options.noise ?? DEFAULT_NOISE[kind];
  const out = new Float32Array(2 * n);
  if (kind === 'gaussian') {
    const g = options.gaussian ?? {
      mean: [0, 0],
      cov: [
        [1, 0],
        [0, 1],
      ],
    };
    const [l00, l10, l11] = cholesky2(g.cov);
    for (let i = 0; i < n; i++) {
      const w = wordsFor(i, seed);
      const [z0, z1] = boxMuller(w[0]!, w[1]!);
      out[2 * i] = g.mean[0] + l00 * z0;
      out[2 * i + 1] = g.mean[1] + l10 * z0 + l11 * z1;
    }
    return out;
  }
  const scale = 1 / SCALE[kind];
  for (let i = 0; i < n; i++) {
    const [x, y] = point(kind, i, wordsFor(i, seed), noise);
    out[2 * i] = x * scale;
    out[2 * i + 1] = y * scale;
  }
  return out;
}
