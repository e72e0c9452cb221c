/**
 * Diffusion lab engine: a chain of N particles stepped through a sampler with a denoiser, on the GPU
 * (`DiffusionEngine`) or on the CPU from the float64 references (`DiffusionCpuEngine`). Both implement
 * `DiffusionRunner`; every operation takes a `ReadRequest` and resolves to a `DiffusionFrame` with just
 * those arrays. Starts: pure noise x = ε, or the data noised to t with the same ε.
 */
export { DiffusionEngine } from './gpu';
export { DiffusionCpuEngine } from './cpu';
export { chainPath } from './chain';
export {
  DEFAULT_HISTORY_BYTES_CPU,
  DEFAULT_HISTORY_BYTES_GPU,
  MAX_VIEW_GRID,
  type ChainResume,
  type DenoiserChoice,
  type DensityFrame,
  type DiffusionFrame,
  type DiffusionRunner,
  type DiffusionSetup,
  type FieldFrame,
  type ReadRequest,
  type StartSpec,
} from './types';
export {
  MAX_PARTICLES_CPU,
  MAX_PARTICLES_GPU,
  type GaussianLaw,
  type GridSpec,
  type SamplerSpec,
} from '../../kernels/diffusion/spec';
export type { EpsilonModel } from '../../kernels/diffusion/common';
export type { CpuDenoiser } from '../../kernels/diffusion/ref';
export type { MlpModel } from '../../models/mlp-denoiser';
