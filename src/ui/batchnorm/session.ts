/**
 * The BatchNorm lab's training session: the backend (resolveBackend), the engine for the current controls,
 * the training loop, pause / train / reset, the history and the held-out evaluation. Every engine call
 * goes through one SerialQueue, and there is at most one loop: a quick Pause → Train while a call is in
 * flight keeps the loop that is running instead of starting a second one. While training, each call takes
 * as many steps as fit a frame (pace.ts; 1 at the start); the history gets every step's loss, the charts
 * the statistics of each call's last step. A GPU engine's training state is snapshotted on the CPU (about
 * every SNAPSHOT_EVERY_MS, in a call's own submit); after a device loss the session waits for the
 * Runtime's new device and continues from the snapshot.
 */
import { msg, str } from '@lit/localize';
import {
  createBatchNormEngine,
  heldOutRows,
  type BatchNormEngine,
  type BatchNormLabConfig,
  type BatchNormRun,
  type BatchNormSnapshot,
  type BatchNormStep,
  type HeldOut,
} from '../../engine/batchnorm';
import type { GpuContext } from '../../gpu/device';
import { isImageTask } from '../../models/mlp';
import type { BatchnormState } from '../../state/batchnorm';
import type { BackendChoice } from '../../state/store';
import { SerialQueue } from '../../util/serial-queue';
import { resolveBackend, type BackendTag } from '../common/backend';
import type { Notice } from '../common/notice';
import type { Runtime } from '../common/runtime';
import { taskLabel } from './controls';
import { TrainingHistory } from './history';
import { imageSet, type ImageSet } from './image-data';
import { StepPacer, callPlan } from './pace';

/** Held-out evaluation every this many training steps (and at every look while paused). */
export const EVAL_EVERY = 25;
/** The training-state snapshot is refreshed about this often while training (ms). */
export const SNAPSHOT_EVERY_MS = 1000;
/** How long a failed step waits for its device's loss to be reported before counting as an error (ms). */
const LOSS_REPORT_MS = 500;
/** Device losses in a row, without a step in between, after which training stops with an error. */
const MAX_LOSSES_IN_A_ROW = 5;

/** training: the loop runs; pausing: not training, but a step or the held-out look is finishing; paused: idle. */
type RunState = 'training' | 'pausing' | 'paused';

interface SessionHost {
  runtime(): Runtime;
  params(): BatchnormState;
  backend(): BackendChoice;
  /** Called whenever what the session shows changes (a step, the run state, an error). */
  changed(): void;
}

/** The engine config without its data (what the export and the engine key record). */
export function engineConfig(p: BatchnormState): BatchNormLabConfig {
  const { task, lr, batch, depth, width, seed, activation } = p;
  return { task, lr, batch, depth, width, seed, activation };
}

export class BatchnormSession {
  /** The newest step (or look) of the engine. */
  latest: BatchNormStep | null = null;
  /** The latest held-out evaluation (kept between the steps that do not evaluate) and its step. */
  heldOut: HeldOut | undefined;
  heldOutStep = 0;
  history = new TrainingHistory();
  error: string | null = null;
  backendLabel = '';
  backend: BackendTag | null = null;
  /** Why the CPU computes although the GPU was chosen. */
  notice: Notice = '';
  /** Shown while the glyph images are being rendered. */
  preparing = '';
  images: ImageSet | null = null;
  /** Engine calls running now (0 or 1: the queue runs one at a time), each a look, a step or a run. */
  stepsInFlight = 0;
  /** The GPU engine's training state on the CPU (null before its first training step). */
  snapshot: BatchNormSnapshot | null = null;
  /** performance.now() when the snapshot's state was read (-Infinity: take one at the next call). */
  snapshotAt = -Infinity;
  /** A line after a GPU loss: waiting for the new device, resumed (and the steps lost), or restarted. */
  recovery = '';

  private readonly queue = new SerialQueue();
  private engine: BatchNormEngine | null = null;
  private engineKey = '';
  /** The engine's config (and image size), and its GPU context (null on the CPU). */
  private configKey = '';
  private engineCtx: GpuContext | null = null;
  /** Set when the engine's device was lost: the next engine with this config resumes from the snapshot. */
  private lostConfig: string | null = null;
  /** The highest training step reached with this config (the steps lost are counted from it). */
  private reached = 0;
  private lossesInARow = 0;
  private imagesKey = '';
  private wantTraining = false;
  private looping = false;
  private stopped = false;
  private readonly pace = new StepPacer();

  constructor(private readonly host: SessionHost) {}

  get state(): RunState {
    if (this.wantTraining) return 'training';
    return this.looping || this.queue.busy ? 'pausing' : 'paused';
  }

  /** Training steps per second over the last few steps of this stretch of training (null until measured). */
  get stepsPerSecond(): number | null {
    return this.pace.stepsPerSecond;
  }

  /** Training steps the next call takes (1 at the start of each stretch of training). */
  get stepsPerCall(): number {
    return this.pace.size;
  }

  /** Held-out rows the current engine evaluates (0 before it exists or without a held-out split). */
  get heldOutCount(): number {
    return this.engine ? heldOutRows(this.engine.config) : 0;
  }

  train(): void {
    if (this.wantTraining) return;
    this.wantTraining = true;
    this.stopped = false;
    this.error = null;
    this.pace.reset();
    if (!this.looping) void this.loop();
    this.host.changed();
  }

  /** Stops after the step in flight; image tasks then evaluate the held-out split where training stopped. */
  pause(): void {
    if (!this.wantTraining) return;
    this.wantTraining = false;
    this.host.changed();
  }

  toggle(): void {
    if (this.wantTraining) this.pause();
    else this.train();
  }

  /** Shows the current batch without training (at start, and after a change while paused). */
  look(): Promise<void> {
    if (this.wantTraining) return Promise.resolve();
    return this.enqueue(() => this.step(false), true);
  }

  /** A new engine from the same controls: step 0 again. */
  reset(): Promise<void> {
    this.wantTraining = false;
    this.stopped = false;
    this.host.changed();
    return this.enqueue(async () => {
      this.dropEngine();
      this.lostConfig = null;
      this.latest = null;
      await this.step(false);
    });
  }

  /**
   * The Runtime changed (the lab calls this on every GPU status change): if the engine's device was lost
   * while no training loop runs, look again, which waits for the new device and resumes from the snapshot.
   * A running loop finds the loss itself.
   */
  deviceChanged(): void {
    if (this.looping || this.stopped || this.wantTraining) return;
    if (this.engineCtx?.isLost() || this.lostConfig !== null) void this.look();
  }

  /** The page left: stop training and free the engine (a later look creates a new one). */
  stop(): void {
    this.wantTraining = false;
    this.stopped = true;
    void this.queue.run(() => {
      this.dropEngine();
      this.lostConfig = null;
    });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.wantTraining) {
        try {
          await this.queue.run(() => this.step(true));
        } catch (e) {
          if (!(await this.lostDevice())) throw e;
        }
        // Let input events and the animation frame in between steps (the CPU backend computes synchronously).
        await new Promise((r) => setTimeout(r, 0));
      }
    } catch (e) {
      this.wantTraining = false;
      this.error = (e as Error).message;
    } finally {
      this.looping = false;
    }
    if (!this.error && !this.stopped) {
      // Paused: the snapshot catches up with the last step, so a loss while paused loses nothing.
      await this.enqueue(() => this.pauseSnapshot(), true);
      if (isImageTask(this.host.params().task) || this.lostConfig !== null) await this.look();
    }
    this.host.changed();
  }

  private async pauseSnapshot(): Promise<void> {
    const engine = this.engine;
    if (!engine?.readSnapshot || this.wantTraining || this.snapshot?.step === engine.steps) return;
    this.snapshotAt = performance.now();
    this.snapshot = await engine.readSnapshot();
  }

  /**
   * After a failed engine call: whether the engine's device was lost (waiting briefly for the loss to be
   * reported). If so the engine is dropped and the next step resumes on the Runtime's new device.
   */
  private async lostDevice(): Promise<boolean> {
    const ctx = this.engineCtx;
    if (!ctx) return false;
    const lost =
      ctx.isLost() ||
      (await Promise.race([
        ctx.lost.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), LOSS_REPORT_MS)),
      ]));
    if (!lost || ++this.lossesInARow > MAX_LOSSES_IN_A_ROW) return false;
    if (this.engineCtx === ctx) await this.queue.run(() => this.markLost());
    return true;
  }

  /** Runs inside the queue: the engine's device is gone; say so and drop the engine. */
  private markLost(): void {
    if (!this.engineCtx?.isLost()) return;
    this.lostConfig = this.configKey;
    const snap = this.snapshot;
    const at = this.reached;
    this.recovery = snap
      ? msg(
          str`The GPU device was lost at step ${at}; waiting for a new device to resume from step ${snap.step}…`,
        )
      : msg(str`The GPU device was lost at step ${at}; waiting for a new device to restart the run…`);
    this.dropEngine();
    this.pace.reset();
    this.host.changed();
  }

  /** Runs `op` on the queue; a failure is shown as the error (never an unhandled rejection). */
  private async enqueue(op: () => Promise<void>, droppable = false): Promise<void> {
    try {
      await (droppable ? this.queue.run(op, { droppable: true }) : this.queue.run(op));
    } catch (e) {
      if (await this.lostDevice()) {
        if (!this.wantTraining && !this.stopped) void this.look();
      } else {
        this.error = (e as Error).message;
      }
    }
    this.host.changed();
  }

  private dropEngine(): void {
    try {
      this.engine?.destroy();
    } catch {
      // Its device is gone; freeing what it held can only fail harmlessly.
    }
    this.engine = null;
    this.engineKey = '';
    this.engineCtx = null;
    this.heldOut = undefined;
  }

  /** The engine for the current controls and backend (re-created, with the history cleared, on a change). */
  private async ensureEngine(): Promise<BatchNormEngine> {
    const p = this.host.params();
    const backend = await resolveBackend(this.host.runtime(), this.host.backend());
    const image = isImageTask(p.task);
    const configKey = JSON.stringify([engineConfig(p), image ? p.pixels : '']);
    const ctx = backend.kind === 'gpu' ? backend.ctx : null;
    const key = JSON.stringify([configKey, ctx ? this.host.runtime().generation : 'cpu']);
    if (this.engine && key === this.engineKey) return this.engine;
    const resuming = this.lostConfig === configKey;
    this.lostConfig = null;
    this.dropEngine();
    if (image && this.images && this.imagesKey === `${p.task}:${p.pixels}`) {
      // The same glyphs (a resume after a GPU loss): no need to render them again.
    } else if (isImageTask(p.task)) {
      // Rendering a few thousand glyphs takes about a second: say so and let the page paint first.
      const glyphs = taskLabel(p.task).toLowerCase();
      this.preparing = msg(str`Rendering ${glyphs} from this browser's fonts…`);
      this.host.changed();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      try {
        this.images = imageSet(p.task, p.pixels);
        this.imagesKey = `${p.task}:${p.pixels}`;
      } finally {
        this.preparing = '';
      }
    } else {
      this.images = null;
    }
    const config = { ...engineConfig(p), ...(this.images ? { data: this.images.data } : {}) };
    // Same config, same data order (the step counter decides the batch): the snapshot's step continues.
    const from = resuming && ctx ? (this.snapshot ?? undefined) : undefined;
    this.engine = createBatchNormEngine(ctx, config, from);
    this.engineKey = key;
    this.configKey = configKey;
    this.engineCtx = ctx;
    this.snapshotAt = -Infinity;
    if (from) {
      this.history.truncate(from.step);
      const lost = this.reached - from.step;
      this.recovery =
        lost === 1
          ? msg(str`Resumed at step ${from.step} after a GPU loss (${lost} step lost).`)
          : msg(str`Resumed at step ${from.step} after a GPU loss (${lost} steps lost).`);
    } else {
      this.history = new TrainingHistory();
      this.snapshot = null;
      this.reached = 0;
      this.recovery = resuming ? msg('The run restarted after a GPU loss.') : '';
    }
    this.backendLabel = backend.label;
    this.backend = backend.tag;
    this.notice = backend.kind === 'cpu' ? (backend.notice ?? '') : '';
    return this.engine;
  }

  /**
   * One engine call, inside the queue: a look at the current batch, or training steps — as many as the
   * pace allows, cut so that the call crosses at most one held-out evaluation point, which the engine
   * evaluates after exactly that step (1, EVAL_EVERY, 2·EVAL_EVERY, … updates, as single steps would).
   */
  private async step(train: boolean): Promise<void> {
    this.markLost(); // a loss while nothing ran (paused, or between steps)
    const engine = await this.ensureEngine();
    const p = this.host.params();
    const layer = Math.min(p.layer, p.depth - 1);
    const unit = Math.min(p.unit, p.width - 1);
    const view = p.view;
    const heldOut = heldOutRows(engine.config) > 0;
    const started = performance.now();
    // A call carries a snapshot when it should end SNAPSHOT_EVERY_MS after the last snapshot's state
    // (its duration guessed from the last call): the steps a loss can cost stay within about a second.
    const snapshot =
      train && !!engine.readSnapshot && started + this.pace.lastCallMs - this.snapshotAt >= SNAPSHOT_EVERY_MS;
    this.stepsInFlight++;
    this.host.changed();
    let r: BatchNormRun;
    try {
      if (train) {
        const wanted = Math.min(this.pace.size, engine.maxStepsPerCall);
        const plan = callPlan(engine.steps, wanted, EVAL_EVERY, heldOut);
        r = await engine.run({
          steps: plan.n,
          view,
          layer,
          unit,
          evaluateAfter: plan.evaluateAfter,
          snapshot,
        });
      } else {
        // Held-out accuracy (image tasks) at every look.
        const last = await engine.step({ train, view, layer, unit, evaluate: heldOut });
        r = {
          steps: [],
          last,
          ...(last.heldOut ? { heldOut: { step: last.step, result: last.heldOut } } : {}),
        };
      }
    } finally {
      this.stepsInFlight--;
    }
    const ended = performance.now();
    this.lossesInARow = 0;
    const last = r.last;
    if (last.snapshot) {
      this.snapshot = last.snapshot;
      this.snapshotAt = ended;
    }
    if (train) {
      this.reached = Math.max(this.reached, last.step);
      this.history.recordSteps(r.steps, last, `${layer}:${unit}:${view}`);
      this.pace.record(r.steps.length, ended - started, last.step, ended, engine.maxStepsPerCall);
    }
    if (r.heldOut) {
      // Evaluated after r.heldOut.step updates.
      this.history.recordHeldOut(r.heldOut.step, r.heldOut.result);
      this.heldOut = r.heldOut.result;
      this.heldOutStep = r.heldOut.step;
    }
    this.latest = last;
    this.host.changed();
  }
}
