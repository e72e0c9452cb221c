/**
 * GpuMlp's saved weights (src/engine/nn.ts): the trainable tensors (views of its flat parameter buffer)
 * and the BN running statistics, read back by name or loaded after every tensor has been checked.
 */
import type { GpuMlp } from './nn';

/** A named tensor of the training state: (name, buffer, floats, offset in floats). */
export type StateTensor = [name: string, buffer: GPUBuffer, floats: number, offset: number];

function weightTensors(mlp: GpuMlp): StateTensor[] {
  const params: StateTensor[] = mlp.specs.map((s) => [
    s.name,
    mlp.flat.params,
    s.size,
    mlp.layout.entry(s.name).offset,
  ]);
  return [...params, ...mlp.runningStats()];
}

export async function saveWeights(mlp: GpuMlp): Promise<Record<string, number[]>> {
  const { device, label } = mlp;
  const out: Record<string, number[]> = {};
  const entries = weightTensors(mlp);
  const enc = device.createCommandEncoder({ label: `${label}.save` });
  const staging = entries.map(([name, b, n, at]) => {
    const s = device.createBuffer({
      label: `${label}.save.${name}`,
      size: Math.ceil((n * 4) / 16) * 16,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    enc.copyBufferToBuffer(b, at * 4, s, 0, n * 4);
    return s;
  });
  device.queue.submit([enc.finish()]);
  for (const [i, [name, , n]] of entries.entries()) {
    const s = staging[i]!;
    await s.mapAsync(GPUMapMode.READ);
    out[name] = Array.from(new Float32Array(s.getMappedRange()).slice(0, n));
    s.unmap();
    s.destroy();
  }
  return out;
}

export function loadWeights(mlp: GpuMlp, weights: Record<string, ArrayLike<number>>): void {
  const { shape } = mlp;
  const byName = new Map(weightTensors(mlp).map((e) => [e[0], e]));
  const writes: [GPUBuffer, number, Float32Array<ArrayBuffer>][] = [];
  for (const [name, values] of Object.entries(weights)) {
    const e = byName.get(name);
    if (!e) {
      throw new RangeError(
        `Weights hold a tensor "${name}" that this model (depth ${shape.depth}, width ${shape.width}` +
          `${shape.batchNorm ? ', BatchNorm' : ''}) does not have.`,
      );
    }
    if (values.length !== e[2]) {
      throw new RangeError(
        `Weights "${name}" hold ${values.length} values; this model (depth ${shape.depth}, width ` +
          `${shape.width}) needs ${e[2]}.`,
      );
    }
    writes.push([e[1], e[3] * 4, Float32Array.from(values)]);
  }
  for (const [target, at, data] of writes) mlp.device.queue.writeBuffer(target, at, data);
}
