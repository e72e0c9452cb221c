/**
 * Attention lab engine: masked scaled-dot-product attention on the GPU (staged or fused) or the CPU.
 *
 *     const engine = new AttentionEngine(gpu);            // gpu from requestGpu()
 *     const run = await engine.runStaged({ shape, q, k, v }, {
 *       mask: { kind: 'causal' },
 *       stages: ['scores', 'scaled', 'masked', 'weights', 'output'],
 *     });
 *     run.stages.weights;                                  // Float32Array [heads][L][L]
 *     const heat = await engine.pool({ rows: 512, cols: 512, mode: 'max' });   // of the last run
 *     const zoom = await engine.window({ rect: { row0: 100, col0: 100, rows: 64, cols: 64 } });
 *
 * Paths and cost (benchmarks: count these, not only time):
 * - runStaged: ONE submit; 3 compute dispatches (scores+scale+bias+mask, row softmax, weights·V), plus 1 for
 *   `pool` and 1 for `window` when requested in the same call; then one buffer copy per stage read back,
 *   plus the row stats copy (heads·L·8 bytes). Materialises the masked and weights stages (heads·L·L·4 bytes
 *   each) and raw/scaled only when asked for (in `stages`, `materialize`, or by `pool`/`window`); each must fit
 *   maxStorageBufferBindingSize, else a LimitError tells the caller to use runFused.
 * - runFused: ONE submit; 1 dispatch (online softmax over K/V tiles, never writes L×L), plus 1 for `pool` and
 *   1 for `window` (weights recomputed per cell from Q, K and the row stats: cell area · d multiply-adds per
 *   output cell). Reads back the output (heads·L·d·4 bytes) and the row stats unless told otherwise.
 *   Long runs (heads·L²·d above `workPerSubmit` multiply-adds, 2²⁷ by default: e.g. L = 4096) run a few
 *   heads per submit (their Q/K/V copied to scratch buffers, results copied back), then one submit for the
 *   views and readbacks, so progress is reported and Cancel (RunControl.signal) works between submits.
 *   A pipeline not yet compiled for this head dim is compiled first without blocking (phase 'compile').
 * - pool / window: ONE submit, 1 dispatch, on the buffers of the last run (no recomputation of attention),
 *   reading back heads·rows·cols·4 bytes: what zoom and pan need.
 * - runAttentionCpu: the float64 reference (every stage), no GPU.
 * Every call uploads Q, K, V (and bias, custom-mask bits) with queue.writeBuffer; GPU buffers grow and are
 * reused; readback buffers come from a pool (`buffersCreated` stops growing at a steady size).
 *
 * Conventions: tensors are flat row-major, [heads][L][d] (Q, K, V, output) and [heads][query][key] (scores,
 * scaled, masked, weights). In the `masked` stage GPU runs hold MASKED_SENTINEL (−3e38) where masked; the
 * CPU path writes the same sentinel (its float64 reference uses −∞): test with isMaskedValue. Masked
 * weights are exactly 0; fully-masked rows have zero weights and zero output.
 */
import type { GpuContext } from '../gpu/device';
import { adapterName, withErrorScopes } from '../gpu/device';
import { LimitError, checkStorageSize } from '../gpu/limits';
import { ReadbackPool, encodeReadback } from '../gpu/readback';
import { createStorageBuffer, submitCheckpoint, throwIfAborted, type RunControl } from '../gpu/compute';
import {
  MASKED_SENTINEL,
  MASK_KIND_ID,
  attentionReference,
  isMaskedValue,
  poolReference,
  resolveScale,
  validateAttention,
  validatePool,
  windowReference,
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
  type AttentionReference,
  type AttentionShape,
  type FloatArray,
  type PoolMode,
  type Rect,
  type RowStats,
} from '../kernels/attention/attention.ref';
import { biasMode, maskUniform, packCustomMask, type MaskUniform } from '../kernels/attention/common';
import { AttentionScoresKernel } from '../kernels/attention/scores';
import { SoftmaxKernel } from '../kernels/attention/softmax';
import { WeightsTimesVKernel } from '../kernels/attention/weights-v';
import { FusedAttentionKernel } from '../kernels/attention/fused';
import { PoolKernel, WindowKernel } from '../kernels/attention/pool';
import { WeightsPoolKernel } from '../kernels/attention/weights-pool';

export type AttentionStage = 'scores' | 'scaled' | 'masked' | 'weights' | 'output';
/** The stages that are [heads][L][L] matrices (everything but the output). */
export type MatrixStage = Exclude<AttentionStage, 'output'>;
export const ATTENTION_STAGES: readonly AttentionStage[] = [
  'scores',
  'scaled',
  'masked',
  'weights',
  'output',
];
export const MATRIX_STAGES: readonly MatrixStage[] = ['scores', 'scaled', 'masked', 'weights'];

/** Pool a matrix stage to screen resolution. */
export interface PoolRequest {
  /** Default 'weights'. After a fused run only 'weights' exists (recomputed per cell). */
  stage?: MatrixStage;
  /** Output size; clamped to the rectangle's size (so asking for more rows than L gives L). */
  rows: number;
  cols: number;
  mode: PoolMode;
  /** Part of the matrix to pool; default all of it. */
  rect?: Rect;
}

/** Copy a rectangle of a matrix stage at full resolution (zoom / pan). */
export interface WindowRequest {
  /** Default 'weights'. */
  stage?: MatrixStage;
  rect: Rect;
}

/** A pooled or windowed view of a matrix stage: [heads][rows][cols], with where it came from. */
export interface MatrixView {
  stage: MatrixStage;
  /** 'max' / 'mean' for pooled views, 'window' for full-resolution copies. */
  mode: PoolMode | 'window';
  rect: Rect;
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface AttentionRunOptions extends AttentionOptions {
  /**
   * Stages to read back at full resolution. Staged/CPU default ['weights', 'output']; fused supports only
   * 'output' (default ['output']).
   */
  stages?: readonly AttentionStage[];
  /** Staged only: extra matrix stages to keep on the GPU for later pool()/window() calls. */
  materialize?: readonly MatrixStage[];
  /** Read back per-row (max, sum) statistics (heads·L·8 bytes). Default true. */
  stats?: boolean;
  /** Also pool a stage to rows×cols in the same submit. */
  pool?: PoolRequest;
  /** Also copy a window of a stage in the same submit. */
  window?: WindowRequest;
}

export type AttentionPath = 'staged' | 'fused' | 'cpu';

export interface AttentionRunResult {
  path: AttentionPath;
  /** What computed it, for the numerics panel: e.g. "GPU (google swiftshader (software adapter))". */
  backend: string;
  shape: AttentionShape;
  /** The scale used (1/√d unless overridden). */
  scale: number;
  mask: AttentionMask;
  /** The stages read back, f32, layouts as in the module comment. */
  stages: Partial<Record<AttentionStage, Float32Array>>;
  /** Row statistics (max = MASKED_SENTINEL and sum = 0 for fully-masked rows), when asked for. */
  stats?: RowStats;
  /** Number of fully-masked (head, query) rows (from the stats; counted from the mask when stats are off). */
  fullyMaskedRows: number;
  pooled?: MatrixView;
  window?: MatrixView;
  /** Wall time on the CPU side from encode to results, ms (on software adapters this is not GPU speed). */
  elapsedMs: number;
  /** Bytes copied from the GPU to JavaScript. */
  bytesRead: number;
  /** Compute dispatches and queue submits this call made. */
  dispatches: number;
  submits: number;
}

/** Where the last GPU run's buffers are, for pool() and window() afterwards. */
interface Resident {
  path: 'staged' | 'fused';
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  biasMode: number;
  stages: Set<MatrixStage>;
}

const BYTES = 4;
/** Multiply-adds of fused attention per submit before a run is split by heads (≈ 1 s on a software adapter). */
export const WORK_PER_SUBMIT = 2 ** 27;

/** Bytes of one [heads][L][L] f32 stage. */
export function matrixStageBytes(shape: AttentionShape): number {
  return shape.heads * shape.L * shape.L * BYTES;
}

function clampedPool(req: PoolRequest, L: number): { rect: Rect; rows: number; cols: number } {
  const rect = req.rect ?? { row0: 0, col0: 0, rows: L, cols: L };
  return { rect, rows: Math.min(req.rows, rect.rows), cols: Math.min(req.cols, rect.cols) };
}

function statsFrom(raw: Float32Array, heads: number, L: number): RowStats {
  const n = heads * L;
  const max = new Float32Array(n);
  const sum = new Float32Array(n);
  const fullyMasked = new Uint8Array(n);
  let fullyMaskedCount = 0;
  for (let r = 0; r < n; r++) {
    max[r] = raw[2 * r]!;
    sum[r] = raw[2 * r + 1]!;
    if (!(sum[r]! > 0)) {
      fullyMasked[r] = 1;
      fullyMaskedCount++;
    }
  }
  return { max, sum, fullyMasked, fullyMaskedCount };
}

/** Fully-masked (head, query) rows counted from the mask alone (all heads share the mask). */
export function countFullyMaskedRows(mask: AttentionMask, shape: AttentionShape): number {
  const { heads, L } = shape;
  let rows = 0;
  switch (mask.kind) {
    case 'none':
    case 'causal':
      rows = 0;
      break;
    case 'padding':
      rows = mask.validLength === 0 ? L : 0;
      break;
    case 'window':
      rows = mask.width === 0 ? L : 0;
      break;
    case 'custom':
      for (let q = 0; q < L; q++) {
        let any = false;
        for (let k = 0; k < L && !any; k++) any = mask.keep[q * L + k] !== 0;
        if (!any) rows++;
      }
      break;
  }
  return rows * heads;
}

export class AttentionEngine {
  private readonly scores: AttentionScoresKernel;
  private readonly softmax: SoftmaxKernel;
  private readonly weightsV: WeightsTimesVKernel;
  private readonly fused: FusedAttentionKernel;
  private readonly poolKernel: PoolKernel;
  private readonly windowKernel: WindowKernel;
  private readonly weightsPool: WeightsPoolKernel;
  private readonly weightsWindow: WeightsPoolKernel;
  private readonly readback: ReadbackPool;
  private readonly buffers = new Map<string, GPUBuffer>();
  private resident: Resident | null = null;

  /** Fused multiply-adds per submit before a run is split by heads (tests use a small one). */
  private readonly workPerSubmit: number;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device' | 'info'>,
    options: { workPerSubmit?: number } = {},
  ) {
    const { device } = gpu;
    this.workPerSubmit = options.workPerSubmit ?? WORK_PER_SUBMIT;
    this.scores = new AttentionScoresKernel(device, 'attention.scores');
    this.softmax = new SoftmaxKernel(device, 'attention.softmax');
    this.weightsV = new WeightsTimesVKernel(device, 'attention.weightsV');
    this.fused = new FusedAttentionKernel(device, 'attention.fused');
    this.poolKernel = new PoolKernel(device, 'attention.pool');
    this.windowKernel = new WindowKernel(device, 'attention.window');
    this.weightsPool = new WeightsPoolKernel(device, 'attention.weightsPool');
    this.weightsWindow = new WeightsPoolKernel(device, 'attention.weightsWindow');
    this.readback = new ReadbackPool(device, 'attention');
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
        `Staged attention's ${shape.heads}×${shape.L}×${shape.L} f32 stage`,
        matrixStageBytes(shape),
      );
    } catch (e) {
      if (!(e instanceof LimitError)) throw e;
      throw new LimitError(
        `${e.message} Use the fused path (runFused), which never stores an L×L matrix.`,
        e.limit,
        e.allowed,
        e.requested,
      );
    }
  }

  /** A GPU buffer named `attention.<name>`, grown (never shrunk) to `bytes`. */
  private buffer(name: string, bytes: number, what = name): GPUBuffer {
    checkStorageSize(this.gpu.info, `Attention ${what}`, bytes);
    let b = this.buffers.get(name);
    if (!b || b.size < bytes) {
      b?.destroy();
      b = createStorageBuffer(this.gpu.device, `attention.${name}`, bytes);
      this.buffers.set(name, b);
    }
    return b;
  }

  private upload(name: string, data: FloatArray | Uint32Array): GPUBuffer {
    const array = data instanceof Float64Array ? Float32Array.from(data) : data;
    const buffer = this.buffer(name, array.byteLength);
    this.gpu.device.queue.writeBuffer(buffer, 0, array.buffer, array.byteOffset, array.byteLength);
    return buffer;
  }

  /** Uploads inputs; returns buffers and uniforms shared by both paths. */
  private prepare(inputs: AttentionInputs, options: AttentionOptions) {
    validateAttention(inputs, options);
    // The buffers are about to change: until this run is submitted there is nothing to pool.
    this.resident = null;
    const { shape } = inputs;
    const mask = options.mask ?? { kind: 'none' };
    const vectorBytes = shape.heads * shape.L * shape.d * BYTES;
    checkStorageSize(this.gpu.info, 'Attention Q/K/V', vectorBytes);
    const q = this.upload('q', inputs.q);
    const k = this.upload('k', inputs.k);
    const v = this.upload('v', inputs.v);
    const bias = options.bias ? this.upload('bias', options.bias) : undefined;
    const maskBits =
      mask.kind === 'custom' ? this.upload('maskBits', packCustomMask(mask.keep, shape.L)) : undefined;
    return {
      shape,
      mask,
      scale: resolveScale(shape, options),
      maskU: maskUniform(mask, shape.L),
      biasMode: biasMode(options.bias, shape),
      q,
      k,
      v,
      bias,
      maskBits,
    };
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
      message: 'Running the staged path (one GPU submit)…',
      done: 0,
      total: 1,
    });
    return withErrorScopes(device, 'Attention (staged)', async () => {
      const p = this.prepare(inputs, options);
      const { shape } = p;
      const { heads, L, d } = shape;
      const matrix = new Set<MatrixStage>(['masked', 'weights']);
      for (const s of [...wanted, ...(options.materialize ?? [])]) if (s !== 'output') matrix.add(s);
      if (options.pool) matrix.add(options.pool.stage ?? 'weights');
      if (options.window) matrix.add(options.window.stage ?? 'weights');
      const mBytes = matrixStageBytes(shape);
      const stageBuffer = (s: MatrixStage) => this.buffer(s, mBytes, `${s} stage`);
      const out = this.buffer('output', heads * L * d * BYTES, 'output');
      const stats = this.buffer('stats', heads * L * 2 * BYTES, 'row stats');
      const buffers: Partial<Record<AttentionStage, GPUBuffer>> = { output: out };
      for (const s of matrix) buffers[s] = stageBuffer(s);

      const encoder = device.createCommandEncoder({ label: 'attention.runStaged' });
      this.scores.encode(
        encoder,
        { shape, scale: p.scale, mask: p.maskU, biasMode: p.biasMode },
        {
          q: p.q,
          k: p.k,
          bias: p.bias,
          maskBits: p.maskBits,
          raw: buffers.scores,
          scaled: buffers.scaled,
          masked: buffers.masked!,
        },
      );
      this.softmax.encode(encoder, shape, { masked: buffers.masked!, weights: buffers.weights!, stats });
      this.weightsV.encode(encoder, shape, p.maskU, { weights: buffers.weights!, v: p.v, out });
      let dispatches = 3;
      const resident: Resident = {
        path: 'staged',
        shape,
        scale: p.scale,
        mask: p.maskU,
        biasMode: p.biasMode,
        stages: matrix,
      };
      const views = this.encodeViews(encoder, options, resident);
      dispatches += views.dispatches;
      const reads = wanted.map((s) => {
        const bytes = s === 'output' ? heads * L * d * BYTES : mBytes;
        return { s, bytes, dst: encodeReadback(encoder, this.readback, buffers[s]!, bytes) };
      });
      const wantStats = options.stats ?? true;
      const statsBytes = heads * L * 2 * BYTES;
      const statsRead = wantStats ? encodeReadback(encoder, this.readback, stats, statsBytes) : null;
      device.queue.submit([encoder.finish()]);
      this.resident = resident;

      return this.collectRun(p, 'staged', start, { dispatches, submits: 1 }, reads, statsRead, views);
    });
  }

  /**
   * Fused attention: output (and row stats) only, never an L×L buffer; one dispatch in one submit, plus
   * optional pooled / windowed weights recomputed per cell from the row stats. `stages` may only hold
   * 'output' (default); `pool.stage` and `window.stage` must be 'weights'.
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
    for (const s of wanted) {
      if (s !== 'output') {
        throw new RangeError(`The fused path computes only the output; "${s}" needs runStaged.`);
      }
    }
    for (const req of [options.pool, options.window]) {
      if (req && (req.stage ?? 'weights') !== 'weights') {
        throw new RangeError(`The fused path can pool only the weights (asked for "${req.stage}").`);
      }
    }
    if (options.materialize?.length) throw new RangeError('The fused path materialises no L×L stage.');
    throwIfAborted(signal);
    validateAttention(inputs, options);
    const { heads, L, d } = inputs.shape;
    const headsPerSubmit = Math.max(1, Math.floor(this.workPerSubmit / (L * L * d)));
    const batches = headsPerSubmit < heads ? Math.ceil(heads / headsPerSubmit) : 0;
    const total = batches + 1;
    if (!this.fused.isCompiled(d)) {
      onProgress?.({ phase: 'compile', message: 'Compiling shaders…', done: 0, total });
      await withErrorScopes(device, 'Attention (fused) shader compilation', () => this.fused.compile(d));
      throwIfAborted(signal);
    }
    return withErrorScopes(device, 'Attention (fused)', async () => {
      const p = this.prepare(inputs, options);
      const { shape } = p;
      const outBytes = heads * L * d * BYTES;
      const out = this.buffer('output', outBytes, 'output');
      const statsBytes = heads * L * 2 * BYTES;
      const stats = this.buffer('stats', statsBytes, 'row stats');
      const params = { shape, scale: p.scale, mask: p.maskU, biasMode: p.biasMode };
      for (let b = 0; b < batches; b++) {
        const h0 = b * headsPerSubmit;
        const n = Math.min(headsPerSubmit, heads - h0);
        onProgress?.({
          phase: 'run',
          message: `Running ${b + 1} of ${batches} batches (${n === 1 ? `head ${h0 + 1}` : `heads ${h0 + 1}–${h0 + n}`} of ${heads})…`,
          done: b,
          total,
        });
        const encoder = device.createCommandEncoder({ label: 'attention.runFused.batch' });
        this.encodeFusedHeads(encoder, p, h0, n, out, stats);
        device.queue.submit([encoder.finish()]);
        await submitCheckpoint(device, signal);
      }
      onProgress?.({
        phase: batches ? 'read' : 'run',
        message: batches ? 'Reading the results back…' : 'Running the fused path (one GPU submit)…',
        done: batches,
        total,
      });
      const encoder = device.createCommandEncoder({ label: 'attention.runFused' });
      if (!batches) {
        this.fused.encode(encoder, params, {
          q: p.q,
          k: p.k,
          v: p.v,
          bias: p.bias,
          maskBits: p.maskBits,
          out,
          stats,
        });
      }
      const resident: Resident = {
        path: 'fused',
        shape,
        scale: p.scale,
        mask: p.maskU,
        biasMode: p.biasMode,
        stages: new Set(),
      };
      const views = this.encodeViews(encoder, options, resident);
      const outRead = wanted.includes('output')
        ? encodeReadback(encoder, this.readback, out, outBytes)
        : null;
      const wantStats = options.stats ?? true;
      const statsRead = wantStats ? encodeReadback(encoder, this.readback, stats, statsBytes) : null;
      device.queue.submit([encoder.finish()]);
      this.resident = resident;
      const reads = outRead ? [{ s: 'output' as const, bytes: outBytes, dst: outRead }] : [];
      const counts = { dispatches: Math.max(1, batches) + views.dispatches, submits: total };
      return this.collectRun(p, 'fused', start, counts, reads, statsRead, views);
    });
  }

  /** A run's result from the readbacks encoded for it (stages, row stats, views), once they are mapped. */
  private async collectRun(
    p: ReturnType<AttentionEngine['prepare']>,
    path: 'staged' | 'fused',
    start: number,
    counts: { dispatches: number; submits: number },
    reads: Array<{ s: AttentionStage; bytes: number; dst: GPUBuffer }>,
    statsRead: GPUBuffer | null,
    views: ReturnType<AttentionEngine['encodeViews']>,
  ): Promise<AttentionRunResult> {
    const { heads, L } = p.shape;
    const statsBytes = heads * L * 2 * BYTES;
    const result: AttentionRunResult = {
      path,
      backend: this.backend,
      shape: p.shape,
      scale: p.scale,
      mask: p.mask,
      stages: {},
      fullyMaskedRows: 0,
      elapsedMs: 0,
      bytesRead: 0,
      ...counts,
    };
    await Promise.all([
      ...reads.map(async ({ s, bytes, dst }) => {
        result.stages[s] = new Float32Array(await this.readback.read(dst, bytes));
        result.bytesRead += bytes;
      }),
      statsRead &&
        this.readback.read(statsRead, statsBytes).then((b) => {
          result.stats = statsFrom(new Float32Array(b), heads, L);
          result.bytesRead += statsBytes;
        }),
      views.finish(result),
    ]);
    result.fullyMaskedRows = result.stats?.fullyMaskedCount ?? countFullyMaskedRows(p.mask, p.shape);
    result.elapsedMs = performance.now() - start;
    return result;
  }

  /**
   * Fused attention for heads h0…h0+n−1 only: copies their Q, K, V (and per-head bias) into scratch
   * buffers, runs the fused kernel on them as an n-head problem and copies the output and row stats
   * into place in the full buffers. Same arithmetic per head as the one-dispatch run.
   */
  private encodeFusedHeads(
    encoder: GPUCommandEncoder,
    p: ReturnType<AttentionEngine['prepare']>,
    h0: number,
    n: number,
    out: GPUBuffer,
    stats: GPUBuffer,
  ): void {
    const { L, d } = p.shape;
    const vecBytes = n * L * d * BYTES;
    const vecOffset = h0 * L * d * BYTES;
    const slice = (src: GPUBuffer, name: string, offset: number, bytes: number) => {
      const dst = this.buffer(`batch.${name}`, bytes, `batch ${name}`);
      encoder.copyBufferToBuffer(src, offset, dst, 0, bytes);
      return dst;
    };
    const q = slice(p.q, 'q', vecOffset, vecBytes);
    const k = slice(p.k, 'k', vecOffset, vecBytes);
    const v = slice(p.v, 'v', vecOffset, vecBytes);
    const bias =
      p.bias && p.biasMode === 2 ? slice(p.bias, 'bias', h0 * L * L * BYTES, n * L * L * BYTES) : p.bias;
    const batchOut = this.buffer('batch.output', vecBytes, 'batch output');
    const batchStats = this.buffer('batch.stats', n * L * 2 * BYTES, 'batch row stats');
    this.fused.encode(
      encoder,
      { shape: { heads: n, L, d }, scale: p.scale, mask: p.maskU, biasMode: p.biasMode },
      { q, k, v, bias, maskBits: p.maskBits, out: batchOut, stats: batchStats },
    );
    encoder.copyBufferToBuffer(batchOut, 0, out, vecOffset, vecBytes);
    encoder.copyBufferToBuffer(batchStats, 0, stats, h0 * L * 2 * BYTES, n * L * 2 * BYTES);
  }

  /** Encodes the pool / window views asked for on the resident buffers; returns how to collect them. */
  private encodeViews(
    encoder: GPUCommandEncoder,
    req: { pool?: PoolRequest | undefined; window?: WindowRequest | undefined },
    resident: Resident | null,
  ) {
    const r = resident;
    if (!r) throw new Error('No attention run yet: call runStaged or runFused first.');
    const { heads, L } = r.shape;
    const pending: Array<{
      key: 'pooled' | 'window';
      view: Omit<MatrixView, 'data'>;
      dst: GPUBuffer;
      bytes: number;
    }> = [];
    type Plan = {
      key: 'pooled' | 'window';
      stage: MatrixStage;
      rect: Rect;
      rows: number;
      cols: number;
      mode: PoolMode | 'window';
    };
    const plans: Plan[] = [];
    if (req.pool) {
      const { rect, rows, cols } = clampedPool(req.pool, L);
      plans.push({
        key: 'pooled',
        stage: req.pool.stage ?? 'weights',
        rect,
        rows,
        cols,
        mode: req.pool.mode,
      });
    }
    if (req.window) {
      const rect = req.window.rect;
      const stage = req.window.stage ?? 'weights';
      plans.push({ key: 'window', stage, rect, rows: rect.rows, cols: rect.cols, mode: 'window' });
    }
    // Validate everything before encoding anything.
    for (const { stage, rect, rows, cols } of plans) {
      validatePool(L, rect, rows, cols);
      if (r.path === 'fused' && stage !== 'weights') {
        throw new RangeError(`After a fused run only the weights can be pooled (asked for "${stage}").`);
      }
      if (r.path === 'staged' && !r.stages.has(stage)) {
        throw new RangeError(
          `The "${stage}" stage was not kept by the last staged run; list it in stages or materialize.`,
        );
      }
    }
    for (const { key, stage, rect, rows, cols, mode } of plans) {
      const bytes = heads * rows * cols * BYTES;
      const out = this.buffer(key, bytes, `${key} view`);
      if (r.path === 'fused') {
        const kernel = key === 'pooled' ? this.weightsPool : this.weightsWindow;
        kernel.encode(
          encoder,
          {
            shape: r.shape,
            scale: r.scale,
            mask: r.mask,
            biasMode: r.biasMode,
            rect,
            outRows: rows,
            outCols: cols,
            mode: mode === 'window' ? 'max' : mode,
          },
          {
            q: this.buffers.get('q')!,
            k: this.buffers.get('k')!,
            bias: r.biasMode ? this.buffers.get('bias') : undefined,
            maskBits: r.mask.kind === MASK_KIND_ID.custom ? this.buffers.get('maskBits') : undefined,
            stats: this.buffers.get('stats')!,
            out,
          },
        );
      } else {
        const src = this.buffers.get(stage)!;
        if (mode === 'window') this.windowKernel.encode(encoder, r.shape, rect, { src, out });
        else
          this.poolKernel.encode(
            encoder,
            r.shape,
            { rect, outRows: rows, outCols: cols, mode },
            { src, out },
          );
      }
      pending.push({
        key,
        view: { stage, mode, rect, rows, cols },
        dst: encodeReadback(encoder, this.readback, out, bytes),
        bytes,
      });
    }
    return {
      dispatches: pending.length,
      finish: async (result: Pick<AttentionRunResult, 'pooled' | 'window' | 'bytesRead'>) => {
        await Promise.all(
          pending.map(async ({ key, view, dst, bytes }) => {
            const data = new Float32Array(await this.readback.read(dst, bytes));
            result[key] = { ...view, data };
            result.bytesRead += bytes;
          }),
        );
      },
    };
  }

  /**
   * Pools a stage of the LAST run (staged: any stage it kept; fused: the weights, recomputed per cell) to
   * rows×cols without recomputing attention. One dispatch, one submit; reads back heads·rows·cols·4 bytes.
   */
  async pool(request: PoolRequest): Promise<MatrixView> {
    return (await this.views({ pool: request })).pooled!;
  }

  /** Full-resolution rectangle of a stage of the LAST run (zoom / pan). One dispatch, one submit. */
  async window(request: WindowRequest): Promise<MatrixView> {
    return (await this.views({ window: request })).window!;
  }

  private async views(req: { pool?: PoolRequest; window?: WindowRequest }) {
    const { device } = this.gpu;
    return withErrorScopes(device, 'Attention view', async () => {
      const encoder = device.createCommandEncoder({ label: 'attention.view' });
      const views = this.encodeViews(encoder, req, this.resident);
      device.queue.submit([encoder.finish()]);
      const result: Pick<AttentionRunResult, 'pooled' | 'window' | 'bytesRead'> = { bytesRead: 0 };
      await views.finish(result);
      return result;
    });
  }

  destroy(): void {
    this.scores.destroy();
    this.softmax.destroy();
    this.weightsV.destroy();
    this.fused.destroy();
    this.poolKernel.destroy();
    this.windowKernel.destroy();
    this.weightsPool.destroy();
    this.weightsWindow.destroy();
    this.readback.destroy();
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    this.resident = null;
  }
}

function toF32(a: Float64Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.max(a[i]!, MASKED_SENTINEL);
  return out;
}

/**
 * The CPU backend: the float64 reference (every stage computed), returned in the same form as a GPU run
 * (f32 arrays; −∞ written as MASKED_SENTINEL so one code path draws both). `reference` holds the float64
 * stages for the numerics panel. Pool and window requests are served from the reference too.
 */
export function runAttentionCpu(
  inputs: AttentionInputs,
  options: AttentionRunOptions = {},
): AttentionRunResult & { reference: AttentionReference } {
  const start = performance.now();
  const ref = attentionReference(inputs, options);
  const { shape } = inputs;
  const wanted = options.stages ?? ['weights', 'output'];
  const stages: Partial<Record<AttentionStage, Float32Array>> = {};
  for (const s of wanted) stages[s] = toF32(ref[s]);
  const view = (
    stage: MatrixStage,
    mode: PoolMode | 'window',
    rect: Rect,
    rows: number,
    cols: number,
  ): MatrixView => ({
    stage,
    mode,
    rect,
    rows,
    cols,
    data: toF32(
      mode === 'window'
        ? windowReference(ref[stage], shape, rect)
        : poolReference(ref[stage], shape, rows, cols, mode, rect),
    ),
  });
  const result: AttentionRunResult & { reference: AttentionReference } = {
    path: 'cpu',
    backend: 'CPU (float64 reference)',
    shape,
    scale: ref.scale,
    mask: options.mask ?? { kind: 'none' },
    stages,
    fullyMaskedRows: ref.stats.fullyMaskedCount,
    elapsedMs: 0,
    bytesRead: 0,
    dispatches: 0,
    submits: 0,
    reference: ref,
  };
  if (options.stats ?? true) {
    result.stats = {
      ...ref.stats,
      max: toF32(ref.stats.max as Float64Array),
      sum: Float32Array.from(ref.stats.sum),
    };
  }
  if (options.pool) {
    const { rect, rows, cols } = clampedPool(options.pool, shape.L);
    result.pooled = view(options.pool.stage ?? 'weights', options.pool.mode, rect, rows, cols);
  }
  if (options.window) {
    const rect = options.window.rect;
    result.window = view(options.window.stage ?? 'weights', 'window', rect, rect.rows, rect.cols);
  }
  result.elapsedMs = performance.now() - start;
  return result;
}

/** What the numerics panel shows for a run against the float64 reference. */
export interface AttentionNumerics {
  /** max |run − reference| per stage read back (masked entries: 0 when both are masked, ∞ when only one is). */
  maxAbsDiff: Partial<Record<AttentionStage, number>>;
  /** max over rows that are not fully masked of |Σ weights − 1| (needs the weights stage). */
  maxRowSumError: number | null;
  fullyMaskedRows: number;
  backend: string;
}

export function attentionNumerics(run: AttentionRunResult, ref: AttentionReference): AttentionNumerics {
  const maxAbsDiff: Partial<Record<AttentionStage, number>> = {};
  for (const s of ATTENTION_STAGES) {
    const got = run.stages[s];
    if (!got) continue;
    const want = ref[s];
    let worst = 0;
    for (let i = 0; i < got.length; i++) {
      const a = got[i]!;
      const b = want[i]!;
      const ma = isMaskedValue(a);
      const mb = isMaskedValue(b);
      if (ma || mb) {
        if (ma !== mb) worst = Infinity;
        continue;
      }
      const diff = Math.abs(a - b);
      if (!(diff <= worst)) worst = Number.isNaN(diff) ? Infinity : diff;
    }
    maxAbsDiff[s] = worst;
  }
  let maxRowSumError: number | null = null;
  const w = run.stages.weights;
  if (w) {
    const { heads, L } = run.shape;
    maxRowSumError = 0;
    for (let r = 0; r < heads * L; r++) {
      let sum = 0;
      for (let j = 0; j < L; j++) sum += w[r * L + j]!;
      if (sum === 0 && ref.stats.fullyMasked[r]) continue;
      maxRowSumError = Math.max(maxRowSumError, Math.abs(sum - 1));
    }
  }
  return { maxAbsDiff, maxRowSumError, fullyMaskedRows: run.fullyMaskedRows, backend: run.backend };
}
