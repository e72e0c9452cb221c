import stepWgsl from '../../../shaders/diffusion/step.wgsl?raw';
import type { BindingKind } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { kernelGrid, ringKernel, withNoise } from './common';
import { STREAM_SAMPLER, type StepCoefficients } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['dim', 'u32'],
  ['threadsPerRow', 'u32'],
  ['step', 'u32'],
  ['key0', 'u32'],
  ['key1', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['cx', 'f32'],
  ['cx0', 'f32'],
  ['ceps', 'f32'],
  ['caux', 'f32'],
  ['sigma', 'f32'],
  ['pad2', 'f32'],
  ['pad3', 'f32'],
  ['pad4', 'f32'],
] as const);

const WORKGROUP = 256;

export interface StepArgs {
  x: GPUBuffer;
  x0: GPUBuffer;
  eps: GPUBuffer;
  /** A fourth input, only read when coefficients.caux ≠ 0 (Heun's corrector: the first x̂₀); pass any buffer
   *  otherwise. */
  aux: GPUBuffer;
  /** Output; must differ from every input. */
  out: GPUBuffer;
  count: number;
  dim: number;
  coefficients: StepCoefficients;
  seed: number;
  /** Counter word `step` of the noise z (the timestep being left). */
  noiseStep: number;
  /** Second Philox key word (default STREAM_SAMPLER). */
  stream?: number;
}

/**
 * The sampler update out = cx·x + cx0·x̂₀ + ceps·ε̂ + caux·aux + σ·z (shaders/diffusion/step.wgsl). DDPM,
 * DDIM, Euler and Heun differ only in the float64 coefficients (planStep in spec.ts).
 */
export class SamplerStepKernel {
  private readonly kernel;

  constructor(device: GPUDevice, label = 'diffusion.step') {
    const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'read', 'storage'];
    const spec = { code: withNoise(stepWgsl), bindings, entryPoints: 'sampler_step' };
    this.kernel = ringKernel(device, label, spec, PARAMS);
  }

  encode(encoder: GPUCommandEncoder, a: StepArgs): void {
    for (const input of [a.x, a.x0, a.eps, a.aux]) {
      if (input === a.out) throw new RangeError('The sampler step cannot write into one of its inputs.');
    }
    const threads = a.count * Math.ceil(a.dim / 4);
    const grid = kernelGrid(this.kernel, threads, WORKGROUP);
    const c = a.coefficients;
    const params = this.kernel.params.next({
      count: a.count,
      dim: a.dim,
      threadsPerRow: grid.threadsPerRow,
      step: a.noiseStep,
      key0: a.seed,
      key1: a.stream ?? STREAM_SAMPLER,
      pad0: 0,
      pad1: 0,
      cx: c.cx,
      cx0: c.cx0,
      ceps: c.ceps,
      caux: c.caux,
      sigma: c.sigma,
      pad2: 0,
      pad3: 0,
      pad4: 0,
    });
    this.kernel.encode(encoder, [params, a.x, a.x0, a.eps, a.aux, a.out], grid);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
