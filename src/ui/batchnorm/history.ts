/**
 * The BatchNorm lab's training history: every step's batch loss and accuracy of both networks, kept in
 * growable Float64Arrays (32 bytes a step: 100,000 steps take 3.2 MB), so the exports hold every step. The
 * charts draw at most MAX_DRAWN points per curve (min and max of each bucket of steps). The unit's
 * percentiles come at display rate: one sample per engine call (its last step), each with its step.
 */
import type { BatchNormStep, HeldOut, StepMetrics } from '../../engine/batchnorm';

/** Points drawn per curve; longer histories keep each bucket's lowest and highest value. */
const MAX_DRAWN = 4000;

/** A growable column of numbers. */
export class Column {
  private data = new Float64Array(256);
  length = 0;

  /** Drops every value from index `n` on. */
  truncate(n: number): void {
    this.length = Math.max(0, Math.min(this.length, n));
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  get values(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  at(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.data[i] : undefined;
  }
}

export interface Curve {
  x: number[];
  y: number[];
}

/**
 * `y` against x = start + index, thinned to at most about `max` points: each bucket of steps keeps its
 * lowest and highest value in step order, so spikes (a diverging loss) stay visible.
 */
export function drawnCurve(y: ArrayLike<number>, start = 0, max = MAX_DRAWN): Curve {
  const n = y.length;
  const out: Curve = { x: [], y: [] };
  const bucket = Math.max(1, Math.ceil((2 * n) / max));
  for (let b = 0; b < n; b += bucket) {
    const end = Math.min(n, b + bucket);
    let lo = b;
    let hi = b;
    for (let i = b + 1; i < end; i++) {
      if (y[i]! < y[lo]!) lo = i;
      if (y[i]! > y[hi]!) hi = i;
    }
    for (const i of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
      out.x.push(start + i);
      out.y.push(y[i]!);
    }
  }
  return out;
}

/** Every `stride`-th point (and the last) of several columns sharing x (start + index, or x[index]). */
export function strided(
  columns: readonly ArrayLike<number>[],
  start: number | ArrayLike<number>,
  max = MAX_DRAWN,
) {
  const n = columns[0]?.length ?? 0;
  const stride = Math.max(1, Math.ceil(n / max));
  const idx: number[] = [];
  for (let i = 0; i < n; i += stride) idx.push(i);
  if (n > 0 && idx.at(-1) !== n - 1) idx.push(n - 1);
  const x = typeof start === 'number' ? (i: number) => start + i : (i: number) => start[i]!;
  return { x: idx.map(x), columns: columns.map((c) => idx.map((i) => c[i]!)) };
}

type Pair = { withBN: Column; withoutBN: Column };
const pair = (): Pair => ({ withBN: new Column(), withoutBN: new Column() });
const bands = (): [Column, Column, Column] => [new Column(), new Column(), new Column()];

export class TrainingHistory {
  /** Batch loss and accuracy of training step i (of its batch, before its update) at index i. */
  loss = pair();
  accuracy = pair();
  /**
   * 15th/50th/85th percentiles of the shown unit, from step `pStart` on (restarted when the unit changes),
   * sampled at the last step of each engine call: sample i belongs to x = pX[i] (ascending).
   */
  pStart = 0;
  pX = new Column();
  pBN = bands();
  pPlain = bands();
  private unitKey = '';
  /** Held-out accuracy after `step` updates (image tasks). */
  held = { step: [] as number[], withBN: [] as number[], withoutBN: [] as number[] };

  /** Training steps recorded (every one since the engine was created). */
  get steps(): number {
    return this.loss.withBN.length;
  }

  /** Records a training step; `unitKey` names the unit whose percentiles it carries. */
  recordStep(r: BatchNormStep, unitKey: string): void {
    this.recordSteps([r], r, unitKey);
  }

  /**
   * Records the steps of one engine call (every step's loss and accuracy, in order) and the percentiles of
   * its last step `last`; `unitKey` names the unit whose percentiles it carries.
   */
  recordSteps(steps: readonly StepMetrics[], last: BatchNormStep, unitKey: string): void {
    // x = updates made before the step: the step's own batch, as it was before the update.
    const x0 = last.step - steps.length;
    if (steps.length === 0 || x0 !== this.steps)
      throw new Error(`History out of step: steps ${x0}… after ${this.steps} recorded.`);
    for (const r of steps) {
      this.loss.withBN.push(r.loss.withBN);
      this.loss.withoutBN.push(r.loss.withoutBN);
      this.accuracy.withBN.push(r.accuracy.withBN);
      this.accuracy.withoutBN.push(r.accuracy.withoutBN);
    }
    const x = last.step - 1;
    if (unitKey !== this.unitKey) {
      this.unitKey = unitKey;
      this.pStart = x;
      this.pX = new Column();
      this.pBN = bands();
      this.pPlain = bands();
    }
    this.pX.push(x);
    last.percentiles.withBN.forEach((v, i) => this.pBN[i]!.push(v));
    last.percentiles.withoutBN.forEach((v, i) => this.pPlain[i]!.push(v));
  }

  /** Keeps the first `steps` training steps and the held-out looks after at most `steps` updates. */
  truncate(steps: number): void {
    for (const c of [this.loss, this.accuracy])
      for (const col of [c.withBN, c.withoutBN]) col.truncate(steps);
    const xs = this.pX.values;
    let kept = xs.length;
    while (kept > 0 && xs[kept - 1]! >= steps) kept--;
    for (const col of [this.pX, ...this.pBN, ...this.pPlain]) col.truncate(kept);
    if (steps < this.pStart) this.pStart = this.steps;
    const keep = this.held.step.filter((s) => s <= steps).length;
    for (const list of [this.held.step, this.held.withBN, this.held.withoutBN]) list.length = keep;
  }

  /** Records a held-out evaluation made after `step` updates (a later look at the same step replaces it). */
  recordHeldOut(step: number, h: HeldOut): void {
    const held = this.held;
    const last = held.step.at(-1) ?? -1;
    if (last === step) {
      held.withBN[held.withBN.length - 1] = h.accuracy.withBN;
      held.withoutBN[held.withoutBN.length - 1] = h.accuracy.withoutBN;
    } else if (last < step) {
      held.step.push(step);
      held.withBN.push(h.accuracy.withBN);
      held.withoutBN.push(h.accuracy.withoutBN);
    }
  }
}
