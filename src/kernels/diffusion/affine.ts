import affineWgsl from '../../../shaders/diffusion/affine.wgsl?raw';
import { UniformLayout } from '../../gpu/uniforms';
import {
  BufferRing,
  denoiserKernel,
  encodeDenoiser,
  levelUniforms,
  type DenoiseArgs,
  type EpsilonModel,
} from './common';
import { gaussianAffine } from './ref';
import type { GaussianLaw } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['dim', 'u32'],
  ['threadsPerRow', 'u32'],
  ['pad0', 'u32'],
  ['sqrtAb', 'f32'],
  ['invSqrtOneMinusAb', 'f32'],
  ['pad1', 'f32'],
  ['pad2', 'f32'],
] as const);

const WORKGROUP = 64;
/** The affine kernel loops over dim² entries per particle: meant for small D. */
const AFFINE_MAX_DIM = 64;

/**
 * The exact denoiser of Gaussian data N(μ, Σ): linear, x̂₀ = A x_t + b with A, b from gaussianAffine
 * (float64, per noise level) — shaders/diffusion/affine.wgsl. The reference sampler for the
 * "DDPM / DDIM return N(μ, Σ)" checks, and a denoiser the lab can show next to the empirical one.
 */
export class GaussianDenoiser implements EpsilonModel {
  readonly name = 'gaussian';
  private readonly kernel;
  private readonly affine: BufferRing;

  constructor(
    device: GPUDevice,
    readonly law: GaussianLaw,
    readonly dim: number,
    label = 'diffusion.gaussian',
  ) {
    if (!Number.isInteger(dim) || dim < 1 || dim > AFFINE_MAX_DIM) {
      throw new RangeError(`The Gaussian denoiser takes D from 1 to ${AFFINE_MAX_DIM} (got ${dim}).`);
    }
    if (law.mean.length !== dim || law.cov.length !== dim * dim) {
      throw new RangeError(`Mean must have ${dim} entries and covariance ${dim * dim}.`);
    }
    this.kernel = denoiserKernel(device, label, affineWgsl, 'denoise_affine', PARAMS);
    const bytes = (dim * dim + dim) * 4;
    this.affine = this.kernel.own(new BufferRing(device, `${label}.affine`, bytes, GPUBufferUsage.STORAGE));
  }

  encode(encoder: GPUCommandEncoder, a: DenoiseArgs): void {
    const model = { dim: this.dim, workgroup: WORKGROUP, data: (a: DenoiseArgs) => this.affineMap(a) };
    encodeDenoiser(this.kernel, encoder, a, model, (threadsPerRow) => {
      const { sqrtAb, invSqrtOneMinusAb } = levelUniforms(a.level);
      return {
        count: a.count,
        dim: a.dim,
        threadsPerRow,
        pad0: 0,
        sqrtAb,
        invSqrtOneMinusAb,
        pad1: 0,
        pad2: 0,
      };
    });
  }

  /** A and b of this noise level (float64, then f32), packed [A row-major | b] into the next ring slot. */
  private affineMap(a: DenoiseArgs): GPUBuffer {
    const { A, b } = gaussianAffine(this.law, this.dim, a.level);
    const packed = new Float32Array(this.dim * this.dim + this.dim);
    packed.set(A);
    packed.set(b, this.dim * this.dim);
    return this.affine.next(packed);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
