import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { renderChannels, renderLines } from '../../charts/lines';
import { renderImageGrid } from '../../charts/image-grid';
import { renderChannelHistogram } from '../../charts/channel-histogram';
import {
  createBatchNormEngine,
  heldOutRows,
  type BatchNormEngine,
  type BatchNormLabConfig,
  type BatchNormStep,
} from '../../engine/batchnorm';
import { LAB_TASKS, isImageTask, type ImageTask, type LabData, type LabTask } from '../../models/mlp';
import { ACTIVATIONS, type Activation } from '../../kernels/nn/spec';
import type { Store } from '../../state/store';
import { IMAGE_PIXELS, type BatchnormState } from '../../state/batchnorm';
import { LabController, storeContext } from '../common/controllers';
import { runtimeContext, type Runtime } from '../common/runtime';
import { downloadCsv, downloadJson, downloadSvg, downloadSvgAsPng } from '../common/export';
import { downsampleImages, renderGlyphs } from '../common/glyphs';
import { sharedStyles } from '../common/styles';
import { batchnormLabStyles } from './styles';

const TASK_LABELS: Record<LabTask, string> = {
  spirals: 'Two spirals',
  circles: 'Two circles',
  xor: 'XOR',
  digits: 'Glyphs (digits)',
  letters: 'Glyphs (letters)',
};
const PIXEL_LABELS: Record<(typeof IMAGE_PIXELS)[number], string> = {
  '16': '16×16 (256 inputs)',
  '28': '28×28 (784 inputs)',
};
/**
 * Glyph data sets of the image tasks: images per class for training and for the held-out split (other
 * random jitter of the same fonts, never trained on). The held-out split has ≥ 1024 images, so every batch
 * size evaluates at least one whole batch.
 */
const IMAGE_SPLITS: Record<ImageTask, { train: number; test: number }> = {
  digits: { train: 300, test: 103 },
  letters: { train: 120, test: 40 },
};
const TRAIN_GLYPH_SEED = 101;
const TEST_GLYPH_SEED = 202;
/** Held-out evaluation every this many training steps (and at every look while paused). */
const EVAL_EVERY = 25;
/** Training images shown above the charts. */
const PREVIEW_COUNT = 20;
/** The high-learning-rate demonstration. */
export const HIGH_LR_PRESET: Partial<BatchnormState> = {
  task: 'spirals',
  lr: 0.3,
  depth: 5,
  width: 32,
  batch: 64,
  activation: 'relu',
  seed: 1,
  layer: 4,
  unit: 0,
  view: 'train',
};
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
const HELD_BN_COLOR = '#9467bd';
const HELD_PLAIN_COLOR = '#ff7f0e';

/** The lab's charts: the class of each one's <svg>, its name in the export buttons and in the file names. */
type ChartKey = 'loss' | 'accuracy' | 'percentiles' | 'running' | 'means' | 'vars';
const CHARTS: Record<ChartKey, { name: string; file: string }> = {
  loss: { name: 'loss', file: 'loss' },
  accuracy: { name: 'accuracy', file: 'accuracy' },
  percentiles: { name: 'unit input percentiles', file: 'unit-percentiles' },
  running: { name: 'running statistics', file: 'running-stats' },
  means: { name: 'channel means', file: 'channel-means' },
  vars: { name: 'channel variances', file: 'channel-variances' },
};

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
  /** Held-out accuracy (image tasks) after hStep updates. */
  hStep: number[];
  hBN: number[];
  hPlain: number[];
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
  hStep: [],
  hBN: [],
  hPlain: [],
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

/** A rendered glyph data set and what the page shows about it. */
interface ImageSet {
  data: LabData;
  /** Side of the images the networks see. */
  side: number;
  classes: string[];
  fonts: string[];
  preview: Float32Array;
}

const imageSets = new Map<string, ImageSet>();

/**
 * Renders (once per page) the glyphs of an image task at the chosen input size: 16×16 is rendered at
 * 32×32 and average-pooled 2×2 (a quarter of the inputs, so a step costs about a third of the 28×28 one on
 * a software adapter or the CPU backend); 28×28 is rendered directly.
 */
function imageSet(task: ImageTask, pixels: (typeof IMAGE_PIXELS)[number]): ImageSet {
  const key = `${task}:${pixels}`;
  const cached = imageSets.get(key);
  if (cached) return cached;
  const size = pixels === '16' ? 32 : 28;
  const factor = pixels === '16' ? 2 : 1;
  const set = task === 'digits' ? 'digits' : 'letters';
  const split = IMAGE_SPLITS[task];
  const tr = renderGlyphs({ set, size, perClass: split.train, seed: TRAIN_GLYPH_SEED });
  const te = renderGlyphs({ set, size, perClass: split.test, seed: TEST_GLYPH_SEED });
  const pool = (images: Float32Array, count: number) =>
    factor === 1 ? images : downsampleImages(images, size, count, factor);
  const inputs = pool(tr.images, tr.count);
  const side = size / factor;
  const out: ImageSet = {
    data: {
      inputs,
      labels: tr.labels,
      classes: tr.classes.length,
      test: { inputs: pool(te.images, te.count), labels: te.labels },
    },
    side,
    classes: tr.classes,
    fonts: tr.fonts,
    preview: inputs.slice(0, PREVIEW_COUNT * side * side),
  };
  imageSets.set(key, out);
  return out;
}

type Cell = string | number;
/** A table as JSON records keyed by its header (non-finite numbers become null). */
function records(rows: Cell[][]): Array<Record<string, Cell | null>> {
  const [head, ...body] = rows;
  return body.map((r) =>
    Object.fromEntries(
      (head ?? []).map((k, j) => {
        const v = r[j];
        return [String(k), typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null)];
      }),
    ),
  );
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

  /** The lab's controls (params), the backend choice and GPU status re-renders; lab.set() changes controls. */
  private lab = new LabController(this, 'batchnorm');

  @state() private running = false;
  /** Id of the newest training loop (see toggle()). */
  private loopId = 0;
  @state() private latest: BatchNormStep | null = null;
  @state() private error: string | null = null;
  @state() private backendLabel = '';
  /** Shown while the glyph images are being rendered. */
  @state() private preparing = '';
  @state() private images: ImageSet | null = null;
  /** Why the last chart export failed (cleared by the next one). */
  @state() private exportError = '';

  @query('svg.loss') private lossSvg!: SVGSVGElement;
  @query('svg.accuracy') private accSvg!: SVGSVGElement;
  @query('svg.percentiles') private pctSvg!: SVGSVGElement;
  @query('svg.means') private meansSvg!: SVGSVGElement;
  @query('svg.vars') private varsSvg!: SVGSVGElement;
  @query('svg.running') private runningSvg!: SVGSVGElement;
  @query('canvas.glyphs') private glyphCanvas!: HTMLCanvasElement | null;

  private engine: BatchNormEngine | null = null;
  /** The latest held-out evaluation (kept between the steps that do not evaluate). */
  private heldOut: BatchNormStep['heldOut'] = undefined;
  /** Updates made before that evaluation. */
  private heldOutStep = 0;
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

  /** The engine config without its data (what the export and the engine key record). */
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
    const p = this.lab.params;
    const wantGpu = this.lab.backend === 'gpu';
    const ctx = wantGpu ? await this.runtime.gpu() : null;
    const image = isImageTask(p.task);
    const key = JSON.stringify([
      this.config(p),
      image ? p.pixels : '',
      ctx ? this.runtime.generation : 'cpu',
    ]);
    if (this.engine && key === this.engineKey) return this.engine;
    this.engine?.destroy();
    this.engine = null;
    let data: LabData | undefined;
    if (isImageTask(p.task)) {
      if (!imageSets.has(`${p.task}:${p.pixels}`)) {
        // Rendering a few thousand glyphs takes about a second: say so and let the page paint first.
        this.preparing = `Rendering ${TASK_LABELS[p.task].toLowerCase()} from this browser's fonts…`;
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      }
      try {
        this.images = imageSet(p.task, p.pixels);
      } finally {
        this.preparing = '';
      }
      data = this.images.data;
    } else {
      this.images = null;
    }
    this.engine = createBatchNormEngine(ctx, { ...this.config(p), ...(data ? { data } : {}) });
    this.engineKey = key;
    this.history = emptyHistory();
    this.heldOut = undefined;
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
    const p = this.lab.params;
    const layer = Math.min(p.layer, p.depth - 1);
    const unit = Math.min(p.unit, p.width - 1);
    // Held-out accuracy (image tasks): every EVAL_EVERY steps while training, and at every look.
    const evaluate =
      heldOutRows(engine.config) > 0 &&
      (!train || (engine.steps + 1) % EVAL_EVERY === 0 || engine.steps === 0);
    const r = await engine.step({ train, view: p.view, layer, unit, evaluate });
    if (engine !== this.engine) return;
    const h = this.history;
    if (train) {
      // A training step's loss, accuracy and percentiles are of its batch before the update: plotted at
      // x = the number of updates made before it (the look at step 0 is the same point).
      const x = r.step - 1;
      h.step.push(x);
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
      h.pStep.push(x);
      r.percentiles.withBN.forEach((v, i) => h.pBN[i]!.push(v));
      r.percentiles.withoutBN.forEach((v, i) => h.pPlain[i]!.push(v));
      thin(h);
    }
    if (r.heldOut) {
      // Evaluated after this step's update: the parameters after r.step updates.
      if (h.hStep.at(-1) === r.step) {
        h.hBN[h.hBN.length - 1] = r.heldOut.accuracy.withBN;
        h.hPlain[h.hPlain.length - 1] = r.heldOut.accuracy.withoutBN;
      } else if ((h.hStep.at(-1) ?? -1) < r.step) {
        h.hStep.push(r.step);
        h.hBN.push(r.heldOut.accuracy.withBN);
        h.hPlain.push(r.heldOut.accuracy.withoutBN);
      }
      this.heldOut = r.heldOut;
      this.heldOutStep = r.step;
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
      // Image tasks: evaluate the held-out split where training stopped.
      if (isImageTask(this.lab.params.task)) void this.loop?.then(() => this.refresh());
      return;
    }
    this.running = true;
    this.error = null;
    // Pause shows "Train" at once while the step in flight finishes; a quick Pause → Train must not leave
    // two loops stepping the same engine. Each loop has an id, stops when a newer one exists, and the new
    // loop starts only after the previous one has finished its step.
    const id = ++this.loopId;
    const previous = this.loop;
    this.loop = (async () => {
      await previous;
      try {
        while (this.running && this.loopId === id && this.isConnected) {
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
    this.heldOut = undefined;
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
    this.lab.set(patch);
    // Shape or task changes restart training; layer, unit and view apply to the next step.
    void this.loop?.then(() => this.refresh());
    if (!this.loop) void this.refresh();
  }

  override updated(_: PropertyValues): void {
    if (!this.latest || !this.lossSvg) return;
    this.drawCharts(this.latest);
  }

  /**
   * The curves to draw: the training history, or — before the first training step — the single point of
   * the initial forward pass (step 0), so the charts show where training starts.
   */
  private curves(r: BatchNormStep): History {
    const h = this.history;
    if (h.step.length > 0) return h;
    const p = r.percentiles;
    return {
      step: [r.step],
      lossBN: [r.loss.withBN],
      lossPlain: [r.loss.withoutBN],
      accBN: [r.accuracy.withBN],
      accPlain: [r.accuracy.withoutBN],
      pStep: [r.step],
      pBN: [[p.withBN[0]], [p.withBN[1]], [p.withBN[2]]],
      pPlain: [[p.withoutBN[0]], [p.withoutBN[1]], [p.withoutBN[2]]],
      hStep: h.hStep,
      hBN: h.hBN,
      hPlain: h.hPlain,
    };
  }

  private drawCharts(r: BatchNormStep) {
    const h = this.curves(r);
    if (this.images && this.glyphCanvas) {
      const n = Math.min(PREVIEW_COUNT, this.images.preview.length / this.images.side ** 2);
      renderImageGrid(this.glyphCanvas, this.images.preview, {
        size: this.images.side,
        count: n,
        columns: 10,
        scale: this.images.side <= 16 ? 4 : 3,
      });
    }
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
          ...(h.hStep.length > 0
            ? [
                { label: 'BN, held-out', color: HELD_BN_COLOR, x: h.hStep, y: h.hBN },
                { label: 'no BN, held-out', color: HELD_PLAIN_COLOR, x: h.hStep, y: h.hPlain, dashed: true },
              ]
            : []),
        ],
      },
      {
        width,
        height,
        title:
          h.hStep.length > 0
            ? 'Batch and held-out accuracy of both networks'
            : 'Batch accuracy of both networks',
        xLabel: 'step',
        yDomain: [0, 1],
      },
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
    const stat = (k: 'mean' | 'var') => [
      { label: 'before BN', color: '#ff7f0e', values: L.preBN[k] },
      { label: 'after BN (x̂)', color: BN_COLOR, values: L.postBN[k] },
      { label: 'no-BN net', color: PLAIN_COLOR, values: L.plain[k], dashed: true },
    ];
    if (this.lab.params.channels === 'histogram') {
      const bins = Math.max(8, Math.min(24, L.preBN.mean.length));
      renderChannelHistogram(this.meansSvg, stat('mean'), {
        width,
        height,
        bins,
        title: `Histogram over the ${L.preBN.mean.length} channels of the batch mean, layer ${L.index}`,
        reference: 0,
        xLabel: 'batch mean',
      });
      renderChannelHistogram(this.varsSvg, stat('var'), {
        width,
        height,
        bins,
        title: `Histogram over the ${L.preBN.var.length} channels of the batch variance, layer ${L.index}`,
        reference: 1,
        xLabel: 'batch variance',
      });
    } else {
      renderChannels(this.meansSvg, stat('mean'), {
        width,
        height,
        title: `Batch mean of each channel, layer ${L.index}`,
        reference: 0,
      });
      renderChannels(this.varsSvg, stat('var'), {
        width,
        height,
        title: `Batch variance of each channel, layer ${L.index}`,
        reference: 1,
      });
    }
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
    const p = this.lab.params;
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
      config: this.exportConfig(p),
    });
  }

  /** The config as exported: the engine config, plus the image data's shape for the image tasks. */
  private exportConfig(p: BatchnormState) {
    const c = this.config(p);
    const img = this.images;
    if (!isImageTask(p.task) || !img) return c;
    return {
      ...c,
      pixels: Number(p.pixels),
      inputs: img.side * img.side,
      classes: img.classes,
      fonts: img.fonts,
      trainImages: img.data.labels.length,
      heldOutImages: heldOutRows({ ...c, data: img.data }),
    };
  }

  private chartSvg(key: ChartKey): SVGSVGElement | null {
    return this.renderRoot.querySelector<SVGSVGElement>(`svg.${key}`);
  }

  /**
   * Saves one chart as drawn (a self-contained copy: colours, font and background resolved from the current
   * theme). The per-channel charts' file names say which view they show (by channel or histogram).
   */
  private async exportChart(key: ChartKey, kind: 'png' | 'svg'): Promise<void> {
    const svg = this.chartSvg(key);
    if (!svg || !this.latest) return;
    const view = key === 'means' || key === 'vars' ? `-${this.lab.params.channels}` : '';
    const name = `kernelscope-batchnorm-${CHARTS[key].file}${view}-step${this.latest.step}.${kind}`;
    this.exportError = '';
    try {
      if (kind === 'svg') downloadSvg(name, svg);
      else await downloadSvgAsPng(name, svg);
    } catch (e) {
      this.exportError = `Could not export the ${CHARTS[key].name} chart: ${(e as Error).message}`;
    }
  }

  /** A chart's heading with its PNG and SVG export buttons beside it. */
  private chartHead(key: ChartKey, heading: string) {
    const { name } = CHARTS[key];
    const off = !this.latest;
    return html`<div class="chart-head">
      <h3>${heading}</h3>
      <span class="chart-exports" role="group" aria-label=${`Export the ${name} chart`}>
        <button
          type="button"
          aria-label=${`Export ${name} (PNG)`}
          title=${`Save the ${name} chart as a PNG image`}
          ?disabled=${off}
          @click=${() => void this.exportChart(key, 'png')}
        >
          PNG
        </button>
        <button
          type="button"
          aria-label=${`Export ${name} (SVG)`}
          title=${`Save the ${name} chart as an SVG file`}
          ?disabled=${off}
          @click=${() => void this.exportChart(key, 'svg')}
        >
          SVG
        </button>
      </span>
    </div>`;
  }

  private download(name: string, rows: Cell[][], format: 'csv' | 'json') {
    const step = this.latest?.step ?? 0;
    if (format === 'csv') downloadCsv(`kernelscope-batchnorm-${name}-step${step}.csv`, rows);
    else downloadJson(`kernelscope-batchnorm-${name}-step${step}.json`, records(rows));
  }

  /** Table: the latest step's numbers of both networks. */
  private latestRows(r: BatchNormStep): Cell[][] {
    const rows: Cell[][] = [
      ['quantity', 'with BN', 'without BN'],
      ['step', r.step, r.step],
      ['batch loss', r.loss.withBN, r.loss.withoutBN],
      ['batch accuracy', r.accuracy.withBN, r.accuracy.withoutBN],
    ];
    const ho = this.heldOut;
    if (ho) {
      rows.push(['held-out loss', ho.loss.withBN, ho.loss.withoutBN]);
      rows.push(['held-out accuracy', ho.accuracy.withBN, ho.accuracy.withoutBN]);
      rows.push(['held-out images', ho.count, ho.count]);
      rows.push(['held-out evaluated after step', this.heldOutStep, this.heldOutStep]);
    }
    return rows;
  }

  /** Table: per-channel statistics of the layer shown. */
  private channelRows(r: BatchNormStep): Cell[][] {
    const L = r.layers[r.percentiles.layer]!;
    const rows: Cell[][] = [
      [
        'layer',
        'channel',
        'pre-BN mean',
        'pre-BN var',
        'post-BN mean',
        'post-BN var',
        'running mean',
        'running var',
        'no-BN mean',
        'no-BN var',
      ],
    ];
    L.preBN.mean.forEach((_, c) =>
      rows.push([
        L.index,
        c,
        L.preBN.mean[c]!,
        L.preBN.var[c]!,
        L.postBN.mean[c]!,
        L.postBN.var[c]!,
        L.runningMean[c]!,
        L.runningVar[c]!,
        L.plain.mean[c]!,
        L.plain.var[c]!,
      ]),
    );
    return rows;
  }

  /** Table: every training step kept in the history (x = updates before the step's batch). */
  private historyRows(): Cell[][] {
    const h = this.history;
    const rows: Cell[][] = [
      ['step', 'loss with BN', 'loss without BN', 'batch accuracy with BN', 'batch accuracy without BN'],
    ];
    h.step.forEach((x, i) => rows.push([x, h.lossBN[i]!, h.lossPlain[i]!, h.accBN[i]!, h.accPlain[i]!]));
    return rows;
  }

  /** Table: held-out accuracy over training (image tasks). */
  private heldOutRowsTable(): Cell[][] {
    const h = this.history;
    const rows: Cell[][] = [['step', 'held-out accuracy with BN', 'held-out accuracy without BN']];
    h.hStep.forEach((x, i) => rows.push([x, h.hBN[i]!, h.hPlain[i]!]));
    return rows;
  }

  /** A table with its CSV and JSON export buttons; `shown` limits the rows drawn (exports hold all). */
  private table(label: string, name: string, rows: Cell[][], shown = Infinity, note = '') {
    const [head, ...body] = rows;
    const visible = body.length > shown ? body.slice(-shown) : body;
    const cell = (v: Cell | undefined) =>
      typeof v === 'number' && !Number.isInteger(v) ? fmt(v) : String(v ?? '');
    return html`<div class="table-block">
      <table aria-label=${label}>
        <thead>
          <tr>
            ${(head ?? []).map((h) => html`<th scope="col">${h}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${visible.map(
            (row) =>
              html`<tr>
                ${row.map((v, j) =>
                  j === 0
                    ? html`<th scope="row">${cell(v)}</th>`
                    : html`<td data-value=${String(v)}>${cell(v)}</td>`,
                )}
              </tr>`,
          )}
        </tbody>
      </table>
      ${note ? html`<p class="note">${note}</p>` : nothing}
      <div class="exports">
        <button type="button" @click=${() => this.download(name, rows, 'csv')}>
          Export ${label.toLowerCase()} (CSV)
        </button>
        <button type="button" @click=${() => this.download(name, rows, 'json')}>
          Export ${label.toLowerCase()} (JSON)
        </button>
      </div>
    </div>`;
  }

  private tables(r: BatchNormStep) {
    const hist = this.historyRows();
    const held = this.heldOutRowsTable();
    return html`<section class="panel numbers" aria-labelledby="numbers-heading">
      <h3 id="numbers-heading">The numbers</h3>
      ${this.table('Latest step', 'latest', this.latestRows(r))}
      <details>
        <summary>Per-channel statistics, layer ${r.percentiles.layer} (${r.view} view)</summary>
        ${this.table('Channel statistics', 'channels', this.channelRows(r))}
      </details>
      <details>
        <summary>Training history (${hist.length - 1} steps)</summary>
        ${this.table(
          'Training history',
          'history',
          hist,
          10,
          hist.length - 1 > 10
            ? `The last 10 of ${hist.length - 1} steps; the exports hold every step kept.`
            : '',
        )}
      </details>
      ${
        held.length > 1
          ? html`<details>
              <summary>Held-out accuracy (${held.length - 1} evaluations)</summary>
              ${this.table('Held-out accuracy', 'held-out', held)}
            </details>`
          : nothing
      }
    </section>`;
  }

  override render() {
    const p = this.lab.params;
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
          <select
            @change=${(e: Event) => this.set({ task: (e.target as HTMLSelectElement).value as LabTask })}
          >
            ${LAB_TASKS.map((t) => html`<option value=${t} .selected=${t === p.task}>${TASK_LABELS[t]}</option>`)}
          </select></label
        >
        ${
          isImageTask(p.task)
            ? html`<label class="field"
                >Image size
                <select
                  @change=${(e: Event) =>
                    this.set({ pixels: (e.target as HTMLSelectElement).value as BatchnormState['pixels'] })}
                >
                  ${IMAGE_PIXELS.map(
                    (v) => html`<option value=${v} .selected=${v === p.pixels}>${PIXEL_LABELS[v]}</option>`,
                  )}
                </select></label
              >`
            : nothing
        }
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
        <fieldset class="toggle">
          <legend>Per-channel charts</legend>
          ${(['bars', 'histogram'] as const).map(
            (v) =>
              html`<label
                ><input
                  type="radio"
                  name="channels"
                  value=${v}
                  .checked=${p.channels === v}
                  @change=${() => this.lab.set({ channels: v })}
                />
                ${v === 'bars' ? 'by channel' : 'histogram'}</label
              >`,
          )}
        </fieldset>
      </section>
      <div class="run">
        <button @click=${() => this.toggle()}>${this.running ? 'Pause' : 'Train'}</button>
        <button @click=${() => void this.reset()}>Reset</button>
        <button ?disabled=${!r} @click=${() => this.exportStats()}>Export statistics (JSON)</button>
        <button
          title="Spirals, learning rate 0.3, 5 hidden layers: the plain network's loss blows up, the BN one trains"
          @click=${() => this.highLr()}
        >
          High learning rate demo
        </button>
        <span class="badge" title="Compute backend of this lab">${this.backendLabel || '…'}</span>
        <span class="status" role="status" aria-label="Training status"
          >${
            r
              ? html`step ${r.step} · loss ${fmt(r.loss.withBN)} (BN) / ${fmt(r.loss.withoutBN)} (plain) ·
                accuracy ${pct(r.accuracy.withBN)} /
                ${pct(r.accuracy.withoutBN)}${
                  this.heldOut
                    ? html` · held-out accuracy ${pct(this.heldOut.accuracy.withBN)} /
                      ${pct(this.heldOut.accuracy.withoutBN)} (${this.heldOut.count} images, after step
                      ${this.heldOutStep})`
                    : nothing
                }`
              : this.preparing || 'starting…'
          }</span
        >
      </div>
      ${this.error ? html`<p class="error" role="alert">Training stopped: ${this.error}</p>` : nothing}
      ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      ${
        r && r.step === 0 && !this.running
          ? html`<p class="hint">
              Step 0: the charts show both networks before any update (one forward pass of the first batch).
              Press Train to start; the curves fill as the networks learn.
            </p>`
          : nothing
      }
      ${this.images && isImageTask(p.task) ? this.glyphPanel(p.task) : nothing}
      <div class="grid">
        <figure class="panel">
          ${this.chartHead('loss', 'Loss')}
          <svg class="loss"></svg>
          <figcaption>Cross-entropy of each training batch (log scale).</figcaption>
        </figure>
        <figure class="panel">
          ${this.chartHead('accuracy', 'Accuracy')}
          <svg class="accuracy"></svg>
          <figcaption>
            Fraction of the current batch classified
            correctly${
              isImageTask(p.task)
                ? html`; held-out: accuracy on ${this.heldOut?.count ?? '≥ 1024'} images never trained on
                  (eval mode, running statistics), every ${EVAL_EVERY} steps and whenever training pauses`
                : ''
            }.
          </figcaption>
        </figure>
        <figure class="panel">
          ${this.chartHead('percentiles', "A unit's input over training")}
          <svg class="percentiles"></svg>
          <figcaption>
            15th/50th/85th percentiles over the batch of the input to the activation of one unit (after BN in
            the blue net, straight from the Linear layer in the red one) — Ioffe &amp; Szegedy (2015), Fig. 1.
          </figcaption>
        </figure>
        <figure class="panel">
          ${this.chartHead('running', 'Running vs batch statistics')}
          <svg class="running"></svg>
          <figcaption>
            The running mean/variance (momentum 0.1, unbiased variance) used in eval mode, against the current
            batch's statistics of the BN input.
          </figcaption>
        </figure>
        <figure class="panel">
          ${this.chartHead('means', 'Per-channel batch mean')}
          <svg class="means"></svg>
          <figcaption>
            ${p.channels === 'histogram' ? 'How many channels have each batch mean: b' : 'B'}efore BN (Linear
            output), after BN (x̂, before γ and β) and in the network without BN.
            ${
              p.view === 'eval'
                ? 'Eval view: x̂ uses the running statistics, so its batch mean is no longer exactly 0.'
                : 'Train view: x̂ has batch mean 0 by construction.'
            }
          </figcaption>
        </figure>
        <figure class="panel">
          ${this.chartHead('vars', 'Per-channel batch variance')}
          <svg class="vars"></svg>
          <figcaption>
            ${p.channels === 'histogram' ? 'How many channels have each batch variance. ' : ''}
            ${
              p.view === 'eval'
                ? 'Eval view: x̂ is scaled by the running variance, so its batch variance is only near 1.'
                : 'Train view: x̂ has batch variance σ²/(σ² + ε) ≈ 1 (ε = 10⁻⁵).'
            }
          </figcaption>
        </figure>
      </div>
      ${r ? this.tables(r) : nothing}
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
          makes the loss and its gradients more Lipschitz, so larger learning rates are stable. Press “High
          learning rate demo” (two spirals, learning rate 0.3, 5 hidden layers, seed 1): measured on the CPU
          reference, the plain network's batch loss jumps to about 330 after its first update and then sits at
          ln 2 ≈ 0.69, the loss of a constant guess, because its ReLUs have died (after 60 steps no unit of
          its fourth hidden layer is positive for any point of the batch, so the fifth layer's percentile band
          collapses to a line), while the BN network's loss falls to about 0.1–0.3 within 100 steps. At
          0.01–0.1 the plain network does as well or better here: a shallow MLP trained with Adam does not
          need BN, and each batch's statistics add noise. Neither account is the whole story; the plots show
          the effects both describe.
        </p>
      </section>
    `;
  }

  private glyphPanel(task: ImageTask) {
    const img = this.images!;
    const pooled = img.side === 16;
    return html`<figure class="panel glyph-panel">
      <h3 id="glyphs-heading">Training images</h3>
      <canvas class="glyphs" role="img" aria-labelledby="glyphs-heading glyphs-caption"></canvas>
      <figcaption id="glyphs-caption">
        The first ${PREVIEW_COUNT} of ${img.data.labels.length} ${task === 'digits' ? 'digit' : 'letter'}
        images (${img.classes.length} classes), drawn in this browser from its own fonts
        (${img.fonts.join(', ')}) with random rotation, scale, shear, shift and stroke weight — nothing is
        downloaded.
        ${
          pooled
            ? '16×16: rendered at 32×32 and averaged over 2×2 blocks, 256 inputs (a step costs about a third of the 28×28 one on a software adapter or the CPU backend).'
            : '28×28: 784 inputs.'
        }
        Held-out: ${img.data.test?.labels.length ?? 0} other random draws of the same fonts, never trained on
        (${this.engine ? heldOutRows(this.engine.config) : 0} evaluated: whole batches).
      </figcaption>
    </figure>`;
  }

  /** The high-learning-rate demonstration: a setting where the plain network's loss blows up. */
  private highLr(): void {
    this.set(HIGH_LR_PRESET);
  }

  private setInt(e: Event, key: 'depth' | 'seed' | 'unit', min: number, max: number) {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= min && v <= max) this.set({ [key]: v });
    else input.value = String(this.lab.params[key]);
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
