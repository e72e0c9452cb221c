import affineWgsl from '../../../shaders/diffusion/affine.wgsl?raw';
import {
  createBindGroup,
  createBindGroupLayout,
  createComputePipeline,
  grid1D,
  encodeComputePass,
} from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { BufferRing, UniformRing, levelUniforms, type DenoiseArgs, type EpsilonModel } from './common';
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
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: UniformRing<(typeof PARAMS.fields)[number][0]>;
  private readonly affine: BufferRing;

  constructor(
    private readonly device: GPUDevice,
    readonly law: GaussianLaw,
    readonly dim: number,
    private readonly label = 'diffusion.gaussian',
  ) {
    if (!Number.isInteger(dim) || dim < 1 || dim > AFFINE_MAX_DIM) {
      throw new RangeError(`The Gaussian denoiser takes D from 1 to ${AFFINE_MAX_DIM} (got ${dim}).`);
    }
    if (law.mean.length !== dim || law.cov.length !== dim * dim) {
      throw new RangeError(`Mean must have ${dim} entries and covariance ${dim * dim}.`);
    }
    const module = device.createShaderModule({ label, code: affineWgsl });
    this.layout = createBindGroupLayout(device, `${label}.bgl`, [
      'uniform',
      'read',
      'read',
      'storage',
      'storage',
    ]);
    this.pipeline = createComputePipeline(device, label, module, this.layout, 'denoise_affine');
    this.params = new UniformRing(device, PARAMS, `${label}.params`);
    this.affine = new BufferRing(device, `${label}.affine`, (dim * dim + dim) * 4, GPUBufferUsage.STORAGE);
  }

  encode(encoder: GPUCommandEncoder, a: DenoiseArgs): void {
    if (a.dim !== this.dim)
      throw new RangeError(`Denoiser built for D = ${this.dim}, called with D = ${a.dim}.`);
    const grid = grid1D(a.count, WORKGROUP, this.device.limits.maxComputeWorkgroupsPerDimension);
    const level = levelUniforms(a.level);
    const { A, b } = gaussianAffine(this.law, this.dim, a.level);
    const packed = new Float32Array(this.dim * this.dim + this.dim);
    packed.set(A);
    packed.set(b, this.dim * this.dim);
    const affine = this.affine.next(packed);
    const params = this.params.next({
      count: a.count,
      dim: a.dim,
      threadsPerRow: grid.threadsPerRow,
      pad0: 0,
      sqrtAb: level.sqrtAb,
      invSqrtOneMinusAb: level.invSqrtOneMinusAb,
      pad1: 0,
      pad2: 0,
    });
    const bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [
      params,
      a.xt,
      affine,
      a.x0,
      a.eps,
    ]);
    encodeComputePass(encoder, this.label, this.pipeline, bindGroup, grid.x, grid.y);
  }

  destroy(): void {
    this.params.destroy();
    this.affine.destroy();
  }
}
