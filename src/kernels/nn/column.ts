/**
 * Gathers one column of several row-major [rows, stride] matrices into one small buffer (each source at its
 * own offset): one dispatch per source instead of a copy command per row. The column lives in the uniforms,
 * written only when it changes (so a call that keeps its column makes no queue write).
 */
import { UniformLayout } from '../../gpu/uniforms';
import { createStorageBuffer } from '../../gpu/compute';
import { OpResources, dispatch } from './op-resources';
import { encodeDispatches, type Dispatch } from './pipelines';

const COLUMN = new UniformLayout([
  ['rows', 'u32'],
  ['stride', 'u32'],
  ['col', 'u32'],
  ['offset', 'u32'],
] as const);

export class ColumnGather {
  /** [sets × sources × rows] floats, source s of the encoded set at s·rows. */
  readonly out: GPUBuffer;
  private readonly res: OpResources;
  private readonly uniforms: GPUBuffer[] = [];
  /** Per set (e.g. a layer), one dispatch per source. */
  private readonly lists: Dispatch[][];
  private col = 0;

  constructor(
    readonly device: GPUDevice,
    label: string,
    readonly rows: number,
    readonly stride: number,
    /** Per set, the sources (all [rows, stride]); every set has the same number of sources. */
    sets: readonly (readonly GPUBuffer[])[],
  ) {
    const sources = sets[0]?.length ?? 0;
    if (sources === 0 || sets.some((s) => s.length !== sources))
      throw new RangeError('ColumnGather needs sets with the same, non-zero number of sources');
    this.res = new OpResources(device);
    this.out = createStorageBuffer(device, `${label}.columns`, sources * rows * 4);
    for (let s = 0; s < sources; s++)
      this.uniforms.push(
        this.res.uniform(COLUMN, `${label}.column.${s}.params`, { rows, stride, col: 0, offset: s * rows }),
      );
    const groups = Math.ceil(rows / 64);
    this.lists = sets.map((set, k) =>
      set.map((src, s) =>
        dispatch(
          this.res,
          'column',
          'gather_column',
          `${label}.column.${k}.${s}.bg`,
          [this.uniforms[s]!, src, this.out],
          groups,
        ),
      ),
    );
  }

  /** Encodes the gather of column `col` of set `set` into `pass`; the column applies to the whole submit. */
  encode(pass: GPUComputePassEncoder, set: number, col: number): void {
    if (!(Number.isInteger(col) && col >= 0 && col < this.stride))
      throw new RangeError(`Column ${col} is outside 0…${this.stride - 1}`);
    const list = this.lists[set];
    if (!list) throw new RangeError(`ColumnGather has no set ${set}`);
    if (col !== this.col) {
      this.uniforms.forEach((u, s) =>
        COLUMN.write(this.device, u, { rows: this.rows, stride: this.stride, col, offset: s * this.rows }),
      );
      this.col = col;
    }
    encodeDispatches(pass, list);
  }

  destroy(): void {
    this.res.destroy();
    this.out.destroy();
  }
}
