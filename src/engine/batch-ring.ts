/**
 * A ring of training batches on the GPU: the batches of the next steps go up in ONE queue write, and each
 * step's batch is copied into the networks' `x`/`labels` between passes (copyBufferToBuffer, no dispatch).
 * Nothing is created per step: the ring buffer and its CPU staging are made once.
 */
import { createStorageBuffer } from '../gpu/compute';
import type { Batch } from '../models/mlp';

/** The most bytes a ring holds (image tasks have large rows: they get fewer slots). */
export const BATCH_RING_BYTES = 8 << 20;

/** Where a step's batch goes: a network's input and label buffers (GpuMlp.x, GpuMlp.labels). */
export interface BatchTarget {
  x: GPUBuffer;
  labels: GPUBuffer;
}

export class BatchRing {
  /** Slots in the ring: the most batches one write (one call) may carry. */
  readonly capacity: number;
  private readonly buffer: GPUBuffer;
  private readonly xBytes: number;
  private readonly slotBytes: number;
  private readonly scratch: ArrayBuffer;
  private cursor = 0;

  constructor(
    private readonly device: GPUDevice,
    label: string,
    /** Rows per batch, inputs per row; `slots` wanted (cut to fit BATCH_RING_BYTES, at least 1). */
    o: { rows: number; inDim: number; slots: number; maxBytes?: number },
  ) {
    this.xBytes = o.rows * o.inDim * 4;
    // x then labels (u32), both whole 4-byte words: every copy offset and size is a multiple of 4.
    this.slotBytes = this.xBytes + o.rows * 4;
    const fit = Math.floor((o.maxBytes ?? BATCH_RING_BYTES) / this.slotBytes);
    this.capacity = Math.max(1, Math.min(o.slots, fit));
    this.buffer = createStorageBuffer(device, `${label}.batches`, this.capacity * this.slotBytes);
    this.scratch = new ArrayBuffer(this.capacity * this.slotBytes);
  }

  /**
   * Writes `batches` into consecutive slots in one queue write and returns the first slot. The write is
   * ordered after every earlier submit and before the next one, so slots may be reused call after call.
   */
  write(batches: readonly Batch[]): number {
    const n = batches.length;
    if (n < 1 || n > this.capacity)
      throw new RangeError(`A batch ring of ${this.capacity} slots cannot take ${n} batches in one write.`);
    if (this.cursor + n > this.capacity) this.cursor = 0;
    const first = this.cursor;
    batches.forEach((b, k) => {
      const at = k * this.slotBytes;
      if (b.x.length * 4 !== this.xBytes || b.labels.length * 4 !== this.slotBytes - this.xBytes)
        throw new RangeError(`Batch ${k} does not fit the ring's slots (${b.x.length} inputs).`);
      new Float32Array(this.scratch, at, b.x.length).set(b.x);
      new Uint32Array(this.scratch, at + this.xBytes, b.labels.length).set(b.labels);
    });
    const bytes = n * this.slotBytes;
    this.device.queue.writeBuffer(this.buffer, first * this.slotBytes, this.scratch, 0, bytes);
    this.cursor = first + n;
    return first;
  }

  /** Encodes the copies of slot `slot`'s batch into every target (outside any pass). */
  encodeCopy(enc: GPUCommandEncoder, slot: number, targets: readonly BatchTarget[]): void {
    const at = slot * this.slotBytes;
    const labelBytes = this.slotBytes - this.xBytes;
    for (const t of targets) {
      enc.copyBufferToBuffer(this.buffer, at, t.x, 0, this.xBytes);
      enc.copyBufferToBuffer(this.buffer, at + this.xBytes, t.labels, 0, labelBytes);
    }
  }

  destroy(): void {
    this.buffer.destroy();
  }
}
