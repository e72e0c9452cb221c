/**
 * What <ks-induction-trainer> watches while the heads form: float64 head scores of the current weights on a
 * small fixed held-out batch (at most about once a second), when the induction score first passed the
 * target, and the panel's status sentences. Pure TypeScript (no DOM, no GPU), tested in Node.
 */
import { msg, str } from '@lit/localize';
import {
  evaluateInduction,
  heldOutBatch,
  type InductionBatch,
  type InductionScores,
} from '../../models/induction/index';

/** Held-out sequences per evaluation, drawn once per run from seed + WATCH_SEED_OFFSET. */
export const WATCH_SEQUENCES = 32;
export const WATCH_SEED_OFFSET = 1000;
/** The induction score (best layer-1 prefix-matching) a run may stop at. */
export const INDUCTION_TARGET = 0.8;
/**
 * Evaluations are at least this far apart, and at least 3× the last one's cost (so scoring takes at most
 * about a quarter of the main thread on a slow CPU); one is always made at the end.
 */
export const WATCH_INTERVAL_MS = 1000;

export interface WatchPoint {
  step: number;
  /** Max over heads of layer 1's prefix-matching score: the induction score. */
  prefixMatching: number;
  /** Max over heads of layer 0's previous-token score. */
  previousToken: number;
  /** Mean cross-entropy (nats) on the second copies. */
  secondCopyLoss: number;
}

/** The best layer-1 prefix-matching and layer-0 previous-token scores of `s` (over heads). */
export function bestScores(s: InductionScores): { prefixMatching: number; previousToken: number } {
  const prefix = s.prefixMatching[1];
  const previous = s.previousToken[0];
  if (!prefix?.length || !previous?.length)
    throw new RangeError(msg('The induction scores need layer 0 and layer 1 heads.'));
  return { prefixMatching: Math.max(...prefix), previousToken: Math.max(...previous) };
}

export class InductionWatch {
  readonly heldOut: InductionBatch;
  /** Evaluations so far, in step order. */
  points: WatchPoint[] = [];
  /** First evaluated step whose induction score reached the target (null: not yet). */
  passedAt: number | null = null;
  private lastAt = -Infinity;
  private lastCost = 0;

  constructor(
    readonly seed: number,
    readonly target = INDUCTION_TARGET,
    readonly intervalMs = WATCH_INTERVAL_MS,
  ) {
    this.heldOut = heldOutBatch(seed + WATCH_SEED_OFFSET, WATCH_SEQUENCES);
  }

  get latest(): WatchPoint | undefined {
    return this.points.at(-1);
  }

  /** Whether the latest evaluation reached the target. */
  get passed(): boolean {
    const p = this.latest;
    return p !== undefined && p.prefixMatching >= this.target;
  }

  /** Whether an evaluation is due at time `now` (ms); always for the run's last chunk. */
  due(now: number, final: boolean): boolean {
    return final || now - this.lastAt >= Math.max(this.intervalMs, 3 * this.lastCost);
  }

  /** Scores `params` (parameterLayout order) on the held-out batch and records them at `step`. */
  evaluate(params: ArrayLike<number>, step: number): WatchPoint {
    const t0 = performance.now();
    const scores = evaluateInduction(params, this.heldOut);
    const now = performance.now();
    return this.record(scores, step, now, now - t0);
  }

  /** Records `scores` of `step`, evaluated by `now` (ms) in `costMs`. */
  record(scores: InductionScores, step: number, now: number, costMs = 0): WatchPoint {
    const point = { step, ...bestScores(scores), secondCopyLoss: scores.secondCopy.loss };
    this.points.push(point);
    this.lastAt = now;
    this.lastCost = costMs;
    if (this.passedAt === null && point.prefixMatching >= this.target) this.passedAt = step;
    return point;
  }

  /** Forgets evaluations after `step` (a run resuming from the model of that step). */
  trim(step: number): void {
    this.points = this.points.filter((p) => p.step <= step);
    if (this.passedAt !== null && this.passedAt > step) this.passedAt = null;
    this.lastAt = -Infinity;
  }
}

const score = (v: number) => v.toFixed(2);
const rate = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const seconds = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

/** "Step 1200 of 4000 · loss 2.31 · prefix-matching 0.42 · previous-token 0.77 · 3.2 steps/s". */
export function progressLine(
  step: number,
  total: number,
  loss: number,
  latest: WatchPoint | undefined,
  stepsPerSecond: number | null,
): string {
  const l = loss.toFixed(2);
  const parts = [msg(str`Step ${step} of ${total}`), msg(str`loss ${l}`)];
  if (latest) {
    const prefix = score(latest.prefixMatching);
    const previous = score(latest.previousToken);
    parts.push(msg(str`prefix-matching ${prefix}`), msg(str`previous-token ${previous}`));
  }
  if (stepsPerSecond !== null && Number.isFinite(stepsPerSecond)) {
    const r = rate(stepsPerSecond);
    parts.push(msg(str`${r} steps/s`));
  }
  return parts.join(' · ');
}

/** "Trained 2350 steps in 41 s; induction score 0.81 passed 0.8 at step 2350". */
export function finishedLine(
  step: number,
  elapsedS: number,
  watch: InductionWatch,
  resumedFrom: number | null = null,
): string {
  const t = seconds(elapsedS);
  const head =
    resumedFrom === null
      ? msg(str`Trained ${step} steps in ${t} s`)
      : msg(str`Trained ${step} steps (from step ${resumedFrom} after a GPU loss) in ${t} s`);
  const latest = watch.latest;
  if (!latest) return msg(str`${head}.`);
  const s = score(latest.prefixMatching);
  const { target, passedAt } = watch;
  if (watch.passed) return msg(str`${head}; induction score ${s} passed ${target} at step ${passedAt}`);
  if (passedAt !== null)
    return msg(str`${head}; induction score ${s}, below ${target} again (it passed at step ${passedAt})`);
  return msg(str`${head}; induction score ${s}, below ${target}`);
}

/** Where a stopped run leaves the model: the last evaluated one, already sent in an event. */
function kept(watch: InductionWatch): string {
  const m = watch.latest;
  return m
    ? msg(str`The model from step ${m.step} is kept.`)
    : msg('No model was evaluated yet, so none is kept.');
}

/** "Training cancelled at step N of T. …", or "Training stopped at step N of T: <why>. …". */
export function cancelledLine(step: number, total: number, watch: InductionWatch, why = ''): string {
  const k = kept(watch);
  return why
    ? msg(str`Training stopped at step ${step} of ${total}: ${why}. ${k}`)
    : msg(str`Training cancelled at step ${step} of ${total}. ${k}`);
}

/** "The GPU was lost at step N; the model from step M is kept. Train again to continue." */
export function lostLine(step: number, watch: InductionWatch): string {
  const m = watch.latest;
  return m
    ? msg(
        str`The GPU was lost at step ${step}; the model from step ${m.step} is kept. Train again to continue.`,
      )
    : msg(
        str`The GPU was lost at step ${step}, before the first evaluation; no model is kept. Train again to start over.`,
      );
}
