import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { renderChannels, renderLines } from '../../charts/lines';
import {
  createBatchNormEngine,
  type BatchNormEngine,
  type BatchNormLabConfig,
  type BatchNormStep,
} from '../../engine/batchnorm';
import { TASKS, type Task } from '../../models/mlp';
import { ACTIVATIONS, type Activation } from '../../kernels/nn/nn.ref';
import type { Store } from '../../state/store';
import type { BatchnormState } from '../../state/batchnorm';
import { RuntimeController, StoreController, storeContext } from '../controllers';
import { runtimeContext, type Runtime } from '../runtime';
import { downloadJson } from '../export';
import { sharedStyles } from '../styles';
import { batchnormLabStyles } from './styles';

const TASK_LABELS: Record<Task, string> = { spirals: 'Two spirals', circles: 'Two circles', xor: 'XOR' };
const ACT_LABELS: Record<Activation, string> = {
  relu: 'ReLU',
  sigmoid: 'sigmoid',
  silu: 'SiLU',
  gelu: 'GELU',
};
const BATCHES = [16, 32, 64, 128, 256, 512, 1024];
const WIDTHS = [8, 16, 32, 64, 128];
const LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3];
/** Points kept per curve; older ones are thinned by half when the history fills. */
const MAX_HISTORY = 4000;
const BN_COLOR = '#1f77b4';
const PLAIN_COLOR = '#d62728';

interface History {
  step: number[];
  lossBN: number[];
  lossPlain: number[];
  accBN: number[];
  accPlain: number[];
  /** Percentile bands of the chosen unit (reset when the unit changes). */
  pStep: number[];
  pBN: [number[], number[], number[]];
  pPlain: [number[], number[], number[]];
}

const emptyHistory = (): History => ({
  step: [],
  lossBN: [],
  lossPlain: [],
  accBN: [],
  accPlain: [],
  pStep: [],
  pBN: [[], [], []],
  pPlain: [[], [], []],
});

function thin(h: History): void {
  const half = <T>(a: T[]) => a.filter((_, i) => i % 2 === 0);
  if (h.step.length > MAX_HISTORY) {
    h.step = half(h.step);
    h.lossBN = half(h.lossBN);
    h.lossPlain = half(h.lossPlain);
    h.accBN = half(h.accBN);
    h.accPlain = half(h.accPlain);
  }
  if (h.pStep.length > MAX_HISTORY) {
    h.pStep = half(h.pStep);
    h.pBN = h.pBN.map(half) as History['pBN'];
    h.pPlain = h.pPlain.map(half) as History['pPlain'];
  }
}

/**
 * The BatchNorm lab (#/batchnorm): the same MLP with and without BatchNorm trained side by side; live
 * loss/accuracy, percentiles of one unit's input, per-channel batch statistics before and after BN, running
 * vs batch statistics, and a train/eval switch. Training runs in an async loop (one GPU step per
 * iteration, awaiting its small read-back); charts redraw at most once per animation frame.
 */
@customElement('ks-batchnorm-lab')
export class BatchnormLab extends LitElement {
  static override styles = [sharedStyles, batchnormLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  private lab = new StoreController(
    this,
    () => this.store,
    (s) => s.labs.batchnorm,
  );
  private backend = new StoreController(
    this,
    () => this.store,
    (s) => s.backend,
  );
  protected gpuStatus = new RuntimeController(this, () => this.runtime);

  @state() private running = false;
  @state() private latest: BatchNormStep | null = null;
  @state() private error: string | null = null;
  @state() private backendLabel = '';

  @query('svg.loss') private lossSvg!: SVGSVGElement;
  @query('svg.accuracy') private accSvg!: SVGSVGElement;
  @query('svg.percentiles') private pctSvg!: SVGSVGElement;
  @query('svg.means') private meansSvg!: SVGSVGElement;
  @query('svg.vars') private varsSvg!: SVGSVGElement;
  @query('svg.running') private runningSvg!: SVGSVGElement;

  private engine: BatchNormEngine | null = null;
  private engineKey = '';
  private history = emptyHistory();
  private loop: Promise<void> | null = null;
  private frame = 0;
  private unitKey = '';

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.running = false;
    cancelAnimationFrame(this.frame);
    this.engine?.destroy();
    this.engine = null;
    this.engineKey = '';
  }

  private config(p: BatchnormState): BatchNormLabConfig {
    return {
      task: p.task,
      lr: p.lr,
      batch: p.batch,
      depth: p.depth,
      width: p.width,
      seed: p.seed,
      activation: p.activation,
    };
  }

  /** The engine for the current controls and backend (re-created, with history cleared, when they change). */
  private async ensureEngine(): Promise<BatchNormEngine> {
    const p = this.lab.value;
    const wantGpu = this.backend.value === 'gpu';
    const ctx = wantGpu ? await this.runtime.gpu() : null;
    const key = JSON.stringify([this.config(p), ctx ? this.runtime.generation : 'cpu']);
    if (this.engine && key === this.engineKey) return this.engine;
    this.engine?.destroy();
    this.engine = createBatchNormEngine(ctx, this.config(p));
    this.engineKey = key;
    this.history = emptyHistory();
    this.backendLabel = ctx
      ? this.runtime.status.kind === 'ready'
        ? this.runtime.status.name
        : 'GPU'
      : wantGpu
        ? 'CPU (WebGPU unavailable)'
        : 'CPU';
    return this.engine;
  }

  private async oneStep(train: boolean): Promise<void> {
    const engine = await this.ensureEngine();
    const p = this.lab.value;
    const layer = Math.min(p.layer, p.depth - 1);
    const unit = Math.min(p.unit, p.width - 1);
    const r = await engine.step({ train, view: p.view, layer, unit });
    if (engine !== this.engine) return;
    const h = this.history;
    if (train) {
      h.step.push(r.step);
      h.lossBN.push(r.loss.withBN);
      h.lossPlain.push(r.loss.withoutBN);
      h.accBN.push(r.accuracy.withBN);
      h.accPlain.push(r.accuracy.withoutBN);
      const key = `${layer}:${unit}:${p.view}`;
      if (key !== this.unitKey) {
        this.unitKey = key;
        h.pStep = [];
        h.pBN = [[], [], []];
        h.pPlain = [[], [], []];
      }
      h.pStep.push(r.step);
      r.percentiles.withBN.forEach((v, i) => h.pBN[i]!.push(v));
      r.percentiles.withoutBN.forEach((v, i) => h.pPlain[i]!.push(v));
      thin(h);
    }
    this.latest = r;
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.requestUpdate();
    });
  }

  private toggle(): void {
    if (this.running) {
      this.running = false;
      return;
    }
    this.running = true;
    this.error = null;
    this.loop = (async () => {
      try {
        while (this.running && this.isConnected) {
          await this.oneStep(true);
          // Let input events and the animation frame in between steps (the CPU backend computes synchronously).
          await new Promise((r) => setTimeout(r, 0));
        }
      } catch (e) {
        this.error = (e as Error).message;
        this.running = false;
      }
    })();
  }

  private async reset(): Promise<void> {
    this.running = false;
    await this.loop;
    this.engine?.destroy();
    this.engine = null;
    this.engineKey = '';
    this.latest = null;
    await this.refresh();
  }

  /** Shows the statistics of the current batch without training (after a change while paused). */
  private async refresh(): Promise<void> {
    if (this.running) return;
    try {
      await this.oneStep(false);
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  override firstUpdated(): void {
    void this.refresh();
  }

  private set(patch: Partial<BatchnormState>) {
    this.store.setLab('batchnorm', patch);
    // Shape or task changes restart training; layer, unit and view apply to the next step.
    void this.loop?.then(() => this.refresh());
    if (!this.loop) void this.refresh();
  }

  override updated(_: PropertyValues): void {
    if (!this.latest || !this.lossSvg) return;
    this.drawCharts(this.latest);
  }

  private drawCharts(r: BatchNormStep) {
    const h = this.history;
    const width = Math.max(300, Math.min(620, (this.lossSvg.parentElement?.clientWidth ?? 560) - 8));
    const height = 230;
    renderLines(
      this.lossSvg,
      {
        lines: [
          { label: 'with BN', color: BN_COLOR, x: h.step, y: h.lossBN },
          { label: 'without BN', color: PLAIN_COLOR, x: h.step, y: h.lossPlain, dashed: true },
        ],
      },
      { width, height, title: 'Training loss (cross-entropy) of both networks', xLabel: 'step', logY: true },
    );
    renderLines(
      this.accSvg,
      {
        lines: [
          { label: 'with BN', color: BN_COLOR, x: h.step, y: h.accBN },
          { label: 'without BN', color: PLAIN_COLOR, x: h.step, y: h.accPlain, dashed: true },
        ],
      },
      { width, height, title: 'Batch accuracy of both networks', xLabel: 'step', yDomain: [0, 1] },
    );
    renderLines(
      this.pctSvg,
      {
        bands: [
          { label: 'with BN', color: BN_COLOR, x: h.pStep, lo: h.pBN[0], mid: h.pBN[1], hi: h.pBN[2] },
          {
            label: 'without BN',
            color: PLAIN_COLOR,
            x: h.pStep,
            lo: h.pPlain[0],
            mid: h.pPlain[1],
            hi: h.pPlain[2],
          },
        ],
      },
      {
        width,
        height,
        title: `15th, 50th and 85th percentiles of the activation input of unit ${r.percentiles.unit}, layer ${r.percentiles.layer}`,
        xLabel: 'step',
      },
    );
    const L = r.layers[r.percentiles.layer]!;
    renderChannels(
      this.meansSvg,
      [
        { label: 'before BN', color: '#ff7f0e', values: L.preBN.mean },
        { label: 'after BN (x̂)', color: BN_COLOR, values: L.postBN.mean },
        { label: 'no-BN net', color: PLAIN_COLOR, values: L.plain.mean },
      ],
      { width, height, title: `Batch mean of each channel, layer ${L.index}`, reference: 0 },
    );
    renderChannels(
      this.varsSvg,
      [
        { label: 'before BN', color: '#ff7f0e', values: L.preBN.var },
        { label: 'after BN (x̂)', color: BN_COLOR, values: L.postBN.var },
        { label: 'no-BN net', color: PLAIN_COLOR, values: L.plain.var },
      ],
      { width, height, title: `Batch variance of each channel, layer ${L.index}`, reference: 1 },
    );
    renderChannels(
      this.runningSvg,
      [
        { label: 'batch mean', color: '#ff7f0e', values: L.preBN.mean, shape: 'circle' },
        { label: 'running mean', color: '#2ca02c', values: L.runningMean, shape: 'circle' },
        { label: 'batch var', color: '#9467bd', values: L.preBN.var, shape: 'circle' },
        { label: 'running var', color: '#8c564b', values: L.runningVar, shape: 'circle' },
      ],
      { width, height, title: `Running statistics vs the current batch's, layer ${L.index} (BN input)` },
    );
  }

  private exportStats() {
    const r = this.latest;
    if (!r) return;
    const p = this.lab.value;
    downloadJson(`kernelscope-batchnorm-step${r.step}.json`, {
      lab: 'batchnorm',
      step: r.step,
      layers: r.layers.map((l) => ({
        index: l.index,
        preBN: l.preBN,
        postBN: l.postBN,
        runningMean: l.runningMean,
        runningVar: l.runningVar,
      })),
      loss: { withBN: this.history.lossBN, withoutBN: this.history.lossPlain },
      backend: this.backendLabel,
      view: r.view,
      config: this.config(p),
    });
  }

  override render() {
    const p = this.lab.value;
    const r = this.latest;
    const num = (e: Event) => Number((e.target as HTMLInputElement | HTMLSelectElement).value);
    return html`
      <h2>BatchNorm: normalising each channel over the batch</h2>
      <p class="lede">
        Two identical MLPs (${p.depth} hidden layers of ${p.width} ${ACT_LABELS[p.activation]} units, same
        initial weights, same batches) train side by side with Adam; the blue one has BatchNorm1d after every
        Linear layer. Every kernel — matmul, BatchNorm, softmax cross-entropy, Adam, and the per-channel
        statistics — runs in WGSL.
      </p>
      <section class="panel controls" aria-label="BatchNorm lab controls">
        <label class="field"
          >Task
          <select @change=${(e: Event) => this.set({ task: (e.target as HTMLSelectElement).value as Task })}>
            ${TASKS.map((t) => html`<option value=${t} .selected=${t === p.task}>${TASK_LABELS[t]}</option>`)}
          </select></label
        >
        <label class="field"
          >Learning rate
          <select @change=${(e: Event) => this.set({ lr: num(e) })}>
            ${[...new Set([...LRS, p.lr])]
              .sort((a, b) => a - b)
              .map((v) => html`<option value=${v} .selected=${v === p.lr}>${v}</option>`)}
          </select></label
        >
        <label class="field"
          >Batch size
          <select @change=${(e: Event) => this.set({ batch: num(e) })}>
            ${[...new Set([...BATCHES, p.batch])]
              .sort((a, b) => a - b)
              .map((v) => html`<option value=${v} .selected=${v === p.batch}>${v}</option>`)}
          </select></label
        >
        <label class="field"
          >Depth
          <input
            type="number"
            min="1"
            max="8"
            .value=${String(p.depth)}
            @change=${(e: Event) => this.setInt(e, 'depth', 1, 8)}
        /></label>
        <label class="field"
          >Width
          <select @change=${(e: Event) => this.set({ width: num(e) })}>
            ${[...new Set([...WIDTHS, p.width])]
              .sort((a, b) => a - b)
              .map((v) => html`<option value=${v} .selected=${v === p.width}>${v}</option>`)}
          </select></label
        >
        <label class="field"
          >Activation
          <select
            @change=${(e: Event) => this.set({ activation: (e.target as HTMLSelectElement).value as Activation })}
          >
            ${ACTIVATIONS.map((a) => html`<option value=${a} .selected=${a === p.activation}>${ACT_LABELS[a]}</option>`)}
          </select></label
        >
        <label class="field"
          >Seed
          <input
            type="number"
            min="0"
            max="4294967295"
            .value=${String(p.seed)}
            @change=${(e: Event) => this.setInt(e, 'seed', 0, 2 ** 32 - 1)}
        /></label>
        <label class="field"
          >Layer shown
          <select @change=${(e: Event) => this.set({ layer: num(e) })}>
            ${Array.from(
              { length: p.depth },
              (_, i) =>
                html`<option value=${i} .selected=${i === Math.min(p.layer, p.depth - 1)}>${i}</option>`,
            )}
          </select></label
        >
        <label class="field"
          >Unit
          <input
            type="number"
            min="0"
            max=${p.width - 1}
            .value=${String(Math.min(p.unit, p.width - 1))}
            @change=${(e: Event) => this.setInt(e, 'unit', 0, p.width - 1)}
        /></label>
        <fieldset class="toggle">
          <legend>BN statistics</legend>
          ${(['train', 'eval'] as const).map(
            (v) =>
              html`<label
                ><input
                  type="radio"
                  name="view"
                  value=${v}
                  .checked=${p.view === v}
                  @change=${() => this.set({ view: v })}
                />
                ${v === 'train' ? 'train (batch)' : 'eval (running)'}</label
              >`,
          )}
        </fieldset>
      </section>
      <div class="run">
        <button @click=${() => this.toggle()}>${this.running ? 'Pause' : 'Train'}</button>
        <button @click=${() => void this.reset()}>Reset</button>
        <button ?disabled=${!r} @click=${() => this.exportStats()}>Export statistics (JSON)</button>
        <span class="badge" title="Compute backend of this lab">${this.backendLabel || '…'}</span>
        <span class="status" role="status" aria-label="Training status"
          >${
            r
              ? html`step ${r.step} · loss ${fmt(r.loss.withBN)} (BN) / ${fmt(r.loss.withoutBN)} (plain) ·
                accuracy ${pct(r.accuracy.withBN)} / ${pct(r.accuracy.withoutBN)}`
              : 'starting…'
          }</span
        >
      </div>
      ${this.error ? html`<p class="error" role="alert">Training stopped: ${this.error}</p>` : nothing}
      <div class="grid">
        <figure class="panel">
          <h3>Loss</h3>
          <svg class="loss"></svg>
          <figcaption>Cross-entropy of each training batch (log scale).</figcaption>
        </figure>
        <figure class="panel">
          <h3>Accuracy</h3>
          <svg class="accuracy"></svg>
          <figcaption>Fraction of the current batch classified correctly.</figcaption>
        </figure>
        <figure class="panel">
          <h3>A unit's input over training</h3>
          <svg class="percentiles"></svg>
          <figcaption>
            15th/50th/85th percentiles over the batch of the input to the activation of one unit (after BN in
            the blue net, straight from the Linear layer in the red one) — Ioffe &amp; Szegedy (2015), Fig. 1.
          </figcaption>
        </figure>
        <figure class="panel">
          <h3>Running vs batch statistics</h3>
          <svg class="running"></svg>
          <figcaption>
            The running mean/variance (momentum 0.1, unbiased variance) used in eval mode, against the current
            batch's statistics of the BN input.
          </figcaption>
        </figure>
        <figure class="panel">
          <h3>Per-channel batch mean</h3>
          <svg class="means"></svg>
          <figcaption>
            Before BN (Linear output), after BN (x̂, before γ and β) and in the network without BN.
            ${
              p.view === 'eval'
                ? 'Eval view: x̂ uses the running statistics, so its batch mean is no longer exactly 0.'
                : 'Train view: x̂ has batch mean 0 by construction.'
            }
          </figcaption>
        </figure>
        <figure class="panel">
          <h3>Per-channel batch variance</h3>
          <svg class="vars"></svg>
          <figcaption>
            ${
              p.view === 'eval'
                ? 'Eval view: x̂ is scaled by the running variance, so its batch variance is only near 1.'
                : 'Train view: x̂ has batch variance σ²/(σ² + ε) ≈ 1 (ε = 10⁻⁵).'
            }
          </figcaption>
        </figure>
      </div>
      <section class="panel explain" aria-label="What BatchNorm does">
        <h3>What BatchNorm does, and two accounts of why it helps</h3>
        <p>
          For each channel, BatchNorm subtracts the mean over the batch and divides by the batch standard
          deviation, x̂ = (x − μ_B)/√(σ²_B + ε); then a learnable scale and shift give y = γx̂ + β, so the layer
          can still represent any mean and spread it needs. The bars above show it: before BN the channel
          means and variances wander; after BN they sit at 0 and 1. At inference a single example has no
          batch, so BN keeps running averages of μ and σ² during training and uses those in eval mode — switch
          to "eval" to see that the batch's x̂ is then only approximately standardised.
        </p>
        <p>
          <strong>Reducing internal covariate shift</strong> (Ioffe &amp; Szegedy, 2015): as earlier layers
          train, the distribution of each layer's input keeps moving, and BN pins its first two moments —
          compare how the percentile bands of the two networks move as training proceeds.
          <strong>A smoother loss landscape</strong> (Santurkar et al., 2018): they showed that BN networks
          train well even when noise is injected to re-create covariate shift, and argued that BN instead
          makes the loss and its gradients more Lipschitz, so larger learning rates are stable. Try a learning
          rate of 0.3 on the spirals or XOR: with the default seed and shape the plain network stalls near
          loss 0.5–0.6 after 400 steps while the BN network keeps training. At 0.01–0.1 the plain network does
          as well or better here: a shallow MLP trained with Adam does not need BN, and each batch's
          statistics add noise. Neither account is the whole story; the plots show the effects both describe.
        </p>
      </section>
    `;
  }

  private setInt(e: Event, key: 'depth' | 'seed' | 'unit', min: number, max: number) {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= min && v <= max) this.set({ [key]: v });
    else input.value = String(this.lab.value[key]);
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(3) : String(v);
}
function pct(v: number): string {
  return `${(100 * v).toFixed(0)}%`;
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-batchnorm-lab': BatchnormLab;
  }
}
