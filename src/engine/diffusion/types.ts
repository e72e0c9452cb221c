/** Types of the Diffusion lab engine: setup, reads, frames, and the runner interface both backends implement. */
import type { EpsilonModel } from '../../kernels/diffusion/common';
import type { CpuDenoiser } from '../../kernels/diffusion/ref';
import type { GaussianLaw, GridSpec, SamplerSpec } from '../../kernels/diffusion/spec';
import type { MlpModel } from '../../models/mlp-denoiser';
import type { Schedule, TimestepSpacing } from '../../models/schedules';

/** Which denoiser predicts x̂₀ and ε̂. */
export type DenoiserChoice =
  /** The exact denoiser of the empirical data (`setup.data`): memorises the training points. */
  | { kind: 'exact' }
  /** The exact (linear) denoiser of a Gaussian law N(μ, Σ) (D ≤ 64). */
  | { kind: 'gaussian'; law: GaussianLaw }
  /** A trained ε-prediction MLP (src/models/mlp-denoiser/; load weights with parseMlp). With it, DDPM
   *  uses the posterior-mean form on the clipped x̂₀ unless the sampler sets `form` (the ε-form diverges). */
  | { kind: 'mlp'; model: MlpModel }
  /** A model supplied by the caller (a trained MLP); `cpu` is its float64 twin for the CPU engine. The
   *  engine does not destroy it. */
  | { kind: 'custom'; model?: EpsilonModel; cpu?: CpuDenoiser };

export type StartSpec = { from: 'noise' } | { from: 'data'; t: number };

export interface DiffusionSetup {
  schedule: Schedule;
  /** M training points of `dim` f32 components, row-major (2D: interleaved x, y). */
  data: Float32Array;
  /** Particle dimension D (2 for points, up to 1024 = 32×32 images; at most MAX_DIM). */
  dim: number;
  /** Number of particles N. */
  count: number;
  seed: number;
  sampler: SamplerSpec;
  /** Sampler steps S of the strided timestep sequence (1…T, default T). */
  steps?: number;
  /** Default 'trailing' (starts at T). */
  spacing?: TimestepSpacing;
  /** Default { kind: 'exact' }. */
  denoiser?: DenoiserChoice;
  /** Default { from: 'noise' }. */
  start?: StartSpec;
  /** Budget for step-back snapshots, bytes. */
  historyBytes?: number;
  /**
   * Continue a chain of this same setup at step `stepIndex` of its path (after a lost GPU device). The GPU
   * engine uploads `particles` (all N·dim values of x at that step, as an earlier frame read them); the CPU
   * engine, whose state is float64, replays to the step instead. Step-back history starts empty.
   */
  resume?: ChainResume;
}

/** Where a chain continues after its device was replaced (DiffusionSetup.resume). */
export interface ChainResume {
  stepIndex: number;
  particles: Float32Array;
}

/** Largest G of a density or field grid (the GPU engine's counts buffer holds MAX_VIEW_GRID² + 1 words). */
export const MAX_VIEW_GRID = 512;

export interface ReadRequest {
  /** true: all particles; a number k: the first k. Returned as k·dim floats, particle-major. */
  positions?: boolean | number;
  /** x̂₀ of the particles at the current state: true for all, or the first k (k·dim floats). */
  x0?: boolean | number;
  /** Density histogram of components (0, 1) on this grid (size ≤ MAX_VIEW_GRID). */
  density?: GridSpec;
  /** Denoiser vector field on this grid (D = 2 only; size ≤ MAX_VIEW_GRID). */
  field?: GridSpec;
}

export interface DensityFrame {
  spec: GridSpec;
  /** G² counts, index r·G + c, row 0 at yMin. */
  counts: Uint32Array;
  /** Particles outside the grid (or NaN). */
  outside: number;
}

export interface FieldFrame {
  spec: GridSpec;
  t: number;
  /** G² cell centres (x, y) interleaved, index r·G + c. */
  points: Float32Array;
  /** Denoiser outputs at the cell centres: x̂₀ (draw the arrow x → x̂₀, or x → √ᾱ x̂₀) and ε̂ (the score is
   *  −ε̂/√(1−ᾱ)). */
  x0: Float32Array;
  eps: Float32Array;
}

export interface DiffusionFrame {
  /** Current timestep (= path[stepIndex]). */
  t: number;
  stepIndex: number;
  /** Number of steps from the start to t = 0 (= path.length − 1). */
  totalSteps: number;
  positions?: Float32Array;
  x0?: Float32Array;
  density?: DensityFrame;
  /** null at t = 0. */
  field?: FieldFrame | null;
  backend: 'gpu' | 'cpu';
  /** Wall time of the operation including readback, ms. */
  elapsedMs: number;
  /** Bytes copied from the GPU for this frame (0 on the CPU). */
  bytesRead: number;
}

/** What the UI calls; implemented by DiffusionEngine (GPU) and DiffusionCpuEngine (CPU). */
export interface DiffusionRunner {
  readonly backend: 'gpu' | 'cpu';
  /** Allocates for the setup, initialises the chain at its start, clears history. */
  setup(setup: DiffusionSetup, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Re-initialises the chain (same setup) from another start; clears history. */
  restart(start: StartSpec, read?: ReadRequest): Promise<DiffusionFrame>;
  /** One sampler step (no-op at t = 0). */
  step(read?: ReadRequest): Promise<DiffusionFrame>;
  /** Back one step (no-op at the start). */
  stepBack(read?: ReadRequest): Promise<DiffusionFrame>;
  /** Moves to step index k of `path` (forward by stepping, backward through history). */
  jumpToStep(k: number, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Moves to the first step whose timestep is ≤ t. */
  jumpToT(t: number, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Reads the current state without stepping. */
  read(read: ReadRequest): Promise<DiffusionFrame>;
  readonly t: number;
  readonly stepIndex: number;
  /** Timesteps visited: path[0] = start, …, 0. */
  readonly path: readonly number[];
  readonly done: boolean;
  destroy(): void;
}

export const DEFAULT_HISTORY_BYTES_GPU = 256 * 2 ** 20;
export const DEFAULT_HISTORY_BYTES_CPU = 64 * 2 ** 20;
