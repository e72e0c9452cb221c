/**
 * Shared pieces of the Diffusion lab's kernel wrappers: WGSL sources joined in the right order, ring kernels
 * (parameters through src/gpu/rings.ts), and the EpsilonModel interface every denoiser implements.
 */
import philoxWgsl from '../../../shaders/common/philox.wgsl?raw';
import boxMullerWgsl from '../../../shaders/common/box_muller.wgsl?raw';
import noiseWgsl from '../../../shaders/diffusion/noise.wgsl?raw';
import { ComputeKernel, grid1D, type BindingKind } from '../../gpu/compute';
import { joinWgsl, type UniformLayout } from '../../gpu/uniforms';
import { UniformRing } from '../../gpu/rings';
import type { NoiseLevel } from './spec';

/** Philox + the diffusion noise helpers, to join in front of a kernel that draws normals. */
export function withNoise(kernel: string): string {
  return joinWgsl(philoxWgsl, boxMullerWgsl, noiseWgsl, kernel);
}

export { BufferRing, RING_SLOTS, UniformRing } from '../../gpu/rings';

/**
 * A ComputeKernel whose parameters go through a UniformRing (`<label>.params[i]`), so it may be encoded up
 * to RING_SLOTS times per submit.
 */
export function ringKernel<K extends string>(
  device: GPUDevice,
  label: string,
  spec: {
    code: string;
    bindings: readonly BindingKind[];
    entryPoints: string | Readonly<Record<string, string>>;
  },
  uniforms: UniformLayout<K>,
): ComputeKernel<UniformRing<K>> {
  const ring = { createBuffer: (d: GPUDevice, l: string) => new UniformRing(d, uniforms, l) };
  return new ComputeKernel(device, label, { ...spec, uniforms: ring });
}

/** The 1D grid of `threads` invocations on this kernel's device. */
export function kernelGrid(kernel: ComputeKernel<{ destroy(): void }>, threads: number, workgroup: number) {
  return grid1D(threads, workgroup, kernel.device.limits.maxComputeWorkgroupsPerDimension);
}

export interface DenoiseArgs {
  /** count·dim f32 inputs x_t (row-major, particle-major). */
  xt: GPUBuffer;
  count: number;
  dim: number;
  /** The noise level (float64 values from the schedule; t ≥ 1, i.e. ᾱ < 1). */
  level: NoiseLevel;
  /** Outputs, count·dim f32 each: x̂₀ and ε̂. Must not alias xt. */
  x0: GPUBuffer;
  eps: GPUBuffer;
}

/**
 * A denoiser on the GPU. The samplers need both x̂₀ and ε̂: the exact and Gaussian denoisers compute x̂₀
 * directly and ε̂ = (x_t − √ᾱ x̂₀)/√(1 − ᾱ); an ε-prediction network (a trained MLP, later) writes ε̂ and
 * x̂₀ = x0FromEpsilon(…) (see ref.ts: √ᾱ floored and x̂₀ clipped, since at ᾱ → 0 x̂₀ is not
 * identifiable from ε̂). `encode` may be called at most RING_SLOTS times per submit.
 */
export interface EpsilonModel {
  /** Short name for the UI ("exact", "gaussian", "mlp"). */
  readonly name: string;
  /** The particle dimension it was built for. */
  readonly dim: number;
  encode(encoder: GPUCommandEncoder, args: DenoiseArgs): void;
  destroy(): void;
}

/**
 * The kernel of a denoiser: every one binds (params, x_t, its own data — points, weights or affine map —,
 * x̂₀, ε̂) and runs one entry point.
 */
export function denoiserKernel<K extends string>(
  device: GPUDevice,
  label: string,
  code: string,
  entryPoint: string,
  uniforms: UniformLayout<K>,
) {
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'storage', 'storage'];
  return ringKernel(device, label, { code, bindings, entryPoints: entryPoint }, uniforms);
}

/**
 * Encodes a denoiser's pass: checks `a.dim` first, then binds (params, x_t, data, x̂₀, ε̂) with the uniform
 * values `values(threadsPerRow)` over the 1D grid of `a.count` threads of `workgroup`.
 */
export function encodeDenoiser<K extends string>(
  kernel: ComputeKernel<UniformRing<K>>,
  encoder: GPUCommandEncoder,
  a: DenoiseArgs,
  model: { dim: number; workgroup: number; data: (a: DenoiseArgs) => GPUBuffer },
  values: (threadsPerRow: number) => Record<K, number>,
): void {
  if (a.dim !== model.dim)
    throw new RangeError(`Denoiser built for D = ${model.dim}, called with D = ${a.dim}.`);
  const grid = kernelGrid(kernel, a.count, model.workgroup);
  const params = kernel.params.next(values(grid.threadsPerRow));
  kernel.encode(encoder, [params, a.xt, model.data(a), a.x0, a.eps], grid);
}

/** The three f32 numbers a denoiser kernel needs from a noise level. */
export function levelUniforms(level: NoiseLevel) {
  if (!(level.oneMinusAlphaBar > 0)) {
    throw new RangeError('The denoiser is undefined at ᾱ = 1 (t = 0): there is no noise to remove.');
  }
  return {
    sqrtAb: level.sqrtAlphaBar,
    invTwoVar: 1 / (2 * level.oneMinusAlphaBar),
    invSqrtOneMinusAb: 1 / level.sqrtOneMinusAlphaBar,
  };
}
