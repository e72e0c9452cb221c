/**
 * A CPU copy of the GPU engine's whole training state (both nets' parameters, BN running statistics, Adam
 * moments and step counts), read back in the step's own submit, and its restore onto a new device. The
 * copy is the GPU's f32 state bit for bit, so a run resumed from it continues the same trajectory.
 */
import type { GpuMlp } from '../nn';

export interface NetSnapshot {
  /** Adam's step count (bias corrections), read from the net's GPU counter. */
  t: number;
  /** Every tensor of GpuMlp.stateTensors(), by name. */
  tensors: Record<string, Float32Array>;
}

export interface BatchNormSnapshot {
  /** Training steps taken when it was read (the next step draws batch `step`). */
  step: number;
  /** The BN net, then the plain net. */
  nets: [NetSnapshot, NetSnapshot];
}

type Copy = (src: GPUBuffer, floats: number) => void;

/**
 * The buffers that hold a net's state tensors (the flat parameter and moment buffers, the running
 * statistics), each with the floats to copy from its start: one copy per buffer, not per tensor.
 */
function stateBuffers(net: GpuMlp): [GPUBuffer, number][] {
  const extent = new Map<GPUBuffer, number>();
  for (const [, buffer, floats, at] of net.stateTensors())
    extent.set(buffer, Math.max(extent.get(buffer) ?? 0, at + floats));
  return [...extent];
}

/**
 * Encodes copies of both nets' state through `copy` (which appends to the step's staging buffer) and
 * returns a function that assembles the snapshot from the read-back pieces, in the order copied.
 */
export function encodeSnapshot(nets: [GpuMlp, GpuMlp], step: number, copy: Copy) {
  const layout = nets.map((net) => ({ entries: net.stateTensors(), buffers: stateBuffers(net) }));
  nets.forEach((net, i) => {
    for (const [buffer, floats] of layout[i]!.buffers) copy(buffer, floats);
    // The step counter's first word (t, a u32).
    copy(net.adam.state, 1);
  });
  return (pieces: Float32Array[]): BatchNormSnapshot => {
    let k = 0;
    const snap = layout.map(({ entries, buffers }) => {
      const read = new Map(buffers.map(([buffer]) => [buffer, pieces[k++]!]));
      const tensors: Record<string, Float32Array> = {};
      // slice(): the pieces are views of one staging copy; each tensor gets its own array.
      for (const [name, buffer, floats, at] of entries)
        tensors[name] = read.get(buffer)!.slice(at, at + floats);
      const word = pieces[k++]!;
      const t = new Uint32Array(word.buffer, word.byteOffset, 1)[0]!;
      return { t, tensors };
    });
    return { step, nets: [snap[0]!, snap[1]!] };
  };
}

/** Floats encodeSnapshot copies for these nets (their state buffers and one-word step counters). */
export function snapshotFloats(nets: [GpuMlp, GpuMlp]): number {
  let n = 0;
  for (const net of nets) {
    for (const [, floats] of stateBuffers(net)) n += floats;
    n += 1;
  }
  return n;
}

/**
 * Writes a snapshot into freshly built nets of the same shape. Checks every tensor first: a missing or
 * wrongly sized one throws a RangeError and nothing is written.
 */
export function restoreSnapshot(device: GPUDevice, nets: [GpuMlp, GpuMlp], snap: BatchNormSnapshot): void {
  const writes: [GPUBuffer, Float32Array<ArrayBuffer>][] = [];
  nets.forEach((net, i) => {
    const saved = snap.nets[i]!;
    if (!Number.isInteger(saved.t) || saved.t < 0 || saved.t > 0xffffffff)
      throw new RangeError(`The training snapshot of ${net.label} has a step count of ${saved.t}.`);
    // Whole buffers, padding between tensors zero (as Adam keeps it).
    const whole = new Map(stateBuffers(net).map(([b, floats]) => [b, new Float32Array(floats)]));
    for (const [name, buffer, floats, at] of net.stateTensors()) {
      const values = saved.tensors[name];
      if (!values || values.length !== floats) {
        throw new RangeError(
          `The training snapshot does not fit this model: tensor "${name}" of ${net.label} ` +
            `${values ? `holds ${values.length} values, needs ${floats}` : 'is missing'}.`,
        );
      }
      whole.get(buffer)!.set(values, at);
    }
    writes.push(...whole);
  });
  for (const [buffer, data] of writes) device.queue.writeBuffer(buffer, 0, data);
  nets.forEach((net, i) => net.setStep(snap.nets[i]!.t));
}
