import forwardWgsl from '../../../shaders/diffusion/forward.wgsl?raw';
import type { BindingKind } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { kernelGrid, ringKernel, withNoise } from './common';
import { STREAM_FORWARD, type NoiseLevel } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['dim', 'u32'],
  ['sourceCount', 'u32'],
  ['threadsPerRow', 'u32'],
  ['key0', 'u32'],
  ['key1', 'u32'],
  ['sqrtAb', 'f32'],
  ['sqrtOneMinusAb', 'f32'],
] as const);

const WORKGROUP = 256;

export interface ForwardArgs {
  /** sourceCount·dim f32 clean points; particle i starts from point i mod sourceCount. */
  source: GPUBuffer;
  sourceCount: number;
  /** Outputs, count·dim f32: x_t and the ε used. */
  xt: GPUBuffer;
  eps: GPUBuffer;
  count: number;
  dim: number;
  level: Pick<NoiseLevel, 'sqrtAlphaBar' | 'sqrtOneMinusAlphaBar'>;
  seed: number;
  /** Second Philox key word (default STREAM_FORWARD; tests may pick another). */
  stream?: number;
}

/**
 * Forward noising x_t = √ᾱ x₀ + √(1−ᾱ) ε on the GPU (shaders/diffusion/forward.wgsl); ε from Philox with key
 * (seed, STREAM_FORWARD), counter (particle, 0, block, 0). With level ᾱ = 0 it writes pure noise x_T = ε.
 */
export class ForwardKernel {
  private readonly kernel;

  constructor(device: GPUDevice, label = 'diffusion.forward') {
    const bindings: BindingKind[] = ['uniform', 'read', 'storage', 'storage'];
    const spec = { code: withNoise(forwardWgsl), bindings, entryPoints: 'forward' };
    this.kernel = ringKernel(device, label, spec, PARAMS);
  }

  encode(encoder: GPUCommandEncoder, a: ForwardArgs): void {
    if (a.sourceCount < 1) throw new RangeError('Forward noising needs at least one source point.');
    const threads = a.count * Math.ceil(a.dim / 4);
    const grid = kernelGrid(this.kernel, threads, WORKGROUP);
    const params = this.kernel.params.next({
      count: a.count,
      dim: a.dim,
      sourceCount: a.sourceCount,
      threadsPerRow: grid.threadsPerRow,
      key0: a.seed,
      key1: a.stream ?? STREAM_FORWARD,
      sqrtAb: a.level.sqrtAlphaBar,
      sqrtOneMinusAb: a.level.sqrtOneMinusAlphaBar,
    });
    this.kernel.encode(encoder, [params, a.source, a.xt, a.eps], grid);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
