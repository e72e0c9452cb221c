import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { Task, TaskStatus } from '@lit/task';
import {
  AttentionEngine,
  MATRIX_STAGES,
  matrixStageBytes,
  type AttentionNumerics,
  type AttentionRunResult,
  type AttentionStage,
  type MatrixStage,
  type MatrixView,
} from '../../engine/attention';
import { MAX_ATTENTION_L_CPU } from '../../engine/cpu-jobs';
import {
  ATTENTION_LIMITS,
  MASK_KINDS,
  describeMask,
  isMaskedValue,
  literalMaskedSoftmaxRow,
  maskKeeps,
  maskMatrix,
  poolCellRange,
  type MaskKind,
  type PoolMode,
  type Rect,
} from '../../kernels/attention/attention.ref';
import { DEFAULT_D_MODEL, initAttentionInputs, parseAttentionJson } from '../../models/attention-inputs';
import { formatBytes } from '../../util/format';
import { GpuError } from '../../gpu/device';
import {
  heatmapCellAt,
  heatmapSvg,
  maxAbs,
  renderHeatmap,
  renderHeatmapLegend,
  type HeatmapData,
  type HeatmapLayout,
  type HeatmapOptions,
  type HeatmapScale,
} from '../../charts/heatmap';
import { renderBars } from '../../charts/bars';
import type { Store } from '../../state/store';
import {
  ATTENTION_PATHS,
  POOL_MODES,
  TOKENIZERS,
  VIEW_STAGES,
  type AttentionState,
} from '../../state/attention';
import { LabController, storeContext } from '../common/controllers';
import { runtimeContext, type Runtime } from '../common/runtime';
import {
  downloadBlob,
  downloadCanvasPng,
  downloadCsv,
  downloadJson,
  downloadSvg,
  downloadSvgAsPng,
  tableRecords,
  type CsvRow,
  reportExport,
} from '../common/export';
import { sharedStyles } from '../common/styles';
import { ProgressController } from '../common/progress';
import { isAbortError, throwIfAborted, type RunControl } from '../../gpu/compute';
import { attentionLabStyles } from './styles';
import {
  axisLabels,
  cellLabel,
  clampRect,
  crop,
  fmtValue,
  headCsv,
  headNested,
  headOf,
  nest3,
  poolRows,
  prepareInputs,
  tokenNames,
  weightsCsv,
  type HeadMatrix,
  type ImportedFile,
  type Initialise,
  type Prepared,
} from './model';

/** Every stage is read back at full resolution up to this L; above it the GPU pools to screen size. */
const FULL_MAX_L = 256;
/** Pooled and zoomed views have at most this many cells per side (the enlarged canvas is ~500 px). */
const POOL_PIX = 256;
/** Path "auto" runs staged (every stage on screen) up to this L when its buffers fit, else fused. */
const AUTO_STAGED_MAX_L = 1024;
/** The float64 reference for the numerics panel runs (in the CPU worker) up to this L. */
const REFERENCE_MAX_L = 256;
/** Data-table alternatives are offered up to this L (keeps the DOM small). */
const TABLE_MAX_L = 32;
/** Largest heads·L² a weights export writes (JSON text grows ~20 bytes per number). */
const EXPORT_MAX_NUMBERS = 2 ** 22;
/**
 * GPU memory this page lets the staged path's [heads][L][L] stages take (it keeps four: raw, scaled, masked,
 * weights). An adapter may allow larger single buffers than the device can actually allocate at once.
 */
const STAGED_BUDGET_BYTES = 2 ** 30;
/** The keys of the "Export weights (JSON)" object, in order (shown in the Export panel). */
const EXPORT_KEYS = [
  'lab',
  'tokens',
  'mask',
  'heads',
  'L',
  'd',
  'scale',
  'q',
  'k',
  'v',
  'weights',
  'output',
  'backend',
] as const;
/** Why a GPU view or export of a run is no longer possible after a later run replaced its buffers. */
const NOT_RESIDENT =
  'the GPU no longer holds this result (a later run replaced it or was cancelled); change a control to compute it again';
/** The lab is two columns wide above this host width (px); styles.ts has the same @container query. */
const TWO_COLUMN_MIN = 960;
/** Smallest zoom window (cells per side). */
const MIN_ZOOM = 4;

const ALL_STAGES: readonly AttentionStage[] = ['scores', 'scaled', 'masked', 'weights', 'output'];

/** Titles, the interview pseudocode line of each stage, and the short form the strip panels show. */
const STAGE_INFO: Record<AttentionStage, { title: string; short: string; code: string; brief: string }> = {
  scores: { title: 'QKᵀ (raw scores)', short: 'QKᵀ', code: 'scores = Q · Kᵀ', brief: 'Q · Kᵀ' },
  scaled: { title: 'Scaled scores', short: 'scaled', code: 'scores = scores / √d', brief: 'scores / √d' },
  masked: {
    title: 'Masked scores',
    short: 'masked',
    code: 'scores = scores.masked_fill(mask == 0, −inf)',
    brief: 'masked_fill(mask == 0, −inf)',
  },
  weights: {
    title: 'Softmax weights',
    short: 'weights',
    code: 'weights = softmax(scores)',
    brief: 'softmax(scores)',
  },
  output: { title: 'Output', short: 'output', code: 'output = weights · V', brief: 'weights · V' },
};

const MASK_LABELS: Record<MaskKind, string> = {
  none: 'None',
  causal: 'Causal (key ≤ query)',
  padding: 'Padding (key < valid length)',
  window: 'Sliding window',
  custom: 'Custom (paint it)',
};

interface LabRun {
  id: number;
  prepared: Prepared;
  run: AttentionRunResult;
  /** Every stage this path computed is in run.stages at full resolution. */
  full: boolean;
  /** Stages this path computes (the fused path never materialises the score stages). */
  available: ReadonlySet<AttentionStage>;
  /** The adapter name, or "CPU" — as in every lab's export. */
  backendLabel: string;
  engine: AttentionEngine | null;
  /** The CPU backend's numerics come with the run. */
  numerics?: AttentionNumerics;
  notices: string[];
}

interface Views {
  runId: number;
  overview: Partial<Record<MatrixStage, MatrixView>>;
  zoom: Partial<Record<MatrixStage, MatrixView>>;
  /** Why the zoom window could not be fetched (the GPU no longer holds this run's buffers). */
  zoomError?: string;
}

interface RowWeights {
  runId: number;
  head: number;
  row: number;
  values: Float32Array;
}

type NumericsView = { kind: 'done'; numerics: AttentionNumerics } | { kind: 'skipped'; reason: string };

/** A heatmap on screen: what to draw, how, and what to say about a cell. */
interface HeatmapEntry {
  key: string;
  data: HeatmapData;
  options: HeatmapOptions;
  exportTitle: string;
  fileBase: string;
  describe: (row: number, col: number) => string;
}

/**
 * The Attention lab (#/attention): masked scaled-dot-product attention computed on the GPU (staged or
 * fused WGSL) or the CPU reference, every stage drawn as a canvas heatmap.
 *
 * State: the controls live in the URL (src/state/attention.ts). Component-only state, on purpose: an
 * imported Q/K/V file (too large for a link), the painted custom mask (an L×L matrix), zoom/pan, hover and
 * which data tables are open.
 */
@customElement('ks-attention-lab')
export class AttentionLab extends LitElement {
  static override styles = [sharedStyles, attentionLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'attention');

  @state() private imported: ImportedFile | null = null;
  @state() private importError: string | null = null;
  @state() private exportMessage: { text: string; error: boolean } | null = null;
  /** The painted custom mask (keep flags, L·L) — component state only, not in the URL. */
  @state() private customKeep: Uint8Array | null = null;
  @state() private customVersion = 0;
  @state() private zoom: Rect | null = null;
  @state() private hover: { id: string; row: number; col: number } | null = null;
  @state() private tooltip: { x: number; y: number; text: string } | null = null;
  @state() private focusStage: AttentionStage | null = null;
  @state() private openTables = new Set<string>();
  @state() private hostWidth = 1200;
  @state() private themeVersion = 0;
  @state() private paintVersion = 0;

  private nextRunId = 1;
  private residentRunId = 0;
  private gpuLock: Promise<unknown> = Promise.resolve();
  private heatmaps = new Map<string, HeatmapEntry>();
  private layouts = new WeakMap<HTMLCanvasElement, HeatmapLayout>();
  private drawnKeys = new WeakMap<Element, string>();
  private overviewCache = new Map<string, Partial<Record<MatrixStage, MatrixView>>>();
  private resize = new ResizeObserver((entries) => {
    const w = Math.round(entries[0]?.contentRect.width ?? 0);
    // Small changes are ignored, except across the one/two-column breakpoint (the CSS container query).
    const crossed = w > TWO_COLUMN_MIN !== this.hostWidth > TWO_COLUMN_MIN;
    if (w > 0 && (crossed || Math.abs(w - this.hostWidth) > 8)) this.hostWidth = w;
  });
  private themeObserver = new MutationObserver(() => this.themeVersion++);
  private sentenceTimer: ReturnType<typeof setTimeout> | undefined;
  private drag: {
    x: number;
    y: number;
    moved: boolean;
    rect: Rect;
    paint: 0 | 1 | null;
  } | null = null;
  private lastL = 0;

  /**
   * The last run that completed (Task.value is cleared when a run fails or is cancelled; the page keeps
   * showing this one then).
   */
  private lastGood: LabRun | undefined;

  private runTask = new Task(this, {
    onComplete: (lab: LabRun) => {
      this.lastGood = lab;
    },
    args: () =>
      [
        this.computeKey(),
        this.lab.backend,
        this.runtime.generation,
        this.imported,
        this.customVersion,
      ] as const,
    task: async ([, backend], { signal }): Promise<LabRun> => {
      const control = this.progress.begin(signal);
      try {
        return await this.compute(backend, control);
      } finally {
        this.progress.end(control.run);
      }
    },
  });

  /** Status line, bar and Cancel while a run takes long (shader compilation, large L). */
  private progress = new ProgressController(this);

  private async compute(backend: string, control: RunControl): Promise<LabRun> {
    const p = this.lab.params;
    const id = this.nextRunId++;
    const { signal } = control;
    this.exportMessage = null;
    const notices: string[] = [];
    const preparing = () =>
      control.onProgress?.({ phase: 'run', message: 'Preparing Q, K and V…', done: 0, total: 0 });
    if (backend === 'gpu') {
      const ctx = await this.runtime.gpu();
      if (ctx) {
        preparing();
        const prepared = await prepareInputs(p, {
          imported: this.imported,
          custom: this.customKeep,
          maxL: ATTENTION_LIMITS.maxL,
          initialise: this.initialise,
        });
        throwIfAborted(signal);
        this.adoptCustom(prepared);
        const engine = this.runtime.engine(ctx, 'attention', (c) => new AttentionEngine(c));
        const adapter = this.runtime.status.kind === 'ready' ? this.runtime.status.name : 'GPU';
        return this.exclusive(async () => {
          try {
            return await this.runGpu(id, engine, prepared, p, adapter, notices, control);
          } catch (e) {
            // A failed or cancelled run may have replaced the buffers the last good run's zoom reads.
            if (!engine.hasResult) this.residentRunId = 0;
            throw e;
          }
        });
      }
      notices.push('WebGPU is not available, so the CPU reference computed this.');
    }
    preparing();
    const prepared = await prepareInputs(p, {
      imported: this.imported,
      custom: this.customKeep,
      maxL: MAX_ATTENTION_L_CPU,
      maxLReason: 'The CPU reference',
      initialise: this.initialise,
    });
    throwIfAborted(signal);
    this.adoptCustom(prepared);
    control.onProgress?.({
      phase: 'run',
      message: 'Computing on the CPU reference…',
      done: 0,
      total: 0,
    });
    const job = await this.runtime.cpu.run(
      {
        kind: 'attention',
        inputs: prepared.inputs,
        options: { mask: prepared.mask, scale: prepared.scale, bias: prepared.bias, stages: ALL_STAGES },
      },
      signal,
    );
    return {
      id,
      prepared,
      run: job.result!,
      full: true,
      available: new Set(ALL_STAGES),
      backendLabel: 'CPU',
      engine: null,
      numerics: job.numerics,
      notices,
    };
  }

  private cancelRun() {
    this.progress.cancelling();
    this.runTask.abort(new DOMException('Cancelled by the user.', 'AbortError'));
  }

  /** The last views fetched (Task.value is cleared when a fetch fails). */
  private lastViews: Views | null = null;

  /** Pooled overviews and zoomed windows fetched from the GPU for runs too long to read back whole. */
  private viewTask = new Task(this, {
    onComplete: (views: Views | null) => {
      this.lastViews = views;
    },
    args: () =>
      [
        this.lastGood,
        this.lab.params.pool,
        this.zoom ? rectKey(this.zoom) : '',
        this.enlargedStage(this.lastGood),
      ] as const,
    task: async ([lab, mode, , stage]): Promise<Views | null> => {
      if (!lab || lab.full || !lab.engine) return null;
      const engine = lab.engine;
      const cacheKey = `${lab.id}:${mode}`;
      let overview = this.overviewCache.get(cacheKey);
      if (!overview) {
        overview = await this.exclusive(async () => {
          this.checkResident(lab);
          const out: Partial<Record<MatrixStage, MatrixView>> = {};
          for (const s of MATRIX_STAGES) {
            if (lab.available.has(s)) {
              out[s] = await engine.pool({ stage: s, rows: POOL_PIX, cols: POOL_PIX, mode });
            }
          }
          return out;
        });
        this.overviewCache.clear();
        this.overviewCache.set(cacheKey, overview);
      }
      const zoom: Partial<Record<MatrixStage, MatrixView>> = {};
      const rect = this.zoom;
      if (rect && this.residentRunId !== lab.id) {
        return { runId: lab.id, overview, zoom, zoomError: NOT_RESIDENT };
      }
      if (rect) {
        const wanted = new Set<MatrixStage>([stage]);
        for (const s of ['scores', 'weights'] as const) if (lab.available.has(s)) wanted.add(s);
        await this.exclusive(async () => {
          this.checkResident(lab);
          for (const s of wanted) {
            zoom[s] =
              rect.rows <= POOL_PIX && rect.cols <= POOL_PIX
                ? await engine.window({ stage: s, rect })
                : await engine.pool({ stage: s, rect, rows: POOL_PIX, cols: POOL_PIX, mode });
          }
        });
      }
      return { runId: lab.id, overview, zoom };
    },
  });

  /** The selected query row's weights at full resolution (a 1×L window when the run was pooled). */
  private rowTask = new Task(this, {
    args: () => [this.lastGood, this.selectedHead(), this.selectedRow()] as const,
    task: async ([lab, head, row]): Promise<RowWeights | null> => {
      if (!lab || row < 0) return null;
      const L = lab.run.shape.L;
      const w = lab.run.stages.weights;
      if (lab.full && w) {
        return { runId: lab.id, head, row, values: w.slice((head * L + row) * L, (head * L + row + 1) * L) };
      }
      if (!lab.engine) return null;
      const engine = lab.engine;
      const view = await this.exclusive(async () => {
        this.checkResident(lab);
        return engine.window({ stage: 'weights', rect: { row0: row, col0: 0, rows: 1, cols: L } });
      });
      return { runId: lab.id, head, row, values: view.data.slice(head * L, (head + 1) * L) };
    },
  });

  /** max |GPU − reference| per stage, from the float64 reference in the CPU worker (L ≤ 256). */
  private numericsTask = new Task(this, {
    args: () => [this.lastGood] as const,
    task: async ([lab]): Promise<NumericsView | null> => {
      if (!lab) return null;
      if (lab.numerics) return { kind: 'done', numerics: lab.numerics };
      const { L } = lab.run.shape;
      if (L > REFERENCE_MAX_L || !lab.full) {
        return { kind: 'skipped', reason: `reference skipped above L=${REFERENCE_MAX_L}` };
      }
      const { run, prepared } = lab;
      // No abort signal: cancelling would terminate the shared worker; a stale result is simply ignored.
      const job = await this.runtime.cpu.run({
        kind: 'attention',
        inputs: prepared.inputs,
        options: { mask: prepared.mask, scale: prepared.scale, bias: prepared.bias, stages: [] },
        compare: {
          stages: run.stages,
          shape: run.shape,
          fullyMaskedRows: run.fullyMaskedRows,
          backend: run.backend,
        },
      });
      return { kind: 'done', numerics: job.numerics };
    },
  });

  // ---------------------------------------------------------------------------------------------------
  // Lifecycle

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onWindowKey);
    this.resize.observe(this);
    this.themeObserver.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme'],
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onWindowKey);
    this.resize.disconnect();
    this.themeObserver.disconnect();
    clearTimeout(this.sentenceTimer);
  }

  /** "c" toggles the causal mask, unless the user is typing in a text field. */
  private onWindowKey = (e: KeyboardEvent) => {
    if (e.key !== 'c' && e.key !== 'C') return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || e.defaultPrevented) return;
    const target = e.composedPath()[0];
    if (target instanceof HTMLElement) {
      if (target.isContentEditable || target instanceof HTMLTextAreaElement) return;
      if (target instanceof HTMLSelectElement) return;
      if (
        target instanceof HTMLInputElement &&
        !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'file'].includes(target.type)
      ) {
        return;
      }
    }
    e.preventDefault();
    this.toggleCausal();
  };

  private toggleCausal() {
    this.lab.set({ mask: this.lab.params.mask === 'causal' ? 'none' : 'causal' });
  }

  /** Only the controls that change the computation (not the selected head, row or view). */
  private computeKey(): string {
    const p = this.lab.params;
    return JSON.stringify([
      p.text,
      p.tokenizer,
      p.mask,
      p.windowCausal,
      p.validLength,
      p.window,
      p.L,
      p.heads,
      p.d,
      p.seed,
      p.scale,
      p.path,
    ]);
  }

  /**
   * The seeded Q, K, V: inline for small sizes, in the CPU worker above ~4M multiply-adds (L = 4096 with 16
   * heads of d = 256 is 3·10⁹) so the page never freezes. No abort signal: cancelling would terminate the
   * worker that the numerics share; a superseded result is simply dropped.
   */
  private initialise: Initialise = async (options) => {
    const cost = options.tokens.length * options.heads * options.d * DEFAULT_D_MODEL * 3;
    if (cost <= 4e6) return initAttentionInputs(options);
    return this.runtime.cpu.run({ kind: 'attention-init', options });
  };

  private adoptCustom(prepared: Prepared) {
    if (prepared.mask.kind === 'custom' && prepared.mask.keep !== this.customKeep) {
      this.customKeep = prepared.mask.keep;
    }
  }

  /** Runs GPU work one call at a time (a new run replaces the buffers that pool/window read). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.gpuLock.then(fn, fn);
    this.gpuLock = next.catch(() => undefined);
    return next;
  }

  private checkResident(lab: LabRun) {
    if (this.residentRunId !== lab.id) {
      throw new DOMException(NOT_RESIDENT, 'AbortError');
    }
  }

  private async runGpu(
    id: number,
    engine: AttentionEngine,
    prepared: Prepared,
    p: AttentionState,
    adapter: string,
    notices: string[],
    control: RunControl,
  ): Promise<LabRun> {
    const { inputs, mask, scale, bias } = prepared;
    const { L } = inputs.shape;
    const stagedBytes = 4 * matrixStageBytes(inputs.shape);
    const limit =
      engine.stagedLimit(inputs.shape) ??
      (stagedBytes > STAGED_BUDGET_BYTES
        ? new RangeError(
            `The staged path keeps four ${inputs.shape.heads}×${L}×${L} f32 stages (${formatBytes(stagedBytes)}), over this page's staged budget of ${formatBytes(STAGED_BUDGET_BYTES)} of GPU memory; choose the fused (or auto) path, or fewer heads or a smaller L.`,
          )
        : null);
    let path: 'staged' | 'fused';
    if (p.path === 'auto') {
      path = limit || L > AUTO_STAGED_MAX_L ? 'fused' : 'staged';
      if (path === 'fused') {
        notices.push(
          limit
            ? `Path auto chose fused: ${limit.message}`
            : `Path auto chose fused for L > ${AUTO_STAGED_MAX_L}: the score stages are not materialised.`,
        );
      }
    } else {
      path = p.path;
    }
    if (path === 'staged' && limit) throw limit;
    const options = { mask, scale, bias };
    const full = L <= FULL_MAX_L;
    let run: AttentionRunResult;
    if (path === 'staged') {
      run = full
        ? await engine.runStaged(inputs, { ...options, stages: ALL_STAGES }, control)
        : await engine.runStaged(
            inputs,
            {
              ...options,
              stages: ['output'],
              materialize: ['scores', 'scaled', 'masked', 'weights'],
            },
            control,
          );
    } else if (full) {
      run = await engine.runFused(
        inputs,
        { ...options, window: { rect: { row0: 0, col0: 0, rows: L, cols: L } } },
        control,
      );
      run.stages.weights = run.window!.data;
    } else {
      run = await engine.runFused(inputs, options, control);
    }
    this.residentRunId = id;
    return {
      id,
      prepared,
      run,
      full,
      available: new Set(path === 'staged' ? ALL_STAGES : (['weights', 'output'] as const)),
      backendLabel: adapter,
      engine,
      notices,
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Selection helpers

  private selectedHead(): number {
    const heads = this.lastGood?.run.shape.heads ?? this.lab.params.heads;
    return Math.max(0, Math.min(heads - 1, this.lab.params.head));
  }

  private selectedRow(): number {
    const L = this.lastGood?.run.shape.L ?? 0;
    const row = this.lab.params.row;
    return row >= 0 && row < L ? row : -1;
  }

  private enlargedStage(lab: LabRun | undefined): MatrixStage {
    const s = this.lab.params.stage;
    return !lab || lab.available.has(s) ? s : 'weights';
  }

  private fullRect(lab: LabRun): Rect {
    const L = lab.run.shape.L;
    return { row0: 0, col0: 0, rows: L, cols: L };
  }

  private currentViews(lab: LabRun): Views | null {
    // Task.value is cleared when a fetch fails: keep drawing the last views fetched.
    const v = this.viewTask.value ?? this.lastViews;
    return v && v.runId === lab.id ? v : null;
  }

  /** One head of a stage, as the stage strip shows it (full, or the pooled overview). */
  private stripMatrix(lab: LabRun, stage: AttentionStage, h: number): HeadMatrix | null {
    const { L, d } = lab.run.shape;
    if (!lab.available.has(stage)) return null;
    if (stage === 'output') {
      const o = lab.run.stages.output;
      return o ? poolRows(headOf(o, h, L, d), POOL_PIX, this.lab.params.pool) : null;
    }
    if (lab.full) {
      const a = lab.run.stages[stage];
      return a ? headOf(a, h, L, L) : null;
    }
    const v = this.currentViews(lab)?.overview[stage];
    return v ? headOf(v.data, h, v.rows, v.cols, v.rect) : null;
  }

  /** One head of a stage in the enlarged view: the zoom window when zoomed. */
  private enlargedMatrix(lab: LabRun, stage: MatrixStage, h: number): HeadMatrix | null {
    const L = lab.run.shape.L;
    if (lab.full) {
      const a = lab.run.stages[stage];
      if (!a) return null;
      const m = headOf(a, h, L, L);
      return this.zoom ? crop(m, this.zoom) : m;
    }
    const views = this.currentViews(lab);
    if (this.zoom) {
      const z = views?.zoom[stage];
      if (z && rectKey(z.rect) === rectKey(this.zoom)) return headOf(z.data, h, z.rows, z.cols, z.rect);
    }
    const v = views?.overview[stage];
    return v ? headOf(v.data, h, v.rows, v.cols, v.rect) : null;
  }

  /** A single entry of a stage at full resolution when the page has it (else undefined). */
  private valueAt(lab: LabRun, stage: MatrixStage, h: number, q: number, k: number): number | undefined {
    const L = lab.run.shape.L;
    if (lab.full) return lab.run.stages[stage]?.[(h * L + q) * L + k];
    const z = this.currentViews(lab)?.zoom[stage];
    if (z && z.mode === 'window') {
      const { row0, col0, rows, cols } = z.rect;
      if (q >= row0 && q < row0 + rows && k >= col0 && k < col0 + cols) {
        return z.data[(h * rows + q - row0) * cols + k - col0];
      }
    }
    return undefined;
  }

  private describeCell(
    lab: LabRun,
    m: HeadMatrix,
    h: number,
    row: number,
    col: number,
    stage: AttentionStage,
  ) {
    const tokens = lab.prepared.tokens;
    const L = lab.run.shape.L;
    const [q0, q1] = poolCellRange(row, m.rows, m.rect.row0, m.rect.rows);
    const v = m.data[row * m.cols + col]!;
    const qText = q1 - q0 === 1 ? `query “${tokens[q0]}” (#${q0})` : `queries #${q0}–${q1 - 1}`;
    if (stage === 'output') {
      return `${qText} · output dim ${col} = ${fmtValue(v)}${q1 - q0 > 1 ? ` (${this.lab.params.pool} of rows)` : ''}`;
    }
    const [k0, k1] = poolCellRange(col, m.cols, m.rect.col0, m.rect.cols);
    if (q1 - q0 > 1 || k1 - k0 > 1) {
      return `${qText} × keys #${k0}–${k1 - 1} · ${this.lab.params.pool} ${STAGE_INFO[stage].short} = ${fmtValue(v)} (pooled; zoom in for single cells)`;
    }
    const raw = this.valueAt(lab, 'scores', h, q0, k0);
    const weight = this.valueAt(lab, 'weights', h, q0, k0);
    const kept = maskKeeps(lab.prepared.mask, L, q0, k0);
    return [
      `${qText} · key “${tokens[k0]}” (#${k0})`,
      `raw score QKᵀ = ${raw === undefined ? 'n/a (fused path)' : fmtValue(raw)}`,
      `weight = ${weight === undefined ? fmtValue(v) : fmtValue(weight)}`,
      kept ? '' : 'masked',
    ]
      .filter(Boolean)
      .join(' · ');
  }

  // ---------------------------------------------------------------------------------------------------
  // Drawing (canvases are drawn after render, only when what they show changed)

  override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    // A new sequence length invalidates the zoom window.
    const lab = this.lastGood;
    if (lab && lab.run.shape.L !== this.lastL) {
      this.lastL = lab.run.shape.L;
      this.zoom = null;
    }
  }

  override updated(changed: PropertyValues): void {
    super.updated(changed);
    const lab = this.lastGood;
    const root = this.shadowRoot!;
    for (const canvas of root.querySelectorAll<HTMLCanvasElement>('canvas[data-hm]')) {
      const entry = this.heatmaps.get(canvas.dataset.hm!);
      if (!entry) continue;
      if (this.drawnKeys.get(canvas) === entry.key) continue;
      this.layouts.set(canvas, renderHeatmap(canvas, entry.data, entry.options));
      this.drawnKeys.set(canvas, entry.key);
    }
    const legend = root.querySelector<SVGSVGElement>('svg.legend-svg');
    if (legend && lab) {
      const h = this.selectedHead();
      const maxes: Array<[string, number]> = [];
      for (const s of ['scores', 'scaled', 'masked', 'output'] as const) {
        const m = this.stripMatrix(lab, s, h);
        if (m) maxes.push([STAGE_INFO[s].short, maxAbs(m.data)]);
      }
      const key = `${this.legendWidth()}:${JSON.stringify(maxes)}:${this.lab.params.weightRange}`;
      if (this.drawnKeys.get(legend) !== key) {
        renderHeatmapLegend(legend, {
          width: this.legendWidth(),
          divergingMax: maxes,
          weightsRange: this.lab.params.weightRange,
        });
        this.drawnKeys.set(legend, key);
      }
    }
    const bars = root.querySelector<SVGSVGElement>('svg.row-bars');
    const row = this.rowTask.value;
    if (bars && lab && row && row.runId === lab.id) {
      const width = this.barsWidth();
      const key = `${lab.id}:${row.head}:${row.row}:${width}`;
      if (this.drawnKeys.get(bars) !== key) {
        const tokens = lab.prepared.tokens;
        renderBars(
          bars,
          { labels: tokens, values: row.values, highlight: row.row },
          {
            width,
            height: 300,
            title: `Softmax weights of query “${tokens[row.row]}” (#${row.row}) over the keys, head ${row.head + 1}`,
            yLabel: 'weight',
          },
        );
        this.drawnKeys.set(bars, key);
      }
    }
  }

  private contentWidth(): number {
    return Math.max(320, this.hostWidth - 36);
  }

  private legendWidth(): number {
    return Math.min(760, this.contentWidth());
  }

  private stripColumns(): number {
    const w = this.contentWidth();
    return w >= 1000 ? 5 : w >= 620 ? 3 : 2;
  }

  private stripCell(): number {
    const cols = this.stripColumns();
    return Math.floor((this.contentWidth() - (cols - 1) * 12 - 12) / cols);
  }

  private twoColumn(): boolean {
    return this.hostWidth > TWO_COLUMN_MIN;
  }

  private enlargedSize(): number {
    const w = this.twoColumn() ? (this.contentWidth() - 16) * 0.535 - 34 : this.contentWidth() - 34;
    return Math.max(260, Math.min(600, Math.floor(w)));
  }

  private barsWidth(): number {
    const w = this.twoColumn() ? (this.contentWidth() - 16) * 0.465 - 34 : this.contentWidth() - 34;
    return Math.max(260, Math.floor(w));
  }

  /** Weights use viridis over [0, 1], or over [0, this panel's max] when the user asks for contrast. */
  private weightsScale(values: ArrayLike<number>): HeatmapScale {
    if (this.lab.params.weightRange === 'unit') return { kind: 'sequential', min: 0, max: 1 };
    const m = maxOf(values);
    return { kind: 'sequential', min: 0, max: m > 0 ? m : 1 };
  }

  private colors() {
    void this.themeVersion;
    const style = getComputedStyle(this);
    return {
      text: style.getPropertyValue('--ks-fg').trim() || '#1b1f24',
      panel: style.getPropertyValue('--ks-panel').trim() || '#ffffff',
      focus: style.getPropertyValue('--ks-focus').trim() || '#f5a623',
    };
  }

  /** Registers a heatmap for drawing and export; returns its canvas. */
  private heatmap(
    id: string,
    entry: HeatmapEntry,
    attrs: { label: string; interactive?: boolean; hidden?: boolean },
  ): TemplateResult {
    this.heatmaps.set(id, entry);
    const w = entry.options.width;
    const h = entry.options.height;
    if (attrs.interactive) {
      return html`<canvas
        data-hm=${id}
        class="interactive"
        tabindex="0"
        role="img"
        aria-label=${attrs.label}
        aria-describedby="enlarged-help"
        style="width:${w}px;height:${h}px"
        @pointerdown=${(e: PointerEvent) => this.onPointerDown(id, e)}
        @pointermove=${(e: PointerEvent) => this.onPointerMove(id, e)}
        @pointerup=${(e: PointerEvent) => this.onPointerUp(id, e)}
        @pointerleave=${() => this.onPointerLeave(id)}
        @wheel=${(e: WheelEvent) => this.onWheel(id, e)}
        @keydown=${(e: KeyboardEvent) => this.onCanvasKey(id, e)}
      ></canvas>`;
    }
    return html`<canvas
      data-hm=${id}
      role="img"
      aria-label=${attrs.label}
      aria-hidden=${attrs.hidden ? 'true' : 'false'}
      style="width:${w}px;height:${h}px"
      @pointermove=${(e: PointerEvent) => this.onPointerMove(id, e)}
      @pointerleave=${() => this.onPointerLeave(id)}
      @click=${(e: MouseEvent) => this.onStripClick(id, e)}
    ></canvas>`;
  }

  private cellFromEvent(id: string, e: MouseEvent): { row: number; col: number } | null {
    const canvas = e.currentTarget as HTMLCanvasElement;
    const layout = this.layouts.get(canvas);
    if (!layout || !this.heatmaps.get(id)) return null;
    const r = canvas.getBoundingClientRect();
    return heatmapCellAt(layout, e.clientX - r.left, e.clientY - r.top);
  }

  private onPointerMove(id: string, e: PointerEvent) {
    const lab = this.lastGood;
    const entry = this.heatmaps.get(id);
    if (!lab || !entry) return;
    if (this.drag && id === 'enlarged') {
      this.dragMove(lab, e);
      if (this.drag?.moved) return;
    }
    const cell = this.cellFromEvent(id, e);
    if (!cell) {
      this.onPointerLeave(id);
      return;
    }
    if (!this.hover || this.hover.id !== id || this.hover.row !== cell.row || this.hover.col !== cell.col) {
      this.hover = { id, ...cell };
    }
    this.tooltip = { x: e.clientX + 14, y: e.clientY + 14, text: entry.describe(cell.row, cell.col) };
  }

  private onPointerLeave(id: string) {
    if (this.hover?.id === id) this.hover = null;
    this.tooltip = null;
  }

  private onStripClick(id: string, e: MouseEvent) {
    const cell = this.cellFromEvent(id, e);
    const stage = id.replace(/^strip-/, '') as AttentionStage;
    const patch: Partial<AttentionState> = {};
    if ((VIEW_STAGES as readonly string[]).includes(stage)) patch.stage = stage as MatrixStage;
    const m = this.heatmaps.get(id);
    const lab = this.lastGood;
    if (cell && m && lab) {
      const matrix = this.stripMatrix(lab, stage, this.selectedHead());
      if (matrix) patch.row = poolCellRange(cell.row, matrix.rows, matrix.rect.row0, matrix.rect.rows)[0];
    }
    this.lab.set(patch);
  }

  private onPointerDown(id: string, e: PointerEvent) {
    const lab = this.lastGood;
    if (!lab || e.button !== 0) return;
    const canvas = e.currentTarget as HTMLCanvasElement;
    canvas.setPointerCapture?.(e.pointerId);
    const cell = this.cellFromEvent(id, e);
    let paint: 0 | 1 | null = null;
    if (lab.prepared.mask.kind === 'custom' && cell && this.customKeep) {
      const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
      if (m) {
        const [q0] = poolCellRange(cell.row, m.rows, m.rect.row0, m.rect.rows);
        const [k0] = poolCellRange(cell.col, m.cols, m.rect.col0, m.rect.cols);
        paint = this.customKeep[q0 * lab.run.shape.L + k0] ? 0 : 1;
        this.paintCell(lab, m, cell, paint);
      }
    }
    this.drag = { x: e.clientX, y: e.clientY, moved: false, rect: this.zoom ?? this.fullRect(lab), paint };
  }

  private dragMove(lab: LabRun, e: PointerEvent) {
    const drag = this.drag!;
    if (drag.paint !== null) {
      const cell = this.cellFromEvent('enlarged', e);
      const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
      if (cell && m) this.paintCell(lab, m, cell, drag.paint);
      drag.moved = true;
      return;
    }
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    if (!this.zoom) return;
    const layout = this.layouts.get(e.currentTarget as HTMLCanvasElement);
    if (!layout) return;
    const perPx = drag.rect.rows / layout.plot.h;
    const next = clampRect(
      { ...drag.rect, row0: drag.rect.row0 - dy * perPx, col0: drag.rect.col0 - dx * perPx },
      lab.run.shape.L,
    );
    // Full-resolution data pans live; pooled runs fetch the new window once the drag ends.
    if (lab.full) this.zoom = next;
    else (drag as { pending?: Rect }).pending = next;
  }

  private onPointerUp(id: string, e: PointerEvent) {
    const drag = this.drag;
    this.drag = null;
    const lab = this.lastGood;
    if (!drag || !lab) return;
    if (drag.paint !== null) {
      this.customVersion++;
      return;
    }
    const pending = (drag as { pending?: Rect }).pending;
    if (pending) {
      this.zoom = pending;
      return;
    }
    if (!drag.moved) {
      const cell = this.cellFromEvent(id, e);
      const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
      if (cell && m) this.lab.set({ row: poolCellRange(cell.row, m.rows, m.rect.row0, m.rect.rows)[0] });
    }
  }

  private paintCell(lab: LabRun, m: HeadMatrix, cell: { row: number; col: number }, value: 0 | 1) {
    const keep = this.customKeep;
    if (!keep) return;
    const L = lab.run.shape.L;
    const [q0, q1] = poolCellRange(cell.row, m.rows, m.rect.row0, m.rect.rows);
    const [k0, k1] = poolCellRange(cell.col, m.cols, m.rect.col0, m.rect.cols);
    for (let q = q0; q < q1; q++) for (let k = k0; k < k1; k++) keep[q * L + k] = value;
    this.paintVersion++;
  }

  private onWheel(id: string, e: WheelEvent) {
    const lab = this.lastGood;
    if (!lab) return;
    e.preventDefault();
    const cell = this.cellFromEvent(id, e);
    const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
    let center: [number, number] | undefined;
    if (cell && m) {
      center = [
        poolCellRange(cell.row, m.rows, m.rect.row0, m.rect.rows)[0],
        poolCellRange(cell.col, m.cols, m.rect.col0, m.rect.cols)[0],
      ];
    }
    this.zoomBy(lab, e.deltaY < 0 ? 0.5 : 2, center);
  }

  private zoomBy(lab: LabRun, factor: number, center?: [number, number]) {
    const L = lab.run.shape.L;
    const rect = this.zoom ?? this.fullRect(lab);
    const size = Math.round(Math.max(Math.min(MIN_ZOOM, L), Math.min(L, rect.rows * factor)));
    if (size >= L) {
      this.zoom = null;
      return;
    }
    const [cr, cc] = center ?? [rect.row0 + rect.rows / 2, rect.col0 + rect.cols / 2];
    // Keep the point under the pointer where it is.
    const fr = (cr - rect.row0) / rect.rows;
    const fc = (cc - rect.col0) / rect.cols;
    this.zoom = clampRect({ row0: cr - fr * size, col0: cc - fc * size, rows: size, cols: size }, L);
  }

  private pan(lab: LabRun, dr: number, dc: number) {
    if (!this.zoom) return;
    const step = Math.max(1, Math.round(this.zoom.rows / 4));
    this.zoom = clampRect(
      { ...this.zoom, row0: this.zoom.row0 + dr * step, col0: this.zoom.col0 + dc * step },
      lab.run.shape.L,
    );
  }

  /** Keyboard for the enlarged heatmap: arrows move the cell cursor, Shift+arrows pan, +/− zoom. */
  private onCanvasKey(id: string, e: KeyboardEvent) {
    const lab = this.lastGood;
    const entry = this.heatmaps.get(id);
    if (!lab || !entry) return;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    const { rows, cols } = entry.data;
    const cur = this.hover?.id === id ? this.hover : { id, row: 0, col: 0 };
    const move = moves[e.key];
    if (move && e.shiftKey) {
      this.pan(lab, move[0], move[1]);
    } else if (move) {
      const row = Math.max(0, Math.min(rows - 1, cur.row + move[0]));
      const col = Math.max(0, Math.min(cols - 1, cur.col + move[1]));
      this.hover = { id, row, col };
      this.tooltip = null;
    } else if (e.key === '+' || e.key === '=') {
      this.zoomBy(lab, 0.5);
    } else if (e.key === '-' || e.key === '_') {
      this.zoomBy(lab, 2);
    } else if (e.key === '0') {
      this.zoom = null;
    } else if (e.key === 'Enter') {
      const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
      if (m) this.lab.set({ row: poolCellRange(cur.row, m.rows, m.rect.row0, m.rect.rows)[0] });
    } else if (e.key === ' ' && lab.prepared.mask.kind === 'custom' && this.customKeep) {
      const m = this.enlargedMatrix(lab, this.enlargedStage(lab), this.selectedHead());
      if (m) {
        const [q0] = poolCellRange(cur.row, m.rows, m.rect.row0, m.rect.rows);
        const [k0] = poolCellRange(cur.col, m.cols, m.rect.col0, m.rect.cols);
        this.paintCell(lab, m, cur, this.customKeep[q0 * lab.run.shape.L + k0] ? 0 : 1);
        this.customVersion++;
      }
    } else {
      return;
    }
    e.preventDefault();
  }

  // ---------------------------------------------------------------------------------------------------
  // Import and export

  private async onImport(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    const text = await file.text();
    input.value = '';
    const parsed = parseAttentionJson(text);
    if (!parsed.ok) {
      this.importError = `Could not import ${file.name}: ${parsed.error}`;
      return;
    }
    if (parsed.value.kind === 'weights') {
      this.importError = `Could not import ${file.name}: it holds only "weights"; the lab needs "q", "k" and "v" to compute attention.`;
      return;
    }
    this.importError = null;
    this.zoom = null;
    this.imported = { name: file.name, value: parsed.value };
  }

  /** The run for the current controls (waits for one in progress, so an export never shows stale numbers). */
  private async currentRun(): Promise<LabRun | undefined> {
    try {
      await this.runTask.taskComplete;
    } catch (e) {
      // Cancelled: the last result is on screen and exports. Any other error is on screen; export nothing.
      return isAbortError(e) ? this.lastGood : undefined;
    }
    return this.lastGood;
  }

  /** Weights and output at full resolution, the numbers the GPU computed (re-running staged if needed). */
  private async fullResolution(lab: LabRun): Promise<{ weights: Float32Array; output: Float32Array }> {
    const { weights, output } = lab.run.stages;
    if (lab.full && weights && output) return { weights, output };
    const { heads, L } = lab.run.shape;
    if (heads * L * L > EXPORT_MAX_NUMBERS) {
      throw new RangeError(
        `A full-resolution export holds heads·L² = ${(heads * L * L).toLocaleString('en-US')} weights, more than the ${EXPORT_MAX_NUMBERS.toLocaleString('en-US')} this page writes to one file; reduce L or the number of heads.`,
      );
    }
    const engine = lab.engine!;
    const limit = engine.stagedLimit(lab.run.shape);
    if (limit) {
      throw new RangeError(
        `The export needs every weight, which only the staged path stores: ${limit.message}`,
      );
    }
    const { inputs, mask, scale, bias } = lab.prepared;
    const run = await this.exclusive(async () => {
      this.checkResident(lab);
      return engine.runStaged(inputs, {
        mask,
        scale,
        bias,
        stages: ['weights', 'output'],
        materialize: lab.available.has('scores') ? ['scores', 'scaled', 'masked'] : [],
      });
    });
    return { weights: run.stages.weights!, output: run.stages.output! };
  }

  private async exportWeightsJson() {
    const lab = await this.currentRun();
    if (!lab) return;
    this.exportMessage = { text: 'Preparing the export…', error: false };
    try {
      const { weights, output } = await this.fullResolution(lab);
      const { heads, L, d } = lab.run.shape;
      const { inputs, tokens, mask } = lab.prepared;
      downloadJson(`kernelscope-attention-${mask.kind}-L${L}-h${heads}-d${d}.json`, {
        lab: 'attention',
        tokens,
        mask: mask.kind,
        heads,
        L,
        d,
        scale: lab.run.scale,
        q: nest3(inputs.q, heads, L, d),
        k: nest3(inputs.k, heads, L, d),
        v: nest3(inputs.v, heads, L, d),
        weights: nest3(weights, heads, L, L),
        output: nest3(output, heads, L, d),
        backend: lab.backendLabel,
      });
      this.exportMessage = null;
    } catch (e) {
      this.exportMessage = { text: `Could not export: ${(e as Error).message}`, error: true };
    }
  }

  private async exportWeightsCsv() {
    const lab = await this.currentRun();
    if (!lab) return;
    try {
      const { weights } = await this.fullResolution(lab);
      const h = this.selectedHead();
      downloadCsv(
        `kernelscope-attention-weights-head${h + 1}.csv`,
        weightsCsv(lab.prepared.tokens, weights, h, lab.run.shape.L),
      );
      this.exportMessage = null;
    } catch (e) {
      this.exportMessage = { text: `Could not export: ${(e as Error).message}`, error: true };
    }
  }

  private async exportTensorsCsv() {
    const lab = await this.currentRun();
    if (!lab) return;
    const { L, d } = lab.run.shape;
    const h = this.selectedHead();
    const { inputs, tokens } = lab.prepared;
    const out = lab.run.stages.output;
    const dims = (name: string) => Array.from({ length: d }, (_, j) => `${name}${j}`);
    const rows: Array<Array<string | number>> = [
      ['index', 'token', ...dims('q'), ...dims('k'), ...dims('v'), ...(out ? dims('out') : [])],
    ];
    for (let i = 0; i < L; i++) {
      const o = (h * L + i) * d;
      const part = (a: ArrayLike<number>) => Array.from({ length: d }, (_, j) => a[o + j]!);
      rows.push([
        i,
        tokens[i]!,
        ...part(inputs.q),
        ...part(inputs.k),
        ...part(inputs.v),
        ...(out ? part(out) : []),
      ]);
    }
    downloadCsv(`kernelscope-attention-qkv-output-head${h + 1}.csv`, rows);
  }

  /** Q, K, V and the output of the selected head as JSON: {lab, head, tokens, L, d, q, k, v, output, backend}. */
  private async exportTensorsJson() {
    const lab = await this.currentRun();
    if (!lab) return;
    try {
      const { L, d } = lab.run.shape;
      const h = this.selectedHead();
      const { inputs, tokens } = lab.prepared;
      const output = lab.run.stages.output ?? (await this.fullResolution(lab)).output;
      downloadJson(`kernelscope-attention-qkv-output-head${h + 1}.json`, {
        lab: 'attention',
        head: h + 1,
        tokens,
        L,
        d,
        q: headNested(inputs.q, h, L, d),
        k: headNested(inputs.k, h, L, d),
        v: headNested(inputs.v, h, L, d),
        output: headNested(output, h, L, d),
        backend: lab.backendLabel,
      });
      this.exportMessage = null;
    } catch (e) {
      this.exportMessage = { text: `Could not export: ${(e as Error).message}`, error: true };
    }
  }

  /** Every head of a stage at full resolution: [heads][L][L], or [heads][L][d] for the output. */
  private async stageTensor(lab: LabRun, stage: AttentionStage): Promise<Float32Array> {
    const have = lab.run.stages[stage];
    if (stage === 'output') return have ?? (await this.fullResolution(lab)).output;
    if (lab.full && have) return have;
    if (stage === 'weights') return (await this.fullResolution(lab)).weights;
    if (!lab.available.has(stage) || !lab.engine) {
      throw new RangeError(`The ${lab.run.path} path does not compute the ${STAGE_INFO[stage].title} stage.`);
    }
    const { heads, L } = lab.run.shape;
    if (heads * L * L > EXPORT_MAX_NUMBERS) {
      throw new RangeError(
        `A full-resolution export holds heads·L² = ${(heads * L * L).toLocaleString('en-US')} scores, more than the ${EXPORT_MAX_NUMBERS.toLocaleString('en-US')} this page writes to one file; reduce L or the number of heads.`,
      );
    }
    const engine = lab.engine;
    const view = await this.exclusive(async () => {
      this.checkResident(lab);
      return engine.window({ stage, rect: this.fullRect(lab) });
    });
    return view.data;
  }

  /**
   * One stage of the selected head at full resolution, as CSV (rows = queries, "index:token" names; masked
   * entries -inf) or JSON {lab, stage, head, tokens, mask, L, d, scale, rows, cols, values, backend}
   * (masked entries null).
   */
  private async exportStage(stage: AttentionStage, format: 'csv' | 'json') {
    const lab = await this.currentRun();
    if (!lab) return;
    try {
      const data = await this.stageTensor(lab, stage);
      const { L, d } = lab.run.shape;
      const h = this.selectedHead();
      const cols = stage === 'output' ? d : L;
      const { tokens, mask } = lab.prepared;
      const base = `kernelscope-attention-${stage}-head${h + 1}`;
      if (format === 'csv') {
        const names = tokenNames(tokens);
        const colNames = stage === 'output' ? Array.from({ length: d }, (_, j) => `dim${j}`) : names;
        downloadCsv(
          `${base}.csv`,
          headCsv(stage === 'output' ? 'query \\ dim' : 'query \\ key', names, colNames, data, h, L, cols),
        );
      } else {
        downloadJson(`${base}.json`, {
          lab: 'attention',
          stage,
          head: h + 1,
          tokens,
          mask: mask.kind,
          L,
          d,
          scale: lab.run.scale,
          rows: 'query',
          cols: stage === 'output' ? 'dim' : 'key',
          values: headNested(data, h, L, cols),
          backend: lab.backendLabel,
        });
      }
      this.exportMessage = null;
    } catch (e) {
      this.exportMessage = { text: `Could not export: ${(e as Error).message}`, error: true };
    }
  }

  /** The numerics table as rows: quantity, value (a number, or why there is none). */
  private numericsRows(lab: LabRun): CsvRow[] {
    const view = this.numericsTask.value;
    const numerics = view?.kind === 'done' ? view.numerics : null;
    const who = lab.run.path === 'cpu' ? 'CPU f32' : 'GPU';
    const rows: CsvRow[] = [['quantity', 'value']];
    for (const s of ALL_STAGES) {
      const v = numerics?.maxAbsDiff[s];
      const why = !lab.available.has(s)
        ? 'not computed (fused path)'
        : view?.kind === 'skipped'
          ? view.reason
          : numerics
            ? 'not read back'
            : 'not computed yet';
      rows.push([`max |${who} − reference| ${STAGE_INFO[s].title}`, v ?? why]);
    }
    rows.push(
      [
        'max |row sum − 1|',
        numerics?.maxRowSumError ?? (view?.kind === 'skipped' ? view.reason : 'not computed yet'),
      ],
      ['fully-masked rows', lab.run.fullyMaskedRows],
      ['backend', lab.run.backend],
    );
    return rows;
  }

  /** The numerics panel as CSV (quantity, value) or JSON {lab, L, heads, d, mask, rows: [{quantity, value}], backend}. */
  private exportNumerics(lab: LabRun, format: 'csv' | 'json') {
    const rows = this.numericsRows(lab);
    const { heads, L, d } = lab.run.shape;
    const base = `kernelscope-attention-numerics-${lab.prepared.mask.kind}-L${L}`;
    if (format === 'csv') downloadCsv(`${base}.csv`, rows);
    else
      downloadJson(`${base}.json`, {
        lab: 'attention',
        heads,
        L,
        d,
        mask: lab.prepared.mask.kind,
        rows: tableRecords(rows),
        backend: lab.backendLabel,
      });
  }

  /** The selected query row's weights (the bar chart) as CSV (key, token, weight) or JSON. */
  private exportRow(lab: LabRun, row: RowWeights, format: 'csv' | 'json') {
    const tokens = lab.prepared.tokens;
    const base = `kernelscope-attention-row${row.row}-head${row.head + 1}`;
    if (format === 'csv') {
      const rows: CsvRow[] = [['key', 'token', 'weight']];
      row.values.forEach((w, k) => rows.push([k, tokens[k] ?? '', w]));
      downloadCsv(`${base}.csv`, rows);
    } else {
      downloadJson(`${base}.json`, {
        lab: 'attention',
        head: row.head + 1,
        query: row.row,
        token: tokens[row.row] ?? '',
        tokens,
        weights: Array.from(row.values),
        backend: lab.backendLabel,
      });
    }
  }

  private exportRowChart(format: 'png' | 'svg') {
    const svg = this.shadowRoot?.querySelector<SVGSVGElement>('svg.row-bars');
    const row = this.rowTask.value;
    if (!svg || !row) return;
    const file = `kernelscope-attention-row${row.row}-head${row.head + 1}.${format}`;
    if (format === 'svg') downloadSvg(file, svg);
    else reportExport(downloadSvgAsPng(file, svg));
  }

  private exportHeatmap(id: string, format: 'png' | 'svg') {
    const entry = this.heatmaps.get(id);
    if (!entry) return;
    const c = this.colors();
    const options: HeatmapOptions = {
      ...entry.options,
      title: entry.exportTitle,
      width: Math.max(entry.options.width, 360),
      height: Math.max(entry.options.height, 360) + 18,
      background: c.panel,
      textColor: c.text,
      highlightCell: undefined,
      dpr: 2,
    };
    if (format === 'png') {
      const canvas = document.createElement('canvas');
      renderHeatmap(canvas, entry.data, options);
      reportExport(downloadCanvasPng(`${entry.fileBase}.png`, canvas, c.panel));
    } else {
      downloadBlob(
        `${entry.fileBase}.svg`,
        new Blob([heatmapSvg(entry.data, { ...options, dpr: 1 })], { type: 'image/svg+xml' }),
      );
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Render

  override render() {
    const p = this.lab.params;
    this.heatmaps = new Map();
    return html`
      <h2>Masked attention: QKᵀ/√d → mask → softmax → weights · V</h2>
      <p class="lede">
        Scaled dot-product attention runs in WGSL compute shaders, every stage kept so you can see it: raw
        QKᵀ, scaling by 1/√d, the mask, the row softmax and the weighted sum of V. Toggle the causal mask (key
        <kbd>C</kbd>) and watch the upper triangle of the weights go to exactly zero.
      </p>
      ${this.renderControls(p)}
      <div class="messages">
        ${
          this.importError
            ? html`<p class="error" role="alert">
                ${this.importError}
                <button class="small" @click=${() => (this.importError = null)}>Dismiss</button>
              </p>`
            : nothing
        }
        ${
          this.exportMessage
            ? html`<p
                class=${this.exportMessage.error ? 'error' : 'notice'}
                role=${this.exportMessage.error ? 'alert' : 'status'}
              >
                ${this.exportMessage.text}
                ${
                  this.exportMessage.error
                    ? html`<button class="small" @click=${() => (this.exportMessage = null)}>Dismiss</button>`
                    : nothing
                }
              </p>`
            : nothing
        }
      </div>
      ${this.progress.renderStatus(() => this.cancelRun())}
      ${this.runTask.render({
        initial: () => html`<p role="status">Starting…</p>`,
        pending: () =>
          this.lastGood
            ? this.renderResult(this.lastGood, true)
            : html`<p role="status">Computing attention…</p>`,
        complete: (lab) => this.renderResult(lab, false),
        error: (e) =>
          isAbortError(e)
            ? html`<p class="notice cancelled" role="status">
                  Cancelled.
                  ${
                    this.lastGood
                      ? 'Showing the last completed result; change a control to compute again.'
                      : 'Nothing was computed yet; change a control to compute.'
                  }
                </p>
                ${this.lastGood ? this.renderResult(this.lastGood, false) : nothing}`
            : html`<div class="error" role="alert">
                  Could not compute attention: ${(e as Error).message}
                  ${
                    e instanceof GpuError && e.details
                      ? html`<details>
                          <summary>Details</summary>
                          <pre class="small">${e.details}</pre>
                        </details>`
                      : nothing
                  }
                  ${
                    e instanceof GpuError
                      ? html`<p class="small">
                          Try fewer heads, a smaller L, or the fused path; if the GPU was lost, use “Reconnect
                          GPU” above.
                        </p>`
                      : nothing
                  }
                </div>
                ${this.lastGood ? this.renderResult(this.lastGood, false) : nothing}`,
      })}
      ${
        this.tooltip
          ? html`<div
              class="tooltip"
              aria-hidden="true"
              style="left:${Math.min(this.tooltip.x, window.innerWidth - 300)}px;top:${this.tooltip.y}px"
            >
              ${this.tooltip.text}
            </div>`
          : nothing
      }
    `;
  }

  private numberField(
    label: string,
    key: 'L' | 'heads' | 'd' | 'seed' | 'validLength' | 'window',
    min: number,
    max: number,
    disabled = false,
  ) {
    const p = this.lab.params;
    return html`<label class="field"
      >${label}
      <input
        type="number"
        min=${min}
        max=${max}
        step="1"
        ?disabled=${disabled}
        .value=${String(p[key])}
        @change=${(e: Event) => {
          const input = e.target as HTMLInputElement;
          const v = Number(input.value);
          if (Number.isInteger(v) && v >= min && v <= max)
            this.lab.set({ [key]: v } as Partial<AttentionState>);
          else input.value = String(this.lab.params[key]);
        }}
    /></label>`;
  }

  private onSentenceInput(e: Event) {
    const value = (e.target as HTMLInputElement).value;
    clearTimeout(this.sentenceTimer);
    this.sentenceTimer = setTimeout(() => this.commitSentence(value), 500);
  }

  private commitSentence(value: string) {
    clearTimeout(this.sentenceTimer);
    if (value.length > 2000) return;
    if (value !== this.lab.params.text) this.lab.set({ text: value });
  }

  private renderControls(p: AttentionState) {
    const imported = this.imported;
    const fromFile = !!imported;
    return html`<section class="panel controls" aria-label="Attention lab controls">
      <label class="field"
        >Sentence
        <input
          type="text"
          class="sentence"
          maxlength="2000"
          ?disabled=${fromFile}
          .value=${p.text}
          @input=${(e: Event) => this.onSentenceInput(e)}
          @change=${(e: Event) => this.commitSentence((e.target as HTMLInputElement).value)}
      /></label>
      <label class="field"
        >Tokenizer
        <select
          ?disabled=${fromFile}
          @change=${(e: Event) =>
            this.lab.set({ tokenizer: (e.target as HTMLSelectElement).value as AttentionState['tokenizer'] })}
        >
          ${TOKENIZERS.map((t) => html`<option value=${t} .selected=${t === p.tokenizer}>${t}</option>`)}
        </select></label
      >
      <label class="check"
        ><input
          type="checkbox"
          aria-keyshortcuts="c"
          .checked=${p.mask === 'causal'}
          @change=${(e: Event) => this.lab.set({ mask: (e.target as HTMLInputElement).checked ? 'causal' : 'none' })}
        />Causal mask <kbd aria-hidden="true">C</kbd></label
      >
      <label class="field"
        >Mask
        <select
          @change=${(e: Event) => this.lab.set({ mask: (e.target as HTMLSelectElement).value as MaskKind })}
        >
          ${MASK_KINDS.map((m) => html`<option value=${m} .selected=${m === p.mask}>${MASK_LABELS[m]}</option>`)}
        </select></label
      >
      ${p.mask === 'padding' ? this.numberField('Valid length', 'validLength', 0, ATTENTION_LIMITS.maxL) : nothing}
      ${
        p.mask === 'window'
          ? html`${this.numberField('Window width w', 'window', 0, ATTENTION_LIMITS.maxL)}
              <label class="check"
                ><input
                  type="checkbox"
                  .checked=${p.windowCausal}
                  @change=${(e: Event) => this.lab.set({ windowCausal: (e.target as HTMLInputElement).checked })}
                />Causal window</label
              >`
          : nothing
      }
      ${this.numberField('L (0 = token count)', 'L', 0, ATTENTION_LIMITS.maxL, fromFile)}
      ${this.numberField('Heads', 'heads', 1, ATTENTION_LIMITS.maxHeads, fromFile)}
      ${this.numberField('Head dim d', 'd', 1, ATTENTION_LIMITS.maxD, fromFile)}
      ${this.numberField('Seed', 'seed', 0, 2 ** 32 - 1, fromFile)}
      <label class="field"
        >Scale (0 = 1/√d)
        <input
          type="number"
          min="0"
          max="1000"
          step="any"
          .value=${String(p.scale)}
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            const v = Number(input.value);
            if (input.value.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1000)
              this.lab.set({ scale: v });
            else input.value = String(this.lab.params.scale);
          }}
      /></label>
      <label class="field"
        >Bias
        <select
          @change=${(e: Event) => this.lab.set({ bias: (e.target as HTMLSelectElement).value as AttentionState['bias'] })}
        >
          <option value="none" .selected=${p.bias === 'none'}>none</option>
          <option value="alibi" .selected=${p.bias === 'alibi'}>ALiBi −m·|q − k|</option>
        </select></label
      >
      <label class="field"
        >Path
        <select
          @change=${(e: Event) => this.lab.set({ path: (e.target as HTMLSelectElement).value as AttentionState['path'] })}
        >
          ${ATTENTION_PATHS.map(
            (x) =>
              html`<option value=${x} .selected=${x === p.path}>
                ${x === 'auto' ? 'auto' : x === 'staged' ? 'staged (every stage)' : 'fused (online softmax)'}
              </option>`,
          )}
        </select></label
      >
      <label class="field"
        >Pooling (L &gt; ${FULL_MAX_L})
        <select
          @change=${(e: Event) => this.lab.set({ pool: (e.target as HTMLSelectElement).value as PoolMode })}
        >
          ${POOL_MODES.map((m) => html`<option value=${m} .selected=${m === p.pool}>${m}</option>`)}
        </select></label
      >
      <label class="field"
        >Weights colour
        <select
          @change=${(e: Event) =>
            this.lab.set({
              weightRange: (e.target as HTMLSelectElement).value as AttentionState['weightRange'],
            })}
        >
          <option value="unit" .selected=${p.weightRange === 'unit'}>0 → 1</option>
          <option value="max" .selected=${p.weightRange === 'max'}>0 → panel max</option>
        </select></label
      >
      <label class="field"
        >Import Q, K, V (JSON)
        <input type="file" accept=".json,application/json" @change=${(e: Event) => this.onImport(e)} />
      </label>
      ${
        imported
          ? html`<p class="imported notice" role="status">
              Using Q, K, V from ${imported.name} (${imported.value.shape.heads} heads, L =
              ${imported.value.shape.L}, d = ${imported.value.shape.d}); the sentence, L, heads, d and seed
              controls are not used.
              <button
                class="small"
                @click=${() => {
                  this.imported = null;
                  this.zoom = null;
                }}
              >
                Use the sentence again
              </button>
            </p>`
          : nothing
      }
    </section>`;
  }

  private renderResult(lab: LabRun, stale: boolean) {
    const { run, prepared } = lab;
    const { heads, L, d } = run.shape;
    const h = this.selectedHead();
    const summary = [
      run.path === 'cpu' ? 'CPU float64 reference' : `${run.path} path`,
      `${heads} head${heads > 1 ? 's' : ''}`,
      `L = ${L}`,
      `d = ${d}`,
      `scale = ${fmtValue(run.scale, 5)}`,
      `mask ${describeMask(prepared.mask)}`,
      `${run.elapsedMs.toFixed(1)} ms`,
      `read back ${run.bytesRead ? formatBytes(run.bytesRead) : 'nothing (CPU)'}`,
    ].join(' · ');
    return html`<div class="results ${stale ? 'stale' : ''}" aria-busy=${stale ? 'true' : 'false'}>
      ${[...lab.notices, ...prepared.notes].map((n) => html`<p class="notice" role="status">${n}</p>`)}
      <p class="backend-line small">
        <span class="badge" title="What computed these numbers">${lab.backendLabel}</span>
        ${summary}
      </p>
      ${this.renderStrip(lab, h)}
      <div class="two">${this.renderEnlarged(lab, h)} ${this.renderRowPanel(lab, h)}</div>
      ${this.renderHeads(lab, h)}
      <div class="two">${this.renderNumerics(lab)} ${this.renderExports(lab)}</div>
    </div>`;
  }

  private pseudocodeLine(lab: LabRun, s: AttentionStage): TemplateResult {
    const scaleNote =
      this.lab.params.scale > 0 || lab.prepared.scale !== undefined
        ? html` <span class="note">(scale override: × ${fmtValue(lab.run.scale, 5)})</span>`
        : html` <span class="note">(√d = ${fmtValue(Math.sqrt(lab.run.shape.d), 3)})</span>`;
    const maskNote = html` <span class="note">(${describeMask(lab.prepared.mask)})</span>`;
    const biasNote = lab.prepared.bias
      ? html` <span class="note">+ ALiBi bias −m<sub>h</sub>·|q − k|</span>`
      : nothing;
    return html`${STAGE_INFO[s].code}${s === 'scaled' ? html`${scaleNote}${biasNote}` : s === 'masked' ? maskNote : nothing}`;
  }

  private renderStrip(lab: LabRun, h: number) {
    const current = this.focusStage ?? this.enlargedStage(lab);
    const cell = this.stripCell();
    const c = this.colors();
    const tokens = lab.prepared.tokens;
    const { L, d } = lab.run.shape;
    const p = this.lab.params;
    return html`<section class="panel" aria-labelledby="strip-title">
      <h3 id="strip-title">Every stage, head ${h + 1}</h3>
      <ol class="pseudocode" aria-label="Pseudocode">
        ${ALL_STAGES.map(
          (s) =>
            html`<li aria-current=${s === current ? 'true' : 'false'}>${this.pseudocodeLine(lab, s)}</li>`,
        )}
      </ol>
      <div class="strip" style="grid-template-columns: repeat(${this.stripColumns()}, ${cell}px)">
        ${ALL_STAGES.map((s) => {
          const m = this.stripMatrix(lab, s, h);
          const isOutput = s === 'output';
          const id = `strip-${s}`;
          let body: TemplateResult;
          let range: string = '';
          if (!m) {
            const why =
              lab.available.has(s) && !lab.full
                ? 'Pooling on the GPU…'
                : 'The fused path never materialises this stage: it keeps a running max and sum per row instead.';
            body = html`<div class="missing" style="width:${cell}px;height:${cell}px">${why}</div>`;
          } else {
            const scale =
              s === 'weights'
                ? this.weightsScale(m.data)
                : ({ kind: 'diverging', max: maxAbs(m.data) || 1 } as const);
            if (scale.kind === 'diverging')
              range = maxAbs(m.data) > 0 ? `±${fmtValue(scale.max, 3)}` : 'all 0 or masked';
            else if (p.weightRange === 'max') range = `0…${fmtValue(scale.max, 3)}`;
            const rowLabels = axisLabels(tokens, m.rows, m.rect.row0, m.rect.rows);
            const colLabels = isOutput
              ? Array.from({ length: m.cols }, (_, j) => String(j))
              : axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols);
            const selRow = this.selectedRow();
            const highlightRow =
              selRow >= 0 ? rowIndexOf(selRow, m.rows, m.rect.row0, m.rect.rows) : undefined;
            const hov = this.hover?.id === id ? this.hover : null;
            const entry: HeatmapEntry = {
              key: `${lab.id}:${this.lab.params.weightRange}:${this.lab.params.pool}:${h}:${cell}:${m.rows}x${m.cols}:${highlightRow}:${hov?.row},${hov?.col}:${this.themeVersion}:${this.currentViews(lab)?.overview === undefined}`,
              data: { rows: m.rows, cols: m.cols, values: m.data, rowLabels, colLabels },
              options: {
                width: cell,
                height: cell,
                scale,
                square: !isOutput,
                textColor: c.text,
                fontSize: 10,
                maxLabelChars: 8,
                ...(highlightRow !== undefined ? { highlightRow } : {}),
                ...(hov ? { highlightCell: { row: hov.row, col: hov.col } } : {}),
                highlightColor: c.focus,
              },
              exportTitle: `${STAGE_INFO[s].title}, head ${h + 1} (${STAGE_INFO[s].code})`,
              fileBase: `kernelscope-attention-${s}-head${h + 1}`,
              describe: (r, col) => this.describeCell(lab, m, h, r, col, s),
            };
            body = this.heatmap(id, entry, {
              label: `${STAGE_INFO[s].title} of head ${h + 1}: ${m.rows} ${isOutput ? 'queries × ' + d + ' dimensions' : 'queries × ' + m.cols + ' keys'}${m.pooled ? ' (pooled)' : ''}`,
            });
          }
          return html`<figure
            class="stage ${s === current ? 'current' : ''}"
            @pointerenter=${() => (this.focusStage = s)}
            @pointerleave=${() => (this.focusStage = null)}
            @focusin=${() => (this.focusStage = s)}
            @focusout=${() => (this.focusStage = null)}
          >
            <h4>${STAGE_INFO[s].title} <span class="range">${range}</span></h4>
            <code>${STAGE_INFO[s].brief}</code>
            ${body}
            ${
              m
                ? html`<div class="small-buttons">
                      <button
                        aria-label=${`Export ${STAGE_INFO[s].short} heatmap (PNG)`}
                        @click=${() => this.exportHeatmap(id, 'png')}
                      >
                        PNG
                      </button>
                      <button
                        aria-label=${`Export ${STAGE_INFO[s].short} heatmap (SVG)`}
                        @click=${() => this.exportHeatmap(id, 'svg')}
                      >
                        SVG
                      </button>
                      <button
                        aria-label=${`Export ${STAGE_INFO[s].short} of head ${h + 1} (CSV)`}
                        @click=${() => this.exportStage(s, 'csv')}
                      >
                        CSV
                      </button>
                      <button
                        aria-label=${`Export ${STAGE_INFO[s].short} of head ${h + 1} (JSON)`}
                        @click=${() => this.exportStage(s, 'json')}
                      >
                        JSON
                      </button>
                      ${
                        !isOutput && (VIEW_STAGES as readonly string[]).includes(s)
                          ? html`<button
                              aria-label=${`Enlarge ${STAGE_INFO[s].short}`}
                              aria-pressed=${this.enlargedStage(lab) === s ? 'true' : 'false'}
                              @click=${() => this.lab.set({ stage: s as MatrixStage })}
                            >
                              Enlarge
                            </button>`
                          : nothing
                      }
                    </div>
                    ${this.renderTable(id, lab, m, s, isOutput ? d : L)}`
                : nothing
            }
          </figure>`;
        })}
      </div>
      <div class="legend"><svg class="legend-svg"></svg></div>
    </section>`;
  }

  /** Data-table alternative of a heatmap (L ≤ 32), rendered only while open. */
  private renderTable(id: string, lab: LabRun, m: HeadMatrix, stage: AttentionStage, cols: number) {
    const L = lab.run.shape.L;
    if (L > TABLE_MAX_L || m.pooled) {
      return html`<p class="small muted">Data table offered for L ≤ ${TABLE_MAX_L}; export CSV instead.</p>`;
    }
    const open = this.openTables.has(id);
    const tokens = lab.prepared.tokens;
    const colNames =
      stage === 'output'
        ? Array.from({ length: cols }, (_, j) => `dim ${j}`)
        : axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols);
    return html`<details
      class="table"
      ?open=${open}
      @toggle=${(e: Event) => {
        const isOpen = (e.target as HTMLDetailsElement).open;
        if (isOpen === this.openTables.has(id)) return;
        const next = new Set(this.openTables);
        if (isOpen) next.add(id);
        else next.delete(id);
        this.openTables = next;
      }}
    >
      <summary>Data table</summary>
      ${
        open
          ? html`<div class="scroll">
              <table>
                <caption>
                  ${STAGE_INFO[stage].title}, rows = queries
                </caption>
                <thead>
                  <tr>
                    <th scope="col">query</th>
                    ${colNames.map((n) => html`<th scope="col">${n}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${Array.from(
                    { length: m.rows },
                    (_, i) =>
                      html`<tr>
                        <th scope="row">${cellLabel(tokens, i, m.rows, m.rect.row0, m.rect.rows)}</th>
                        ${Array.from({ length: m.cols }, (_, j) => html`<td>${fmtValue(m.data[i * m.cols + j]!, 3)}</td>`)}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : nothing
      }
    </details>`;
  }

  private renderEnlarged(lab: LabRun, h: number) {
    const stage = this.enlargedStage(lab);
    const m = this.enlargedMatrix(lab, stage, h);
    const size = this.enlargedSize();
    const c = this.colors();
    const tokens = lab.prepared.tokens;
    const L = lab.run.shape.L;
    const rect = this.zoom ?? this.fullRect(lab);
    const fetching = !lab.full && this.zoom && m && rectKey(m.rect) !== rectKey(this.zoom);
    // A zoom of a pooled result needs its GPU buffers; after a cancelled or failed run they may be gone.
    const viewError =
      this.currentViews(lab)?.zoomError ??
      (this.viewTask.status === TaskStatus.ERROR && this.runTask.status !== TaskStatus.PENDING
        ? (this.viewTask.error as Error).message
        : null);
    const fetchNote = fetching
      ? viewError
        ? ` · cannot fetch the zoomed window: ${viewError}`
        : ' · fetching the zoomed window…'
      : '';
    let canvas: TemplateResult;
    let info = '';
    if (!m) {
      canvas = html`<p class="muted" style="height:${size}px">Pooling on the GPU…</p>`;
    } else {
      const scale =
        stage === 'weights'
          ? this.weightsScale(m.data)
          : ({ kind: 'diverging', max: maxAbs(m.data) || 1 } as const);
      const selRow = this.selectedRow();
      const highlightRow = selRow >= 0 ? rowIndexOf(selRow, m.rows, m.rect.row0, m.rect.rows) : undefined;
      const hov = this.hover?.id === 'enlarged' ? this.hover : null;
      let overlay: Uint8Array | undefined;
      if (lab.prepared.mask.kind === 'custom' && this.customKeep && this.customKeep.length === L * L) {
        overlay = new Uint8Array(m.rows * m.cols);
        for (let r = 0; r < m.rows; r++) {
          const [q0, q1] = poolCellRange(r, m.rows, m.rect.row0, m.rect.rows);
          for (let col = 0; col < m.cols; col++) {
            const [k0, k1] = poolCellRange(col, m.cols, m.rect.col0, m.rect.cols);
            let any = 0;
            for (let q = q0; q < q1 && !any; q++)
              for (let k = k0; k < k1 && !any; k++) any = this.customKeep[q * L + k]!;
            overlay[r * m.cols + col] = any;
          }
        }
      }
      const entry: HeatmapEntry = {
        key: `${lab.id}:${this.lab.params.weightRange}:${this.lab.params.pool}:${h}:${stage}:${size}:${rectKey(m.rect)}:${m.rows}:${highlightRow}:${hov?.row},${hov?.col}:${this.themeVersion}:${this.paintVersion}:${this.customVersion}`,
        data: {
          rows: m.rows,
          cols: m.cols,
          values: m.data,
          rowLabels: axisLabels(tokens, m.rows, m.rect.row0, m.rect.rows),
          colLabels: axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols),
        },
        options: {
          width: size,
          height: size,
          scale,
          textColor: c.text,
          fontSize: 11,
          xLabel: 'keys →',
          yLabel: 'queries ↓',
          highlightColor: c.focus,
          ...(highlightRow !== undefined ? { highlightRow } : {}),
          ...(hov ? { highlightCell: { row: hov.row, col: hov.col } } : {}),
          ...(overlay ? { maskOverlay: overlay } : {}),
        },
        exportTitle: `${STAGE_INFO[stage].title}, head ${h + 1}, queries ${m.rect.row0}–${m.rect.row0 + m.rect.rows - 1} × keys ${m.rect.col0}–${m.rect.col0 + m.rect.cols - 1}`,
        fileBase: `kernelscope-attention-${stage}-head${h + 1}-enlarged`,
        describe: (r, col) => this.describeCell(lab, m, h, r, col, stage),
      };
      canvas = this.heatmap('enlarged', entry, {
        label: `${STAGE_INFO[stage].title} of head ${h + 1}, queries ${m.rect.row0}–${m.rect.row0 + m.rect.rows - 1} by keys ${m.rect.col0}–${m.rect.col0 + m.rect.cols - 1}${m.pooled ? `, ${this.lab.params.pool}-pooled to ${m.rows}×${m.cols}` : ''}`,
        interactive: true,
      });
      if (hov) info = entry.describe(hov.row, hov.col);
    }
    const resolution = !m
      ? ''
      : m.pooled
        ? `${this.lab.params.pool}-pooled on the GPU to ${m.rows}×${m.cols} (each cell covers up to ${Math.ceil(m.rect.rows / m.rows)}×${Math.ceil(m.rect.cols / m.cols)} entries)`
        : `full resolution${!lab.full ? ' (a window fetched from the GPU)' : ''}`;
    const dim =
      m &&
      stage === 'weights' &&
      this.lab.params.weightRange === 'unit' &&
      maxOf(m.data) > 0 &&
      maxOf(m.data) < 0.05
        ? ' Every weight here is below 0.05: choose Weights colour “0 → panel max” for contrast.'
        : '';
    return html`<section class="panel" aria-labelledby="enlarged-title">
      <h3 id="enlarged-title">Head ${h + 1}: ${STAGE_INFO[stage].title}</h3>
      <div class="zoom" role="group" aria-label="Zoom and pan">
        <label class="field"
          >Stage
          <select
            @change=${(e: Event) => this.lab.set({ stage: (e.target as HTMLSelectElement).value as MatrixStage })}
          >
            ${VIEW_STAGES.map(
              (s) =>
                html`<option value=${s} .selected=${s === stage} ?disabled=${!lab.available.has(s)}>
                  ${STAGE_INFO[s].title}
                </option>`,
            )}
          </select></label
        >
        <button
          class="small"
          @click=${() => this.zoomBy(lab, 0.5)}
          ?disabled=${rect.rows <= Math.min(MIN_ZOOM, L)}
        >
          Zoom in
        </button>
        <button class="small" @click=${() => this.zoomBy(lab, 2)} ?disabled=${!this.zoom}>Zoom out</button>
        <button class="small" @click=${() => (this.zoom = null)} ?disabled=${!this.zoom}>Reset zoom</button>
        <button
          class="small"
          aria-label="Pan up"
          @click=${() => this.pan(lab, -1, 0)}
          ?disabled=${!this.zoom}
        >
          ↑
        </button>
        <button
          class="small"
          aria-label="Pan down"
          @click=${() => this.pan(lab, 1, 0)}
          ?disabled=${!this.zoom}
        >
          ↓
        </button>
        <button
          class="small"
          aria-label="Pan left"
          @click=${() => this.pan(lab, 0, -1)}
          ?disabled=${!this.zoom}
        >
          ←
        </button>
        <button
          class="small"
          aria-label="Pan right"
          @click=${() => this.pan(lab, 0, 1)}
          ?disabled=${!this.zoom}
        >
          →
        </button>
      </div>
      ${canvas}
      <p class="cell-info" aria-live="polite">${info}</p>
      <p id="enlarged-help" class="small muted">
        ${`Queries ${rect.row0}–${rect.row0 + rect.rows - 1} × keys ${rect.col0}–${rect.col0 + rect.cols - 1}, ${resolution}${fetchNote}.${dim}`}
        Hover or use the arrow keys for values; click (or Enter) picks a query row; wheel or +/− zooms, drag
        or Shift+arrows pans.
        ${lab.prepared.mask.kind === 'custom' ? 'Custom mask: click or drag (Space) to mask or unmask cells.' : ''}
      </p>
      ${
        m
          ? html`<div class="small-buttons">
                <button @click=${() => this.exportHeatmap('enlarged', 'png')}>
                  Export enlarged heatmap (PNG)
                </button>
                <button @click=${() => this.exportHeatmap('enlarged', 'svg')}>
                  Export enlarged heatmap (SVG)
                </button>
                ${
                  lab.prepared.mask.kind === 'custom'
                    ? html`<button @click=${() => this.resetCustom(lab, 'causal')}>
                          Custom mask: start from causal
                        </button>
                        <button @click=${() => this.resetCustom(lab, 'none')}>Custom mask: keep all</button>`
                    : nothing
                }
              </div>
              ${this.renderTable('enlarged', lab, m, stage, L)}`
          : nothing
      }
    </section>`;
  }

  private resetCustom(lab: LabRun, kind: 'causal' | 'none') {
    this.customKeep = maskMatrix({ kind }, lab.run.shape.L);
    this.customVersion++;
  }

  private renderRowPanel(lab: LabRun, h: number) {
    const row = this.selectedRow();
    const L = lab.run.shape.L;
    const tokens = lab.prepared.tokens;
    const rw = this.rowTask.value;
    const ready = rw && rw.runId === lab.id && rw.row === row && rw.head === h;
    let sum = 0;
    if (ready) for (const x of rw.values) sum += x;
    return html`<section class="panel" aria-labelledby="row-title">
      <h3 id="row-title">
        ${row >= 0 ? html`Weights of query “${tokens[row]}” (#${row}), head ${h + 1}` : 'Weights of one query'}
      </h3>
      <label class="field"
        >Query row (−1 = none)
        <input
          type="number"
          min="-1"
          max=${L - 1}
          step="1"
          .value=${String(row)}
          @change=${(e: Event) => {
            const input = e.target as HTMLInputElement;
            const v = Number(input.value);
            if (Number.isInteger(v) && v >= -1 && v < L) this.lab.set({ row: v });
            else input.value = String(this.selectedRow());
          }}
      /></label>
      ${
        row < 0
          ? html`<p class="muted">
              Click a row of a heatmap (or type a row number) to see that query's weights.
            </p>`
          : ready
            ? html`<figure>
                <svg class="row-bars"></svg>
                <figcaption>
                  Σ weights =
                  ${sum.toFixed(7)}${
                    lab.run.stats?.fullyMasked[h * L + row] ? ' (fully-masked row: all weights are 0)' : ''
                  }.
                  The query's own position is drawn in the accent colour.
                </figcaption>
                <div class="small-buttons">
                  <button @click=${() => this.exportRowChart('png')}>Export row chart (PNG)</button>
                  <button @click=${() => this.exportRowChart('svg')}>Export row chart (SVG)</button>
                  <button @click=${() => this.exportRow(lab, rw, 'csv')}>Export row weights (CSV)</button>
                  <button @click=${() => this.exportRow(lab, rw, 'json')}>Export row weights (JSON)</button>
                </div>
              </figure>`
            : html`<p role="status">Reading the row from the GPU…</p>`
      }
    </section>`;
  }

  private renderHeads(lab: LabRun, h: number) {
    const { heads } = lab.run.shape;
    const size = Math.max(
      96,
      Math.min(150, Math.floor((this.contentWidth() - 40) / Math.min(heads, 8)) - 22),
    );
    const c = this.colors();
    return html`<section class="panel" aria-labelledby="heads-title">
      <h3 id="heads-title">All ${heads} heads (softmax weights) — pick one to enlarge</h3>
      <div class="heads">
        ${Array.from({ length: heads }, (_, i) => {
          const m = this.stripMatrix(lab, 'weights', i);
          if (!m) return html`<span class="muted small">Head ${i + 1}: pooling…</span>`;
          const id = `head-${i}`;
          const entry: HeatmapEntry = {
            key: `${lab.id}:${this.lab.params.weightRange}:${this.lab.params.pool}:${size}:${m.rows}:${this.themeVersion}`,
            data: { rows: m.rows, cols: m.cols, values: m.data },
            options: {
              width: size,
              height: size,
              scale: this.weightsScale(m.data),
              textColor: c.text,
            },
            exportTitle: `Softmax weights, head ${i + 1}`,
            fileBase: `kernelscope-attention-weights-head${i + 1}`,
            describe: (r, col) => this.describeCell(lab, m, i, r, col, 'weights'),
          };
          return html`<button
            aria-pressed=${i === h ? 'true' : 'false'}
            @click=${() => this.lab.set({ head: i })}
          >
            ${this.heatmap(id, entry, { label: `Weights of head ${i + 1}`, hidden: true })}
            <span>Head ${i + 1}</span>
          </button>`;
        })}
      </div>
      <p class="small muted">
        Each head has its own W_q, W_k, W_v (seeded); the enlarged view and its data table show the selected
        head.
      </p>
    </section>`;
  }

  private renderNumerics(lab: LabRun) {
    const view = this.numericsTask.value;
    const { run } = lab;
    const { L } = run.shape;
    const numerics = view?.kind === 'done' ? view.numerics : null;
    const computedHere = this.numericsTask.status === 1;
    const stageRow = (s: AttentionStage) => {
      let cell: unknown;
      if (!lab.available.has(s)) cell = html`<td>not computed (fused path)</td>`;
      else if (view?.kind === 'skipped') cell = html`<td>${view.reason}</td>`;
      else if (!numerics) cell = html`<td>${computedHere ? 'computing…' : '—'}</td>`;
      else {
        const v = numerics.maxAbsDiff[s];
        cell =
          v === undefined
            ? html`<td>not read back</td>`
            : html`<td class=${v > 1e-3 ? 'bad' : ''} data-value=${v}>
                ${v === 0 ? '0' : v.toExponential(2)}
              </td>`;
      }
      return html`<tr>
        <th scope="row">${STAGE_INFO[s].title}</th>
        ${cell}
      </tr>`;
    };
    const allMasked = literalMaskedSoftmaxRow([-Infinity, -Infinity, -Infinity, -Infinity]);
    const example = this.fullyMaskedExample(lab);
    return html`<section class="panel numerics" aria-labelledby="numerics-title">
      <h3 id="numerics-title">Numerics</h3>
      <table aria-label="Numerics">
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">max |${run.path === 'cpu' ? 'CPU f32' : 'GPU'} − reference|</th>
          </tr>
        </thead>
        <tbody>
          ${ALL_STAGES.map(stageRow)}
          <tr>
            <th scope="row">max |row sum − 1|</th>
            <td>
              ${
                numerics?.maxRowSumError != null
                  ? numerics.maxRowSumError === 0
                    ? '0'
                    : numerics.maxRowSumError.toExponential(2)
                  : view?.kind === 'skipped'
                    ? 'not read back above L=256'
                    : '—'
              }
            </td>
          </tr>
          <tr>
            <th scope="row">Fully-masked rows</th>
            <td data-value=${run.fullyMaskedRows}>${run.fullyMaskedRows}</td>
          </tr>
          <tr>
            <th scope="row">Backend</th>
            <td>${run.backend}</td>
          </tr>
        </tbody>
      </table>
      <p class="small muted">
        The float64 reference runs in a worker for L ≤
        ${REFERENCE_MAX_L}${L > REFERENCE_MAX_L ? ` (this L = ${L}: reference skipped above L=${REFERENCE_MAX_L})` : ''}.
        Expect f32 rounding: about 1e-6 relative on each entry; masked weights are exactly 0.
      </p>
      <p class="small">
        <strong>Fully-masked rows.</strong> The literal pseudocode —
        <code>masked_fill(mask == 0, −inf)</code> then <code>softmax</code> — divides 0 by 0 on a row whose
        every key is masked: softmax([−∞, −∞, −∞, −∞]) =
        [${Array.from(allMasked, (x) => String(x)).join(', ')}]. This lab, like PyTorch ≥ 2.5 and ONNX, gives
        zero weights and a zero output there.
        ${example ?? html`Try the padding mask with valid length 0 to see such rows.`}
      </p>
      <div class="buttons">
        <button @click=${() => this.exportNumerics(lab, 'csv')}>Export numerics (CSV)</button>
        <button @click=${() => this.exportNumerics(lab, 'json')}>Export numerics (JSON)</button>
      </div>
    </section>`;
  }

  private fullyMaskedExample(lab: LabRun): TemplateResult | null {
    const { run, prepared } = lab;
    const { heads, L } = run.shape;
    const stats = run.stats;
    if (!stats || !stats.fullyMaskedCount) return null;
    const masked = run.stages.masked;
    const weights = run.stages.weights;
    for (let r = 0; r < heads * L; r++) {
      if (!stats.fullyMasked[r]) continue;
      const h = Math.floor(r / L);
      const q = r % L;
      const n = Math.min(L, 6);
      const row = masked
        ? Array.from(masked.subarray(r * L, r * L + L), (x) => (isMaskedValue(x) ? -Infinity : x))
        : Array.from({ length: L }, () => -Infinity);
      const literal = literalMaskedSoftmaxRow(row);
      const ours = weights
        ? Array.from(weights.subarray(r * L, r * L + n))
        : Array.from({ length: n }, () => 0);
      const more = L > n ? ', …' : '';
      const literalText = Array.from(literal.subarray(0, n), String).join(', ');
      return html`${`Here, head ${h + 1}, query “${prepared.tokens[q]}” (#${q}) is fully masked: literal softmax gives [${literalText}${more}], this lab [${ours.map(String).join(', ')}${more}].`}`;
    }
    return null;
  }

  private renderExports(lab: LabRun) {
    const { heads, L } = lab.run.shape;
    const big = heads * L * L > EXPORT_MAX_NUMBERS;
    return html`<section class="panel" aria-labelledby="export-title">
      <h3 id="export-title">Export</h3>
      <p class="small muted">
        JSON:
        <code class="wrap"
          >{${EXPORT_KEYS.map(
            (k, i) => html`${i ? html`,<wbr />` : nothing}"${k}"${k === 'lab' ? ':"attention"' : ''}`,
          )}}</code
        >, tensors as [head][query][key or dim], full resolution — the numbers
        ${lab.run.path === 'cpu' ? 'the CPU reference' : 'the GPU'}
        computed${
          !lab.full && lab.run.path !== 'cpu'
            ? ' (this pooled view re-runs the staged path for the export)'
            : ''
        }.
      </p>
      <div class="buttons">
        <button class="primary" @click=${() => this.exportWeightsJson()}>Export weights (JSON)</button>
        <button @click=${() => this.exportWeightsCsv()}>Export weights (CSV)</button>
        <button @click=${() => this.exportTensorsCsv()}>Export Q, K, V and output (CSV)</button>
        <button @click=${() => this.exportTensorsJson()}>Export Q, K, V and output (JSON)</button>
      </div>
      ${
        big
          ? html`<p class="small muted">
              At heads·L² = ${(heads * L * L).toLocaleString('en-US')} the weights are too many to export; the
              heatmap images still export.
            </p>`
          : nothing
      }
      <p class="small muted">
        The CSV files, the Q, K, V JSON and each stage's CSV and JSON (buttons under every stage) hold the
        selected head (head ${this.selectedHead() + 1}); masked scores are -inf in CSV and null in JSON.
      </p>
    </section>`;
  }
}

function maxOf(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

function rectKey(r: Rect): string {
  return `${r.row0},${r.col0},${r.rows},${r.cols}`;
}

/** The displayed row index (of `count` cells over start…start+span−1) holding source row `row`, if any. */
function rowIndexOf(row: number, count: number, start: number, span: number): number | undefined {
  if (row < start || row >= start + span) return undefined;
  return Math.min(count - 1, Math.floor(((row - start + 1) * count - 1) / span));
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-attention-lab': AttentionLab;
  }
}
