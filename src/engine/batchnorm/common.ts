/** What the GPU and CPU engines share: the two nets' shapes, the batch of each step, percentiles. */
import {
  isImageTask,
  labDataDim,
  makeBatch,
  makeDataBatch,
  type Batch,
  type MlpShape,
} from '../../models/mlp';
import type { BatchNormLabConfig, RunOptions } from './types';

const PERCENTILES = [0.15, 0.5, 0.85] as const;

/** Linear-interpolated quantiles (type 7) of a column of a [rows, width] array. */
export function columnPercentiles(values: ArrayLike<number>, rows: number, width: number, unit: number) {
  const col = Float64Array.from({ length: rows }, (_, r) => values[r * width + unit]!).sort();
  return PERCENTILES.map((q) => {
    const pos = q * (rows - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(rows - 1, lo + 1);
    return col[lo]! + (pos - lo) * (col[hi]! - col[lo]!);
  }) as [number, number, number];
}

/** Checks the config; returns the input dimension and class count of its task. */
function taskShape(c: BatchNormLabConfig): { inDim: number; classes: number } {
  if (c.data) return { inDim: labDataDim(c.data), classes: c.data.classes };
  if (isImageTask(c.task)) {
    throw new Error(
      `The ${c.task} task needs its images: the page renders them and passes them as config.data.`,
    );
  }
  return { inDim: 2, classes: 2 };
}

export function shapes(c: BatchNormLabConfig): [MlpShape, MlpShape] {
  const { inDim, classes } = taskShape(c);
  const common = { depth: c.depth, width: c.width, activation: c.activation ?? 'relu', inDim, classes };
  return [
    { ...common, batchNorm: true },
    { ...common, batchNorm: false },
  ];
}

/** The batch of training step `step` (the same on both backends). */
export function batchAt(c: BatchNormLabConfig, step: number): Batch {
  if (c.data) return makeDataBatch(c.data, c.seed, step, c.batch);
  if (isImageTask(c.task)) throw new Error(`The ${c.task} task needs its images in config.data.`);
  return makeBatch(c.task, c.seed, step, c.batch);
}

/** Held-out rows evaluated: whole batches only (the GPU nets are sized for one batch). */
export function heldOutRows(c: BatchNormLabConfig): number {
  const n = c.data?.test?.labels.length ?? 0;
  return Math.floor(n / c.batch) * c.batch;
}

/** The most training steps one run() call takes (the GPU engine's per-step buffers are sized for it). */
export const MAX_STEPS_PER_CALL = 256;

/** Checks run() options against the engine's limit (a whole number of steps, evaluateAfter within them). */
export function checkRun(o: RunOptions, max: number): void {
  if (!Number.isInteger(o.steps) || o.steps < 1 || o.steps > max)
    throw new RangeError(`A run takes 1 to ${max} steps, not ${o.steps}.`);
  const e = o.evaluateAfter;
  if (e !== undefined && (!Number.isInteger(e) || e < 1 || e > o.steps))
    throw new RangeError(`evaluateAfter must be a step of the run (1 to ${o.steps}), not ${e}.`);
}
