/**
 * Uniform structs described once as an ordered list of 4-byte fields (u32 / i32 / f32), padded to 16
 * bytes, matching the WGSL struct of the same field order. One layout object per kernel, made at module load.
 */
type FieldType = 'u32' | 'i32' | 'f32';

export class UniformLayout<K extends string> {
  readonly size: number;
  private readonly offsets: Map<K, { index: number; type: FieldType }>;

  constructor(readonly fields: ReadonlyArray<readonly [K, FieldType]>) {
    this.offsets = new Map(fields.map(([name, type], index) => [name, { index, type }]));
    this.size = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  }

  pack(values: Record<K, number>): ArrayBuffer {
    const buffer = new ArrayBuffer(this.size);
    const view = new DataView(buffer);
    for (const [name, { index, type }] of this.offsets) {
      const v = values[name];
      if (type === 'f32') view.setFloat32(index * 4, v, true);
      else if (type === 'i32') view.setInt32(index * 4, v, true);
      else view.setUint32(index * 4, v >>> 0, true);
    }
    return buffer;
  }

  createBuffer(device: GPUDevice, label: string): GPUBuffer {
    return device.createBuffer({
      label,
      size: this.size,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  write(device: GPUDevice, buffer: GPUBuffer, values: Record<K, number>): void {
    device.queue.writeBuffer(buffer, 0, this.pack(values));
  }
}

/** Joins shared WGSL snippets (shaders/common) in front of a kernel's source. */
export function joinWgsl(...parts: string[]): string {
  return parts.join('\n');
}
