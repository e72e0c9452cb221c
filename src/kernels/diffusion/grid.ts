import gridWgsl from '../../../shaders/diffusion/grid.wgsl?raw';
import { createStorageBuffer, type BindingKind } from '../../gpu/compute';
import { UniformLayout } from '../../gpu/uniforms';
import { kernelGrid, ringKernel } from './common';
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
  private readonly kernel;
  private readonly dummy: GPUBuffer;
  readonly counts: GPUBuffer;

  constructor(
    device: GPUDevice,
    label = 'diffusion.grid',
    readonly maxGrid = 512,
  ) {
    if (maxGrid > MAX_GRID) throw new RangeError(`maxGrid must be at most ${MAX_GRID}.`);
    const bindings: BindingKind[] = ['uniform', 'read', 'storage', 'storage'];
    const entryPoints = { points: 'grid_points', density: 'density' };
    this.kernel = ringKernel(device, label, { code: gridWgsl, bindings, entryPoints }, PARAMS);
    this.dummy = this.kernel.own(createStorageBuffer(device, `${label}.unused`, 16));
    const countsBytes = (maxGrid * maxGrid + 1) * 4;
    this.counts = this.kernel.own(createStorageBuffer(device, `${label}.counts`, countsBytes));
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
    const grid = kernelGrid(this.kernel, spec.size * spec.size, WORKGROUP);
    const params = this.kernel.params.next(this.values(spec, 0, 2, grid.threadsPerRow));
    this.pass(encoder, 'points', [params, this.dummy, this.counts, out], grid);
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
    const grid = kernelGrid(this.kernel, count, WORKGROUP);
    const params = this.kernel.params.next(this.values(spec, count, dim, grid.threadsPerRow));
    encoder.clearBuffer(this.counts, 0, Math.ceil(((spec.size * spec.size + 1) * 4) / 4) * 4);
    this.pass(encoder, 'density', [params, positions, this.counts, this.dummy], grid);
    return this.counts;
  }

  /** One pass of pipeline `name`, labelled `<label>.<name>` (bind group `<label>.<name>.bg`). */
  private pass(
    encoder: GPUCommandEncoder,
    name: string,
    buffers: GPUBuffer[],
    grid: { x: number; y: number },
  ) {
    this.kernel.encode(encoder, buffers, grid, { pipeline: name, pass: `${this.kernel.label}.${name}` });
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
