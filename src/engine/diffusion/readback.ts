/**
 * Reading back only what is drawn: the GPU engine queues copies of the requested arrays into pooled
 * MAP_READ buffers on the operation's encoder, submits once, then maps them all (`FrameReads`); the
 * vector-field grid keeps its buffers between frames (`FieldBuffers`).
 */
import { createStorageBuffer } from '../../gpu/compute';
import { encodeReadback, type ReadbackPool } from '../../gpu/readback';

export class FrameReads {
  private readonly pending: Array<{ dst: GPUBuffer; bytes: number; take: (data: ArrayBuffer) => void }> = [];

  constructor(
    private readonly pool: ReadbackPool,
    private readonly encoder: GPUCommandEncoder,
  ) {}

  /** Queues a copy of the first `bytes` of `src`; `take` gets them after `submit`. */
  copy(src: GPUBuffer, bytes: number, take: (data: ArrayBuffer) => void): void {
    if (bytes === 0) {
      take(new ArrayBuffer(0));
      return;
    }
    this.pending.push({ dst: encodeReadback(this.encoder, this.pool, src, bytes), bytes, take });
  }

  /** Submits the encoder, waits for every copy (or for the work, when nothing is read); bytes read. */
  async submit(device: GPUDevice): Promise<number> {
    device.queue.submit([this.encoder.finish()]);
    let bytes = 0;
    const reads = this.pending.map((p) => {
      bytes += p.bytes;
      return this.pool.read(p.dst, p.bytes).then(p.take);
    });
    await Promise.all(reads);
    if (reads.length === 0) await device.queue.onSubmittedWorkDone();
    return bytes;
  }
}

/** Cell centres and denoiser outputs of the field grid (2 floats per cell each), grown on demand. */
export class FieldBuffers {
  private buffers: { size: number; points: GPUBuffer; x0: GPUBuffer; eps: GPUBuffer } | null = null;

  constructor(private readonly device: GPUDevice) {}

  /** Buffers for a size×size grid (at least). */
  get(size: number): { points: GPUBuffer; x0: GPUBuffer; eps: GPUBuffer } {
    if (!this.buffers || this.buffers.size < size) {
      this.destroy();
      const n = size * size;
      this.buffers = {
        size,
        points: createStorageBuffer(this.device, 'diffusion.field.points', n * 8),
        x0: createStorageBuffer(this.device, 'diffusion.field.x0', n * 8),
        eps: createStorageBuffer(this.device, 'diffusion.field.eps', n * 8),
      };
    }
    return this.buffers;
  }

  destroy(): void {
    if (!this.buffers) return;
    this.buffers.points.destroy();
    this.buffers.x0.destroy();
    this.buffers.eps.destroy();
    this.buffers = null;
  }
}
