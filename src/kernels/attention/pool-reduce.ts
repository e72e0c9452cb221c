import poolReduceWgsl from '../../../shaders/attention/pool_reduce.wgsl?raw';
import poolCellsWgsl from '../../../shaders/attention/pool_cells.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape, PoolMode, Rect } from './spec';
import { AttentionKernelBase, RECT_UNIFORM_FIELDS, TILE, ceilDiv, rectUniformValues } from './common';

const PARAMS = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
  ...RECT_UNIFORM_FIELDS,
  ['mode', 'u32'],
  ['prow0', 'u32'],
  ['prows', 'u32'],
] as const);

/**
 * Where a fused pass wrote pooled-map partials (FusedAttentionKernel with `pool`): query rows
 * rect.row0 … rect.row0 + rect.rows − 1, and outCols pool columns over rect's columns (poolCellRange).
 */
export interface PoolPartialsSpec {
  rect: Rect;
  outCols: number;
}

/** Bytes of the partials buffer: heads · rect.rows · outCols · (max, sum) f32. */
export function poolPartialsBytes(heads: number, spec: PoolPartialsSpec): number {
  return heads * spec.rect.rows * spec.outCols * 2 * 4;
}

/** Whether partials written for `spec` can give the map of `rect` at outCols columns (same column cells). */
export function partialsServe(spec: PoolPartialsSpec, rect: Rect, outCols: number): boolean {
  const p = spec.rect;
  return (
    outCols === spec.outCols &&
    rect.col0 === p.col0 &&
    rect.cols === p.cols &&
    rect.row0 >= p.row0 &&
    rect.row0 + rect.rows <= p.row0 + p.rows
  );
}

/**
 * The pooled weights map from a fused pass's partials and final row stats (shaders/attention/pool_reduce.wgsl):
 * exact max and mean pooling with no Q Kᵀ recomputation; same cells and masked / fully-masked semantics as
 * WeightsPoolKernel. One dispatch of (⌈outCols/16⌉, ⌈outRows/16⌉, heads). Encode at most once per submit.
 */
export class PoolReduceKernel extends AttentionKernelBase {
  constructor(device: GPUDevice, label = 'attention.poolReduce') {
    super(device, label, {
      code: joinWgsl(poolCellsWgsl, poolReduceWgsl),
      bindings: ['uniform', 'read', 'read', 'storage'],
      entryPoints: 'pool_reduce',
      uniforms: PARAMS,
    });
  }

  encode(
    encoder: GPUCommandEncoder,
    p: {
      shape: Pick<AttentionShape, 'heads' | 'L'>;
      partials: PoolPartialsSpec;
      rect: Rect;
      outRows: number;
      mode: PoolMode;
    },
    b: { stats: GPUBuffer; partials: GPUBuffer; out: GPUBuffer },
  ): void {
    const { heads, L } = p.shape;
    const outCols = p.partials.outCols;
    if (!partialsServe(p.partials, p.rect, outCols)) {
      throw new RangeError('The pooled-map partials do not cover this rectangle with these columns.');
    }
    PARAMS.write(this.device, this.kernel.params, {
      heads,
      len: L,
      ...rectUniformValues(L, p.rect, p.outRows, outCols),
      mode: p.mode === 'max' ? 0 : 1,
      prow0: p.partials.rect.row0,
      prows: p.partials.rect.rows,
    });
    const groups = { x: ceilDiv(outCols, TILE), y: ceilDiv(p.outRows, TILE), z: heads };
    this.kernel.encode(encoder, [this.kernel.params, b.stats, b.partials, b.out], groups);
  }
}
