/**
 * Pieces shared by the attention kernel wrappers: how a mask spec and a bias become uniform fields and
 * buffers, the tile size, and the WGSL snippets every attention kernel joins.
 */
import maskWgsl from '../../../shaders/attention/mask.wgsl?raw';
import { ComputeKernel, type BindingKind } from '../../gpu/compute';
import { joinWgsl, type UniformLayout } from '../../gpu/uniforms';
import {
  MASK_KIND_ID,
  validatePool,
  type AttentionMask,
  type AttentionShape,
  type FloatArray,
  type Rect,
} from './spec';

export { maskWgsl };

/** Tile edge of the tiled kernels (16×16 threads per workgroup). */
export const TILE = 16;

/** The mask as the kernels see it: kind id, padding length or window width, u32 words per custom row. */
export interface MaskUniform {
  kind: number;
  param: number;
  rowWords: number;
}

export function maskUniform(mask: AttentionMask, L: number): MaskUniform {
  const rowWords = Math.ceil(L / 32);
  switch (mask.kind) {
    case 'none':
      return { kind: MASK_KIND_ID.none, param: 0, rowWords };
    case 'causal':
      return { kind: MASK_KIND_ID.causal, param: 0, rowWords };
    case 'padding':
      return { kind: MASK_KIND_ID.padding, param: mask.validLength, rowWords };
    case 'window':
      return {
        kind: mask.causal ? MASK_KIND_ID.windowCausal : MASK_KIND_ID.window,
        param: mask.width,
        rowWords,
      };
    case 'custom':
      return { kind: MASK_KIND_ID.custom, param: 0, rowWords };
  }
}

/**
 * The uniform fields that open the Params struct of scores.wgsl, fused_io.wgsl and weights_pool.wgsl (same
 * order as the WGSL), and their values for a run.
 */
export const ATTENTION_UNIFORM_FIELDS = [
  ['heads', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['scale', 'f32'],
  ['maskKind', 'u32'],
  ['maskParam', 'u32'],
  ['rowWords', 'u32'],
  ['biasMode', 'u32'],
] as const;

type AttentionField = (typeof ATTENTION_UNIFORM_FIELDS)[number][0];

/** What attentionUniformValues reads from a run. */
interface AttentionUniformInput {
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  biasMode: number;
}

export function attentionUniformValues(p: AttentionUniformInput) {
  return {
    heads: p.shape.heads,
    len: p.shape.L,
    dim: p.shape.d,
    scale: p.scale,
    maskKind: p.mask.kind,
    maskParam: p.mask.param,
    rowWords: p.mask.rowWords,
    biasMode: p.biasMode,
  };
}

/** The uniform fields of a pooled rectangle (pool.wgsl, weights_pool.wgsl; same order as the WGSL). */
export const RECT_UNIFORM_FIELDS = [
  ['row0', 'u32'],
  ['col0', 'u32'],
  ['rows', 'u32'],
  ['cols', 'u32'],
  ['outRows', 'u32'],
  ['outCols', 'u32'],
] as const;

/** Checks the rectangle and output size against L (validatePool), then gives their uniform values. */
export function rectUniformValues(L: number, rect: Rect, outRows: number, outCols: number) {
  validatePool(L, rect, outRows, outCols);
  return { row0: rect.row0, col0: rect.col0, rows: rect.rows, cols: rect.cols, outRows, outCols };
}

/** Packs an L×L keep matrix as bits: ⌈L/32⌉ u32 words per query row, bit k % 32 of word k / 32. */
export function packCustomMask(keep: Uint8Array, L: number): Uint32Array {
  const rowWords = Math.ceil(L / 32);
  const bits = new Uint32Array(L * rowWords);
  for (let q = 0; q < L; q++) {
    for (let k = 0; k < L; k++) {
      if (keep[q * L + k]) bits[q * rowWords + (k >> 5)]! |= 1 << (k & 31);
    }
  }
  return bits;
}

/** 0 no bias, 1 one [L][L] bias shared by all heads, 2 a [heads][L][L] bias. */
export function biasMode(bias: FloatArray | undefined, shape: AttentionShape): number {
  if (!bias) return 0;
  return bias.length === shape.L * shape.L ? 1 : 2;
}

/** A tiny labelled storage buffer to bind where a kernel's optional input or output is unused. */
export function createDummyBuffer(device: GPUDevice, label: string): GPUBuffer {
  return device.createBuffer({ label, size: 16, usage: GPUBufferUsage.STORAGE });
}

export function ceilDiv(a: number, b: number): number {
  return Math.ceil(a / b);
}

/** A kernel on `code` joined after the mask helpers (shaders/attention/mask.wgsl), as every attention kernel is. */
export function attentionKernel(
  device: GPUDevice,
  label: string,
  spec: {
    code: string;
    bindings: readonly BindingKind[];
    entryPoints: string | readonly string[];
    uniforms: UniformLayout<string>;
  },
): ComputeKernel {
  return new ComputeKernel(device, label, { ...spec, code: joinWgsl(maskWgsl, spec.code) });
}

/** The body of the unmasked wrappers (softmax, weights · V, pool, window): an attentionKernel and destroy(). */
export abstract class AttentionKernelBase {
  protected readonly kernel: ComputeKernel;

  protected constructor(
    protected readonly device: GPUDevice,
    label: string,
    spec: Parameters<typeof attentionKernel>[2],
  ) {
    this.kernel = attentionKernel(device, label, spec);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}

/**
 * What the masked kernels (scores, weights-pool, fused) share: uniforms that open with
 * ATTENTION_UNIFORM_FIELDS, and the `<label>.unusedInput` dummy bound where the bias or the custom-mask bits
 * are absent. Without `code`, the wrapper compiles its own pipelines on `kernel.layout`.
 */
export class MaskedKernel<K extends string> {
  readonly kernel: ComputeKernel;
  private readonly uniforms: UniformLayout<K>;
  private readonly dummy: GPUBuffer;

  constructor(
    device: GPUDevice,
    label: string,
    spec: {
      code?: string;
      bindings: readonly BindingKind[];
      entryPoints?: string;
      uniforms: UniformLayout<K>;
    },
  ) {
    const { code, bindings, entryPoints, uniforms } = spec;
    this.uniforms = uniforms;
    this.kernel =
      code === undefined
        ? new ComputeKernel(device, label, { bindings, uniforms })
        : attentionKernel(device, label, { code, bindings, entryPoints: entryPoints ?? [], uniforms });
    this.dummy = this.kernel.own(createDummyBuffer(device, `${label}.unusedInput`));
  }

  /** Writes the uniforms: the attention fields of `p`, then the kernel's own `extra` fields. */
  write(p: AttentionUniformInput, extra: Record<Exclude<K, AttentionField>, number>): void {
    const values = { ...attentionUniformValues(p), ...extra } as Record<K, number>;
    this.uniforms.write(this.kernel.device, this.kernel.params, values);
  }

  /** The bias and custom-mask bindings: the given buffers, or the dummy. */
  optional(b: { bias?: GPUBuffer | undefined; maskBits?: GPUBuffer | undefined }): GPUBuffer[] {
    return [b.bias ?? this.dummy, b.maskBits ?? this.dummy];
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
