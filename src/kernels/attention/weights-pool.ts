import weightsPoolWgsl from '../../../shaders/attention/weights_pool.wgsl?raw';
import maskKeepsWgsl from '../../../shaders/attention/mask_keeps.wgsl?raw';
import poolCellsWgsl from '../../../shaders/attention/pool_cells.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape, PoolMode, Rect } from './spec';
import {
  ATTENTION_UNIFORM_FIELDS,
  MaskedKernel,
  RECT_UNIFORM_FIELDS,
  TILE,
  ceilDiv,
  rectUniformValues,
  type MaskUniform,
} from './common';

const PARAMS = new UniformLayout([
  ...ATTENTION_UNIFORM_FIELDS,
  ...RECT_UNIFORM_FIELDS,
  ['mode', 'u32'],
  ['pad0', 'u32'],
] as const);

interface WeightsPoolBuffers {
  q: GPUBuffer;
  k: GPUBuffer;
  bias?: GPUBuffer | undefined;
  maskBits?: GPUBuffer | undefined;
  /** Row stats (max, sum) from FusedAttentionKernel (or SoftmaxKernel) for the same inputs. */
  stats: GPUBuffer;
  /** [heads][outRows][outCols] */
  out: GPUBuffer;
}

/**
 * Pooled or windowed attention weights for the fused path (shaders/attention/weights_pool.wgsl): each output
 * cell recomputes its weights exp(q·k·scale + bias − m)/l from Q, K and the row stats, so no L×L buffer is
 * needed. With outRows = rect.rows and outCols = rect.cols it is a full-resolution window. Cost per cell:
 * cell area · d multiply-adds. One dispatch of (⌈outCols/16⌉, ⌈outRows/16⌉, heads). Encode at most once
 * per submit.
 */
export class WeightsPoolKernel {
  private readonly masked;

  constructor(device: GPUDevice, label = 'attention.weightsPool') {
    this.masked = new MaskedKernel(device, label, {
      code: joinWgsl(poolCellsWgsl, maskKeepsWgsl, weightsPoolWgsl),
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage'],
      entryPoints: 'weights_pool',
      uniforms: PARAMS,
    });
  }

  encode(
    encoder: GPUCommandEncoder,
    p: {
      shape: AttentionShape;
      scale: number;
      mask: MaskUniform;
      biasMode: number;
      rect: Rect;
      outRows: number;
      outCols: number;
      mode: PoolMode;
    },
    b: WeightsPoolBuffers,
  ): void {
    const { heads, L } = p.shape;
    this.masked.write(p, {
      ...rectUniformValues(L, p.rect, p.outRows, p.outCols),
      mode: p.mode === 'max' ? 0 : 1,
      pad0: 0,
    });
    const { kernel } = this.masked;
    const groups = { x: ceilDiv(p.outCols, TILE), y: ceilDiv(p.outRows, TILE), z: heads };
    kernel.encode(encoder, [kernel.params, b.q, b.k, ...this.masked.optional(b), b.stats, b.out], groups);
  }

  destroy(): void {
    this.masked.destroy();
  }
}
