import momentsCommonWgsl from '../../../shaders/common/moments.wgsl?raw';
import momentsWgsl from '../../../shaders/random/moments.wgsl?raw';
import { createBindGroup, ComputeKernel, createStorageBuffer } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { CentralSums } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['partialCount', 'u32'],
] as const);

const WORKGROUP = 256;
/** Values folded sequentially per thread before the tree merge (keeps partials few, Welford stays stable). */
const PER_THREAD = 16;
const MAX_PARTIALS = 4096;
/** Bytes of one Moments struct (five f32). */
export const MOMENTS_BYTES = 20;

/**
 * Count, mean and central sums M2..M4 of an f32 buffer, reduced on the GPU in two passes with
 * Chan/Pébay merging. Only the 20-byte result needs reading back.
 */
export class MomentsKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly partialPipeline: GPUComputePipeline;
  private readonly finalizePipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  readonly partials: GPUBuffer;
  readonly result: GPUBuffer;
  private bindGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'moments',
  ) {
    const kernel = new ComputeKernel(device, label, {
      code: joinWgsl(momentsCommonWgsl, momentsWgsl),
      bindings: ['uniform', 'read', 'storage', 'storage'],
      entryPoints: ['partial_moments', 'finalize_moments'],
      uniforms: PARAMS,
    });
    this.layout = kernel.layout;
    this.partialPipeline = kernel.pipelines.get('partial_moments')!;
    this.finalizePipeline = kernel.pipelines.get('finalize_moments')!;
    this.params = kernel.params;
    this.partials = createStorageBuffer(device, `${label}.partials`, MAX_PARTIALS * MOMENTS_BYTES);
    this.result = createStorageBuffer(device, `${label}.result`, MOMENTS_BYTES);
  }

  encode(encoder: GPUCommandEncoder, values: GPUBuffer, count: number): GPUBuffer {
    const groups = Math.min(MAX_PARTIALS, Math.max(1, Math.ceil(count / (WORKGROUP * PER_THREAD))));
    PARAMS.write(this.device, this.params, { count, partialCount: groups });
    let bindGroup = this.bindGroups.get(values);
    if (!bindGroup) {
      bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [
        this.params,
        values,
        this.partials,
        this.result,
      ]);
      this.bindGroups.set(values, bindGroup);
    }
    const pass = encoder.beginComputePass({ label: this.label });
    pass.setBindGroup(0, bindGroup);
    pass.setPipeline(this.partialPipeline);
    pass.dispatchWorkgroups(groups);
    pass.setPipeline(this.finalizePipeline);
    pass.dispatchWorkgroups(1);
    pass.end();
    return this.result;
  }

  static decode(bytes: ArrayBuffer): CentralSums {
    const f = new Float32Array(bytes, 0, 5);
    return { n: f[0]!, mean: f[1]!, m2: f[2]!, m3: f[3]!, m4: f[4]! };
  }

  destroy(): void {
    this.params.destroy();
    this.partials.destroy();
    this.result.destroy();
  }
}
