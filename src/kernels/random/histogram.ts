import histogramWgsl from '../../../shaders/random/histogram.wgsl?raw';
import { createBindGroup, ComputeKernel, createStorageBuffer, encodeComputePass } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { MAX_BINS, type HistogramSpec } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['bins', 'u32'],
  ['lo', 'f32'],
  ['scale', 'f32'],
] as const);

const WORKGROUP = 256;
const PER_THREAD = 64;
const MAX_GROUPS = 1024;

/** Histogram of an f32 buffer on the GPU (workgroup atomics); counts[bins] = underflow, counts[bins+1] = overflow. */
export class HistogramKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  readonly counts: GPUBuffer;
  private bindGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'histogram',
  ) {
    ({
      layout: this.layout,
      pipeline: this.pipeline,
      params: this.params,
    } = new ComputeKernel(device, label, {
      code: histogramWgsl,
      bindings: ['uniform', 'read', 'storage'],
      entryPoints: 'histogram',
      uniforms: PARAMS,
    }));
    this.counts = createStorageBuffer(device, `${label}.counts`, (MAX_BINS + 2) * 4);
  }

  encode(encoder: GPUCommandEncoder, values: GPUBuffer, count: number, spec: HistogramSpec): GPUBuffer {
    if (!Number.isInteger(spec.bins) || spec.bins < 1 || spec.bins > MAX_BINS) {
      throw new RangeError(`Histogram bins must be an integer from 1 to ${MAX_BINS} (got ${spec.bins}).`);
    }
    PARAMS.write(this.device, this.params, {
      count,
      bins: spec.bins,
      lo: spec.lo,
      scale: spec.bins / (spec.hi - spec.lo),
    });
    let bindGroup = this.bindGroups.get(values);
    if (!bindGroup) {
      bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [
        this.params,
        values,
        this.counts,
      ]);
      this.bindGroups.set(values, bindGroup);
    }
    encoder.clearBuffer(this.counts);
    const groups = Math.min(MAX_GROUPS, Math.max(1, Math.ceil(count / (WORKGROUP * PER_THREAD))));
    encodeComputePass(encoder, this.label, this.pipeline, bindGroup, groups);
    return this.counts;
  }

  destroy(): void {
    this.params.destroy();
    this.counts.destroy();
  }
}
