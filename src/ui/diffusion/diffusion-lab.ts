import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import {
  DiffusionCpuEngine,
  DiffusionEngine,
  MAX_PARTICLES_CPU,
  MAX_PARTICLES_GPU,
  type DenoiserChoice,
  type DiffusionFrame,
  type DiffusionRunner,
  type MlpModel,
  type StartSpec,
} from '../../engine/diffusion';
import { makeDataset2D } from '../../models/datasets2d';
import {
  SCHEDULE_KINDS,
  T_MAX,
  T_MIN,
  makeSchedule,
  noiseLevel,
  scheduleToJson,
  type ScheduleKind,
} from '../../models/schedules';
import { renderScatter, scatterScales, type ScatterColors } from '../../charts/scatter';
import { renderSchedulePlot } from '../../charts/schedule-plot';
import {
  COMPARE_MODES,
  DIFFUSION_DATASETS,
  DIFFUSION_SAMPLERS,
  GLYPH_SIZES,
  MAX_DRAWN_POINTS,
  isImageDataset,
  decodeDrawing,
  drawingToText,
  encodeDrawing,
  parseDrawingText,
  quantiseDrawn,
  type DiffusionDataset,
  type DiffusionDenoiserChoice,
  type GlyphDataset,
  type DiffusionSamplerChoice,
  type DiffusionState,
} from '../../state/diffusion';
import type { Store } from '../../state/store';
import { LabController, storeContext } from '../common/controllers';
import { runtimeContext, type Runtime } from '../common/runtime';
import {
  downloadCsv,
  downloadJson,
  downloadSvg,
  downloadSvgAsPng,
  tableRecords,
  reportExport,
} from '../common/export';
import { densityRows, fieldRows, memorisationRows, scheduleRows, vectorRows } from './exports';
import { sharedStyles } from '../common/styles';
import { diffusionLabStyles } from './styles';
import { hasShippedMlp, loadShippedMlp, mlpUrl } from './models';
import { renderGlyphs, type GlyphImages } from '../common/glyphs';
import './image-view';
import './train-panel';
import {
  ChainPane,
  DATA_SEED,
  EXTENT,
  GLYPHS_PER_CLASS,
  MAX_IMAGE_PARTICLES,
  MAX_DRAWN,
  SAMPLER_LABELS,
  TRAIL_COUNT,
  paneConfig,
  paneLabel,
  samplerSteps,
  viewRequest,
  type PaneInputs,
} from './chain';
import { TRAINING_LINES, currentSamplingLine, samplingLines } from './pseudocode';

const DATASET_LABELS: Record<DiffusionDataset, string> = {
  'two-moons': 'Two moons',
  'swiss-roll': 'Swiss roll',
  'eight-gaussians': '8 Gaussians',
  checkerboard: 'Checkerboard',
  rings: 'Concentric rings',
  spiral: 'Spiral',
  gaussian: 'Gaussian N(0, I)',
  draw: 'Draw your own',
  'glyphs-digits': 'Glyphs: digits',
  'glyphs-letters': 'Glyphs: letters',
};

const COMPARE_LABELS: Record<(typeof COMPARE_MODES)[number], string> = {
  off: 'Off',
  sampler: 'Another sampler',
  schedule: 'Another schedule',
  denoiser: 'Another denoiser',
};

const PARTICLE_CHOICES = [500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000];
/** Memorisation statistic: a final sample "is" a training point when closer than this. */
const MEMO_RADIUS = 0.05;
const MEMO_SAMPLE = 2_000;
/** Image mode: a final image "is" a training glyph when its RMS distance per pixel (range [−1, 1]) is below this. */
const IMAGE_MEMO_RADIUS = 0.05;

const DENOISER_LABELS: Record<DiffusionDenoiserChoice, string> = {
  exact: 'Exact (attention over the data)',
  mlp: 'Trained MLP',
  trained: 'Trained in this page',
};

/** A model the trainer panel produced (its latest 'denoiser-trained' event). */
interface TrainedModel {
  model: MlpModel;
  step: number;
  totalSteps: number;
  loss: number;
  done: boolean;
}

/**
 * What the lab keeps while the user visits other labs: the panes (runner, config, last frame, trails) of the
 * setup key they were made for, so coming back — by a link or the browser's Back — shows the same t and
 * particles instead of re-running the setup. One per Runtime (GPU engines are per device and owned by the
 * runtime; the CPU runners are owned here).
 */
interface LabSession {
  key: string;
  viewKey: string;
  /** The start the chain was (re)started from (JSON of the StartSpec). */
  startKey: string;
  panes: ChainPane[];
  notices: string[];
  backendLabel: string;
  cpuRunners: DiffusionCpuEngine[];
  /** The engine-operation queue, shared by every mount of the lab so operations never interleave. */
  ops: Promise<void>;
  /** Models trained in this page, per training-data key (dataKey). */
  trained: Map<string, TrainedModel>;
  trainedVersion: number;
}

const sessions = new WeakMap<Runtime, LabSession>();

function sessionOf(runtime: Runtime): LabSession {
  let s = sessions.get(runtime);
  if (!s) {
    s = {
      key: '',
      viewKey: '',
      startKey: '',
      panes: [],
      notices: [],
      backendLabel: '',
      cpuRunners: [],
      ops: Promise.resolve(),
      trained: new Map(),
      trainedVersion: 0,
    };
    sessions.set(runtime, s);
  }
  return s;
}

/** Where the chain starts: pure noise, or the data noised forward to `forward` (clamped to T). */
function startOf(p: DiffusionState): StartSpec {
  return p.forward === null ? { from: 'noise' } : { from: 'data', t: Math.min(p.forward, p.T) };
}

/** Identifies the training data of a state (the trainer's models are kept per data). */
function dataKey(p: DiffusionState): string {
  return p.dataset === 'draw' ? `draw:${p.drawing}` : `${p.dataset}:${p.points}`;
}

/** The drawn points of a state (the URL parameter was validated when parsed; empty if it holds none). */
function drawnPoints(p: DiffusionState): Float32Array {
  const d = decodeDrawing(p.drawing);
  return d instanceof Float32Array ? d : new Float32Array(0);
}

const glyphCache = new Map<string, GlyphImages>();

/** The training glyphs of an image dataset (rendered once per set and size from the browser's fonts). */
function glyphImages(dataset: GlyphDataset, size: number): GlyphImages {
  const key = `${dataset}:${size}`;
  let g = glyphCache.get(key);
  if (!g) {
    g = renderGlyphs({
      set: dataset === 'glyphs-digits' ? 'digits' : 'letters',
      size: size === 32 ? 32 : 28,
      perClass: GLYPHS_PER_CLASS,
      seed: DATA_SEED,
      jitter: true,
    });
    glyphCache.set(key, g);
  }
  return g;
}

/** The last few 2D training sets, so one data set keeps one array (the trainer panel restarts on a new one). */
const dataCache = new Map<string, Float32Array>();

/** The training data of a state and its dimension: a seeded 2D dataset, the drawn points, or glyph images. */
function trainingData(p: DiffusionState): { data: Float32Array; dim: number } {
  if (isImageDataset(p.dataset)) {
    const size = Number(p.size);
    return { data: glyphImages(p.dataset, size).images, dim: size * size };
  }
  const key = dataKey(p);
  let data = dataCache.get(key);
  if (!data) {
    data =
      p.dataset === 'draw'
        ? drawnPoints(p)
        : makeDataset2D({ kind: p.dataset, n: p.points, seed: DATA_SEED });
    if (dataCache.size >= 8) dataCache.delete(dataCache.keys().next().value!);
    dataCache.set(key, data);
  }
  return { data, dim: 2 };
}

/** A drag adds a point once the pointer has moved this far (data units) from the last one. */
const DRAG_SPACING = 0.06;

/**
 * The Diffusion lab (#/diffusion): N particles stepped from pure noise to data through DDPM / DDIM / ODE
 * samplers with the exact denoiser, on the GPU (DiffusionEngine) or the CPU reference (DiffusionCpuEngine).
 *
 * Every engine call goes through one queue (`enqueue`), so clicks, keys and the play loop never interleave.
 * The CPU backend runs DiffusionCpuEngine on the main thread, one sampler step per task: at the default
 * 2000 particles × 1000 data points a step takes a few ms, so the page stays responsive; at the CPU ceiling
 * (MAX_PARTICLES_CPU) a step can take a second, and the page says so.
 */
@customElement('ks-diffusion-lab')
export class DiffusionLab extends LitElement {
  static override styles = [sharedStyles, diffusionLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'diffusion');

  @state() private panes: ChainPane[] = [];
  @state() private playing = false;
  @state() private busy = false;
  @state() private error: string | null = null;
  @state() private notices: string[] = [];
  @state() private backendLabel = '';
  /** Bumped after every engine operation so the charts redraw. */
  @state() private version = 0;

  /** Shown while a model's weights load. */
  @state() private modelLoading: string | null = null;

  private setupKey = '';
  /** The setup key without the trained-model version. */
  private baseKey = '';
  private viewKey = '';
  private startKey = '';
  private drawnVersion = -1;
  private pendingOps = 0;
  private readonly themeObserver = new MutationObserver(() => {
    this.drawnVersion = -1;
    this.requestUpdate();
  });

  // ---------------------------------------------------------------------------------------------------
  // Lifecycle

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onWindowKey);
    this.addEventListener('denoiser-trained', this.onTrained);
    this.themeObserver.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onWindowKey);
    this.removeEventListener('denoiser-trained', this.onTrained);
    this.themeObserver.disconnect();
    this.playing = false;
    // The panes stay in the session (GPU engines belong to the runtime, CPU runners to the session), so
    // a later mount with the same setup shows the same chain.
    this.setupKey = '';
  }

  /** The trainer panel's 'denoiser-trained' events: keep the model; with 'Trained in this page' selected
   *  the change of the setup key re-runs the chain with it (at the same step). */
  private onTrained = (e: Event) => {
    const d = (e as CustomEvent<TrainedModel>).detail;
    if (!d?.model?.params || d.model.config.dim !== 2) return;
    const session = this.session;
    session.trained.set(dataKey(this.lab.params), {
      model: d.model,
      step: d.step,
      totalSteps: d.totalSteps,
      loss: d.loss,
      done: d.done,
    });
    session.trainedVersion++;
    this.requestUpdate();
  };

  private get session(): LabSession {
    return sessionOf(this.runtime);
  }

  override willUpdate(_: PropertyValues): void {
    const p = this.lab.params;
    const session = this.session;
    const baseKey = JSON.stringify([
      paneConfig(p, p.particles, 'A'),
      p.compare === 'off' ? null : paneConfig(p, p.particles, 'B'),
      this.lab.backend,
      this.runtime.generation,
    ]);
    // With "Trained in this page", every new snapshot from the trainer is a new setup.
    const usesTrained = p.denoiser === 'trained' || (p.compare === 'denoiser' && p.denoiserB === 'trained');
    const trainedVersion = usesTrained && session.trained.has(dataKey(p)) ? session.trainedVersion : null;
    const key = JSON.stringify([baseKey, trainedVersion]);
    const viewKey = JSON.stringify([p.x0, p.field, p.density]);
    const startKey = JSON.stringify(startOf(p));
    if (key !== this.setupKey) {
      const fresh = this.setupKey === '';
      const sameBase = baseKey === this.baseKey;
      this.setupKey = key;
      this.baseKey = baseKey;
      this.playing = false;
      if (fresh && session.key === key && session.panes.length > 0) {
        // Back on the lab with the setup it left: keep its chain (same t, same particles).
        this.panes = session.panes;
        this.notices = session.notices;
        this.backendLabel = session.backendLabel;
        this.viewKey = session.viewKey;
        this.startKey = session.startKey;
        this.version++;
        if (startKey !== this.startKey) this.restartFrom(startKey, p);
        else if (viewKey !== this.viewKey) this.refreshViews(viewKey);
        return;
      }
      // A new model from the trainer (nothing else changed) keeps the chain's step: the samples improve as
      // it trains.
      const keepStep =
        !fresh && sameBase && p.denoiser === 'trained' && session.panes.length > 0
          ? (session.panes[0]?.frame?.stepIndex ?? null)
          : null;
      this.viewKey = viewKey;
      session.viewKey = viewKey;
      this.startKey = startKey;
      session.startKey = startKey;
      void this.enqueue(() => this.doSetup(p, key, keepStep));
    } else if (startKey !== this.startKey) {
      this.restartFrom(startKey, p);
    } else if (viewKey !== this.viewKey) {
      this.refreshViews(viewKey);
    }
  }

  /**
   * The forward-process scrub: restart every pane's chain from the data noised to the new t (one forward
   * dispatch on the GPU), or from pure noise. Droppable, so dragging the slider never queues a backlog; the
   * last position always runs (it compares with the start the panes have when it runs).
   */
  private restartFrom(startKey: string, p: DiffusionState) {
    this.startKey = startKey;
    this.session.startKey = startKey;
    this.playing = false;
    const start = startOf(p);
    void this.enqueue(async () => {
      if (this.session.startKey !== startKey) return; // a newer scrub position is queued
      for (const pane of this.panes) await pane.reset(this.read(), start);
    });
  }

  private refreshViews(viewKey: string) {
    this.viewKey = viewKey;
    this.session.viewKey = viewKey;
    void this.enqueue(async () => {
      for (const pane of this.panes) await pane.read(this.read());
    });
  }

  override updated(_: PropertyValues): void {
    const p = this.lab.params;
    if (
      this.drawnVersion !== this.version ||
      this.drawnTrails !== p.trails ||
      this.drawnDrawing !== p.drawing
    )
      this.draw();
  }

  // ---------------------------------------------------------------------------------------------------
  // Engine operations

  /** Runs `op` after every earlier operation; errors show in the page. A droppable op is skipped while two or more wait. */
  private enqueue(op: () => Promise<void>, droppable = false): Promise<void> {
    if (droppable && this.pendingOps > 1) return this.session.ops;
    this.pendingOps++;
    this.busy = true;
    const session = this.session;
    session.ops = session.ops
      .then(op)
      .then(() => {
        this.error = null;
      })
      .catch((e: unknown) => {
        this.playing = false;
        this.error = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        this.pendingOps--;
        this.busy = this.pendingOps > 0;
        this.version++;
      });
    return session.ops;
  }

  private read() {
    const p = this.lab.params;
    return viewRequest(p, this.panes[0]?.config.particles ?? p.particles);
  }

  /**
   * The data and denoiser a pane computes with. The shipped MLP is fetched (with a status line while it
   * loads); a dataset without weights, a failed fetch or a malformed file falls back to the exact denoiser
   * with a notice saying why, as does 'trained' before the trainer has produced a model.
   */
  private async paneInputs(
    p: DiffusionState,
    choice: DiffusionDenoiserChoice,
    notices: string[],
  ): Promise<PaneInputs> {
    const { data, dim } = trainingData(p);
    const exact = (): PaneInputs => ({ data, dim, denoiser: { kind: 'exact' }, denoiserUsed: 'exact' });
    const name = DATASET_LABELS[p.dataset];
    if (choice === 'mlp') {
      if (!hasShippedMlp(p.dataset)) {
        notices.push(`No trained MLP ships for “${name}”; using the exact denoiser.`);
        return exact();
      }
      this.modelLoading = `Loading the trained MLP weights (${mlpUrl(p.dataset)})…`;
      try {
        const model = await loadShippedMlp(p.dataset);
        const denoiser: DenoiserChoice = { kind: 'mlp', model };
        return { data, dim: 2, denoiser, denoiserUsed: 'mlp' };
      } catch (e) {
        notices.push(
          `Could not load the trained MLP for “${name}”: ${e instanceof Error ? e.message : String(e)}. ` +
            'Using the exact denoiser instead.',
        );
        return exact();
      } finally {
        this.modelLoading = null;
      }
    }
    if (choice === 'trained') {
      if (dim !== 2) {
        notices.push(
          'The training panel trains denoisers for 2D points; image mode uses the exact denoiser.',
        );
        return exact();
      }
      const trained = this.session.trained.get(dataKey(p));
      if (!trained) {
        notices.push(
          `No denoiser has been trained in this page for “${name}” yet: press “Train denoiser” in the ` +
            'training panel. Using the exact denoiser until then.',
        );
        return exact();
      }
      return { data, dim: 2, denoiser: { kind: 'mlp', model: trained.model }, denoiserUsed: 'trained' };
    }
    return exact();
  }

  private async doSetup(p: DiffusionState, key: string, keepStep: number | null) {
    // A newer setup is queued (e.g. while a drawing grows under a drag): only the last one runs.
    if (key !== this.setupKey) return;
    const notices: string[] = [];
    if (p.dataset === 'draw' && p.drawing === '') {
      notices.push(
        'Draw the training data: click or drag on the plot, or type points in the drawing panel; the chain runs once there is at least one point.',
      );
      this.panes = [];
      this.notices = notices;
      Object.assign(this.session, { key, panes: [], notices });
      return;
    }
    let runners: DiffusionRunner[] | null = null;
    let label = 'CPU';
    let max = MAX_PARTICLES_CPU;
    if (this.lab.backend === 'gpu') {
      const ctx = await this.runtime.gpu();
      if (ctx) {
        runners = [
          this.runtime.engine(ctx, 'diffusion', (c) => new DiffusionEngine(c)),
          this.runtime.engine(ctx, 'diffusion.compare', (c) => new DiffusionEngine(c)),
        ];
        label = this.runtime.status.kind === 'ready' ? this.runtime.status.name : 'GPU';
        max = MAX_PARTICLES_GPU;
      } else {
        notices.push('WebGPU is not available, so the CPU reference computes the chain.');
      }
    }
    if (!runners) {
      const session = this.session;
      if (session.cpuRunners.length === 0)
        session.cpuRunners = [new DiffusionCpuEngine(), new DiffusionCpuEngine()];
      runners = session.cpuRunners;
    }
    const image = isImageDataset(p.dataset);
    const particles = Math.min(p.particles, max, image ? MAX_IMAGE_PARTICLES : Infinity);
    if (image && p.particles > particles) {
      notices.push(
        `Image mode shows at most ${MAX_IMAGE_PARTICLES} images (particles); running ${particles} of the ` +
          `${p.particles.toLocaleString('en-US')} asked for.`,
      );
    } else if (particles < p.particles) {
      notices.push(
        `The CPU backend runs at most ${max.toLocaleString('en-US')} particles; showing ` +
          `${particles.toLocaleString('en-US')} of the ${p.particles.toLocaleString('en-US')} asked for.`,
      );
    }
    if (label === 'CPU' && particles > 20_000) {
      notices.push(
        'The CPU reference runs on this page’s thread: with this many particles each step takes a moment.',
      );
    }
    const stepping = [p.sampler, ...(p.compare === 'sampler' ? [p.samplerB] : [])];
    if (stepping.some((s) => !s.startsWith('ddpm')) && p.steps > p.T) {
      notices.push(`Sampler steps ${p.steps} exceed T = ${p.T}; using ${p.T}.`);
    }
    if (p.forward !== null && p.forward > p.T) {
      notices.push(`Forward t = ${p.forward} exceeds T = ${p.T}; using ${p.T}.`);
    }
    const configB = paneConfig(p, particles, 'B');
    const inputs = await this.paneInputs(p, p.denoiser, notices);
    // Pane B resolves its own denoiser when the comparison is between denoisers (same data, same seed).
    const inputsB =
      p.compare === 'denoiser' && configB.denoiser !== p.denoiser
        ? await this.paneInputs(p, configB.denoiser, notices)
        : inputs;
    const panes = [new ChainPane(runners[0]!, paneConfig(p, particles, 'A'), 'A', inputs)];
    if (p.compare !== 'off') panes.push(new ChainPane(runners[1]!, configB, 'B', inputsB));
    const read = viewRequest(p, particles);
    for (const pane of panes) await pane.setup(read, startOf(p));
    if (keepStep !== null && keepStep > 0) {
      await panes[0]!.jumpToStep(keepStep, read);
      for (const pane of panes.slice(1)) await pane.jumpToT(panes[0]!.frame!.t, read);
    }
    this.panes = panes;
    this.notices = notices;
    this.backendLabel = label;
    Object.assign(this.session, { key, panes, notices, backendLabel: label });
  }

  /** Pane B follows pane A's timestep (the first of its own steps at or below A's t). */
  private async follow() {
    const [a, ...rest] = this.panes;
    if (!a?.frame) return;
    for (const pane of rest) await pane.jumpToT(a.frame.t, this.read());
  }

  /** `droppable`: skipped when operations pile up (key auto-repeat), so a held key cannot queue hundreds. */
  private stepForward(droppable = false) {
    return this.enqueue(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.step(this.read());
      await this.follow();
    }, droppable);
  }

  private stepBack(droppable = false) {
    return this.enqueue(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.stepBack(this.read());
      await this.follow();
    }, droppable);
  }

  private reset() {
    this.playing = false;
    return this.enqueue(async () => {
      const start = startOf(this.lab.params);
      for (const pane of this.panes) await pane.reset(this.read(), start);
    });
  }

  private jumpTo(t: number) {
    return this.enqueue(async () => {
      const a = this.panes[0];
      if (!a) return;
      await a.jumpToT(t, this.read());
      await this.follow();
    });
  }

  private togglePlay() {
    if (this.playing) {
      this.playing = false;
      return;
    }
    this.playing = true;
    void this.playLoop();
  }

  private async playLoop() {
    if (this.panes[0]?.runner.done) await this.reset().then(() => (this.playing = true));
    while (this.playing && this.isConnected) {
      const started = performance.now();
      await this.stepForward();
      if (!this.playing) break;
      if (!this.panes[0] || this.panes[0].runner.done || this.error) {
        this.playing = false;
        break;
      }
      const wait = Math.max(0, 1000 / this.lab.params.speed - (performance.now() - started));
      // Always yield at least one frame so the charts draw between steps.
      await new Promise((r) => setTimeout(r, Math.max(wait, 16)));
    }
  }

  /** Space plays/pauses, ← / → step back / forward — unless the user is typing or on a control that uses them. */
  private onWindowKey = (e: KeyboardEvent) => {
    if (e.key !== ' ' && e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const target = e.composedPath()[0];
    if (target instanceof HTMLElement) {
      if (target.isContentEditable || target instanceof HTMLTextAreaElement) return;
      if (target instanceof HTMLSelectElement || target instanceof HTMLInputElement) return;
      // A focused button already answers Space with a click.
      if (e.key === ' ' && target instanceof HTMLButtonElement) return;
    }
    e.preventDefault();
    if (e.key === ' ') {
      if (!e.repeat) this.togglePlay();
    } else if (e.key === 'ArrowLeft') void this.stepBack(e.repeat);
    else void this.stepForward(e.repeat);
  };

  // ---------------------------------------------------------------------------------------------------
  // Exports

  private async exportSamples(i = 0) {
    await this.enqueue(async () => {
      const a = this.panes[i];
      if (!a) return;
      // The drawn frame holds at most MAX_DRAWN particles: read every particle back for the export.
      const full = await a.runner.read({ positions: true });
      const pos = full.positions!;
      const c = a.config;
      const name = `kernelscope-diffusion-${i === 0 ? '' : 'b-'}${c.dataset}-t${full.t}-seed${c.seed}.json`;
      const common = {
        lab: 'diffusion',
        dataset: c.dataset,
        schedule: c.schedule,
        sampler: c.sampler,
        denoiser: a.denoiserUsed,
        T: c.T,
        t: full.t,
        seed: c.seed,
      };
      if (a.dim === 2) {
        downloadJson(name, {
          ...common,
          points: pairs(pos),
          data: pairs(a.data),
          backend: this.backendLabel,
        });
      } else {
        // Image mode: every image (and training glyph) as a row-major array of size² pixels in [−1, 1].
        const { lab, dataset, ...rest } = common;
        downloadJson(name, {
          lab,
          dataset,
          size: c.size,
          ...rest,
          images: rows(pos, a.dim),
          data: rows(a.data, a.dim),
          backend: this.backendLabel,
        });
      }
    });
  }

  private async exportSamplesCsv(i = 0) {
    await this.enqueue(async () => {
      const a = this.panes[i];
      if (!a) return;
      const full = await a.runner.read({ positions: true });
      const pos = full.positions!;
      const d = a.dim;
      // 2D: one particle per row (x, y). Images: one image per row, pixels p0 … p(size²−1) row-major.
      const header = d === 2 ? ['x', 'y'] : ['image', ...Array.from({ length: d }, (_, k) => `p${k}`)];
      const out: Array<Array<number | string>> = [header];
      for (let i = 0; (i + 1) * d <= pos.length; i++) {
        const row = Array.from(pos.subarray(i * d, (i + 1) * d));
        out.push(d === 2 ? row : [i, ...row]);
      }
      downloadCsv(`kernelscope-diffusion-${i === 0 ? '' : 'b-'}${a.config.dataset}-t${full.t}.csv`, out);
    });
  }

  /** x̂₀ of every particle at the current t (read back in full), as JSON or CSV. */
  private async exportX0(kind: 'json' | 'csv') {
    await this.enqueue(async () => {
      const a = this.panes[0];
      if (!a) return;
      const full = await a.runner.read({ x0: true });
      const name = `kernelscope-diffusion-x0-${a.config.dataset}-t${full.t}`;
      if (kind === 'csv') downloadCsv(`${name}.csv`, vectorRows(full.x0!, a.dim));
      else
        downloadJson(`${name}.json`, {
          lab: 'diffusion',
          dataset: a.config.dataset,
          denoiser: a.denoiserUsed,
          t: full.t,
          dim: a.dim,
          x0: rows(full.x0!, a.dim),
        });
    });
  }

  /** The vector field or the density grid of the frame on screen, as JSON or CSV. */
  private exportGrid(which: 'field' | 'density', kind: 'json' | 'csv') {
    const a = this.panes[0];
    const f = a?.frame;
    if (!a || !f) return;
    const name = `kernelscope-diffusion-${which}-${a.config.dataset}-t${f.t}`;
    if (which === 'field' && f.field) {
      const table = fieldRows(f.field);
      if (kind === 'csv') downloadCsv(`${name}.csv`, table);
      else
        downloadJson(`${name}.json`, {
          lab: 'diffusion',
          denoiser: a.denoiserUsed,
          t: f.t,
          grid: f.field.spec,
          cells: tableRecords(table),
        });
    } else if (which === 'density' && f.density) {
      const table = densityRows(f.density);
      if (kind === 'csv') downloadCsv(`${name}.csv`, table);
      else
        downloadJson(`${name}.json`, {
          lab: 'diffusion',
          t: f.t,
          grid: f.density.spec,
          outside: f.density.outside,
          cells: tableRecords(table),
        });
    }
  }

  /** The memorisation readout (t = 0): per sample the nearest training point and its distance. */
  private exportMemo(kind: 'json' | 'csv') {
    const a = this.panes[0];
    const f = a?.frame;
    if (!a || !f || f.t !== 0 || !f.positions) return;
    const m = this.memoOf(f, a);
    const table = memorisationRows(m.nearest, m.distance);
    const name = `kernelscope-diffusion-memorisation-${a.config.dataset}`;
    if (kind === 'csv') downloadCsv(`${name}.csv`, table);
    else
      downloadJson(`${name}.json`, {
        lab: 'diffusion',
        dataset: a.config.dataset,
        denoiser: a.denoiserUsed,
        t: f.t,
        metric: a.dim === 2 ? 'euclidean' : 'rms-per-pixel',
        radius: m.radius,
        fraction: m.fraction,
        median: m.median,
        samples: tableRecords(table),
      });
  }

  private exportScheduleCsv() {
    const a = this.panes[0];
    if (!a) return;
    downloadCsv(
      `kernelscope-diffusion-schedule-${a.schedule.kind}-T${a.schedule.T}.csv`,
      scheduleRows(a.schedule),
    );
  }

  private exportSchedule() {
    const a = this.panes[0];
    if (!a) return;
    downloadJson(
      `kernelscope-diffusion-schedule-${a.schedule.kind}-T${a.schedule.T}.json`,
      scheduleToJson(a.schedule),
    );
  }

  /**
   * Saves a particle plot: its SVG of axes with the canvas of points embedded under them, as a
   * self-contained file in the current theme's colours (PNG on an opaque background).
   */
  private exportScatter(i: number, kind: 'png' | 'svg') {
    const svg = this.renderRoot.querySelector<SVGSVGElement>(`svg.scatter-axes[data-pane="${i}"]`);
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas.scatter[data-pane="${i}"]`);
    if (!svg || !canvas) return;
    const name = `kernelscope-diffusion-particles-${i === 0 ? 'a' : 'b'}.${kind}`;
    if (kind === 'svg') downloadSvg(name, svg, { underlay: canvas });
    else reportExport(downloadSvgAsPng(name, svg, { underlay: canvas }));
  }

  // ---------------------------------------------------------------------------------------------------
  // Drawing

  private drawnTrails = true;
  private drawnDrawing = '';
  /** Width of the particle plots as last drawn (CSS px), for mapping clicks to data coordinates. */
  private plotWidth = 480;

  private themeColors(): Partial<ScatterColors> {
    const style = getComputedStyle(this);
    const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const dark = document.documentElement.dataset.theme === 'dark';
    return {
      points: v('--ks-bar', '#4c78a8'),
      x0: v('--ks-accent', '#d1495b'),
      // A drawing has few points: draw them strongly.
      data:
        this.lab.params.dataset === 'draw'
          ? dark
            ? 'rgba(235, 235, 235, 0.85)'
            : 'rgba(40, 40, 40, 0.8)'
          : dark
            ? 'rgba(220, 220, 220, 0.35)'
            : 'rgba(60, 60, 60, 0.3)',
      trail: dark ? '#f5c451' : '#c76b00',
      field: dark ? 'rgba(120, 210, 150, 0.8)' : 'rgba(30, 130, 70, 0.8)',
      density: dark ? '#b48cff' : '#7b3fbf',
    };
  }

  private draw() {
    const p = this.lab.params;
    this.drawnVersion = this.version;
    this.drawnTrails = p.trails;
    this.drawnDrawing = p.drawing;
    const colors = this.themeColors();
    const drawing = p.dataset === 'draw' ? drawnPoints(p) : null;
    if (drawing && this.panes.length === 0) {
      // No chain yet: an empty plot to draw on.
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.scatter[data-pane="0"]');
      const svg = this.renderRoot.querySelector<SVGSVGElement>('svg.scatter-axes[data-pane="0"]');
      if (canvas && svg) {
        const container = canvas.parentElement!;
        const width = Math.max(300, Math.min(560, container.clientWidth || 480));
        container.style.height = `${width}px`;
        this.plotWidth = width;
        renderScatter(
          { canvas, svg },
          { positions: new Float32Array(0), data: drawing },
          {
            width,
            height: width,
            extent: EXTENT,
            title: 'Draw the training data here',
            colors,
          },
        );
      }
    }
    this.panes.forEach((pane, i) => {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas.scatter[data-pane="${i}"]`);
      const svg = this.renderRoot.querySelector<SVGSVGElement>(`svg.scatter-axes[data-pane="${i}"]`);
      const f = pane.frame;
      if (!canvas || !svg || !f) return;
      const container = canvas.parentElement!;
      const width = Math.max(300, Math.min(560, container.clientWidth || 480));
      container.style.height = `${width}px`;
      if (i === 0) this.plotWidth = width;
      renderScatter(
        { canvas, svg },
        {
          positions: f.positions ?? new Float32Array(0),
          // While drawing, the newest points show before the chain has been set up with them.
          data: drawing ?? pane.data,
          ...(f.x0 ? { x0: f.x0 } : {}),
          ...(p.trails ? { trails: pane.trails() } : {}),
          ...(f.density ? { density: f.density } : {}),
          ...(f.field ? { field: f.field } : {}),
        },
        {
          width,
          height: width,
          extent: EXTENT,
          title: `Particles x_t at t = ${f.t} (${paneLabel(pane.config, p.eta)})`,
          colors,
        },
      );
    });
    const a = this.panes[0];
    const svg = this.renderRoot.querySelector<SVGSVGElement>('svg.schedule-plot');
    if (a && svg) {
      const T = a.config.T;
      const kinds: ScheduleKind[] = [...SCHEDULE_KINDS];
      const series = kinds.map((kind) => {
        const s =
          kind === a.schedule.kind ? a.schedule : makeSchedule({ kind, T, zeroTerminalSnr: a.config.ztsnr });
        return { label: kind, beta: s.beta, alphaBar: s.alphaBar, highlight: kind === a.schedule.kind };
      });
      // Fit the panel: five charts in a row when wide, fewer (down to one) on a narrow screen.
      const available = svg.parentElement?.clientWidth || 900;
      const width = Math.max(260, Math.min(1220, available));
      const columns = width > 900 ? 5 : width > 640 ? 3 : width > 420 ? 2 : 1;
      renderSchedulePlot(
        svg,
        { T, series, t: a.frame?.t ?? T },
        {
          width,
          columns,
          panelHeight: columns === 1 ? 170 : 190,
          title: `Noise schedules at T = ${T}${a.config.ztsnr ? ' (zero terminal SNR)' : ''}: β, ᾱ, √ᾱ, √(1 − ᾱ) and log-SNR; ${a.schedule.kind} highlighted, current t marked`,
        },
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Controls

  private onInt(e: Event, key: 'points' | 'T' | 'steps' | 'seed' | 'speed', min: number, max: number) {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= min && v <= max) this.lab.set({ [key]: v });
    else input.value = String(this.lab.params[key]);
  }

  private onEta(e: Event) {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isFinite(v) && v >= 0 && v <= 1) this.lab.set({ eta: v });
    else input.value = String(this.lab.params.eta);
  }

  override render() {
    const p = this.lab.params;
    const a = this.panes[0];
    const f = a?.frame;
    const T = a?.config.T ?? p.T;
    const strided = !p.sampler.startsWith('ddpm');
    return html`
      <h2>Diffusion: noise the data, then step back from pure noise</h2>
      <p class="lede">
        Forward: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε. Reverse: a sampler (DDPM, DDIM or the probability-flow ODE)
        takes the denoiser's guess of x₀ and steps x_t towards t = 0 — every step a WGSL compute pass over all
        particles.
      </p>
      ${this.renderControls(p, strided)} ${p.dataset === 'draw' ? this.renderDrawingPanel(p) : nothing}
      <div class="stepper panel" role="group" aria-label="Stepping">
        <output class="t-display" aria-label="Current step" aria-live="polite"
          >${f ? `t = ${f.t}` : 't = …'}</output
        >
        <span class="small muted">${f ? `step ${f.stepIndex} of ${f.totalSteps}` : ''}</span>
        <button @click=${() => this.stepBack()} ?disabled=${!f || f.stepIndex === 0}>Step back</button>
        <button class="primary" @click=${() => this.stepForward()} ?disabled=${!f || f.t === 0}>
          Step forward
        </button>
        <button
          @click=${() => this.togglePlay()}
          ?disabled=${!f}
          aria-pressed=${this.playing ? 'true' : 'false'}
        >
          ${this.playing ? 'Pause' : 'Play'}
        </button>
        <button @click=${() => this.reset()} ?disabled=${!f}>Reset</button>
        <label class="field"
          >Jump to t
          <input
            type="range"
            min="0"
            max=${T}
            step="1"
            .value=${String(f?.t ?? T)}
            @change=${(e: Event) => this.jumpTo(Number((e.target as HTMLInputElement).value))}
        /></label>
        <label class="field"
          >Speed (steps/s)
          <input
            type="number"
            min="1"
            max="60"
            step="1"
            .value=${String(p.speed)}
            @change=${(e: Event) => this.onInt(e, 'speed', 1, 60)}
        /></label>
        <span class="busy" aria-hidden="true">${this.busy ? 'working…' : ''}</span>
        <span class="badge" title="What computed these particles">${this.backendLabel || '…'}</span>
        ${f ? html`<span class="small muted">${f.elapsedMs.toFixed(1)} ms · read back ${f.bytesRead ? `${(f.bytesRead / 1024).toFixed(1)} KiB` : 'nothing (CPU)'}</span>` : nothing}
      </div>
      <p class="small muted">Keys: Space play/pause, ← step back, → step forward.</p>
      ${this.renderForward(p, T)}
      <div class="notices">
        ${this.error ? html`<p class="error" role="alert">Could not compute: ${this.error}</p>` : nothing}
        ${this.notices.map((n) => html`<p class="notice" role="status">${n}</p>`)}
        ${a?.schedule.warning ? html`<p class="notice" role="status"><strong>Schedule warning (${a.schedule.label}):</strong> ${a.schedule.warning}</p>` : nothing}
        ${
          this.panes[1]?.schedule.warning && this.panes[1].schedule.kind !== a?.schedule.kind
            ? html`<p class="notice" role="status">
                <strong>Schedule warning (${this.panes[1].schedule.label}):</strong>
                ${this.panes[1].schedule.warning}
              </p>`
            : nothing
        }
      </div>
      <div class="panes">
        ${this.panes.map((pane, i) => this.renderPane(pane, i))}
        ${p.dataset === 'draw' && this.panes.length === 0 ? this.renderEmptyDrawing() : nothing}
      </div>
      ${!a ? html`<p role="status">Setting up the chain…</p>` : nothing} ${this.renderTrainer(p)}
      <div class="explain">
        ${this.renderPseudocode(p.sampler, f?.stepIndex ?? 0, f?.t ?? T)} ${this.renderDenoiserNote()}
      </div>
      <section class="panel schedules" aria-label="Noise schedules">
        <h3>Noise schedules</h3>
        <svg class="schedule-plot"></svg>
        <div class="buttons">
          <button @click=${() => this.exportSchedule()}>Export schedule (JSON)</button>
          <button @click=${() => this.exportScheduleCsv()}>Export schedule (CSV)</button>
          <button
            @click=${() => {
              const svg = this.renderRoot.querySelector<SVGSVGElement>('svg.schedule-plot');
              if (svg) reportExport(downloadSvgAsPng('kernelscope-diffusion-schedules.png', svg));
            }}
          >
            Export schedules (PNG)
          </button>
          <button
            @click=${() => {
              const svg = this.renderRoot.querySelector<SVGSVGElement>('svg.schedule-plot');
              if (svg) downloadSvg('kernelscope-diffusion-schedules.svg', svg);
            }}
          >
            Export schedules (SVG)
          </button>
        </div>
      </section>
    `;
  }

  private renderControls(p: DiffusionState, strided: boolean) {
    const select = <T extends string>(
      label: string,
      value: T,
      options: readonly T[],
      names: (v: T) => string,
      onChange: (v: T) => void,
      disabled = false,
    ) =>
      html`<label class="field"
        >${label}
        <select
          ?disabled=${disabled}
          @change=${(e: Event) => onChange((e.target as HTMLSelectElement).value as T)}
        >
          ${options.map((o) => html`<option value=${o} .selected=${o === value}>${names(o)}</option>`)}
        </select></label
      >`;
    return html`<section class="panel controls" aria-label="Diffusion lab controls">
      ${select(
        'Dataset',
        p.dataset,
        DIFFUSION_DATASETS,
        (d) => DATASET_LABELS[d],
        (dataset) => this.lab.set({ dataset }),
      )}
      ${
        isImageDataset(p.dataset)
          ? select(
              'Image size',
              p.size,
              GLYPH_SIZES,
              (v) => `${v} × ${v}`,
              (size) => this.lab.set({ size }),
            )
          : nothing
      }
      <label class="field"
        >Data points
        <input
          type="number"
          min="16"
          max="8192"
          step="1"
          ?disabled=${p.dataset === 'draw' || isImageDataset(p.dataset)}
          title=${
            p.dataset === 'draw'
              ? 'A drawing uses the points drawn'
              : isImageDataset(p.dataset)
                ? `Image mode renders ${GLYPHS_PER_CLASS} glyphs per class`
                : 'Training points drawn from the dataset'
          }
          .value=${String(p.points)}
          @change=${(e: Event) => this.onInt(e, 'points', 16, 8192)}
      /></label>
      ${select(
        'Schedule',
        p.schedule,
        SCHEDULE_KINDS,
        (s) => s,
        (schedule) => this.lab.set({ schedule }),
      )}
      <label class="field"
        >T
        <input
          type="number"
          min=${T_MIN}
          max=${T_MAX}
          step="1"
          .value=${String(p.T)}
          @change=${(e: Event) => this.onInt(e, 'T', T_MIN, T_MAX)}
      /></label>
      <label class="check"
        ><input
          type="checkbox"
          .checked=${p.ztsnr}
          @change=${(e: Event) => this.lab.set({ ztsnr: (e.target as HTMLInputElement).checked })}
        />
        Zero terminal SNR</label
      >
      ${select(
        'Sampler',
        p.sampler,
        DIFFUSION_SAMPLERS,
        (s) => SAMPLER_LABELS[s],
        (sampler) => this.lab.set({ sampler }),
      )}
      <label class="field"
        >Sampler steps
        <input
          type="number"
          min="1"
          max=${T_MAX}
          step="1"
          ?disabled=${!strided}
          title=${strided ? 'Strided steps from T to 0' : 'DDPM visits every timestep'}
          .value=${String(strided ? p.steps : p.T)}
          @change=${(e: Event) => this.onInt(e, 'steps', 1, T_MAX)}
      /></label>
      <label class="field"
        >DDIM η
        <input
          type="number"
          min="0"
          max="1"
          step="0.1"
          ?disabled=${p.sampler !== 'ddim'}
          .value=${String(p.eta)}
          @change=${(e: Event) => this.onEta(e)}
      /></label>
      ${this.renderDenoiserSelect(p)}
      ${select(
        'Particles',
        String(p.particles),
        [...new Set([...PARTICLE_CHOICES, p.particles])].sort((x, y) => x - y).map(String),
        (n) => Number(n).toLocaleString('en-US'),
        (n) => this.lab.set({ particles: Number(n) }),
      )}
      <label class="field"
        >Seed
        <input
          type="number"
          min="0"
          max="4294967295"
          step="1"
          .value=${String(p.seed)}
          @change=${(e: Event) => this.onInt(e, 'seed', 0, 2 ** 32 - 1)}
      /></label>
      <button @click=${() => this.lab.set({ seed: Math.floor(Math.random() * 2 ** 32) })}>New seed</button>
      ${
        isImageDataset(p.dataset)
          ? nothing
          : html`<fieldset>
              <legend class="visually-hidden">Views</legend>
              ${(
                [
                  ['x0', 'Show x̂₀'],
                  ['field', 'Vector field'],
                  ['density', 'Density of x_t'],
                  ['trails', 'Trails'],
                ] as const
              ).map(
                ([key, label]) =>
                  html`<label class="check"
                    ><input
                      type="checkbox"
                      .checked=${p[key]}
                      @change=${(e: Event) => this.lab.set({ [key]: (e.target as HTMLInputElement).checked })}
                    />
                    ${label}</label
                  >`,
              )}
            </fieldset>`
      }
      ${select(
        'Compare with',
        p.compare,
        COMPARE_MODES,
        (m) => COMPARE_LABELS[m],
        (compare) => this.lab.set({ compare }),
      )}
      ${
        p.compare === 'sampler'
          ? select(
              'Sampler B',
              p.samplerB,
              DIFFUSION_SAMPLERS,
              (s) => SAMPLER_LABELS[s],
              (samplerB) => this.lab.set({ samplerB }),
            )
          : nothing
      }
      ${p.compare === 'denoiser' ? this.renderDenoiserSelect(p, 'B') : nothing}
      ${
        p.compare === 'schedule'
          ? select(
              'Schedule B',
              p.scheduleB,
              SCHEDULE_KINDS,
              (s) => s,
              (scheduleB) => this.lab.set({ scheduleB }),
            )
          : nothing
      }
    </section>`;
  }

  // ---------------------------------------------------------------------------------------------------
  // Drawing the training data ('Draw your own')

  @state() private drawError: string | null = null;
  private dragLast: [number, number] | null = null;

  /** The particle canvas; in draw mode a click or drag on pane A's adds training points. */
  private plotCanvas(i: number) {
    const drawable = i === 0 && this.lab.params.dataset === 'draw';
    return html`<canvas
      class="scatter ${drawable ? 'drawable' : ''}"
      data-pane=${i}
      aria-hidden="true"
      @pointerdown=${drawable ? this.onPlotDown : nothing}
      @pointermove=${drawable ? this.onPlotMove : nothing}
      @pointerup=${drawable ? this.onPlotUp : nothing}
      @pointercancel=${drawable ? this.onPlotUp : nothing}
    ></canvas>`;
  }

  /** The data point under the pointer (quantised), or null outside the view. */
  private plotPoint(e: PointerEvent): [number, number] | null {
    const canvas = e.currentTarget as HTMLCanvasElement;
    const rect = canvas.getBoundingClientRect();
    const { x, y } = scatterScales({ width: this.plotWidth, height: this.plotWidth, extent: EXTENT });
    const dx = x.invert(e.clientX - rect.left);
    const dy = y.invert(e.clientY - rect.top);
    if (!(Math.abs(dx) <= EXTENT && Math.abs(dy) <= EXTENT)) return null;
    return [quantiseDrawn(dx), quantiseDrawn(dy)];
  }

  private onPlotDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const pt = this.plotPoint(e);
    if (!pt) return;
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    this.dragLast = pt;
    this.addDrawn(pt);
  };

  private onPlotMove = (e: PointerEvent) => {
    if (!this.dragLast) return;
    const pt = this.plotPoint(e);
    if (!pt) return;
    if (Math.hypot(pt[0] - this.dragLast[0], pt[1] - this.dragLast[1]) < DRAG_SPACING) return;
    this.dragLast = pt;
    this.addDrawn(pt);
  };

  private onPlotUp = () => {
    this.dragLast = null;
  };

  /** Appends points to the drawing (refused, with a message, beyond MAX_DRAWN_POINTS). */
  private addDrawn(...points: Array<[number, number]>) {
    const p = this.lab.params;
    const current = drawnPoints(p);
    const room = MAX_DRAWN_POINTS - current.length / 2;
    if (room <= 0) {
      this.drawError = `The drawing is full: it holds at most ${MAX_DRAWN_POINTS} points.`;
      this.dragLast = null;
      return;
    }
    const next = new Float32Array(current.length + 2 * Math.min(room, points.length));
    next.set(current);
    points.slice(0, room).forEach(([x, y], k) => {
      next[current.length + 2 * k] = x;
      next[current.length + 2 * k + 1] = y;
    });
    this.drawError = null;
    this.lab.set({ drawing: encodeDrawing(next) });
  }

  private onAddPoint(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const read = (name: string) => {
      const input = form.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
      return input.value.trim() === '' ? NaN : Number(input.value);
    };
    const x = read('x');
    const y = read('y');
    if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > EXTENT || Math.abs(y) > EXTENT) {
      this.drawError = `A point needs x and y between −${EXTENT} and ${EXTENT}.`;
      return;
    }
    this.addDrawn([quantiseDrawn(x), quantiseDrawn(y)]);
  }

  private onUseText() {
    const area = this.renderRoot.querySelector<HTMLTextAreaElement>('textarea.drawing-text');
    if (!area) return;
    const parsed = parseDrawingText(area.value);
    if (!(parsed instanceof Float32Array)) {
      this.drawError = parsed.error;
      return;
    }
    this.drawError = null;
    this.lab.set({ drawing: encodeDrawing(parsed) });
  }

  private renderDrawingPanel(p: DiffusionState) {
    const points = drawnPoints(p);
    const n = points.length / 2;
    return html`<section class="panel drawing" aria-label="Drawing">
      <h3>Your training data: ${n} of ${MAX_DRAWN_POINTS} points</h3>
      <p class="small muted">
        Click or drag on the particle plot to add points (kept to 0.01 within ±${EXTENT}, and in the address
        so a link shares the drawing). Or add them with the keyboard:
      </p>
      <div class="drawing-row">
        <form class="drawing-add" @submit=${(e: SubmitEvent) => this.onAddPoint(e)}>
          <label class="field"
            >Point x <input name="x" type="number" step="0.01" min=${-EXTENT} max=${EXTENT} required
          /></label>
          <label class="field"
            >Point y <input name="y" type="number" step="0.01" min=${-EXTENT} max=${EXTENT} required
          /></label>
          <button type="submit">Add point</button>
        </form>
        <label class="field drawing-text-field"
          >Points (one “x, y” per line)
          <textarea
            class="drawing-text"
            rows="4"
            spellcheck="false"
            .value=${drawingToText(points)}
          ></textarea>
        </label>
        <div class="buttons">
          <button @click=${() => this.onUseText()}>Use these points</button>
          <button
            @click=${() => {
              this.drawError = null;
              this.lab.set({ drawing: '' });
            }}
            ?disabled=${n === 0}
          >
            Clear drawing
          </button>
        </div>
      </div>
      ${this.drawError ? html`<p class="error" role="alert">${this.drawError}</p>` : nothing}
    </section>`;
  }

  /** Pane A's plot before any point is drawn. */
  private renderEmptyDrawing() {
    return html`<figure class="panel" aria-label="Pane A">
      <h3 class="pane-title">Draw the training data</h3>
      <div class="plot">${this.plotCanvas(0)}<svg class="scatter-axes" data-pane="0"></svg></div>
      <figcaption>No points yet: click or drag here, or use the drawing panel.</figcaption>
    </figure>`;
  }

  /** The forward-process scrub: slider and number named "Forward t", in the URL as `forward`. */
  private renderForward(p: DiffusionState, T: number) {
    const a = this.panes[0];
    const t = p.forward === null ? null : Math.min(p.forward, T);
    const onInput = (e: Event) => {
      const input = e.target as HTMLInputElement;
      const v = Number(input.value);
      if (input.value !== '' && Number.isInteger(v) && v >= 0 && v <= T) this.lab.set({ forward: v });
      else input.value = String(t ?? T);
    };
    const level = a && t !== null && t <= a.schedule.T ? noiseLevel(a.schedule, t) : null;
    return html`<div class="forward panel" role="group" aria-label="Forward process">
      <strong>Forward process</strong>
      <label class="field"
        >Forward t <input type="range" min="0" max=${T} step="1" .value=${String(t ?? T)} @input=${onInput}
      /></label>
      <input
        type="number"
        aria-label="Forward t"
        min="0"
        max=${T}
        step="1"
        .value=${String(t ?? T)}
        @change=${onInput}
      />
      <button @click=${() => this.lab.set({ forward: null })} ?disabled=${p.forward === null}>
        Start from pure noise
      </button>
      <span class="small muted forward-note">
        ${
          level
            ? html`Every particle (i ↦ data point i mod M) at x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with t = ${t}: √ᾱ_t
              = ${level.sqrtAlphaBar.toFixed(3)}, √(1 − ᾱ_t) = ${level.sqrtOneMinusAlphaBar.toFixed(3)},
              computed on the ${this.backendLabel === 'CPU' ? 'CPU' : 'GPU'} in one dispatch. Step forward
              runs the reverse chain from here.`
            : html`The chain starts from pure noise x_T ~ N(0, I). Move the slider to noise the data forward
              instead.`
        }
      </span>
    </div>`;
  }

  /**
   * The denoiser menu (pane A's, or with which = 'B' the second pane's when comparing denoisers); an option
   * that cannot run here is disabled and says why.
   */
  private renderDenoiserSelect(p: DiffusionState, which: 'A' | 'B' = 'A') {
    const current = which === 'A' ? p.denoiser : p.denoiserB;
    const key = which === 'A' ? 'denoiser' : 'denoiserB';
    const noteId = which === 'A' ? 'denoiser-note' : 'denoiser-b-note';
    const shipped = hasShippedMlp(p.dataset);
    const trained = this.session.trained.get(dataKey(p));
    const reason = shipped ? null : `no trained MLP ships for “${DATASET_LABELS[p.dataset]}”`;
    const option = (value: DiffusionDenoiserChoice, text: string, disabled = false) =>
      html`<option value=${value} ?disabled=${disabled} .selected=${current === value}>${text}</option>`;
    return html`<label class="field"
        >${which === 'A' ? 'Denoiser' : 'Denoiser B'}
        <select
          aria-describedby=${noteId}
          @change=${(e: Event) =>
            this.lab.set({ [key]: (e.target as HTMLSelectElement).value as DiffusionDenoiserChoice })}
        >
          ${option('exact', DENOISER_LABELS.exact)}
          ${option('mlp', `${DENOISER_LABELS.mlp}${reason ? ` (unavailable: ${reason})` : ''}`, !shipped)}
          ${option(
            'trained',
            `${DENOISER_LABELS.trained}${
              isImageDataset(p.dataset)
                ? ' (unavailable: the training panel trains on 2D points)'
                : trained
                  ? ` (step ${trained.step} of ${trained.totalSteps})`
                  : ' (not trained yet)'
            }`,
            isImageDataset(p.dataset),
          )}
        </select></label
      >
      <span id=${noteId} class="small muted denoiser-note"
        >${reason ? html`Trained MLP unavailable: ${reason}.` : nothing}${
          which === 'A' && this.modelLoading ? html`<span role="status">${this.modelLoading}</span>` : nothing
        }</span
      >`;
  }

  private memos = new WeakMap<DiffusionFrame, Memorisation>();

  /** The memorisation statistic of a final frame (computed once per frame). */
  private memoOf(f: DiffusionFrame, pane: ChainPane): Memorisation {
    let m = this.memos.get(f);
    if (!m) {
      m = memorisation(f.positions!, pane.data, pane.dim);
      this.memos.set(f, m);
    }
    return m;
  }

  /** JSON and CSV of the other tensors and tables on screen: x̂₀, the field and density grids, memorisation. */
  private renderDataExports(pane: ChainPane) {
    const f = pane.frame;
    const pair = (label: string, run: (kind: 'json' | 'csv') => unknown) =>
      html`<button @click=${() => run('json')}>Export ${label} (JSON)</button>
        <button @click=${() => run('csv')}>Export ${label} (CSV)</button>`;
    return html`<span class="buttons data-exports">
      ${pair('x̂₀', (k) => this.exportX0(k))}
      ${f?.field ? pair('vector field', (k) => this.exportGrid('field', k)) : nothing}
      ${f?.density ? pair('density', (k) => this.exportGrid('density', k)) : nothing}
      ${f && f.t === 0 && f.positions ? pair('memorisation', (k) => this.exportMemo(k)) : nothing}
    </span>`;
  }

  /** The memorisation readout (at t = 0): how close the final samples are to the training data. */
  private renderMemo(pane: ChainPane, memo: Memorisation) {
    const image = pane.dim !== 2;
    return html`<span class="memo"
      ><strong>Memorisation:</strong> ${(memo.fraction * 100).toFixed(1)}% of the final samples lie within
      ${memo.radius} of a training ${image ? 'image (RMS distance per pixel)' : 'point'} (median distance
      ${memo.median.toPrecision(2)})${
        pane.denoiserUsed === 'exact'
          ? ': the exact denoiser reproduces its training set.'
          : ' — a trained network lands near the data without copying it point for point.'
      }</span
    >`;
  }

  private renderPane(pane: ChainPane, i: number) {
    const f = pane.frame;
    const p = this.lab.params;
    const n = pane.config.particles;
    const memo = f && f.t === 0 && f.positions ? this.memoOf(f, pane) : null;
    if (pane.dim !== 2) return this.renderImagePane(pane, i, memo);
    return html`<figure class="panel scatter-pane" aria-label=${`Pane ${i === 0 ? 'A' : 'B'}`}>
      <h3 class="pane-title">
        ${this.panes.length > 1 ? `${i === 0 ? 'A' : 'B'}: ` : ''}${paneLabel(pane.config, p.eta)}${
          p.compare === 'denoiser' ? ` · ${DENOISER_LABELS[pane.denoiserUsed]}` : ''
        }
        · ${samplerSteps(pane.config.sampler, pane.config.steps, pane.config.T)}
        steps${this.panes.length > 1 ? html` · <span class="mono">t = ${f?.t ?? '…'}</span>` : nothing}
      </h3>
      <div class="pane-body">
        <div class="plot">
          ${this.plotCanvas(i)}
          <svg class="scatter-axes" data-pane=${i}></svg>
        </div>
        <div class="pane-side">
          <div class="legend-inline" aria-hidden="true">
            <span
              ><span class="swatch" style="background: var(--ks-bar)"></span>x_t
              (${Math.min(n, MAX_DRAWN).toLocaleString('en-US')}${n > MAX_DRAWN ? ` of ${n.toLocaleString('en-US')}` : ''}
              particles)</span
            >
            <span
              ><span class="swatch" style="background: rgba(120,120,120,.5)"></span>training data
              (${pane.config.points})</span
            >
            ${p.x0 ? html`<span><span class="swatch" style="background: var(--ks-accent)"></span>predicted x̂₀</span>` : nothing}
            ${p.field ? html`<span><span class="swatch" style="background: #2a8a50"></span>denoiser field x → x̂₀</span>` : nothing}
            ${p.trails ? html`<span><span class="swatch" style="background: #c76b00"></span>trails of ${TRAIL_COUNT} particles</span>` : nothing}
            ${p.density ? html`<span><span class="swatch" style="background: #7b3fbf"></span>density of x_t</span>` : nothing}
          </div>
          <figcaption>
            ${
              memo
                ? this.renderMemo(pane, memo)
                : html`${DATASET_LABELS[pane.config.dataset]} · ${DENOISER_LABELS[pane.denoiserUsed]} · seed
                  ${pane.config.seed} · ${n.toLocaleString('en-US')} particles`
            }
            ${
              i === 0
                ? html`<span class="buttons">
                      <button @click=${() => this.exportSamples()}>Export samples (JSON)</button>
                      <button @click=${() => this.exportSamplesCsv()}>Export samples (CSV)</button>
                      <button @click=${() => this.exportScatter(i, 'png')}>Export particles (PNG)</button>
                      <button @click=${() => this.exportScatter(i, 'svg')}>Export particles (SVG)</button>
                    </span>
                    ${this.renderDataExports(pane)}`
                : html`<span class="buttons">
                    <button @click=${() => this.exportSamples(1)}>Export pane B samples (JSON)</button>
                    <button @click=${() => this.exportSamplesCsv(1)}>Export pane B samples (CSV)</button>
                    <button @click=${() => this.exportScatter(i, 'png')}>Export pane B (PNG)</button>
                  </span>`
            }
          </figcaption>
        </div>
      </div>
    </figure>`;
  }

  /**
   * The training panel (<ks-denoiser-trainer>): trains the ε-MLP on the current 2D data in this page; its
   * 'denoiser-trained' events feed the "Trained in this page" denoiser.
   */
  private renderTrainer(p: DiffusionState) {
    if (isImageDataset(p.dataset)) return nothing;
    const { data } = trainingData(p);
    const status = this.runtime.status;
    const gpu = this.lab.backend === 'gpu' && status.kind === 'ready' ? status.ctx : null;
    const trained = this.session.trained.get(dataKey(p));
    return html`<section class="panel trainer" aria-label="Train a denoiser in this page">
      <h3>Train a denoiser in this page</h3>
      <p class="small muted">
        Trains the same ε-prediction MLP as the shipped weights on this data
        (${(data.length / 2).toLocaleString('en-US')} points), ${gpu ? 'in WGSL on the GPU' : 'on the CPU'};
        choose “${DENOISER_LABELS.trained}” as the denoiser to sample with it — the chain is re-run with each
        snapshot, so the samples improve as it trains.
        ${
          trained
            ? html`Latest model: step ${trained.step} of ${trained.totalSteps}, loss
              ${trained.loss.toPrecision(3)}${trained.done ? ' (done)' : ''}.`
            : nothing
        }
      </p>
      ${
        data.length >= 2
          ? html`<ks-denoiser-trainer
              .gpu=${gpu}
              .data=${data}
              .dataset=${p.dataset as string & DOMStringMap}
              .seed=${p.seed}
            ></ks-denoiser-trainer>`
          : html`<p class="small muted">Draw some points first.</p>`
      }
    </section>`;
  }

  /** Image mode: grids of x_t and x̂₀ (<ks-diffusion-image-view>) instead of the scatter. */
  private renderImagePane(pane: ChainPane, i: number, memo: Memorisation | null) {
    const f = pane.frame;
    const p = this.lab.params;
    const size = pane.config.size;
    return html`<figure class="panel image-pane" aria-label=${`Pane ${i === 0 ? 'A' : 'B'}`}>
      <h3 class="pane-title">
        ${this.panes.length > 1 ? `${i === 0 ? 'A' : 'B'}: ` : ''}${paneLabel(pane.config, p.eta)}${
          p.compare === 'denoiser' ? ` · ${DENOISER_LABELS[pane.denoiserUsed]}` : ''
        }
        · ${samplerSteps(pane.config.sampler, pane.config.steps, pane.config.T)} steps · ${size}×${size}
        images${this.panes.length > 1 ? html` · <span class="mono">t = ${f?.t ?? '…'}</span>` : nothing}
      </h3>
      <ks-diffusion-image-view
        .size=${size}
        .count=${pane.config.particles}
        .t=${f?.t ?? pane.config.T}
        .xt=${f?.positions ?? null}
        .x0=${f?.x0 ?? null}
        .data=${pane.data}
      ></ks-diffusion-image-view>
      <figcaption>
        ${
          memo
            ? this.renderMemo(pane, memo)
            : html`${DATASET_LABELS[pane.config.dataset]} (${pane.data.length / (size * size)} training glyphs
              rendered from this browser's fonts) · ${DENOISER_LABELS[pane.denoiserUsed]} · seed
              ${pane.config.seed} · ${pane.config.particles} images`
        }
        ${
          i === 0
            ? html`<span class="buttons">
                  <button @click=${() => this.exportSamples()}>Export samples (JSON)</button>
                  <button @click=${() => this.exportSamplesCsv()}>Export samples (CSV)</button>
                </span>
                ${this.renderDataExports(pane)}`
            : html`<span class="buttons">
                <button @click=${() => this.exportSamples(1)}>Export pane B samples (JSON)</button>
                <button @click=${() => this.exportSamplesCsv(1)}>Export pane B samples (CSV)</button>
              </span>`
        }
      </figcaption>
    </figure>`;
  }

  private renderPseudocode(sampler: DiffusionSamplerChoice, stepIndex: number, t: number) {
    const start = startOf(this.lab.params);
    const lines = samplingLines(sampler, start.from === 'data' ? start.t : null);
    const current = currentSamplingLine(stepIndex, t);
    return html`<section class="panel" aria-label="Pseudocode">
      <h3>Sampling (${SAMPLER_LABELS[sampler]}) — the chain is on the highlighted line</h3>
      <ol class="code">
        ${lines.map(
          (l, i) =>
            html`<li
              class=${i === current ? 'current' : ''}
              aria-current=${i === current ? 'step' : 'false'}
              style=${indent(l)}
            >
              ${l.trim()}
            </li>`,
        )}
      </ol>
      <h3>Training (DDPM, Ho et al. 2020, Algorithm 1)</h3>
      <ol class="code">
        ${TRAINING_LINES.map((l) => html`<li style=${indent(l)}>${l.trim()}</li>`)}
      </ol>
      <p class="small muted">
        The exact denoiser needs no training: it is the minimiser of this loss for the empirical data.
      </p>
    </section>`;
  }

  private renderDenoiserNote() {
    return html`<section class="panel" aria-label="The exact denoiser">
      <h3>The exact denoiser is attention</h3>
      <p>
        For training points x₁…x_M the best possible denoiser is E[x₀ | x_t] = Σᵢ softmaxᵢ(−‖x_t − √ᾱ_t xᵢ‖² /
        (2(1 − ᾱ_t))) xᵢ, and then ε̂ = (x_t − √ᾱ_t x̂₀)/√(1 − ᾱ_t).
      </p>
      <p>
        That is <strong>attention</strong> with x_t as the query and the data as keys and values: the logits
        are negative squared distances scaled by 1/(2(1 − ᾱ_t)). The WGSL shares the attention lab's
        online-softmax snippet (shaders/common), one query per particle streaming over the data.
      </p>
      <p>
        As t → 0 the softmax sharpens to the nearest training point, so the chain <strong>memorises</strong>:
        run to t = 0 and every sample sits on a training point (the pane reports the fraction). A trained
        network generalises precisely because it cannot represent this function exactly.
      </p>
      <p>
        The <strong>trained MLP</strong> is that network: an ε-prediction model (sinusoidal embeddings of x_t
        and of the log-SNR, three residual SiLU layers of width 64) trained on 4000 points of each dataset by
        <span class="mono">npm run train:diffusion</span>; its weights ship with the page and it runs in WGSL.
        “Trained in this page” uses the model the training panel produces.
      </p>
    </section>`;
  }
}

/** Leading spaces of a pseudocode line as left padding (the template's own whitespace is collapsed). */
function indent(line: string): string {
  const spaces = line.length - line.trimStart().length;
  return `padding-left: ${spaces}ch`;
}

/** Rows of `dim` values. */
function rows(a: Float32Array, dim: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; (i + 1) * dim <= a.length; i++) out.push(Array.from(a.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function pairs(a: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

interface Memorisation {
  /** Fraction of the samples within `radius` of a training point. */
  fraction: number;
  median: number;
  radius: number;
  /** Per sample (the first MEMO_SAMPLE): index of the nearest training point and the distance to it. */
  nearest: Int32Array;
  distance: Float64Array;
}

/**
 * Memorisation statistic of (the first MEMO_SAMPLE) samples: each sample's nearest training point and
 * distance — Euclidean in 2D, RMS per pixel for images (so one radius fits both sizes) — the fraction
 * within MEMO_RADIUS (2D) or IMAGE_MEMO_RADIUS (images), and the median distance.
 */
function memorisation(pos: Float32Array, data: Float32Array, dim: number): Memorisation {
  const n = Math.min(Math.floor(pos.length / dim), MEMO_SAMPLE);
  const m = Math.floor(data.length / dim);
  const radius = dim === 2 ? MEMO_RADIUS : IMAGE_MEMO_RADIUS;
  const distance = new Float64Array(n);
  const nearest = new Int32Array(n);
  let close = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let at = -1;
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const v = pos[i * dim + c]! - data[j * dim + c]!;
        d += v * v;
      }
      if (d < best) {
        best = d;
        at = j;
      }
    }
    distance[i] = Math.sqrt(dim === 2 ? best : best / dim);
    nearest[i] = at;
    if (distance[i]! <= radius) close++;
  }
  const sorted = distance.slice().sort();
  return {
    fraction: n ? close / n : 0,
    median: n ? sorted[Math.floor(n / 2)]! : 0,
    radius,
    nearest,
    distance,
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-diffusion-lab': DiffusionLab;
  }
}
