import weightsVWgsl from '../../../shaders/attention/weights_v.wgsl?raw';
import { UniformLayout } from '../../gpu/uniforms';
import type { AttentionShape } from './spec';
import { AttentionKernelBase, TILE, ceilDiv, type MaskUniform } from './common';

const PARAMS = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['maskKind', 'u32'],
  ['maskParam', 'u32'],
] as const);

/**
 * Stage 3 of staged attention (shaders/attention/weights_v.wgsl): out = weights · V, 16×16 tiles through
 * workgroup memory; key tiles the mask excludes for a whole query tile are skipped. One dispatch of
 * (⌈d/16⌉, ⌈L/16⌉, heads) workgroups. Encode at most once per submit.
 */
export class WeightsTimesVKernel extends AttentionKernelBase {
  constructor(device: GPUDevice, label = 'attention.weightsV') {
    super(device, label, {
      code: weightsVWgsl,
      bindings: ['uniform', 'read', 'read', 'storage'],
      entryPoints: 'weights_v',
      uniforms: PARAMS,
    });
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: AttentionShape,
    mask: MaskUniform,
    buffers: { weights: GPUBuffer; v: GPUBuffer; out: GPUBuffer },
  ): void {
    const { heads, L, d } = shape;
    PARAMS.write(this.device, this.kernel.params, {
      heads,
      len: L,
      dim: d,
      maskKind: mask.kind,
      maskParam: mask.param,
    });
    const groups = { x: ceilDiv(d, TILE), y: ceilDiv(L, TILE), z: heads };
    this.kernel.encode(encoder, [this.kernel.params, buffers.weights, buffers.v, buffers.out], groups);
  }
}
