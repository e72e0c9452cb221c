import scoresWgsl from '../../../shaders/attention/scores.wgsl?raw';
import maskKeepsWgsl from '../../../shaders/attention/mask_keeps.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { AttentionShape } from './spec';
import {
  ATTENTION_UNIFORM_FIELDS,
  MaskedKernel,
  TILE,
  ceilDiv,
  createDummyBuffer,
  type MaskUniform,
} from './common';

const PARAMS = new UniformLayout([
  ...ATTENTION_UNIFORM_FIELDS,
  ['writeRaw', 'u32'],
  ['writeScaled', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
] as const);

interface ScoresBuffers {
  /** [heads][L][d] */
  q: GPUBuffer;
  /** [heads][L][d] */
  k: GPUBuffer;
  /** [L][L] or [heads][L][L]; omit when biasMode is 0. */
  bias?: GPUBuffer | undefined;
  /** Packed custom-mask bits (packCustomMask); omit unless the mask is custom. */
  maskBits?: GPUBuffer | undefined;
  /** Raw QKᵀ out, [heads][L][L]; omit to skip writing it. */
  raw?: GPUBuffer | undefined;
  /** scores·scale + bias out, [heads][L][L]; omit to skip writing it. */
  scaled?: GPUBuffer | undefined;
  /** Masked stage out (MASKED_SENTINEL where masked), [heads][L][L]; always written. */
  masked: GPUBuffer;
}

interface ScoresParams {
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  /** 0 none, 1 shared [L][L], 2 per head (biasMode in common.ts). */
  biasMode: number;
}

/**
 * Stage 1 of staged attention (shaders/attention/scores.wgsl): tiled QKᵀ (16×16 tiles through workgroup
 * memory) with scale, bias and mask applied; writes raw, scaled and masked stages. One dispatch of
 * (⌈L/16⌉, ⌈L/16⌉, heads) workgroups. Writes its uniform buffer on encode: encode at most once per submit.
 */
export class AttentionScoresKernel {
  private readonly masked;
  private readonly dummyRaw: GPUBuffer;
  private readonly dummyScaled: GPUBuffer;

  constructor(device: GPUDevice, label = 'attention.scores') {
    this.masked = new MaskedKernel(device, label, {
      code: joinWgsl(maskKeepsWgsl, scoresWgsl),
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'storage', 'storage', 'storage'],
      entryPoints: 'scores',
      uniforms: PARAMS,
    });
    this.dummyRaw = this.masked.kernel.own(createDummyBuffer(device, `${label}.unusedRaw`));
    this.dummyScaled = this.masked.kernel.own(createDummyBuffer(device, `${label}.unusedScaled`));
  }

  encode(encoder: GPUCommandEncoder, p: ScoresParams, b: ScoresBuffers): void {
    const { heads, L } = p.shape;
    this.masked.write(p, { writeRaw: b.raw ? 1 : 0, writeScaled: b.scaled ? 1 : 0, pad0: 0, pad1: 0 });
    const { kernel } = this.masked;
    const outputs = [b.raw ?? this.dummyRaw, b.scaled ?? this.dummyScaled, b.masked];
    const groups = { x: ceilDiv(L, TILE), y: ceilDiv(L, TILE), z: heads };
    kernel.encode(encoder, [kernel.params, b.q, b.k, ...this.masked.optional(b), ...outputs], groups);
  }

  destroy(): void {
    this.masked.destroy();
  }
}
