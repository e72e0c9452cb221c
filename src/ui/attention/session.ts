/**
 * The Attention lab's runs: resolve the backend, prepare Q/K/V, run the GPU engine (staged or fused) or the
 * CPU reference, and afterwards fetch pooled views, zoom windows, a row and full-resolution tensors from
 * the GPU run that is still resident. Every GPU call goes through one SerialQueue: a new run replaces the
 * buffers that pool() and window() read, so a view of an older run fails with notResident() instead.
 */
import { msg, str } from '@lit/localize';
import {
  AttentionEngine,
  MATRIX_STAGES,
  type AttentionNumerics,
  type AttentionRunResult,
  type AttentionStage,
  type MatrixStage,
  type MatrixView,
} from '../../engine/attention';
import { MAX_ATTENTION_L_CPU } from '../../engine/cpu-jobs';
import { throwIfAborted } from '../../gpu/compute';
import { ATTENTION_LIMITS, type PoolMode, type Rect } from '../../kernels/attention/spec';
import { DEFAULT_D_MODEL, initAttentionInputs } from '../../models/attention-inputs';
import type { AttentionState } from '../../state/attention';
import type { BackendChoice } from '../../state/store';
import { formatCount } from '../../util/format';
import { SerialQueue } from '../../util/serial-queue';
import { resolveBackend, type BackendTag } from '../common/backend';
import type { RunControlFor } from '../common/lab-run';
import type { Notice } from '../common/notice';
import type { Runtime } from '../common/runtime';
import { runOnGpu } from './gpu-run';
import type { InductionModel } from './induction-models';
import { prepareInputs, type ImportedFile, type Initialise, type Prepared } from './model';
import { ALL_STAGES, EXPORT_MAX_NUMBERS, POOL_PIX, REFERENCE_MAX_L, STAGE_INFO } from './stages';

/** Why a GPU view or export of a run is no longer possible after a later run replaced its buffers. */
function notResident(): string {
  return msg(
    'the GPU no longer holds this result (a later run replaced it or was cancelled); change a control to compute it again',
  );
}

/** One completed run, as the page draws and exports it. */
export interface LabRun {
  id: number;
  prepared: Prepared;
  run: AttentionRunResult;
  /** Every stage this path computed is in run.stages at full resolution. */
  full: boolean;
  /** Stages this path computes (the fused path never materialises the score stages). */
  available: ReadonlySet<AttentionStage>;
  /** The adapter name, or "CPU" — as in every lab's export (English). */
  backendLabel: string;
  /** What computed it, named on the page in the interface language (backendName). */
  backend: BackendTag;
  engine: AttentionEngine | null;
  /** The CPU backend's numerics come with the run. */
  numerics?: AttentionNumerics;
  notices: Notice[];
}

/** Pooled overviews and the zoom window of a run too long to read back whole. */
export interface Views {
  runId: number;
  overview: Partial<Record<MatrixStage, MatrixView>>;
  zoom: Partial<Record<MatrixStage, MatrixView>>;
  /** Why the zoom window could not be fetched (the GPU no longer holds this run's buffers). */
  zoomError?: string;
}

export interface RowWeights {
  runId: number;
  head: number;
  row: number;
  values: Float32Array;
}

/** The numerics against the float64 reference, or skipped (L above REFERENCE_MAX_L, or not read back whole). */
export type NumericsView = { kind: 'done'; numerics: AttentionNumerics } | { kind: 'skipped' };

/** What a run computes from besides the controls: an imported file and the painted custom mask. */
interface RunInputs {
  params: AttentionState;
  imported: ImportedFile | null;
  custom: Uint8Array | null;
  /** The induction model whose layer supplies Q, K, V (null: the seeded random projections). */
  induction: InductionModel | null;
  /** With model=gpt2: the loaded checkpoint's inputs (see prepareInputs). */
  gpt2?: Parameters<typeof prepareInputs>[1]['gpt2'];
  /** Called once the inputs are prepared (the page adopts the custom mask it started from). */
  onPrepared: (prepared: Prepared) => void;
}

/** Only the controls that change the computation (not the selected head, row or view). */
export function computeKey(p: AttentionState): string {
  const { text, tokenizer, mask, windowCausal, validLength, window, L, heads, d, seed, scale, path } = p;
  const { model, layer, tokens, period, ablate } = p;
  return JSON.stringify([
    model,
    layer,
    tokens,
    period,
    ablate,
    text,
    tokenizer,
    mask,
    windowCausal,
    validLength,
    window,
    L,
    heads,
    d,
    seed,
    scale,
    path,
  ]);
}

export class AttentionSession {
  private readonly queue = new SerialQueue();
  private nextRunId = 1;
  private residentRunId = 0;
  private overviewCache = new Map<string, Partial<Record<MatrixStage, MatrixView>>>();

  constructor(private readonly runtime: () => Runtime) {}

  /** True while the GPU still holds this run's buffers (pool / window / re-run can read them). */
  isResident(lab: LabRun): boolean {
    return this.residentRunId === lab.id;
  }

  async run(choice: BackendChoice, inputs: RunInputs, control: RunControlFor): Promise<LabRun> {
    const runtime = this.runtime();
    const id = this.nextRunId++;
    control.onProgress?.({ phase: 'run', message: msg('Preparing Q, K and V…'), done: 0, total: 0 });
    const backend = await resolveBackend(runtime, choice);
    const gpu = backend.kind === 'gpu';
    const prepared = await prepareInputs(inputs.params, {
      imported: inputs.imported,
      custom: inputs.custom,
      induction: inputs.induction,
      gpt2: inputs.gpt2 ?? null,
      maxL: gpu ? ATTENTION_LIMITS.maxL : MAX_ATTENTION_L_CPU,
      ...(gpu ? {} : { maxLReason: msg('The CPU reference') }),
      initialise: this.initialise,
    });
    throwIfAborted(control.signal);
    inputs.onPrepared(prepared);
    if (backend.kind === 'gpu') {
      const engine = runtime.engine(backend.ctx, 'attention', (c) => new AttentionEngine(c));
      return this.queue.run(async () => {
        try {
          const run = await runOnGpu(engine, prepared, inputs.params.path, control);
          this.residentRunId = id;
          return { id, prepared, backendLabel: backend.label, backend: backend.tag, engine, ...run };
        } catch (e) {
          // A failed or cancelled run may have replaced the buffers the last good run's zoom reads.
          if (!engine.hasResult) this.residentRunId = 0;
          throw e;
        }
      });
    }
    control.onProgress?.({
      phase: 'run',
      message: msg('Computing on the CPU reference…'),
      done: 0,
      total: 0,
    });
    const { mask, scale, bias } = prepared;
    const job = await runtime.cpu.run(
      { kind: 'attention', inputs: prepared.inputs, options: { mask, scale, bias, stages: ALL_STAGES } },
      control.signal,
    );
    return {
      id,
      prepared,
      run: job.result!,
      full: true,
      available: new Set(ALL_STAGES),
      backendLabel: backend.label,
      backend: backend.tag,
      engine: null,
      numerics: job.numerics,
      notices: backend.notice ? [backend.notice] : [],
    };
  }

  /**
   * The seeded Q, K, V: inline for small sizes, in the CPU worker above ~4M multiply-adds (L = 4096 with 16
   * heads of d = 256 is 3·10⁹) so the page never freezes. No abort signal: cancelling would terminate the
   * worker that the numerics share; a superseded result is simply dropped.
   */
  private initialise: Initialise = async (options) => {
    const cost = options.tokens.length * options.heads * options.d * DEFAULT_D_MODEL * 3;
    if (cost <= 4e6) return initAttentionInputs(options);
    return this.runtime().cpu.run({ kind: 'attention-init', options });
  };

  /** Runs `op` on the engine after every GPU call queued before it, if `lab` is still resident. */
  private onGpu<T>(lab: LabRun, op: (engine: AttentionEngine) => Promise<T>): Promise<T> {
    const engine = lab.engine!;
    return this.queue.run(() => {
      if (!this.isResident(lab)) throw new DOMException(notResident(), 'AbortError');
      return op(engine);
    });
  }

  /** Pooled overviews (cached per run and mode) and, when zoomed, the window of `stage`, scores and weights. */
  async views(lab: LabRun, mode: PoolMode, rect: Rect | null, stage: MatrixStage): Promise<Views | null> {
    if (lab.full || !lab.engine) return null;
    const cacheKey = `${lab.id}:${mode}`;
    let overview = this.overviewCache.get(cacheKey);
    if (!overview) {
      overview = await this.onGpu(lab, async (engine) => {
        const out: Partial<Record<MatrixStage, MatrixView>> = {};
        for (const s of MATRIX_STAGES) {
          if (lab.available.has(s))
            out[s] = await engine.pool({ stage: s, rows: POOL_PIX, cols: POOL_PIX, mode });
        }
        return out;
      });
      this.overviewCache.clear();
      this.overviewCache.set(cacheKey, overview);
    }
    const zoom: Partial<Record<MatrixStage, MatrixView>> = {};
    if (!rect) return { runId: lab.id, overview, zoom };
    if (!this.isResident(lab)) return { runId: lab.id, overview, zoom, zoomError: notResident() };
    const wanted = new Set<MatrixStage>([stage]);
    for (const s of ['scores', 'weights'] as const) if (lab.available.has(s)) wanted.add(s);
    await this.onGpu(lab, async (engine) => {
      for (const s of wanted) {
        zoom[s] =
          rect.rows <= POOL_PIX && rect.cols <= POOL_PIX
            ? await engine.window({ stage: s, rect })
            : await engine.pool({ stage: s, rect, rows: POOL_PIX, cols: POOL_PIX, mode });
      }
    });
    return { runId: lab.id, overview, zoom };
  }

  /** The weights of one query row at full resolution (a 1×L window when the run was pooled). */
  async row(lab: LabRun, head: number, row: number): Promise<RowWeights | null> {
    if (row < 0) return null;
    const L = lab.run.shape.L;
    const w = lab.run.stages.weights;
    if (lab.full && w) {
      return { runId: lab.id, head, row, values: w.slice((head * L + row) * L, (head * L + row + 1) * L) };
    }
    if (!lab.engine) return null;
    const view = await this.onGpu(lab, (engine) =>
      engine.window({ stage: 'weights', rect: { row0: row, col0: 0, rows: 1, cols: L } }),
    );
    return { runId: lab.id, head, row, values: view.data.slice(head * L, (head + 1) * L) };
  }

  /** max |run − reference| per stage, from the float64 reference in the CPU worker (L ≤ 256). */
  async numerics(lab: LabRun): Promise<NumericsView> {
    if (lab.numerics) return { kind: 'done', numerics: lab.numerics };
    if (lab.run.shape.L > REFERENCE_MAX_L || !lab.full) {
      return { kind: 'skipped' };
    }
    const { run, prepared } = lab;
    const { mask, scale, bias } = prepared;
    // No abort signal: cancelling would terminate the shared worker; a stale result is simply ignored.
    const job = await this.runtime().cpu.run({
      kind: 'attention',
      inputs: prepared.inputs,
      options: { mask, scale, bias, stages: [] },
      compare: {
        stages: run.stages,
        shape: run.shape,
        fullyMaskedRows: run.fullyMaskedRows,
        backend: run.backend,
        path: run.path,
      },
    });
    return { kind: 'done', numerics: job.numerics };
  }

  /** Weights and output at full resolution, the numbers the GPU computed (re-running staged if needed). */
  async fullResolution(lab: LabRun): Promise<{ weights: Float32Array; output: Float32Array }> {
    const { weights, output } = lab.run.stages;
    if (lab.full && weights && output) return { weights, output };
    checkExportSize(lab, 'weights');
    const limit = lab.engine!.stagedLimit(lab.run.shape);
    if (limit) {
      const why = limit.message;
      throw new RangeError(
        msg(str`The export needs every weight, which only the staged path stores: ${why}`),
      );
    }
    const { inputs, mask, scale, bias } = lab.prepared;
    const run = await this.onGpu(lab, (engine) =>
      engine.runStaged(inputs, {
        mask,
        scale,
        bias,
        stages: ['weights', 'output'],
        materialize: lab.available.has('scores') ? ['scores', 'scaled', 'masked'] : [],
      }),
    );
    return { weights: run.stages.weights!, output: run.stages.output! };
  }

  /** Every head of a stage at full resolution: [heads][L][L], or [heads][L][d] for the output. */
  async stageTensor(lab: LabRun, stage: AttentionStage): Promise<Float32Array> {
    const have = lab.run.stages[stage];
    if (stage === 'output') return have ?? (await this.fullResolution(lab)).output;
    if (lab.full && have) return have;
    if (stage === 'weights') return (await this.fullResolution(lab)).weights;
    if (!lab.available.has(stage) || !lab.engine) {
      const title = STAGE_INFO[stage].title;
      throw new RangeError(
        lab.run.path === 'fused'
          ? msg(str`The fused path does not compute the ${title} stage.`)
          : msg(str`The ${lab.run.path} path does not compute the ${title} stage.`),
      );
    }
    checkExportSize(lab, 'scores');
    const L = lab.run.shape.L;
    const view = await this.onGpu(lab, (engine) =>
      engine.window({ stage, rect: { row0: 0, col0: 0, rows: L, cols: L } }),
    );
    return view.data;
  }
}

function checkExportSize(lab: LabRun, what: 'weights' | 'scores'): void {
  const { heads, L } = lab.run.shape;
  if (heads * L * L > EXPORT_MAX_NUMBERS) {
    const [n, max] = [formatCount(heads * L * L), formatCount(EXPORT_MAX_NUMBERS)];
    throw new RangeError(
      what === 'weights'
        ? msg(
            str`A full-resolution export holds heads·L² = ${n} weights, more than the ${max} this page writes to one file; reduce L or the number of heads.`,
          )
        : msg(
            str`A full-resolution export holds heads·L² = ${n} scores, more than the ${max} this page writes to one file; reduce L or the number of heads.`,
          ),
    );
  }
}
