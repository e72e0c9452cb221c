import weightsVWgsl from '../../../shaders/attention/weights_v.wgsl?raw';
import { createBindGroup, createComputeKernel, encodeComputePass } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape } from './spec';
import { TILE, ceilDiv, maskWgsl, type MaskUniform } from './common';

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
export class WeightsTimesVKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'attention.weightsV',
  ) {
    ({
      layout: this.layout,
      pipeline: this.pipeline,
      params: this.params,
    } = createComputeKernel(device, label, {
      code: joinWgsl(maskWgsl, weightsVWgsl),
      bindings: ['uniform', 'read', 'read', 'storage'],
      entryPoints: 'weights_v',
      uniforms: PARAMS,
    }));
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: AttentionShape,
    mask: MaskUniform,
    buffers: { weights: GPUBuffer; v: GPUBuffer; out: GPUBuffer },
  ): void {
    const { heads, L, d } = shape;
    PARAMS.write(this.device, this.params, {
      heads,
      len: L,
      dim: d,
      maskKind: mask.kind,
      maskParam: mask.param,
    });
    const bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [
      this.params,
      buffers.weights,
      buffers.v,
      buffers.out,
    ]);
    encodeComputePass(
      encoder,
      this.label,
      this.pipeline,
      bindGroup,
      ceilDiv(d, TILE),
      ceilDiv(L, TILE),
      heads,
    );
  }

  destroy(): void {
    this.params.destroy();
  }
}
