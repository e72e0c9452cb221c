/**
 * The attention engine's GPU buffers: named `attention.<name>`, grown (never shrunk) and reused across
 * runs, and the upload of one run's inputs (Q, K, V, bias, custom-mask bits) with queue.writeBuffer.
 */
import type { GpuContext } from '../../gpu/device';
import { checkStorageSize } from '../../gpu/limits';
import { createStorageBuffer } from '../../gpu/compute';
import { biasMode, maskUniform, packCustomMask, type MaskUniform } from '../../kernels/attention/common';
import {
  resolveScale,
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
  type AttentionShape,
  type FloatArray,
} from '../../kernels/attention/spec';
import { BYTES } from './types';

/** One run's inputs on the GPU and the uniforms shared by the staged and fused paths. */
export interface PreparedRun {
  shape: AttentionShape;
  mask: AttentionMask;
  scale: number;
  maskU: MaskUniform;
  biasMode: number;
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  bias: GPUBuffer | undefined;
  maskBits: GPUBuffer | undefined;
}

export class AttentionBuffers {
  private readonly buffers = new Map<string, GPUBuffer>();

  constructor(private readonly gpu: Pick<GpuContext, 'device' | 'info'>) {}

  /** The buffer named `attention.<name>`, grown to `bytes` (checked against the adapter's limits). */
  get(name: string, bytes: number, what = name): GPUBuffer {
    checkStorageSize(this.gpu.info, `Attention ${what}`, bytes);
    let b = this.buffers.get(name);
    if (!b || b.size < bytes) {
      b?.destroy();
      b = createStorageBuffer(this.gpu.device, `attention.${name}`, bytes);
      this.buffers.set(name, b);
    }
    return b;
  }

  /** The existing buffer `name` (an earlier run created it). */
  existing(name: string): GPUBuffer {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`Attention buffer "${name}" does not exist yet.`);
    return b;
  }

  private upload(name: string, data: FloatArray | Uint32Array): GPUBuffer {
    const array = data instanceof Float64Array ? Float32Array.from(data) : data;
    const buffer = this.get(name, array.byteLength);
    this.gpu.device.queue.writeBuffer(buffer, 0, array.buffer, array.byteOffset, array.byteLength);
    return buffer;
  }

  /** Uploads a run's inputs, already checked by validateAttention (LimitError for oversized ones). */
  prepare(inputs: AttentionInputs, options: AttentionOptions): PreparedRun {
    const { shape } = inputs;
    const mask = options.mask ?? { kind: 'none' };
    checkStorageSize(this.gpu.info, 'Attention Q/K/V', shape.heads * shape.L * shape.d * BYTES);
    return {
      shape,
      mask,
      scale: resolveScale(shape, options),
      maskU: maskUniform(mask, shape.L),
      biasMode: biasMode(options.bias, shape),
      q: this.upload('q', inputs.q),
      k: this.upload('k', inputs.k),
      v: this.upload('v', inputs.v),
      bias: options.bias ? this.upload('bias', options.bias) : undefined,
      maskBits:
        mask.kind === 'custom' ? this.upload('maskBits', packCustomMask(mask.keep, shape.L)) : undefined,
    };
  }

  destroy(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
  }
}
