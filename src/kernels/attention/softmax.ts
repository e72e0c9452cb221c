import softmaxWgsl from '../../../shaders/attention/softmax.wgsl?raw';
import { UniformLayout } from '../../gpu/uniforms';
import type { AttentionShape } from './spec';
import { AttentionKernelBase } from './common';

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
export class SoftmaxKernel extends AttentionKernelBase {
  constructor(device: GPUDevice, label = 'attention.softmax') {
    super(device, label, {
      code: softmaxWgsl,
      bindings: ['uniform', 'read', 'storage', 'storage'],
      entryPoints: 'softmax',
      uniforms: PARAMS,
    });
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: Pick<AttentionShape, 'heads' | 'L'>,
    buffers: { masked: GPUBuffer; weights: GPUBuffer; stats: GPUBuffer },
  ): void {
    PARAMS.write(this.device, this.kernel.params, { heads: shape.heads, len: shape.L });
    const { masked, weights, stats } = buffers;
    this.kernel.encode(encoder, [this.kernel.params, masked, weights, stats], { x: shape.L, y: shape.heads });
  }
}
