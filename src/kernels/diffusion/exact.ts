import onlineSoftmaxWgsl from '../../../shaders/common/online_softmax.wgsl?raw';
import pointsWgsl from '../../../shaders/diffusion/exact_points.wgsl?raw';
import wideWgsl from '../../../shaders/diffusion/exact_wide.wgsl?raw';
import { createStorageBuffer } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { denoiserKernel, encodeDenoiser, levelUniforms, type DenoiseArgs, type EpsilonModel } from './common';
import { MAX_DIM } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['dataCount', 'u32'],
  ['perRow', 'u32'],
  ['pad0', 'u32'],
  ['sqrtAb', 'f32'],
  ['invTwoVar', 'f32'],
  ['invSqrtOneMinusAb', 'f32'],
  ['pad1', 'f32'],
] as const);

/** Dimensions up to this use one thread per particle (exact_points.wgsl); above, one workgroup per particle. */
const POINTS_MAX_DIM = 8;
const POINTS_WG = 64;
const WIDE_WG = 64;

/** Data points per workgroup-memory tile of the wide kernel: CHUNK·DIM ≤ 2048 floats, 1…16. */
function wideChunk(dim: number): number {
  return Math.max(1, Math.min(16, Math.floor(2048 / dim)));
}

/**
 * The exact denoiser of the empirical data {x_i} on the GPU (shaders/diffusion/exact_*.wgsl), built on the
 * shared online softmax (shaders/common/online_softmax.wgsl) — it is attention with x_t as the query and the
 * data as keys and values. Owns the data buffer (`diffusion.data`).
 * dim ≤ 8: one thread per particle, data tiled through workgroup memory 256 points at a time (scales to 10⁶
 * particles via a 2D dispatch grid). dim > 8 (images): one 64-thread workgroup per particle, the dimension
 * split across threads, data in tiles of wideChunk(dim) points.
 */
export class ExactDenoiser implements EpsilonModel {
  readonly name = 'exact';
  readonly dataCount: number;
  readonly data: GPUBuffer;
  private readonly kernel;
  private readonly wide: boolean;

  /** `data` holds M points of `dim` f32 components, row-major. */
  constructor(
    device: GPUDevice,
    data: Float32Array,
    readonly dim: number,
    label = 'diffusion.exact',
  ) {
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
      throw new RangeError(`Dimension must be an integer from 1 to ${MAX_DIM} (got ${dim}).`);
    }
    if (data.length === 0 || data.length % dim !== 0) {
      throw new RangeError(`Data length ${data.length} is not a positive multiple of the dimension ${dim}.`);
    }
    this.dataCount = data.length / dim;
    this.wide = dim > POINTS_MAX_DIM;
    const header = this.wide
      ? `const DIM: u32 = ${dim}u;\nconst PER_THREAD: u32 = ${Math.ceil(dim / WIDE_WG)}u;\nconst CHUNK: u32 = ${wideChunk(dim)}u;`
      : `const DIM: u32 = ${dim}u;`;
    const code = joinWgsl(onlineSoftmaxWgsl, header, this.wide ? wideWgsl : pointsWgsl);
    this.kernel = denoiserKernel(device, label, code, this.wide ? 'denoise_wide' : 'denoise_points', PARAMS);
    this.data = this.kernel.own(createStorageBuffer(device, `${label}.data`, data.byteLength));
    device.queue.writeBuffer(this.data, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  encode(encoder: GPUCommandEncoder, a: DenoiseArgs): void {
    const model = { dim: this.dim, workgroup: this.wide ? 1 : POINTS_WG, data: () => this.data };
    encodeDenoiser(this.kernel, encoder, a, model, (perRow) => ({
      count: a.count,
      dataCount: this.dataCount,
      perRow,
      pad0: 0,
      ...levelUniforms(a.level),
      pad1: 0,
    }));
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
