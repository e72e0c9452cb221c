import poolWgsl from '../../../shaders/attention/pool.wgsl?raw';
import poolCellsWgsl from '../../../shaders/attention/pool_cells.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape, PoolMode, Rect } from './spec';
import { AttentionKernelBase, RECT_UNIFORM_FIELDS, TILE, ceilDiv, rectUniformValues } from './common';

const PARAMS = new UniformLayout([['heads', 'u32'], ['len', 'u32'], ...RECT_UNIFORM_FIELDS] as const);

abstract class RectKernel extends AttentionKernelBase {
  constructor(device: GPUDevice, label: string, entries: string[]) {
    super(device, label, {
      code: joinWgsl(poolCellsWgsl, poolWgsl),
      bindings: ['uniform', 'read', 'storage'],
      entryPoints: entries,
      uniforms: PARAMS,
    });
  }

  protected dispatch(
    encoder: GPUCommandEncoder,
    entry: string,
    shape: Pick<AttentionShape, 'heads' | 'L'>,
    rect: Rect,
    outRows: number,
    outCols: number,
    src: GPUBuffer,
    out: GPUBuffer,
  ): void {
    const values = {
      heads: shape.heads,
      len: shape.L,
      ...rectUniformValues(shape.L, rect, outRows, outCols),
    };
    PARAMS.write(this.device, this.kernel.params, values);
    const { label, params } = this.kernel;
    const groups = { x: ceilDiv(outCols, TILE), y: ceilDiv(outRows, TILE), z: shape.heads };
    const run = { pipeline: entry, pass: `${label}.${entry}`, bindGroup: `${label}.bg` };
    this.kernel.encode(encoder, [params, src, out], groups, run);
  }
}

/**
 * Pools a rectangle of each head's [L][L] matrix (shaders/attention/pool.wgsl) to [heads][outRows][outCols]
 * by max or mean (cells: poolCellRange). The mean skips masked entries (≤ MASKED_SENTINEL); a cell of only
 * masked entries gives MASKED_SENTINEL. One dispatch. Encode at most once per submit.
 */
export class PoolKernel extends RectKernel {
  constructor(device: GPUDevice, label = 'attention.pool') {
    super(device, label, ['pool_max', 'pool_mean']);
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: Pick<AttentionShape, 'heads' | 'L'>,
    spec: { rect: Rect; outRows: number; outCols: number; mode: PoolMode },
    buffers: { src: GPUBuffer; out: GPUBuffer },
  ): void {
    const entry = spec.mode === 'max' ? 'pool_max' : 'pool_mean';
    this.dispatch(encoder, entry, shape, spec.rect, spec.outRows, spec.outCols, buffers.src, buffers.out);
  }
}

/**
 * Copies a rectangle of each head's [L][L] matrix at full resolution (the `window` entry point of
 * shaders/attention/pool.wgsl) to [heads][rect.rows][rect.cols], for zoom and pan. One dispatch.
 * Encode at most once per submit.
 */
export class WindowKernel extends RectKernel {
  constructor(device: GPUDevice, label = 'attention.window') {
    super(device, label, ['window']);
  }

  encode(
    encoder: GPUCommandEncoder,
    shape: Pick<AttentionShape, 'heads' | 'L'>,
    rect: Rect,
    buffers: { src: GPUBuffer; out: GPUBuffer },
  ): void {
    this.dispatch(encoder, 'window', shape, rect, rect.rows, rect.cols, buffers.src, buffers.out);
  }
}
