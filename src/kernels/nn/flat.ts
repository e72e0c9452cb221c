/**
 * Tensors laid out in one flat buffer per role (parameters, gradients, Adam's m and v), so that one Adam
 * dispatch updates them all. Each tensor starts at an offset aligned to the device's
 * minStorageBufferOffsetAlignment (a kernel binds it as a view), except those packed right after the
 * tensor before them (BatchNorm's β after γ: the kernels bind [γ | β] as one view). Padding stays zero.
 */
import type { BufferOrView } from './pipelines';

export interface FlatEntry {
  name: string;
  /** In floats. */
  offset: number;
  size: number;
}

export class FlatLayout {
  readonly entries = new Map<string, FlatEntry>();
  /** Floats of each flat buffer (a multiple of the alignment). */
  readonly total: number;

  /** `packed(name)`: the tensor follows the previous one without alignment padding. */
  constructor(
    tensors: readonly { name: string; size: number }[],
    readonly alignFloats: number,
    packed: (name: string) => boolean = () => false,
  ) {
    let at = 0;
    for (const t of tensors) {
      const offset = packed(t.name) && this.entries.size > 0 ? at : align(at, alignFloats);
      this.entries.set(t.name, { name: t.name, offset, size: t.size });
      at = offset + t.size;
    }
    this.total = Math.max(alignFloats, align(at, alignFloats));
  }

  entry(name: string): FlatEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`No tensor ${name} in the flat layout`);
    return e;
  }

  /** A view of `floats` floats (default: the tensor's size) from the tensor's start, in `buffer`. */
  view(buffer: GPUBuffer, name: string, floats?: number): BufferOrView {
    const e = this.entry(name);
    return { buffer, offset: e.offset * 4, size: (floats ?? e.size) * 4 };
  }
}

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** The alignment of storage-buffer views on this device, in floats. */
export function viewAlignFloats(device: GPUDevice): number {
  return Math.max(1, device.limits.minStorageBufferOffsetAlignment / 4);
}
