/**
 * The training loop's pace: how many steps the next engine call takes (adaptive, so that a call fits a
 * frame), where the held-out evaluations fall within a call, and the measured speed.
 */

/** A training call should take about one frame (ms): n grows while a call would fit twice, shrinks when over. */
export const FRAME_BUDGET_MS = 16;
/**
 * Each stretch of training starts with this long of single steps (ms): the first steps, where the curves
 * move most, get their statistics every step, and the page shows the step counter advancing one by one.
 */
export const SINGLE_STEPS_MS = 500;
/** Training steps over which the speed is measured (at least two calls). */
const SPEED_WINDOW = 20;

/** The first training step count after `steps` at which the held-out split is evaluated: 1, then every `every`. */
export function nextEvaluation(steps: number, every: number): number {
  return steps === 0 ? 1 : (Math.floor(steps / every) + 1) * every;
}

/**
 * The steps of the next call from `steps` taken, at most `wanted`, and where its held-out evaluation falls:
 * a call crosses at most one evaluation point, so every evaluation happens after exactly the updates it
 * would after single steps (1, every, 2·every, …).
 */
export function callPlan(
  steps: number,
  wanted: number,
  every: number,
  heldOut: boolean,
): { n: number; evaluateAfter?: number } {
  if (!heldOut) return { n: wanted };
  const due = nextEvaluation(steps, every);
  const n = Math.max(1, Math.min(wanted, nextEvaluation(due, every) - 1 - steps));
  return steps + n >= due ? { n, evaluateAfter: due - steps } : { n };
}

export class StepPacer {
  /** Steps per call wanted now (1 at the start of each stretch of training). */
  size = 1;
  /** Wall time of the last call (ms). */
  lastCallMs = 0;
  /** (time, training steps taken) after each call of this stretch, the last few. */
  private marks: [number, number][] = [];
  private startedAt = -Infinity;

  /** A new stretch of training starts at `now`. */
  reset(now = performance.now()): void {
    this.size = 1;
    this.lastCallMs = 0;
    this.marks = [];
    this.startedAt = now;
  }

  /** A call of `steps` steps took `ms` and ended at `now` with `total` training steps taken; `max` caps n. */
  record(steps: number, ms: number, total: number, now: number, max: number): void {
    this.lastCallMs = ms;
    // The call's time at the size wanted (a call cut at an evaluation point took fewer steps).
    const atSize = (ms * this.size) / Math.max(1, steps);
    if (atSize > FRAME_BUDGET_MS) this.size = Math.max(1, Math.floor(this.size / 2));
    else if (2 * atSize < FRAME_BUDGET_MS && now - this.startedAt >= SINGLE_STEPS_MS)
      this.size = Math.min(max, 2 * this.size);
    this.size = Math.min(this.size, max);
    const m = this.marks;
    m.push([now, total]);
    while (m.length > 2 && total - m[1]![1] >= SPEED_WINDOW - 1) m.shift();
  }

  /** Training steps per second over the last few calls (null until two calls have ended). */
  get stepsPerSecond(): number | null {
    const m = this.marks;
    if (m.length < 2) return null;
    const [t0, s0] = m[0]!;
    const [t1, s1] = m.at(-1)!;
    return ((s1 - s0) * 1000) / (t1 - t0);
  }
}
