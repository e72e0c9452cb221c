/**
 * The BatchNorm lab's training session: the backend (resolveBackend), the engine for the current controls,
 * the training loop, pause / train / reset, the history and the held-out evaluation. Every engine call
 * goes through one SerialQueue, and there is at most one loop: a quick Pause → Train while a step is in
 * flight keeps the loop that is running instead of starting a second one.
 */
import {
  createBatchNormEngine,
  heldOutRows,
  type BatchNormEngine,
  type BatchNormLabConfig,
  type BatchNormStep,
  type HeldOut,
} from '../../engine/batchnorm';
import { isImageTask } from '../../models/mlp';
import type { BatchnormState } from '../../state/batchnorm';
import type { BackendChoice } from '../../state/store';
import { SerialQueue } from '../../util/serial-queue';
import { resolveBackend } from '../common/backend';
import type { Runtime } from '../common/runtime';
import { TASK_LABELS } from './controls';
import { TrainingHistory } from './history';
import { imageSet, type ImageSet } from './image-data';

/** Held-out evaluation every this many training steps (and at every look while paused). */
export const EVAL_EVERY = 25;
/** Training steps over which the speed is measured. */
const SPEED_WINDOW = 20;

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
  /** Why the CPU computes although the GPU was chosen. */
  notice = '';
  /** Shown while the glyph images are being rendered. */
  preparing = '';
  images: ImageSet | null = null;
  /** Engine steps running now (0 or 1: the queue runs one at a time). */
  stepsInFlight = 0;

  private readonly queue = new SerialQueue();
  private engine: BatchNormEngine | null = null;
  private engineKey = '';
  private wantTraining = false;
  private looping = false;
  private stopped = false;
  private stepTimes: number[] = [];

  constructor(private readonly host: SessionHost) {}

  get state(): RunState {
    if (this.wantTraining) return 'training';
    return this.looping || this.queue.busy ? 'pausing' : 'paused';
  }

  /** Training steps per second over the last few steps of this stretch of training (null until measured). */
  get stepsPerSecond(): number | null {
    const t = this.stepTimes;
    if (t.length < 2) return null;
    return ((t.length - 1) * 1000) / (t.at(-1)! - t[0]!);
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
    this.stepTimes = [];
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
      this.latest = null;
      await this.step(false);
    });
  }

  /** The page left: stop training and free the engine (a later look creates a new one). */
  stop(): void {
    this.wantTraining = false;
    this.stopped = true;
    void this.queue.run(() => this.dropEngine());
  }

  private async loop(): Promise<void> {
    this.looping = true;
    try {
      while (this.wantTraining) {
        await this.queue.run(() => this.step(true));
        // Let input events and the animation frame in between steps (the CPU backend computes synchronously).
        await new Promise((r) => setTimeout(r, 0));
      }
    } catch (e) {
      this.wantTraining = false;
      this.error = (e as Error).message;
    } finally {
      this.looping = false;
    }
    if (!this.error && !this.stopped && isImageTask(this.host.params().task)) await this.look();
    this.host.changed();
  }

  /** Runs `op` on the queue; a failure is shown as the error (never an unhandled rejection). */
  private async enqueue(op: () => Promise<void>, droppable = false): Promise<void> {
    try {
      await (droppable ? this.queue.run(op, { droppable: true }) : this.queue.run(op));
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.host.changed();
  }

  private dropEngine(): void {
    this.engine?.destroy();
    this.engine = null;
    this.engineKey = '';
    this.heldOut = undefined;
  }

  /** The engine for the current controls and backend (re-created, with the history cleared, on a change). */
  private async ensureEngine(): Promise<BatchNormEngine> {
    const p = this.host.params();
    const backend = await resolveBackend(this.host.runtime(), this.host.backend());
    const image = isImageTask(p.task);
    const key = JSON.stringify([
      engineConfig(p),
      image ? p.pixels : '',
      backend.kind === 'gpu' ? this.host.runtime().generation : 'cpu',
    ]);
    if (this.engine && key === this.engineKey) return this.engine;
    this.dropEngine();
    if (isImageTask(p.task)) {
      // Rendering a few thousand glyphs takes about a second: say so and let the page paint first.
      this.preparing = `Rendering ${TASK_LABELS[p.task].toLowerCase()} from this browser's fonts…`;
      this.host.changed();
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      try {
        this.images = imageSet(p.task, p.pixels);
      } finally {
        this.preparing = '';
      }
    } else {
      this.images = null;
    }
    const config = { ...engineConfig(p), ...(this.images ? { data: this.images.data } : {}) };
    this.engine = createBatchNormEngine(backend.kind === 'gpu' ? backend.ctx : null, config);
    this.engineKey = key;
    this.history = new TrainingHistory();
    this.backendLabel = backend.label;
    this.notice = backend.kind === 'cpu' ? (backend.notice ?? '') : '';
    return this.engine;
  }

  /** One engine step (a training step, or a look at the current batch): runs inside the queue. */
  private async step(train: boolean): Promise<void> {
    const engine = await this.ensureEngine();
    const p = this.host.params();
    const layer = Math.min(p.layer, p.depth - 1);
    const unit = Math.min(p.unit, p.width - 1);
    // Held-out accuracy (image tasks): every EVAL_EVERY steps while training, and at every look.
    const evaluate =
      heldOutRows(engine.config) > 0 &&
      (!train || (engine.steps + 1) % EVAL_EVERY === 0 || engine.steps === 0);
    this.stepsInFlight++;
    this.host.changed();
    let r: BatchNormStep;
    try {
      r = await engine.step({ train, view: p.view, layer, unit, evaluate });
    } finally {
      this.stepsInFlight--;
    }
    if (train) {
      this.history.recordStep(r, `${layer}:${unit}:${p.view}`);
      this.stepTimes = [...this.stepTimes.slice(1 - SPEED_WINDOW), performance.now()];
    }
    if (r.heldOut) {
      // Evaluated after this step's update: the parameters after r.step updates.
      this.history.recordHeldOut(r.step, r.heldOut);
      this.heldOut = r.heldOut;
      this.heldOutStep = r.step;
    }
    this.latest = r;
    this.host.changed();
  }
}
