/**
 * A small pool of MAP_READ buffers for reading results back. Buffers are reused by size class, so a lab
 * that re-runs at a steady size creates no new GPU buffers per frame.
 */
export class ReadbackPool {
  private free = new Map<number, GPUBuffer[]>();
  private all = new Set<GPUBuffer>();
  private created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
  ) {}

  /** Number of buffers ever created (a benchmark figure: should stop growing in steady state). */
  get buffersCreated(): number {
    return this.created;
  }

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) return reused;
    this.created++;
    const buffer = this.device.createBuffer({
      label: `${this.label}.readback[${size}]`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.all.add(buffer);
    return buffer;
  }

  /** Maps `buffer`, copies out `bytes` bytes and returns the buffer to the pool. */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    await buffer.mapAsync(GPUMapMode.READ, 0, sizeClass(bytes));
    const copy = buffer.getMappedRange(0, sizeClass(bytes)).slice(0, bytes);
    buffer.unmap();
    this.release(buffer);
    return copy;
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    const list = this.free.get(size) ?? [];
    list.push(buffer);
    this.free.set(size, list);
  }

  destroy(): void {
    for (const b of this.all) b.destroy();
    this.all.clear();
    this.free.clear();
  }
}

function sizeClass(bytes: number): number {
  const min = 256;
  let size = min;
  while (size < bytes) size *= 2;
  return size;
}

/** Encodes a copy of `src` into a pooled readback buffer; call `pool.read` after submit. */
export function encodeReadback(
  encoder: GPUCommandEncoder,
  pool: ReadbackPool,
  src: GPUBuffer,
  bytes: number,
  srcOffset = 0,
): GPUBuffer {
  const dst = pool.acquire(bytes);
  encoder.copyBufferToBuffer(src, srcOffset, dst, 0, align4(bytes));
  return dst;
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
