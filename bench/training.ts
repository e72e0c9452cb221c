/**
 * The benchmark's single-network training call (bench/cases/training.ts), kept apart from the
 * cases so that tests can bundle it without the cases' inlined model weights. DOM-free.
 */
import type { GpuMlp } from '../src/engine/nn';
import { encodeReadback, type ReadbackPool } from '../src/gpu/readback';
import { makeBatch, type Task } from '../src/models/mlp';

/**
 * `steps` training steps of one network, each its own submit (batch `first + k` of the task's data
 * stream), submitted back to back without waiting; only the last step's (loss, accuracy) is read back.
 * steps = 1 is the awaited step; steps > 1 is the pipelined variant.
 */
export async function trainSteps(
  mlp: GpuMlp,
  pool: ReadbackPool,
  o: { task: Task; seed: number; lr: number; first: number; steps: number },
): Promise<{ loss: number; accuracy: number }> {
  if (!(o.steps >= 1)) throw new RangeError(`trainSteps needs at least one step, got ${o.steps}`);
  const { device } = mlp;
  let read: GPUBuffer | null = null;
  for (let k = 0; k < o.steps; k++) {
    mlp.setBatch(makeBatch(o.task, o.seed, o.first + k, mlp.rows));
    const enc = device.createCommandEncoder({ label: `${mlp.label}.bench.step` });
    const pass = enc.beginComputePass({ label: `${mlp.label}.bench.train` });
    mlp.encodeStep(pass, { train: true, lr: o.lr });
    pass.end();
    if (k === o.steps - 1) read = encodeReadback(enc, pool, mlp.result, 8);
    device.queue.submit([enc.finish()]);
  }
  const out = new Float32Array(await pool.read(read!, 8));
  return { loss: out[0]!, accuracy: out[1]! };
}
