import softmaxWgsl from '../../../shaders/attention/softmax.wgsl?raw';
import { createBindGroup, createComputeKernel, encodeComputePass } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape } from './spec';
import { maskWgsl } from './common';

const PARAMS = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
] as const);

/**
 * Stage 2 of staged attention (shaders/attention/softmax.wgsl): max-subtracted row softmax of the masked
 * stage, one 256-thread workgroup per (head, query) row with workgroup tree reductions. Masked entries
 * become exactly 0; fully-masked rows all 0. Also writes row stats [heads][L][2] = (max, sum).
 * One dispatch of (L, heads) workgroups. Encode at most once per submit.
 */
export class SoftmaxKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'attention.softmax',
  ) {
    ({
      layout: this.layout,
      pipeline: this.pipeline,
      params: this.params,
    } = createComputeKernel(device, label, {
      code: joinWgsl(maskWgsl, softmaxWgsl),
      bindings: ['uniform', 'read', 'storage', 'storage'],
      entryPoints: 'softmax',
      uniforms: PARAMS,
    }));
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: Pick<AttentionShape, 'heads' | 'L'>,
    buffers: { masked: GPUBuffer; weights: GPUBuffer; stats: GPUBuffer },
  ): void {
    PARAMS.write(this.device, this.params, { heads: shape.heads, len: shape.L });
    const bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [
      this.params,
      buffers.masked,
      buffers.weights,
      buffers.stats,
    ]);
    encodeComputePass(encoder, this.label, this.pipeline, bindGroup, shape.L, shape.heads);
  }

  destroy(): void {
    this.params.destroy();
  }
}
