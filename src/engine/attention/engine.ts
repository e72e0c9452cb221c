/**
 * The attention engine on the GPU: staged (every stage materialised, one submit, 3 dispatches) or fused
 * (online softmax, never an L×L buffer; long runs split into batches of heads), then pool()/window() views
 * of the last run without recomputing it. Costs and layouts: index.ts.
 */
import { msg, str } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { adapterName, withErrorScopes } from '../../gpu/device';
import { LimitError, checkStorageSize } from '../../gpu/limits';
import { ReadbackPool, encodeReadback } from '../../gpu/readback';
import { submitCheckpoint, throwIfAborted, type RunControl } from '../../gpu/compute';
import { validateAttention, type AttentionInputs, type AttentionShape } from '../../kernels/attention/spec';
import { AttentionBuffers, type PreparedRun } from './buffers';
import { createAttentionKernels, destroyAttentionKernels, type AttentionKernels } from './kernels';
import { fusedFamilyFor, type FusedFamily } from '../../kernels/attention/fused';
import type { PoolPartialsSpec } from '../../kernels/attention/pool-reduce';
import {
  checkFusedOptions,
  encodeFusedHeads,
  fusedBatches,
  passPoolPlan,
  WORK_PER_SUBMIT,
  WORK_PER_SUBMIT_GPU,
} from './fused';
import { collectRun, type StageRead } from './results';
import { encodeViews, type ViewRequests, type ViewResult } from './views';
import {
  BYTES,
  matrixStageBytes,
  type AttentionRunOptions,
  type AttentionRunResult,
  type AttentionStage,
  type MatrixStage,
  type MatrixView,
  type PoolRequest,
  type Resident,
  type WindowRequest,
} from './types';

/** The matrix stages a staged run keeps on the GPU: masked and weights always, plus what is asked for. */
function stagedMatrices(options: AttentionRunOptions, wanted: readonly AttentionStage[]): Set<MatrixStage> {
  const matrix = new Set<MatrixStage>(['masked', 'weights']);
  for (const s of [...wanted, ...(options.materialize ?? [])]) if (s !== 'output') matrix.add(s);
  if (options.pool) matrix.add(options.pool.stage ?? 'weights');
  if (options.window) matrix.add(options.window.stage ?? 'weights');
  return matrix;
}

export class AttentionEngine {
  private readonly kernels: AttentionKernels;
  private readonly buffers: AttentionBuffers;
  private readonly readback: ReadbackPool;
  private resident: Resident | null = null;

  /** Fused multiply-adds per submit before a run is split by heads (tests use a small one). */
  private readonly workPerSubmit: number;
  /** Which fused kernel runs: `tiled` (software adapters) or `flash` (GPUs). */
  readonly fusedFamily: FusedFamily;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device' | 'info'>,
    options: {
      workPerSubmit?: number;
      /** The fused kernel family; by default the one for the device (fusedFamilyFor). */
      fusedFamily?: FusedFamily;
    } = {},
  ) {
    this.fusedFamily = options.fusedFamily ?? fusedFamilyFor(gpu.device);
    // On a GPU a whole L = 4096, 8-head, d = 64 run (2³⁴ multiply-adds) is a few ms: one submit for all heads.
    this.workPerSubmit =
      options.workPerSubmit ?? (this.fusedFamily === 'flash' ? WORK_PER_SUBMIT_GPU : WORK_PER_SUBMIT);
    this.kernels = createAttentionKernels(gpu.device, this.fusedFamily);
    this.buffers = new AttentionBuffers(gpu);
    this.readback = new ReadbackPool(gpu.device, 'attention');
  }

  /** "GPU (<adapter name>)" — what the numerics panel shows as the backend. */
  get backend(): string {
    return `GPU (${adapterName(this.gpu.info)})`;
  }

  /** Whether the buffers hold a completed run that pool() and window() can read. */
  get hasResult(): boolean {
    return this.resident !== null;
  }

  /** Readback buffers ever created (a benchmark figure: stops growing at a steady size). */
  get buffersCreated(): number {
    return this.readback.buffersCreated;
  }

  /**
   * Why the staged path cannot run `shape` on this adapter (a [heads][L][L] stage exceeds a buffer
   * limit), or null when it can. The UI can use this to fall back to runFused before trying.
   */
  stagedLimit(shape: AttentionShape): LimitError | null {
    try {
      this.checkStaged(shape);
      return null;
    } catch (e) {
      if (e instanceof LimitError) return e;
      throw e;
    }
  }

  private checkStaged(shape: AttentionShape): void {
    try {
      checkStorageSize(
        this.gpu.info,
        msg(str`Staged attention's ${shape.heads}×${shape.L}×${shape.L} f32 stage`),
        matrixStageBytes(shape),
      );
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      const why = e.message;
      throw new LimitError(
        msg(str`${why} Use the fused path (runFused), which never stores an L×L matrix.`),
        e.limit,
        e.allowed,
        e.requested,
      );
    }
  }

  /** Validates, then uploads: once the buffers change there is nothing to pool until this run is submitted. */
  private prepare(inputs: AttentionInputs, options: AttentionRunOptions): PreparedRun {
    validateAttention(inputs, options);
    this.resident = null;
    return this.buffers.prepare(inputs, options);
  }

  private residentOf(p: PreparedRun, path: Resident['path'], stages: Set<MatrixStage>): Resident {
    return { path, shape: p.shape, scale: p.scale, mask: p.maskU, biasMode: p.biasMode, stages };
  }

  private viewContext() {
    return { kernels: this.kernels, buffers: this.buffers, readback: this.readback };
  }

  /** The row-stats readback, when asked for (default). */
  private encodeStatsRead(encoder: GPUCommandEncoder, options: AttentionRunOptions, p: PreparedRun) {
    if (!(options.stats ?? true)) return null;
    const bytes = p.shape.heads * p.shape.L * 2 * BYTES;
    return encodeReadback(encoder, this.readback, this.buffers.existing('stats'), bytes);
  }

  /**
   * Staged attention: every stage materialised on the GPU, in one submit; reads back the stages asked for
   * (default weights and output), the row stats, and optionally a pooled view and a window.
   * Throws RangeError for bad inputs, LimitError when a [heads][L][L] stage exceeds the adapter's limits
   * (use runFused then), GpuError for GPU failures.
   */
  async runStaged(
    inputs: AttentionInputs,
    options: AttentionRunOptions = {},
    control: RunControl = {},
  ): Promise<AttentionRunResult> {
    const { device } = this.gpu;
    const start = performance.now();
    const wanted = options.stages ?? ['weights', 'output'];
    this.checkStaged(inputs.shape);
    throwIfAborted(control.signal);
    control.onProgress?.({
      phase: 'run',
      message: msg('Running the staged path (one GPU submit)…'),
      done: 0,
      total: 1,
    });
    return withErrorScopes(device, msg('Attention (staged)'), async () => {
      const p = this.prepare(inputs, options);
      const matrix = stagedMatrices(options, wanted);
      const encoder = device.createCommandEncoder({ label: 'attention.runStaged' });
      const buffers = this.encodeStaged(encoder, p, matrix);
      const resident = this.residentOf(p, 'staged', matrix);
      const views = encodeViews(encoder, this.viewContext(), options, resident);
      const reads: StageRead[] = wanted.map((s) => {
        const bytes =
          s === 'output' ? p.shape.heads * p.shape.L * p.shape.d * BYTES : matrixStageBytes(p.shape);
        return { s, bytes, dst: encodeReadback(encoder, this.readback, buffers[s]!, bytes) };
      });
      const statsRead = this.encodeStatsRead(encoder, options, p);
      device.queue.submit([encoder.finish()]);
      this.resident = resident;
      const dispatches = 3 + views.dispatches;
      const run = { path: 'staged' as const, start, dispatches, submits: 1, reads, statsRead, views };
      return collectRun(this.readback, this.backend, p, run);
    });
  }

  /** Encodes the three staged dispatches; returns the buffer of every stage it wrote. */
  private encodeStaged(encoder: GPUCommandEncoder, p: PreparedRun, matrix: Set<MatrixStage>) {
    const { shape } = p;
    const { heads, L, d } = shape;
    const out = this.buffers.get('output', heads * L * d * BYTES, 'output');
    const stats = this.buffers.get('stats', heads * L * 2 * BYTES, 'row stats');
    const buffers: Partial<Record<AttentionStage, GPUBuffer>> = { output: out };
    for (const s of matrix) buffers[s] = this.buffers.get(s, matrixStageBytes(shape), `${s} stage`);
    const masked = buffers.masked!;
    const weights = buffers.weights!;
    this.kernels.scores.encode(
      encoder,
      { shape, scale: p.scale, mask: p.maskU, biasMode: p.biasMode },
      {
        q: p.q,
        k: p.k,
        bias: p.bias,
        maskBits: p.maskBits,
        raw: buffers.scores,
        scaled: buffers.scaled,
        masked,
      },
    );
    this.kernels.softmax.encode(encoder, shape, { masked, weights, stats });
    this.kernels.weightsV.encode(encoder, shape, p.maskU, { weights, v: p.v, out });
    return buffers;
  }

  /**
   * Fused attention: output (and row stats) only, never an L×L buffer; one dispatch in one submit, plus
   * optional pooled weights from the same pass (its per-row partials, then one small reduce; `pool.fromPass`
   * false, or partials over the adapter's buffer limits: recomputed per cell, `fallback` says why) and
   * windowed weights recomputed per cell from the row stats. `stages` may only hold
   * 'output' (default); `pool.stage` and `window.stage` must be 'weights'. Runs above `workPerSubmit`
   * multiply-adds go a few heads per submit, with progress and cancellation between submits.
   */
  async runFused(
    inputs: AttentionInputs,
    options: AttentionRunOptions = {},
    control: RunControl = {},
  ): Promise<AttentionRunResult> {
    const { device } = this.gpu;
    const { signal, onProgress } = control;
    const start = performance.now();
    const wanted = options.stages ?? ['output'];
    checkFusedOptions(options);
    throwIfAborted(signal);
    validateAttention(inputs, options);
    const { heads, L, d } = inputs.shape;
    const { headsPerSubmit, batches } = fusedBatches(inputs.shape, this.workPerSubmit);
    const total = batches + 1;
    if (!this.kernels.fused.isCompiled(d)) {
      onProgress?.({ phase: 'compile', message: msg('Compiling shaders…'), done: 0, total });
      await withErrorScopes(device, msg('Attention (fused) shader compilation'), () =>
        this.kernels.fused.compile(d),
      );
      throwIfAborted(signal);
    }
    return withErrorScopes(device, msg('Attention (fused)'), async () => {
      const p = this.prepare(inputs, options);
      const outBytes = heads * L * d * BYTES;
      const out = this.buffers.get('output', outBytes, 'output');
      const stats = this.buffers.get('stats', heads * L * 2 * BYTES, 'row stats');
      const plan = passPoolPlan(this.gpu.info, options, p.shape);
      const pool = plan && 'spec' in plan ? plan.spec : undefined;
      const partials =
        pool && plan && 'bytes' in plan ? this.buffers.get('poolPartials', plan.bytes) : undefined;
      const targets = { out, stats, partials };
      await this.runFusedBatches(p, { headsPerSubmit, batches }, targets, control, pool);
      onProgress?.({
        phase: batches ? 'read' : 'run',
        message: batches ? msg('Reading the results back…') : msg('Running the fused path (one GPU submit)…'),
        done: batches,
        total,
      });
      const encoder = device.createCommandEncoder({ label: 'attention.runFused' });
      if (!batches) {
        const params = { shape: p.shape, scale: p.scale, mask: p.maskU, biasMode: p.biasMode, pool };
        const { q, k, v, bias, maskBits } = p;
        this.kernels.fused.encode(encoder, params, { q, k, v, bias, maskBits, out, stats, partials });
      }
      const resident = this.residentOf(p, 'fused', new Set());
      resident.partials = pool ?? null;
      if (plan && 'fallback' in plan) resident.partialsFallback = plan.fallback;
      const views = encodeViews(encoder, this.viewContext(), options, resident);
      const reads: StageRead[] = wanted.includes('output')
        ? [{ s: 'output', bytes: outBytes, dst: encodeReadback(encoder, this.readback, out, outBytes) }]
        : [];
      const statsRead = this.encodeStatsRead(encoder, options, p);
      device.queue.submit([encoder.finish()]);
      this.resident = resident;
      const dispatches = Math.max(1, batches) + views.dispatches;
      const run = { path: 'fused' as const, start, dispatches, submits: total, reads, statsRead, views };
      return collectRun(this.readback, this.backend, p, run);
    });
  }

  /** The batch submits of a long fused run (a few heads each), with progress and Cancel between them. */
  private async runFusedBatches(
    p: PreparedRun,
    plan: { headsPerSubmit: number; batches: number },
    targets: { out: GPUBuffer; stats: GPUBuffer; partials?: GPUBuffer | undefined },
    { signal, onProgress }: RunControl,
    pool?: PoolPartialsSpec,
  ): Promise<void> {
    const { device } = this.gpu;
    const { heads } = p.shape;
    const { headsPerSubmit, batches } = plan;
    for (let b = 0; b < batches; b++) {
      const h0 = b * headsPerSubmit;
      const n = Math.min(headsPerSubmit, heads - h0);
      const [batch, first, last] = [b + 1, h0 + 1, h0 + n];
      onProgress?.({
        phase: 'run',
        message:
          n === 1
            ? msg(str`Running ${batch} of ${batches} batches (head ${first} of ${heads})…`)
            : msg(str`Running ${batch} of ${batches} batches (heads ${first}–${last} of ${heads})…`),
        done: b,
        total: batches + 1,
      });
      const encoder = device.createCommandEncoder({ label: 'attention.runFused.batch' });
      encodeFusedHeads(encoder, this.kernels.fused, this.buffers, p, { h0, n }, targets, pool);
      device.queue.submit([encoder.finish()]);
      await submitCheckpoint(device, signal);
    }
  }

  /**
   * Pools a stage of the LAST run (staged: any stage it kept; fused: the weights, from the pass's partials
   * when that run pooled the same columns, else recomputed per cell) to rows×cols without recomputing attention. One dispatch, one submit; reads back heads·rows·cols·4 bytes.
   */
  async pool(request: PoolRequest): Promise<MatrixView> {
    return (await this.views({ pool: request })).pooled!;
  }

  /** Full-resolution rectangle of a stage of the LAST run (zoom / pan). One dispatch, one submit. */
  async window(request: WindowRequest): Promise<MatrixView> {
    return (await this.views({ window: request })).window!;
  }

  private async views(req: ViewRequests): Promise<ViewResult> {
    const { device } = this.gpu;
    return withErrorScopes(device, msg('Attention view'), async () => {
      const encoder = device.createCommandEncoder({ label: 'attention.view' });
      const views = encodeViews(encoder, this.viewContext(), req, this.resident);
      device.queue.submit([encoder.finish()]);
      const result: ViewResult = { bytesRead: 0 };
      await views.finish(result);
      return result;
    });
  }

  destroy(): void {
    destroyAttentionKernels(this.kernels);
    this.readback.destroy();
    this.buffers.destroy();
    this.resident = null;
  }
}
