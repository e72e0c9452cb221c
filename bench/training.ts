/**
 * The benchmark's single-network training calls (bench/cases/training.ts), kept apart from the cases so
 * that tests can bundle them without the cases' inlined model weights. DOM-free.
 */
import { BatchRing } from '../src/engine/batch-ring';
import type { GpuMlp } from '../src/engine/nn';
import { encodeReadback, type ReadbackPool } from '../src/gpu/readback';
import { makeBatch, type Task } from '../src/models/mlp';

export interface TrainCall {
  task: Task;
  seed: number;
  lr: number;
  /** Batch `first + k` of the task's data stream is step k's. */
  first: number;
  steps: number;
}

/** A batch ring for `steps` steps of `mlp` (2D tasks: two inputs a row). */
export function benchRing(mlp: GpuMlp, steps: number): BatchRing {
  const ring = new BatchRing(mlp.device, `${mlp.label}.bench`, { rows: mlp.rows, inDim: 2, slots: steps });
  if (ring.capacity < steps) throw new RangeError(`The bench ring holds ${ring.capacity} of ${steps} steps.`);
  return ring;
}

/**
 * `steps` training steps of one network in ONE command buffer: the batches go up in one ring write, each
 * step's batch is copied into the net's inputs between passes, and only the last step's (loss, accuracy)
 * is read back. steps = 1 is the awaited step; steps > 1 is the pipelined call.
 */
export async function trainSteps(
  mlp: GpuMlp,
  pool: ReadbackPool,
  ring: BatchRing,
  o: TrainCall,
): Promise<{ loss: number; accuracy: number }> {
  if (!(o.steps >= 1)) throw new RangeError(`trainSteps needs at least one step, got ${o.steps}`);
  const { device } = mlp;
  const slot = ring.write(
    Array.from({ length: o.steps }, (_, k) => makeBatch(o.task, o.seed, o.first + k, mlp.rows)),
  );
  const enc = device.createCommandEncoder({ label: `${mlp.label}.bench.steps` });
  for (let k = 0; k < o.steps; k++) {
    ring.encodeCopy(enc, slot + k, [mlp]);
    const pass = enc.beginComputePass({ label: `${mlp.label}.bench.train` });
    mlp.encodeStep(pass, { train: true, lr: o.lr });
    pass.end();
  }
  const read = encodeReadback(enc, pool, mlp.result, 8);
  device.queue.submit([enc.finish()]);
  const out = new Float32Array(await pool.read(read, 8));
  return { loss: out[0]!, accuracy: out[1]! };
}

/**
 * The pipelined call as it was before the batch ring (kept for comparison in the same run): each step its
 * own submit with its batch written by queue.writeBuffer, submitted back to back, the last loss read.
 */
export async function trainStepsPerSubmit(
  mlp: GpuMlp,
  pool: ReadbackPool,
  o: TrainCall,
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
