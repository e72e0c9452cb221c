import philoxWgsl from '../../../shaders/common/philox.wgsl?raw';
import boxMullerWgsl from '../../../shaders/common/box_muller.wgsl?raw';
import generateWgsl from '../../../shaders/random/generate.wgsl?raw';
import { createBindGroup, ComputeKernel, grid1D, encodeComputePass } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { TRANSFORM_ID, type StreamKey, type Transform } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['transform', 'u32'],
  ['key0', 'u32'],
  ['key1', 'u32'],
  ['threadsPerRow', 'u32'],
  ['firstThread', 'u32'],
] as const);

const WORKGROUP = 256;

/**
 * Philox4x32-10 generator kernel: fills a buffer with `count` raw words or transformed f32 values (as
 * bits). Owns its pipeline and uniform buffer; one encode per submit.
 */
export class RandomKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pipeline: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private bindGroups = new WeakMap<GPUBuffer, GPUBindGroup>();

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'random.generate',
  ) {
    ({
      layout: this.layout,
      pipeline: this.pipeline,
      params: this.params,
    } = new ComputeKernel(device, label, {
      code: joinWgsl(philoxWgsl, boxMullerWgsl, generateWgsl),
      bindings: ['uniform', 'storage'],
      entryPoints: 'main',
      uniforms: PARAMS,
    }));
  }

  /** Invocations that generate `count` values of `transform` (one value each for Irwin–Hall, else four). */
  static threads(transform: Transform | 'raw', count: number): number {
    return transform === 'irwin-hall' ? count : Math.ceil(count / 4);
  }

  /**
   * Encodes generation of `count` values into `out` (array<u32>, at least 4·count bytes). With `threads`,
   * only invocations first…first+count−1 of the full run (RandomKernel.threads) are dispatched: a long run
   * split into batches writes exactly the values of the single dispatch.
   */
  encode(
    encoder: GPUCommandEncoder,
    out: GPUBuffer,
    options: {
      transform: Transform | 'raw';
      count: number;
      key: StreamKey;
      threads?: { first: number; count: number };
    },
  ): void {
    const id = TRANSFORM_ID[options.transform];
    const total = RandomKernel.threads(options.transform, options.count);
    const first = options.threads?.first ?? 0;
    const threads = options.threads?.count ?? total;
    if (!Number.isInteger(first) || first < 0 || !Number.isInteger(threads) || first + threads > total) {
      throw new RangeError(`Thread range ${first}+${threads} is outside the run's ${total} threads.`);
    }
    const grid = grid1D(threads, WORKGROUP, this.device.limits.maxComputeWorkgroupsPerDimension);
    PARAMS.write(this.device, this.params, {
      count: options.count,
      transform: id,
      key0: options.key.seed,
      key1: options.key.stream ?? 0,
      threadsPerRow: grid.threadsPerRow,
      firstThread: first,
    });
    let bindGroup = this.bindGroups.get(out);
    if (!bindGroup) {
      bindGroup = createBindGroup(this.device, `${this.label}.bg`, this.layout, [this.params, out]);
      this.bindGroups.set(out, bindGroup);
    }
    encodeComputePass(encoder, this.label, this.pipeline, bindGroup, grid.x, grid.y);
  }

  destroy(): void {
    this.params.destroy();
  }
}
