/**
 * Rings of small parameter buffers written with queue.writeBuffer, so one kernel object can be encoded
 * several times into a single submit (diffusion ring kernels, the recommendation funnel's candidates and
 * gathers).
 */
import type { UniformLayout } from './uniforms';

/**
 * How many times one kernel object may be encoded into a single submit. Each encode writes its parameters
 * into the next of RING_SLOTS buffers (queue.writeBuffer runs before the submit executes, so two encodes that
 * shared one buffer would both see the last values). Writes for a later submit are ordered after earlier
 * submits, so the ring never needs resetting.
 */
export const RING_SLOTS = 16;
/** Rings up to this many bytes in all are allocated when created (see BufferRing). */
const EAGER_RING_BYTES = 1 << 20;

/**
 * A ring of RING_SLOTS small buffers (uniform or storage) written with queue.writeBuffer. Rings of at most
 * EAGER_RING_BYTES in all create every slot up front, so encoding never creates a GPU buffer (the benchmark
 * counts buffers created per step); larger ones (the affine denoiser's D×D matrix) create slots on first use.
 */
export class BufferRing {
  private readonly buffers: GPUBuffer[] = [];
  private cursor = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly bytes: number,
    private readonly usage: GPUBufferUsageFlags,
  ) {
    if (bytes * RING_SLOTS <= EAGER_RING_BYTES) for (let i = 0; i < RING_SLOTS; i++) this.slot(i);
  }

  private slot(i: number): GPUBuffer {
    let buffer = this.buffers[i];
    if (!buffer) {
      buffer = this.device.createBuffer({
        label: `${this.label}[${i}]`,
        size: Math.max(16, Math.ceil(this.bytes / 16) * 16),
        usage: this.usage | GPUBufferUsage.COPY_DST,
      });
      this.buffers[i] = buffer;
    }
    return buffer;
  }

  next(data: ArrayBuffer | ArrayBufferView<ArrayBuffer>): GPUBuffer {
    const buffer = this.slot(this.cursor);
    this.cursor = (this.cursor + 1) % RING_SLOTS;
    if (ArrayBuffer.isView(data))
      this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    else this.device.queue.writeBuffer(buffer, 0, data);
    return buffer;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

/** A BufferRing of uniform buffers for one UniformLayout. */
export class UniformRing<K extends string> {
  private readonly ring: BufferRing;
  constructor(
    device: GPUDevice,
    private readonly layout: UniformLayout<K>,
    label: string,
  ) {
    this.ring = new BufferRing(device, label, layout.size, GPUBufferUsage.UNIFORM);
  }
  next(values: Record<K, number>): GPUBuffer {
    return this.ring.next(this.layout.pack(values));
  }
  destroy(): void {
    this.ring.destroy();
  }
}
