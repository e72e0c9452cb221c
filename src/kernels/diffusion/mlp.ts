import mlpWgsl from '../../../shaders/diffusion/mlp.wgsl?raw';
import mlpIoWgsl from '../../../shaders/diffusion/mlp_io.wgsl?raw';
import { createStorageBuffer } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import {
  MLP_MIN_SQRT_ALPHA_BAR,
  MLP_X0_CLIP,
  checkConfig,
  embeddingSize,
  frequencies,
  modelLambda,
  parameterCount,
  type MlpWeights,
} from './spec';
import { denoiserKernel, encodeDenoiser, withNoise, type DenoiseArgs, type EpsilonModel } from './common';

/** The uniforms of both MLP families (Params in mlp.wgsl and mlp_batched.wgsl). */
export const MLP_PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['threadsPerRow', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['lambda', 'f32'],
  ['sqrtOneMinusAb', 'f32'],
  ['invSqrtAb', 'f32'],
  ['clip', 'f32'],
] as const);

const WORKGROUP = 64;

/** The WGSL header that specialises shaders/diffusion/mlp.wgsl to a config. */
export function mlpHeader(model: MlpWeights): string {
  const c = model.config;
  const omega = frequencies(c.freqs);
  const list = (f: (w: number) => number) => [...omega].map((w) => f(w).toPrecision(9)).join(', ');
  return [
    `const DIM: u32 = ${c.dim}u;`,
    `const HIDDEN: u32 = ${c.hidden}u;`,
    `const BLOCKS: u32 = ${c.blocks}u;`,
    `const FREQS: u32 = ${c.freqs}u;`,
    `const E: u32 = ${embeddingSize(c)}u;`,
    `var<private> X_TURNS: array<f32, ${c.freqs}> = array<f32, ${c.freqs}>(${list((w) => (c.inputScale * w) / (2 * Math.PI))});`,
    `var<private> L_TURNS: array<f32, ${c.freqs}> = array<f32, ${c.freqs}>(${list((w) => w / (2 * Math.PI))});`,
  ].join('\n');
}

/** Throws a RangeError unless `model` is a valid config with the right number of parameters. */
export function checkMlpWeights(model: MlpWeights): void {
  checkConfig(model.config);
  if (model.params.length !== parameterCount(model.config)) {
    throw new RangeError(
      `The MLP needs ${parameterCount(model.config)} parameters (got ${model.params.length}).`,
    );
  }
}

/** The uniform values of one evaluation at `a.level` (both families). */
export function mlpUniforms(a: DenoiseArgs, threadsPerRow: number) {
  return {
    count: a.count,
    threadsPerRow,
    pad0: 0,
    pad1: 0,
    lambda: modelLambda(a.level.alphaBar, a.level.oneMinusAlphaBar),
    sqrtOneMinusAb: a.level.sqrtOneMinusAlphaBar,
    invSqrtAb: 1 / Math.max(a.level.sqrtAlphaBar, MLP_MIN_SQRT_ALPHA_BAR),
    clip: MLP_X0_CLIP,
  };
}

/**
 * The trained ε-prediction MLP on the GPU, one invocation per particle (shaders/diffusion/mlp.wgsl; the
 * `particle` family; the batched one is in mlp-batched.ts, createMlpDenoiser chooses): writes ε̂ and x̂₀
 * from ε̂ (√ᾱ floored at 1e-3, x̂₀ clipped to ±4). Owns its weight buffer (`diffusion.mlp.weights`).
 */
export class MlpDenoiser implements EpsilonModel {
  readonly name = 'mlp';
  readonly family = 'particle' as const;
  readonly dim: number;
  private readonly weights: GPUBuffer;
  private readonly kernel;

  constructor(
    device: GPUDevice,
    readonly model: MlpWeights,
    label = 'diffusion.mlp',
  ) {
    checkMlpWeights(model);
    this.dim = model.config.dim;
    const code = withNoise(`${mlpHeader(model)}\n${mlpIoWgsl}\n${mlpWgsl}`);
    this.kernel = denoiserKernel(device, label, code, 'mlp_denoise', MLP_PARAMS);
    this.weights = this.kernel.own(createStorageBuffer(device, `${label}.weights`, model.params.byteLength));
    const p = model.params;
    device.queue.writeBuffer(this.weights, 0, p.buffer, p.byteOffset, p.byteLength);
  }

  encode(encoder: GPUCommandEncoder, a: DenoiseArgs): void {
    const model = { dim: this.dim, workgroup: WORKGROUP, data: () => this.weights };
    encodeDenoiser(this.kernel, encoder, a, model, (threadsPerRow) => mlpUniforms(a, threadsPerRow));
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
