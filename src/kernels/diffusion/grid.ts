import gridWgsl from '../../../shaders/diffusion/grid.wgsl?raw';
import {
  createBindGroup,
  createBindGroupLayout,
  createComputePipeline,
  createStorageBuffer,
  grid1D,
  encodeComputePass,
} from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { UniformRing } from './common';
import { MAX_GRID, checkGrid, gridF32, type GridSpec } from './spec';

const PARAMS = new UniformLayout([
  ['count', 'u32'],
  ['dim', 'u32'],
  ['size', 'u32'],
  ['threadsPerRow', 'u32'],
  ['xMin', 'f32'],
  ['yMin', 'f32'],
  ['dx', 'f32'],
  ['dy', 'f32'],
  ['scaleX', 'f32'],
  ['scaleY', 'f32'],
  ['pad0', 'f32'],
  ['pad1', 'f32'],
] as const);

const WORKGROUP = 256;

/**
 * The 2D grids of the lab (shaders/diffusion/grid.wgsl): cell centres where the vector field is evaluated,
 * and the density histogram of the particles (global atomics; counts[G²] = outside). Owns `counts`, sized for
 * the largest grid (MAX_GRID² + 1 words) — or pass `maxGrid` to keep it smaller.
 */
export class GridKernel {
  private readonly layout: GPUBindGroupLayout;
  private readonly pointsPipeline: GPUComputePipeline;
  private readonly densityPipeline: GPUComputePipeline;
  private readonly params: UniformRing<(typeof PARAMS.fields)[number][0]>;
  private readonly dummy: GPUBuffer;
  readonly counts: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    private readonly label = 'diffusion.grid',
    readonly maxGrid = 512,
  ) {
    if (maxGrid > MAX_GRID) throw new RangeError(`maxGrid must be at most ${MAX_GRID}.`);
    const module = device.createShaderModule({ label, code: gridWgsl });
    this.layout = createBindGroupLayout(device, `${label}.bgl`, ['uniform', 'read', 'storage', 'storage']);
    this.pointsPipeline = createComputePipeline(
      device,
      `${label}.points`,
      module,
      this.layout,
      'grid_points',
    );
    this.densityPipeline = createComputePipeline(device, `${label}.density`, module, this.layout, 'density');
    this.params = new UniformRing(device, PARAMS, `${label}.params`);
    this.dummy = createStorageBuffer(device, `${label}.unused`, 16);
    this.counts = createStorageBuffer(device, `${label}.counts`, (maxGrid * maxGrid + 1) * 4);
  }

  private check(spec: GridSpec): void {
    checkGrid(spec);
    if (spec.size > this.maxGrid)
      throw new RangeError(`Grid size ${spec.size} exceeds this kernel's ${this.maxGrid}.`);
  }

  private values(spec: GridSpec, count: number, dim: number, threadsPerRow: number) {
    const p = gridF32(spec);
    return { count, dim, size: spec.size, threadsPerRow, ...p, pad0: 0, pad1: 0 };
  }

  /** Writes the G² cell centres (x, y) into `out` (2·G² f32). */
  encodePoints(encoder: GPUCommandEncoder, spec: GridSpec, out: GPUBuffer): void {
    this.check(spec);
    const grid = grid1D(
      spec.size * spec.size,
      WORKGROUP,
      this.device.limits.maxComputeWorkgroupsPerDimension,
    );
    const params = this.params.next(this.values(spec, 0, 2, grid.threadsPerRow));
    const bg = createBindGroup(this.device, `${this.label}.points.bg`, this.layout, [
      params,
      this.dummy,
      this.counts,
      out,
    ]);
    encodeComputePass(encoder, `${this.label}.points`, this.pointsPipeline, bg, grid.x, grid.y);
  }

  /**
   * Clears `counts` and bins components (0, 1) of `count` particles of dimension `dim` (≥ 2). Returns
   * `counts`: G² words (row-major, row 0 at yMin) then one word of particles outside the grid.
   */
  encodeDensity(
    encoder: GPUCommandEncoder,
    positions: GPUBuffer,
    count: number,
    dim: number,
    spec: GridSpec,
  ): GPUBuffer {
    this.check(spec);
    if (dim < 2) throw new RangeError('The density grid needs at least two components.');
    const grid = grid1D(count, WORKGROUP, this.device.limits.maxComputeWorkgroupsPerDimension);
    const params = this.params.next(this.values(spec, count, dim, grid.threadsPerRow));
    const bg = createBindGroup(this.device, `${this.label}.density.bg`, this.layout, [
      params,
      positions,
      this.counts,
      this.dummy,
    ]);
    encoder.clearBuffer(this.counts, 0, Math.ceil(((spec.size * spec.size + 1) * 4) / 4) * 4);
    encodeComputePass(encoder, `${this.label}.density`, this.densityPipeline, bg, grid.x, grid.y);
    return this.counts;
  }

  destroy(): void {
    this.params.destroy();
    this.dummy.destroy();
    this.counts.destroy();
  }
}
