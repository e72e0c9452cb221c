/**
 * <ks-induction-trainer>: "Train in this page" for the induction model (issue 13). Trains it in WGSL on
 * `gpu` (GpuInductionTrainer, chunks of about 250 ms, one loss readback each) and, at most about once a
 * second and at the end, scores the weights in float64 on a fixed held-out batch (induction-watch.ts),
 * sending `induction-trained` (bubbles, composed; InductionTrainedDetail). Cancel, a new seed, removal or a
 * lost GPU stop the run; after a GPU loss the next Train continues from the last evaluated model.
 */
import { css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { msg, str } from '@lit/localize';
import { GpuInductionTrainer } from '../../engine/induction/gpu';
import { isAbortError } from '../../gpu/compute';
import { localAdapterName, type GpuContext } from '../../gpu/device';
import { SerialQueue } from '../../util/serial-queue';
import { sharedStyles, trainerPanelStyles } from '../common/styles';
import { ThemeController } from '../common/theme';
import { drawTrainerCharts } from './induction-trainer-chart';
import {
  INDUCTION_TARGET,
  InductionWatch,
  WATCH_SEQUENCES,
  cancelledLine,
  finishedLine,
  lostLine,
  progressLine,
} from './induction-watch';
import { KsElement } from '../common/localized';

export interface InductionTrainedDetail {
  /** The parameters (parameterLayout order) at `step`. */
  params: Float32Array;
  step: number;
  totalSteps: number;
  /** Mean training loss (nats) of the chunk that ended at `step`. */
  loss: number;
  /** Best layer-1 prefix-matching and layer-0 previous-token scores on the held-out batch. */
  prefixMatching: number;
  previousToken: number;
  /** Cross-entropy (nats) on the held-out batch's second copies. */
  secondCopyLoss: number;
  /** True once, for the run's last event (all steps done, or the induction score passed the target). */
  done: boolean;
}

export const INDUCTION_STEP_CHOICES = [500, 2000, 8000, 16000, 32000] as const;
/** Chunks (one loss readback each) last about this long, so Cancel answers promptly. */
const CHUNK_MS = 250;
/** The note shown without WebGPU (a function: msg() answers in the language of the moment). */
export function noWebgpuNote(): string {
  return msg(
    'Training in this page needs WebGPU; the CPU reference takes about a second per step here. The shipped trained model works on every backend.',
  );
}

/** One run: its device, what stopped it, and its watch. */
interface Run {
  ctx: GpuContext;
  controller: AbortController;
  seed: number;
  total: number;
  watch: InductionWatch;
  /** Set by cancel(why): why the run was stopped ('' for the Cancel button). */
  why: string | null;
  lost: boolean;
  /** The parameters of the latest evaluation (the model the run leaves). */
  params: Float32Array | null;
}

@customElement('ks-induction-trainer')
export class InductionTrainerPanel extends KsElement {
  static override styles = [
    sharedStyles,
    trainerPanelStyles,
    css`
      label.check {
        display: flex;
        gap: 0.4rem;
        align-items: center;
      }
      progress {
        width: 12rem;
      }
      .charts {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
      }
    `,
  ];

  @property({ attribute: false }) gpu: GpuContext | null = null;
  @property({ type: Number }) seed = 1;
  /** Steps of the next run; the "Steps" select writes it. */
  @property({ type: Number }) steps = 16000;
  /** Stop once the induction score passes `target` (read at each evaluation). */
  @property({ type: Boolean }) stopAtTarget = true;
  @property({ type: Number }) target = INDUCTION_TARGET;

  @state() private running = false;
  @state() private step = 0;
  @state() private totalSteps = 0;
  @state() private message = '';
  @state() private error = '';
  @state() private stepsPerSecond: number | null = null;
  @query('svg.loss') private lossSvg?: SVGSVGElement;
  @query('svg.scores') private scoresSvg?: SVGSVGElement;

  /** Redraws the charts in the new theme's colours. */
  private theme = new ThemeController(this);
  /** Runs one at a time: a new one starts after the last has released its GPU buffers. */
  private queue = new SerialQueue();
  private current: Run | null = null;
  private lossSteps: number[] = [];
  private losses: number[] = [];
  private watch: InductionWatch | null = null;
  /** The last evaluated model of a run the GPU loss ended, which the next Train continues from. */
  private resume: { seed: number; step: number; params: Float32Array } | null = null;

  /** Resolves when the current run (if any) has stopped and released the GPU. */
  done: Promise<void> = Promise.resolve();

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.cancel(msg('the panel was removed'));
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const run = this.current;
    if (!run) return;
    if (changed.has('gpu') && this.gpu !== run.ctx) this.lose(run);
    else if (changed.has('seed') && this.seed !== run.seed) this.cancel(msg('the seed changed'));
  }

  protected override updated(): void {
    this.drawCharts();
  }

  /** Starts a run (the "Train the induction model" button); no-op without WebGPU or while running. */
  start(): void {
    const ctx = this.gpu;
    if (this.running || !ctx) return;
    const seed = this.seed;
    const total = Math.max(1, Math.floor(this.steps));
    const resume = this.resume?.seed === seed && this.resume.step < total ? this.resume : null;
    this.resume = null;
    const same = this.watch?.seed === seed && this.watch.target === this.target;
    const watch = resume && same ? this.watch! : new InductionWatch(seed, this.target);
    if (resume) {
      watch.trim(resume.step);
      const keep = this.lossSteps.filter((s) => s <= resume.step).length;
      this.lossSteps = this.lossSteps.slice(0, keep);
      this.losses = this.losses.slice(0, keep);
    } else {
      this.lossSteps = [];
      this.losses = [];
    }
    const run: Run = {
      ctx,
      controller: new AbortController(),
      seed,
      total,
      watch,
      why: null,
      lost: false,
      params: resume?.params ?? null,
    };
    this.current = run;
    this.watch = watch;
    this.running = true;
    this.error = '';
    this.step = resume?.step ?? 0;
    this.totalSteps = total;
    this.stepsPerSecond = null;
    this.message = resume
      ? msg(str`Continuing from the model of step ${resume.step} (Adam's moments start again)…`)
      : msg('Starting…');
    this.done = this.queue
      .run(() => this.train(run, resume))
      .catch((e: unknown) => {
        const why = e instanceof Error ? e.message : String(e);
        this.error = msg(str`Training failed: ${why}`);
      })
      .finally(() => {
        if (this.current === run) this.current = null;
        this.running = false;
      });
  }

  /** Stops the run between chunks (the "Cancel" button; `why` for other reasons). */
  cancel(why = ''): void {
    const run = this.current;
    if (!run || run.controller.signal.aborted) return;
    run.why = why;
    run.controller.abort();
  }

  private lose(run: Run): void {
    run.lost = true;
    run.controller.abort();
  }

  private async train(run: Run, resume: { step: number; params: Float32Array } | null): Promise<void> {
    const { ctx, controller, watch, total } = run;
    const signal = controller.signal;
    const started = performance.now();
    const from = resume?.step ?? 0;
    void ctx.lost.then(() => this.lose(run));
    if (ctx.isLost()) return this.lostAt(run, from);
    let trainer: GpuInductionTrainer;
    try {
      trainer = new GpuInductionTrainer(ctx.device, {
        seed: run.seed,
        label: 'attention.induction-trainer',
        ...(resume ? { init: resume.params } : {}),
      });
    } catch (e) {
      if (run.lost || (await lostSoon(ctx))) return this.lostAt(run, from);
      throw e;
    }
    trainer.step = from;
    let passed = false; // an evaluation reached the target with "Stop once…" checked
    let ended = false;
    let pending: Promise<void> | null = null;
    let failure: unknown = null;
    /** Scores the parameters of `step` and sends them (nothing once the run is stopping). */
    const score = (params: Float32Array, step: number, loss: number, done: boolean) => {
      if (signal.aborted) return;
      const point = watch.evaluate(params, step);
      run.params = params;
      if (this.stopAtTarget && watch.passed) passed = true;
      this.emit({ params, totalSteps: total, loss, ...point, done });
    };
    const training = trainer.run({
      until: total,
      chunkMs: CHUNK_MS,
      control: { signal },
      onChunk: async (c) => {
        const now = performance.now();
        this.step = c.step;
        this.lossSteps = [...this.lossSteps, c.step];
        this.losses = [...this.losses, c.loss];
        this.stepsPerSecond = (c.step - from) / Math.max(1e-3, (now - started) / 1000);
        if (failure) throw failure;
        if (c.step >= total || passed) {
          await pending;
          if (failure) throw failure;
          score(await trainer.weights(), c.step, c.loss, true);
          ended = true;
        } else if (!pending && !signal.aborted && watch.due(now, false)) {
          // The read is queued behind this chunk; the float64 scoring runs while the GPU trains the next.
          pending = trainer
            .weights()
            .then((params) => score(params, c.step, c.loss, false))
            .catch((e: unknown) => {
              if (!signal.aborted) failure = e;
            })
            .finally(() => (pending = null));
        }
        this.message = progressLine(c.step, total, c.loss, watch.latest, this.stepsPerSecond);
      },
      stop: () => ended,
    });
    try {
      // A lost device may leave a readback unsettled: the loss ends the run, not the readback.
      const lostNow = new Promise<void>((resolve) => {
        if (run.lost) resolve();
        signal.addEventListener('abort', () => run.lost && resolve());
      });
      await Promise.race([training, lostNow]);
      if (run.lost) return this.lostAt(run, trainer.step);
      if (signal.aborted) return this.stoppedAt(run, trainer.step);
      this.message = finishedLine(trainer.step, (performance.now() - started) / 1000, watch, resume?.step);
    } catch (e) {
      if (run.lost) return this.lostAt(run, trainer.step);
      if (isAbortError(e) && run.why !== null) return this.stoppedAt(run, trainer.step);
      if (await lostSoon(ctx)) return this.lostAt(run, trainer.step);
      if (isAbortError(e)) return this.stoppedAt(run, trainer.step);
      throw e;
    } finally {
      training.catch(() => undefined);
      trainer.destroy();
    }
  }

  private emit(detail: InductionTrainedDetail): void {
    this.dispatchEvent(
      new CustomEvent<InductionTrainedDetail>('induction-trained', { bubbles: true, composed: true, detail }),
    );
  }

  private stoppedAt(run: Run, step: number): void {
    this.message = cancelledLine(step, run.total, run.watch, run.why ?? '');
  }

  private lostAt(run: Run, step: number): void {
    const m = run.watch.latest;
    this.resume = m && run.params ? { seed: run.seed, step: m.step, params: run.params } : null;
    this.message = lostLine(step, run.watch);
  }

  private drawCharts(): void {
    if (!this.lossSvg || !this.scoresSvg) return;
    const room = this.lossSvg.parentElement?.clientWidth ?? 760;
    const width = Math.max(260, Math.min(420, room >= 760 ? room / 2 - 12 : room - 8));
    const color = (name: string, fallback: string) => this.theme.cssVar(name, this) || fallback;
    drawTrainerCharts(
      this.lossSvg,
      this.scoresSvg,
      {
        steps: this.lossSteps,
        losses: this.losses,
        points: this.watch?.points ?? [],
        target: this.watch?.target ?? this.target,
        sequences: WATCH_SEQUENCES,
      },
      {
        loss: color('--ks-bar', '#4c78a8'),
        prefix: color('--ks-accent', '#e45756'),
        previous: color('--ks-primary', '#1f6feb'),
        target: color('--ks-muted', '#888888'),
      },
      width,
    );
  }

  private onSteps(e: Event): void {
    this.steps = Number((e.target as HTMLSelectElement).value);
  }

  private onStopAtTarget(e: Event): void {
    this.stopAtTarget = (e.target as HTMLInputElement).checked;
  }

  override render() {
    const choices = [...new Set<number>([...INDUCTION_STEP_CHOICES, this.steps])].sort((a, b) => a - b);
    const adapter = this.gpu ? localAdapterName(this.gpu.info) : '';
    const idle = this.gpu
      ? msg(
          str`Trains the 2-layer attention-only model in WGSL on ${adapter}, scoring its heads on ${WATCH_SEQUENCES} held-out sequences about once a second.`,
        )
      : '';
    const rate = this.stepsPerSecond?.toFixed(1);
    return html`
      <div class="row">
        <label class="field"
          >${msg('Steps')}
          <select .value=${String(this.steps)} ?disabled=${this.running} @change=${this.onSteps}>
            ${choices.map((s) => html`<option value=${s} ?selected=${s === this.steps}>${s}</option>`)}
          </select>
        </label>
        <label class="check">
          <input type="checkbox" .checked=${this.stopAtTarget} @change=${this.onStopAtTarget} />
          ${msg(str`Stop once the induction score passes ${this.target}`)}
        </label>
        <button class="primary" ?disabled=${this.running || !this.gpu} @click=${() => this.start()}>
          ${msg('Train the induction model')}
        </button>
        ${this.running ? html`<button @click=${() => this.cancel()}>${msg('Cancel')}</button>` : nothing}
        <progress
          aria-label=${msg('Training progress')}
          max=${Math.max(1, this.totalSteps || this.steps)}
          .value=${this.step}
        ></progress>
      </div>
      ${this.gpu ? nothing : html`<p class="notice no-webgpu">${noWebgpuNote()}</p>`}
      <p class="status" role="status" aria-live="polite">${this.message || idle}</p>
      ${
        this.gpu?.info.isFallback
          ? html`<p class="small muted">
              ${
                rate !== undefined
                  ? msg(
                      str`This is a software adapter: the WGSL runs on the CPU, far slower than a GPU (this run: ${rate} steps/s).`,
                    )
                  : msg('This is a software adapter: the WGSL runs on the CPU, far slower than a GPU.')
              }
            </p>`
          : nothing
      }
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="charts">
        <svg class="loss" data-steps=${this.lossSteps.length}></svg>
        <svg class="scores" data-points=${this.watch?.points.length ?? 0}></svg>
      </div>
    `;
  }
}

/** Whether the device of `ctx` is lost, waiting briefly for its `lost` promise after a failure. */
async function lostSoon(ctx: GpuContext): Promise<boolean> {
  if (ctx.isLost()) return true;
  await Promise.race([ctx.lost, new Promise((r) => setTimeout(r, 500))]);
  return ctx.isLost();
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-induction-trainer': InductionTrainerPanel;
  }
}
