/**
 * <ks-denoiser-trainer>: trains the Diffusion lab's ε-MLP (src/models/mlp-denoiser.ts) on the user's 2D
 * data, live: in WGSL on `gpu` (GpuDenoiserTrainer), else with the float64 TypeScript trainer in short
 * chunks between frames (same batches and update, so a seed trains alike on both). Properties: gpu, data,
 * dataset, seed, steps, batch. It sends `denoiser-trained` (bubbles, composed; detail DenoiserTrainedDetail)
 * about every 10% of the run and at the end; Cancel, or new data, stops it between chunks. On the GPU it keeps
 * a CPU snapshot (weights, Adam moments, step) taken at most about once a second and at each event; when the
 * device is lost it waits for the next `gpu` and resumes from the snapshot, saying how many steps were lost.
 */
import { css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { msg, str } from '@lit/localize';
import { renderLines } from '../../charts/lines';
import { adapterName, type GpuContext } from '../../gpu/device';
import { GpuDenoiserTrainer, type TrainerSnapshot } from '../../engine/denoiser-train';
import { DEFAULT_MLP_CONFIG, MLP_TRAINING, MlpTrainer, type MlpModel } from '../../models/mlp-denoiser';
import { makeSchedule } from '../../models/schedules';
import { backendRow } from '../common/backend';
import { sharedStyles, trainerPanelStyles } from '../common/styles';
import { ThemeController } from '../common/theme';
import { KsElement } from '../common/localized';

export interface DenoiserTrainedDetail {
  model: MlpModel;
  step: number;
  totalSteps: number;
  loss: number;
  done: boolean;
}

const TRAIN_STEP_CHOICES = [50, 200, 500, 1000, 2000, 5000] as const;
const TRAIN_BATCH_CHOICES = [32, 64, 128, 256] as const;
const LEARNING_RATE = 2e-3;
/** Snapshots (events) per run. */
const SNAPSHOTS = 10;
/** GPU chunks (one loss readback each) last about this long, so Cancel answers promptly. */
const GPU_CHUNK_MS = 250;
/** CPU chunks yield to the page after about this many milliseconds. */
const CPU_SLICE_MS = 30;
/** The GPU run's CPU snapshot is refreshed at most about this often (and at each event). */
const SNAPSHOT_MS = 1000;

@customElement('ks-denoiser-trainer')
export class DenoiserTrainerPanel extends KsElement {
  static override styles = [
    sharedStyles,
    trainerPanelStyles,
    css`
      progress {
        width: 14rem;
      }
    `,
  ];

  @property({ attribute: false }) gpu: GpuContext | null = null;
  @property({ attribute: false }) data: Float32Array = new Float32Array(0);
  /**
   * The dataset's name (recorded in the model). Contract 4 names this string property `dataset`, which
   * shadows HTMLElement.dataset (a DOMStringMap) on this element — nothing here uses data-* attributes
   * through it. Typed `string & DOMStringMap` so the class still satisfies HTMLElement; at run time it is
   * the string that was set (bind it as `.dataset=${name}`).
   */
  @property({ attribute: false }) override dataset = '' as string & DOMStringMap;
  @property({ type: Number }) seed = 0;
  @property({ type: Number }) steps = 1000;
  @property({ type: Number }) batch = 256;

  @state() private running = false;
  @state() private step = 0;
  @state() private totalSteps = 0;
  @state() private lastLoss = NaN;
  @state() private message = '';
  @state() private error = '';
  /** What happened at the last GPU loss of this run ('' if none). */
  @state() private recovery = '';
  /** This run's speed so far: steps completed / wall time since Train, at its batch size. */
  @state() private rate: { stepsPerSecond: number; batch: number } | null = null;
  @query('svg.loss') private lossSvg?: SVGSVGElement;

  /** Redraws the loss chart in the new theme's line colour. */
  private theme = new ThemeController(this);
  private lossSteps: number[] = [];
  private losses: number[] = [];
  private controller: AbortController | null = null;
  private run = 0;

  /** Resolves when the current run (if any) has stopped. */
  done: Promise<void> = Promise.resolve();
  /** Waiters for a new `gpu` after a loss. */
  private gpuWaiters: Array<() => void> = [];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('gpu') && this.gpu) for (const wake of this.gpuWaiters.splice(0)) wake();
    if (this.running && (changed.has('data') || changed.has('dataset'))) {
      this.cancel(msg('Training stopped: the data changed.'));
    }
  }

  protected override updated(): void {
    this.drawChart();
  }

  /** Starts training (the "Train denoiser" button). */
  start(): void {
    if (this.running) return;
    this.error = '';
    if (this.data.length < 2 || this.data.length % 2 !== 0) {
      this.error = msg('No 2D training data to train on.');
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    const id = ++this.run;
    this.running = true;
    this.step = 0;
    this.totalSteps = this.steps;
    this.lastLoss = NaN;
    this.rate = null;
    this.lossSteps = [];
    this.losses = [];
    this.recovery = '';
    this.message = msg('Starting…');
    this.done = this.train(controller.signal)
      .catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        if (id === this.run) this.error = msg(str`Training failed: ${why}`);
      })
      .finally(() => {
        if (id !== this.run) return;
        this.running = false;
        this.controller = null;
      });
  }

  /** Stops training between chunks (the "Cancel training" button). */
  cancel(why = msg('Training cancelled.')): void {
    if (!this.controller) return;
    this.controller.abort();
    this.controller = null;
    const [step, total] = [this.step, this.totalSteps];
    this.message = msg(str`${why} Stopped at step ${step} of ${total}.`);
    for (const wake of this.gpuWaiters.splice(0)) wake();
  }

  /** A `gpu` other than `old` (after a device loss), or null when the run is cancelled first. */
  private async nextGpu(old: GpuContext, signal: AbortSignal): Promise<GpuContext | null> {
    while (!signal.aborted) {
      if (this.gpu && this.gpu !== old) return this.gpu;
      await new Promise<void>((wake) => this.gpuWaiters.push(wake));
    }
    return null;
  }

  /** Keeps the loss history up to the snapshot the run resumes from. */
  private trimHistory(step: number): void {
    const keep = this.lossSteps.filter((s) => s <= step).length;
    this.lossSteps = this.lossSteps.slice(0, keep);
    this.losses = this.losses.slice(0, keep);
  }

  private async train(signal: AbortSignal): Promise<void> {
    const totalSteps = this.steps;
    const batch = this.batch;
    const options = {
      data: Float32Array.from(this.data),
      schedule: makeSchedule(MLP_TRAINING.schedule),
      config: { ...DEFAULT_MLP_CONFIG },
      steps: totalSteps,
      batch,
      learningRate: LEARNING_RATE,
      seed: this.seed,
    };
    const chunk = Math.max(1, Math.min(100, Math.round(totalSteps / 50)));
    let nextSnapshot = 1;
    const snapshotAt = (k: number) => Math.round((k * totalSteps) / SNAPSHOTS);
    const meta = (trainer: string, step: number, loss: number) => ({
      dataset: String(this.dataset),
      trainSteps: step,
      batch,
      seed: this.seed,
      learningRate: LEARNING_RATE,
      schedule: MLP_TRAINING.schedule,
      finalLoss: loss,
      trainer,
    });
    const started = performance.now();
    const report = (step: number, loss: number) => {
      this.step = step;
      this.lastLoss = loss;
      this.lossSteps.push(step);
      this.losses.push(loss);
      const seconds = (performance.now() - started) / 1000;
      this.rate = seconds > 0 ? { stepsPerSecond: step / seconds, batch } : null;
      const l = loss.toFixed(4);
      this.message = this.rate
        ? msg(str`Step ${step} of ${totalSteps} · loss ${l} · ${this.rate.stepsPerSecond.toFixed(1)} steps/s`)
        : msg(str`Step ${step} of ${totalSteps} · loss ${l}`);
    };
    const emit = (model: MlpModel, step: number, loss: number) => {
      const done = step >= totalSteps;
      this.dispatchEvent(
        new CustomEvent<DenoiserTrainedDetail>('denoiser-trained', {
          bubbles: true,
          composed: true,
          detail: { model, step, totalSteps, loss, done },
        }),
      );
    };
    const dueSnapshot = (step: number) => {
      if (step < snapshotAt(nextSnapshot) && step < totalSteps) return false;
      while (nextSnapshot <= SNAPSHOTS && snapshotAt(nextSnapshot) <= step) nextSnapshot++;
      return true;
    };

    let gpu = this.gpu;
    let snap: TrainerSnapshot | undefined;
    let snapAt = -Infinity;
    while (gpu) {
      const name = `webgpu: ${adapterName(gpu.info)}`;
      const lost = lossOf(gpu.device);
      const label = 'diffusion.trainer';
      const trainer = new GpuDenoiserTrainer(gpu.device, { ...options, label, resume: snap });
      try {
        await trainer.run({
          chunk,
          chunkMs: GPU_CHUNK_MS,
          signal,
          onChunk: async (p) => {
            if (signal.aborted) return;
            report(p.step, p.loss);
            const due = dueSnapshot(p.step);
            if (due || performance.now() - snapAt >= SNAPSHOT_MS) {
              snap = await trainer.snapshot();
              snapAt = performance.now();
            }
            if (!due || signal.aborted) return;
            const model = { config: { ...options.config }, params: snap!.params.slice() };
            emit({ ...model, meta: meta(name, p.step, p.loss) }, p.step, p.loss);
          },
        });
        return;
      } catch (e) {
        if (!(await lost.happened())) throw e;
      } finally {
        trainer.destroy();
      }
      const at = this.step;
      this.message = msg(str`The GPU device was lost at step ${at}; waiting for a new one…`);
      gpu = await this.nextGpu(gpu, signal);
      if (!gpu) return;
      this.trimHistory(snap?.step ?? 0);
      this.step = snap?.step ?? 0;
      this.recovery = snap
        ? msg(str`Resumed at step ${snap.step} after a GPU loss (${at - snap.step} steps lost).`)
        : msg(str`The run restarted after a GPU loss (${at} steps lost).`);
      this.message = this.recovery;
    }

    const trainer = new MlpTrainer(options);
    const name = 'typescript-f64';
    while (trainer.step < totalSteps && !signal.aborted) {
      const end = Math.min(totalSteps, trainer.step + chunk);
      let sum = 0;
      let n = 0;
      const started = performance.now();
      while (trainer.step < end) {
        sum += trainer.trainStep();
        n++;
        if (performance.now() - started > CPU_SLICE_MS && trainer.step < end) {
          await nextTask();
          if (signal.aborted) return;
        }
      }
      report(trainer.step, sum / n);
      if (dueSnapshot(trainer.step)) {
        const model = trainer.model();
        emit({ ...model, meta: meta(name, trainer.step, sum / n) }, trainer.step, sum / n);
      }
      await nextTask();
    }
  }

  private drawChart(): void {
    if (!this.lossSvg) return;
    const width = Math.max(260, Math.min(520, (this.lossSvg.parentElement?.clientWidth ?? 480) - 8));
    renderLines(
      this.lossSvg,
      {
        lines: [
          {
            label: msg('ε loss (MSE)'),
            color: this.theme.cssVar('--ks-bar', this) || '#4c78a8',
            x: this.lossSteps,
            y: this.losses,
          },
        ],
      },
      {
        width,
        height: 180,
        title: msg('Denoiser training loss (mean squared error of ε̂)'),
        xLabel: msg('step'),
        yLabel: msg('loss'),
      },
    );
  }

  /** On a software adapter: how slow it is, with this run's measured speed once known. */
  private softwareNote(): string {
    if (!this.rate) {
      return msg(
        'This is a software adapter: the WGSL runs on the CPU, much slower than a GPU. Use few steps and a small batch here.',
      );
    }
    const [rate, batch] = [this.rate.stepsPerSecond.toFixed(1), this.rate.batch];
    return msg(
      str`This is a software adapter: the WGSL runs on the CPU, much slower than a GPU. Use few steps and a small batch here (this run: ${rate} steps/s at batch ${batch}).`,
    );
  }

  private onSteps(e: Event): void {
    this.steps = Number((e.target as HTMLSelectElement).value);
  }

  private onBatch(e: Event): void {
    this.batch = Number((e.target as HTMLSelectElement).value);
  }

  override render() {
    const stepChoices = [...new Set<number>([...TRAIN_STEP_CHOICES, this.steps])].sort((a, b) => a - b);
    const batchChoices = [...new Set<number>([...TRAIN_BATCH_CHOICES, this.batch])].sort((a, b) => a - b);
    const backend = this.gpu
      ? backendRow({ kind: 'gpu', adapter: this.gpu.info })
      : msg('CPU (TypeScript, float64)');
    return html`
      <div class="row">
        <label class="field"
          >${msg('Training steps')}
          <select .value=${String(this.steps)} ?disabled=${this.running} @change=${this.onSteps}>
            ${stepChoices.map((s) => html`<option value=${s} ?selected=${s === this.steps}>${s}</option>`)}
          </select>
        </label>
        <label class="field"
          >${msg('Batch size')}
          <select .value=${String(this.batch)} ?disabled=${this.running} @change=${this.onBatch}>
            ${batchChoices.map((b) => html`<option value=${b} ?selected=${b === this.batch}>${b}</option>`)}
          </select>
        </label>
        <button class="primary" ?disabled=${this.running} @click=${() => this.start()}>
          ${msg('Train denoiser')}
        </button>
        <button ?disabled=${!this.running} @click=${() => this.cancel()}>${msg('Cancel training')}</button>
        <progress
          aria-label=${msg('Training progress')}
          max=${Math.max(1, this.totalSteps || this.steps)}
          .value=${this.step}
        ></progress>
      </div>
      <p class="status" role="status" aria-live="polite">
        ${this.message || msg(str`Trains the ε-MLP on ${backend}.`)}
      </p>
      ${this.recovery && this.message !== this.recovery ? html`<p class="small recovery">${this.recovery}</p>` : nothing}
      ${this.gpu?.info.isFallback ? html`<p class="muted">${this.softwareNote()}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <svg class="loss" data-steps=${this.lossSteps.length} data-loss=${String(this.lastLoss)}></svg>
    `;
  }
}

/** Whether `device` was lost (waiting briefly for its `lost` promise after a failure). */
function lossOf(device: GPUDevice): { happened(): Promise<boolean> } {
  let lost = false;
  void device.lost.then(() => (lost = true));
  return {
    happened: async () => {
      if (!lost) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 500))]);
      return lost;
    },
  };
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-denoiser-trainer': DenoiserTrainerPanel;
  }
}
