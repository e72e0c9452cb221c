/**
 * Diffusion lab engine: a chain of N particles stepped through a sampler with a denoiser, on the GPU
 * (`DiffusionEngine`) or on the CPU from the float64 references (`DiffusionCpuEngine`, the no-WebGPU
 * fallback at reduced N). Both implement `DiffusionRunner`, so the UI drives either the same way:
 *
 *   const engine = new DiffusionEngine(gpu);              // or new DiffusionCpuEngine()
 *   let frame = await engine.setup({ schedule: makeSchedule({ kind: 'cosine', T: 1000 }),
 *     data: makeDataset2D({ kind: 'two-moons', n: 1000, seed: 1 }), dim: 2, count: 100_000, seed: 7,
 *     sampler: { kind: 'ddim', eta: 0 }, steps: 50 }, { positions: true });
 *   frame = await engine.step({ positions: true, x0: true, density: { size: 128, xMin: -3, …} });
 *   frame = await engine.stepBack({ positions: true });
 *
 * ## The chain
 * `path` lists the timesteps the chain visits: path[0] = the start (timesteps[0] of the strided sequence for
 * a pure-noise start, which is T with the default 'trailing' spacing; or the chosen t for a start from data),
 * then every timestep of the sequence below it, then 0. `stepIndex` k means the particles hold x at
 * t = path[k]; `step()` goes k → k + 1 with the chosen sampler (planStep in diffusion.ref.ts), `stepBack()`
 * goes k → k − 1. At t = 0 the chain is done and `step()` does nothing.
 *
 * ## Starts
 * - { from: 'noise' }: x = ε, N(0, I) from Philox (stream STREAM_FORWARD, counter (i, 0, block, 0)).
 * - { from: 'data', t }: forward noising of the data to t; particle i starts from data point i mod M and
 *   uses the same ε as the noise start, so { from: 'data', t: T } with ᾱ_T = 0 equals the noise start.
 *   `restart({ from: 'data', t })` is the cheap call for scrubbing the forward process.
 *
 * ## Denoisers (`setup.denoiser`)
 * - { kind: 'exact' } (default): E[x₀|x_t] of the empirical data `setup.data` — attention with x_t as query
 *   and the data as keys/values, on the shared online softmax; it memorises the training points.
 * - { kind: 'gaussian', law }: the exact linear denoiser of N(μ, Σ).
 * - { kind: 'mlp', model }: a trained ε-prediction MLP (parseMlp of public/models/diffusion/<dataset>.ksmlp).
 * - { kind: 'custom', model, cpu }: any EpsilonModel (GPU) and CpuDenoiser (CPU).
 *
 * ## History ("Step back")
 * Before each step the engine copies the particles into a snapshot (on the GPU a slot of one history buffer,
 * allocated once and reused, so steady-state stepping creates no GPU buffers; Float64Array on the CPU),
 * keeping at most `historyBytes` of snapshots (default 256 MiB GPU / 64 MiB CPU; on the GPU also at most
 * maxBufferSize and T snapshots); when full, the snapshot of the earliest step is dropped. Stepping back to a step without a snapshot recomputes it deterministically:
 * every random number is a pure function of (seed, particle, timestep) (diffusion.ref.ts), so the engine
 * restarts from the nearest earlier snapshot (or the start) and replays the steps — same numbers, same
 * result, only slower.
 *
 * ## Reads (only what is drawn)
 * Every operation takes a `ReadRequest` and resolves to a `DiffusionFrame` with just those arrays, all
 * encoded into the operation's single submit: particle positions (first k or all), x̂₀ at the current state
 * (the denoiser's prediction; it is cached and reused by the next step, so reading it costs no extra
 * evaluation), a G×G density histogram of components (0, 1), and the denoiser's vector field on a G×G grid
 * (D = 2 only). At t = 0, x̂₀ is the particles themselves and the field is null (the denoiser is undefined at
 * ᾱ = 1).
 *
 * Operations are serialised: a call made while another runs waits for it.
 */
import type { GpuContext } from '../gpu/device';
import { withErrorScopes } from '../gpu/device';
import { checkStorageSize } from '../gpu/limits';
import { ReadbackPool, encodeReadback } from '../gpu/readback';
import { createStorageBuffer } from '../gpu/compute';
import {
  noiseLevel,
  previousTimestep,
  stridedTimesteps,
  type NoiseLevel,
  type Schedule,
  type TimestepSpacing,
} from '../models/schedules';
import { MAX_DIM, RING_SLOTS, type EpsilonModel } from '../kernels/diffusion/common';
import { ExactDenoiser } from '../kernels/diffusion/exact';
import { GaussianDenoiser } from '../kernels/diffusion/affine';
import { ForwardKernel } from '../kernels/diffusion/forward';
import { SamplerStepKernel } from '../kernels/diffusion/step';
import { GridKernel } from '../kernels/diffusion/grid';
import { MlpDenoiser } from '../kernels/diffusion/mlp';
import { mlpDenoiserCpu, type MlpModel } from '../models/mlp-denoiser';
import {
  checkGrid,
  combineReference,
  densityReference,
  exactDenoiserCpu,
  forwardReference,
  gaussianDenoiserCpu,
  gridPointsReference,
  heunCorrection,
  planStep,
  type CpuDenoiser,
  type DenoiserOutput,
  type GaussianLaw,
  type GridSpec,
  type SamplerSpec,
} from '../kernels/diffusion/diffusion.ref';

export type { SamplerSpec, GridSpec, GaussianLaw, EpsilonModel, CpuDenoiser, MlpModel };

/** Which denoiser predicts x̂₀ and ε̂. */
export type DenoiserChoice =
  /** The exact denoiser of the empirical data (`setup.data`): memorises the training points. */
  | { kind: 'exact' }
  /** The exact (linear) denoiser of a Gaussian law N(μ, Σ) (D ≤ 64). */
  | { kind: 'gaussian'; law: GaussianLaw }
  /** A trained ε-prediction MLP (src/models/mlp-denoiser.ts; load weights with parseMlp). With it, DDPM
   *  uses the posterior-mean form on the clipped x̂₀ unless the sampler sets `form` (the ε-form diverges). */
  | { kind: 'mlp'; model: MlpModel }
  /** A model supplied by the caller (a trained MLP); `cpu` is its float64 twin for the CPU engine. The
   *  engine does not destroy it. */
  | { kind: 'custom'; model?: EpsilonModel; cpu?: CpuDenoiser };

export type StartSpec = { from: 'noise' } | { from: 'data'; t: number };

export interface DiffusionSetup {
  schedule: Schedule;
  /** M training points of `dim` f32 components, row-major (2D: interleaved x, y). */
  data: Float32Array;
  /** Particle dimension D (2 for points, up to 1024 = 32×32 images; at most MAX_DIM). */
  dim: number;
  /** Number of particles N. */
  count: number;
  seed: number;
  sampler: SamplerSpec;
  /** Sampler steps S of the strided timestep sequence (1…T, default T). */
  steps?: number;
  /** Default 'trailing' (starts at T). */
  spacing?: TimestepSpacing;
  /** Default { kind: 'exact' }. */
  denoiser?: DenoiserChoice;
  /** Default { from: 'noise' }. */
  start?: StartSpec;
  /** Budget for step-back snapshots, bytes. */
  historyBytes?: number;
}

/** Largest G of a density or field grid (the GPU engine's counts buffer holds MAX_VIEW_GRID² + 1 words). */
export const MAX_VIEW_GRID = 512;

export interface ReadRequest {
  /** true: all particles; a number k: the first k. Returned as k·dim floats, particle-major. */
  positions?: boolean | number;
  /** x̂₀ of the particles at the current state: true for all, or the first k (k·dim floats). */
  x0?: boolean | number;
  /** Density histogram of components (0, 1) on this grid (size ≤ MAX_VIEW_GRID). */
  density?: GridSpec;
  /** Denoiser vector field on this grid (D = 2 only; size ≤ MAX_VIEW_GRID). */
  field?: GridSpec;
}

export interface DensityFrame {
  spec: GridSpec;
  /** G² counts, index r·G + c, row 0 at yMin. */
  counts: Uint32Array;
  /** Particles outside the grid (or NaN). */
  outside: number;
}

export interface FieldFrame {
  spec: GridSpec;
  t: number;
  /** G² cell centres (x, y) interleaved, index r·G + c. */
  points: Float32Array;
  /** Denoiser outputs at the cell centres: x̂₀ (draw the arrow x → x̂₀, or x → √ᾱ x̂₀) and ε̂ (the score is
   *  −ε̂/√(1−ᾱ)). */
  x0: Float32Array;
  eps: Float32Array;
}

export interface DiffusionFrame {
  /** Current timestep (= path[stepIndex]). */
  t: number;
  stepIndex: number;
  /** Number of steps from the start to t = 0 (= path.length − 1). */
  totalSteps: number;
  positions?: Float32Array;
  x0?: Float32Array;
  density?: DensityFrame;
  /** null at t = 0. */
  field?: FieldFrame | null;
  backend: 'gpu' | 'cpu';
  /** Wall time of the operation including readback, ms. */
  elapsedMs: number;
  /** Bytes copied from the GPU for this frame (0 on the CPU). */
  bytesRead: number;
}

/** What the UI calls; implemented by DiffusionEngine (GPU) and DiffusionCpuEngine (CPU). */
export interface DiffusionRunner {
  readonly backend: 'gpu' | 'cpu';
  /** Allocates for the setup, initialises the chain at its start, clears history. */
  setup(setup: DiffusionSetup, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Re-initialises the chain (same setup) from another start; clears history. */
  restart(start: StartSpec, read?: ReadRequest): Promise<DiffusionFrame>;
  /** One sampler step (no-op at t = 0). */
  step(read?: ReadRequest): Promise<DiffusionFrame>;
  /** Back one step (no-op at the start). */
  stepBack(read?: ReadRequest): Promise<DiffusionFrame>;
  /** Moves to step index k of `path` (forward by stepping, backward through history). */
  jumpToStep(k: number, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Moves to the first step whose timestep is ≤ t. */
  jumpToT(t: number, read?: ReadRequest): Promise<DiffusionFrame>;
  /** Reads the current state without stepping. */
  read(read: ReadRequest): Promise<DiffusionFrame>;
  readonly t: number;
  readonly stepIndex: number;
  /** Timesteps visited: path[0] = start, …, 0. */
  readonly path: readonly number[];
  readonly done: boolean;
  destroy(): void;
}

export const MAX_PARTICLES_GPU = 4_000_000;
/** The CPU fallback's ceiling; 10⁴ particles keep a 2D step with 1000 data points near 50 ms. */
export const MAX_PARTICLES_CPU = 200_000;
export const DEFAULT_HISTORY_BYTES_GPU = 256 * 2 ** 20;
export const DEFAULT_HISTORY_BYTES_CPU = 64 * 2 ** 20;

/** The path of timesteps a chain visits from `start` to 0 (see the module comment). */
export function chainPath(
  schedule: Schedule,
  steps: number,
  spacing: TimestepSpacing,
  start: StartSpec,
): number[] {
  const timesteps = stridedTimesteps(schedule.T, steps, spacing);
  let t0: number;
  if (start.from === 'noise') t0 = timesteps[0]!;
  else {
    if (!Number.isInteger(start.t) || start.t < 0 || start.t > schedule.T) {
      throw new RangeError(`Start timestep must be an integer from 0 to ${schedule.T} (got ${start.t}).`);
    }
    t0 = start.t;
  }
  const path = [t0];
  while (path[path.length - 1]! > 0) path.push(previousTimestep(timesteps, path[path.length - 1]!));
  return path;
}

function validate(s: DiffusionSetup, maxParticles: number): void {
  if (!Number.isInteger(s.dim) || s.dim < 1 || s.dim > MAX_DIM) {
    throw new RangeError(`Dimension must be an integer from 1 to ${MAX_DIM} (got ${s.dim}).`);
  }
  if (!Number.isInteger(s.count) || s.count < 1 || s.count > maxParticles) {
    throw new RangeError(`Particle count must be an integer from 1 to ${maxParticles} (got ${s.count}).`);
  }
  if (s.data.length === 0 || s.data.length % s.dim !== 0) {
    throw new RangeError(
      `Data length ${s.data.length} is not a positive multiple of the dimension ${s.dim}.`,
    );
  }
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) {
    throw new RangeError(`Seed must be an integer from 0 to 2³² − 1 (got ${s.seed}).`);
  }
}

function checkViewGrid(spec: GridSpec): void {
  checkGrid(spec);
  if (spec.size > MAX_VIEW_GRID)
    throw new RangeError(`Grid size must be at most ${MAX_VIEW_GRID} (got ${spec.size}).`);
}

function readCount(req: boolean | number | undefined, n: number): number {
  if (req === undefined || req === false) return 0;
  if (req === true) return n;
  return Math.max(0, Math.min(n, Math.floor(req)));
}

/** Serialises async operations. */
class OpQueue {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

abstract class ChainState {
  protected config: DiffusionSetup | null = null;
  protected chain: number[] = [];
  protected k = 0;
  protected start: StartSpec = { from: 'noise' };
  protected readonly queue = new OpQueue();

  get t(): number {
    return this.chain[this.k] ?? 0;
  }
  get stepIndex(): number {
    return this.k;
  }
  get path(): readonly number[] {
    return this.chain;
  }
  get done(): boolean {
    return this.t === 0;
  }

  protected get cfg(): DiffusionSetup {
    if (!this.config) throw new Error('Call setup() before running the diffusion engine.');
    return this.config;
  }

  /** The sampler actually run: DDPM with the MLP defaults to the posterior-mean form. */
  protected get sampler(): SamplerSpec {
    const c = this.cfg;
    if (c.sampler.kind === 'ddpm' && c.sampler.form === undefined && c.denoiser?.kind === 'mlp') {
      return { ...c.sampler, form: 'posterior' };
    }
    return c.sampler;
  }

  protected makePath(start: StartSpec): void {
    const c = this.cfg;
    this.chain = chainPath(c.schedule, c.steps ?? c.schedule.T, c.spacing ?? 'trailing', start);
    this.start = start;
    this.k = 0;
  }

  protected level(t: number): NoiseLevel {
    return noiseLevel(this.cfg.schedule, t);
  }

  jumpToT(t: number, read: ReadRequest = {}): Promise<DiffusionFrame> {
    let k = this.chain.findIndex((s) => s <= t);
    if (k < 0) k = this.chain.length - 1;
    return this.jumpToStep(k, read);
  }

  abstract jumpToStep(k: number, read?: ReadRequest): Promise<DiffusionFrame>;
}

// -------------------------------------------------------------------------------------------------------
// GPU

/** Steps encoded per submit while replaying (each step may encode the denoiser and the step kernel twice). */
const REPLAY_BATCH = Math.floor(RING_SLOTS / 4);

export class DiffusionEngine extends ChainState implements DiffusionRunner {
  readonly backend = 'gpu' as const;
  private readonly forwardKernel: ForwardKernel;
  private readonly stepKernel: SamplerStepKernel;
  private readonly grid: GridKernel;
  private readonly readback: ReadbackPool;
  private model: EpsilonModel | null = null;
  private ownsModel = false;
  private buffers: Record<'cur' | 'alt' | 'x0' | 'eps' | 'x0b' | 'epsb' | 'source', GPUBuffer> | null = null;
  private field: { size: number; points: GPUBuffer; x0: GPUBuffer; eps: GPUBuffer } | null = null;
  /**
   * Step-back snapshots live in one buffer of `historySlots` slots of `bytes` each (slot i at offset
   * i·bytes), allocated on the first snapshot and kept across restarts and setups while it is big enough,
   * so stepping creates no GPU buffers.
   */
  private history: GPUBuffer | null = null;
  private historySlots = 0;
  /** Whether `historySlots` has been sized for the current setup. */
  private historySized = false;
  /** Step index → slot. */
  private snapshots = new Map<number, number>();
  private freeSlots: number[] = [];
  /** Step index at which x0/eps hold the denoiser's output for `cur`, or −1. */
  private evaluatedAt = -1;

  constructor(private readonly gpu: Pick<GpuContext, 'device' | 'info'>) {
    super();
    const { device } = gpu;
    this.forwardKernel = new ForwardKernel(device, 'diffusion.forward');
    this.stepKernel = new SamplerStepKernel(device, 'diffusion.step');
    this.grid = new GridKernel(device, 'diffusion.grid', MAX_VIEW_GRID);
    this.readback = new ReadbackPool(device, 'diffusion');
  }

  /** Readback buffers ever created (stops growing in steady state). */
  get buffersCreated(): number {
    return this.readback.buffersCreated;
  }

  /** The denoiser in use (for tests and benchmarks). */
  get denoiser(): EpsilonModel | null {
    return this.model;
  }

  private get bytes(): number {
    return this.cfg.count * this.cfg.dim * 4;
  }

  setup(setup: DiffusionSetup, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion setup', async () => {
        validate(setup, MAX_PARTICLES_GPU);
        const { device, info } = this.gpu;
        const bytes = setup.count * setup.dim * 4;
        checkStorageSize(
          info,
          `${setup.count.toLocaleString('en-US')} particles of dimension ${setup.dim}`,
          bytes,
        );
        checkStorageSize(info, 'The data', setup.data.byteLength);
        this.freeChain();
        this.config = setup;
        const mk = (name: string, size: number) => createStorageBuffer(device, `diffusion.${name}`, size);
        this.buffers = {
          cur: mk('particles', bytes),
          alt: mk('particles.next', bytes),
          x0: mk('x0', bytes),
          eps: mk('eps', bytes),
          x0b: mk('x0.heun', bytes),
          epsb: mk('eps.heun', bytes),
          source: mk('data.source', setup.data.byteLength),
        };
        device.queue.writeBuffer(
          this.buffers.source,
          0,
          setup.data.buffer,
          setup.data.byteOffset,
          setup.data.byteLength,
        );
        const choice = setup.denoiser ?? { kind: 'exact' };
        if (choice.kind === 'exact') {
          this.model = new ExactDenoiser(device, setup.data, setup.dim, 'diffusion.exact');
          this.ownsModel = true;
        } else if (choice.kind === 'gaussian') {
          this.model = new GaussianDenoiser(device, choice.law, setup.dim, 'diffusion.gaussian');
          this.ownsModel = true;
        } else if (choice.kind === 'mlp') {
          if (choice.model.config.dim !== setup.dim) throw new RangeError('The MLP has the wrong dimension.');
          this.model = new MlpDenoiser(device, choice.model, 'diffusion.mlp');
          this.ownsModel = true;
        } else {
          if (!choice.model) throw new Error('A custom denoiser needs a GPU model for the GPU engine.');
          if (choice.model.dim !== setup.dim)
            throw new RangeError('The custom denoiser has the wrong dimension.');
          this.model = choice.model;
          this.ownsModel = false;
        }
        return this.initialise(setup.start ?? { from: 'noise' }, read);
      }),
    );
  }

  restart(start: StartSpec, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() => this.scoped('Diffusion restart', () => this.initialise(start, read)));
  }

  step(read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion step', async () => {
        const t0 = performance.now();
        const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.step' });
        if (!this.done) this.encodeStep(encoder, true);
        return this.finish(encoder, read, t0);
      }),
    );
  }

  stepBack(read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion step back', () => this.moveTo(Math.max(0, this.k - 1), read)),
    );
  }

  jumpToStep(k: number, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion jump', () =>
        this.moveTo(Math.max(0, Math.min(this.chain.length - 1, Math.floor(k))), read),
      ),
    );
  }

  read(read: ReadRequest): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion read', async () => {
        const t0 = performance.now();
        const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.read' });
        return this.finish(encoder, read, t0);
      }),
    );
  }

  private scoped<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withErrorScopes(this.gpu.device, what, fn);
  }

  private get buf() {
    if (!this.buffers || !this.model) throw new Error('Call setup() before running the diffusion engine.');
    return this.buffers;
  }

  /** Encodes the start state into `cur` (one forward dispatch) and reads. */
  private async initialise(start: StartSpec, read: ReadRequest): Promise<DiffusionFrame> {
    const t0 = performance.now();
    this.makePath(start);
    this.dropSnapshots();
    const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.start' });
    this.encodeStart(encoder);
    return this.finish(encoder, read, t0);
  }

  private encodeStart(encoder: GPUCommandEncoder): void {
    const c = this.cfg;
    const b = this.buf;
    const level =
      this.start.from === 'noise' ? { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 } : this.level(this.chain[0]!);
    this.forwardKernel.encode(encoder, {
      source: b.source,
      sourceCount: c.data.length / c.dim,
      xt: b.cur,
      eps: b.alt,
      count: c.count,
      dim: c.dim,
      level,
      seed: c.seed,
    });
    this.evaluatedAt = -1;
  }

  private encodeDenoise(
    encoder: GPUCommandEncoder,
    xt: GPUBuffer,
    t: number,
    x0: GPUBuffer,
    eps: GPUBuffer,
  ): void {
    const c = this.cfg;
    this.model!.encode(encoder, { xt, count: c.count, dim: c.dim, level: this.level(t), x0, eps });
  }

  /** Encodes step k → k + 1 (snapshotting k first when `snapshot`). */
  private encodeStep(encoder: GPUCommandEncoder, snapshot: boolean): void {
    const c = this.cfg;
    const b = this.buf;
    const t = this.chain[this.k]!;
    const tPrev = this.chain[this.k + 1]!;
    if (snapshot) this.encodeSnapshot(encoder);
    if (this.evaluatedAt !== this.k) this.encodeDenoise(encoder, b.cur, t, b.x0, b.eps);
    const plan = planStep(c.schedule, this.sampler, t, tPrev);
    const common = { count: c.count, dim: c.dim, seed: c.seed, noiseStep: plan.noiseStep };
    this.stepKernel.encode(encoder, {
      ...common,
      x: b.cur,
      x0: b.x0,
      eps: b.eps,
      aux: b.eps,
      out: b.alt,
      coefficients: plan.first,
    });
    if (plan.heunC2 === null) {
      [b.cur, b.alt] = [b.alt, b.cur];
    } else {
      // Heun: denoise the Euler prediction at t_prev, then x_prev = x' + c₂(x̂₀' − x̂₀) back into `cur`.
      this.encodeDenoise(encoder, b.alt, tPrev, b.x0b, b.epsb);
      this.stepKernel.encode(encoder, {
        ...common,
        x: b.alt,
        x0: b.x0b,
        eps: b.epsb,
        aux: b.x0,
        out: b.cur,
        coefficients: heunCorrection(plan.heunC2),
      });
    }
    this.k++;
    this.evaluatedAt = -1;
  }

  /**
   * Sizes the history buffer for this setup: as many snapshots as the budget (historyBytes) and the
   * device's maxBufferSize allow, but no more than the longest chain of the schedule (T steps). An existing
   * buffer big enough is reused. Returns the number of slots (0: no history, step back replays).
   */
  private sizeHistory(): number {
    if (this.historySized) return this.historySlots;
    this.historySized = true;
    const bytes = this.bytes;
    const budget = this.cfg.historyBytes ?? DEFAULT_HISTORY_BYTES_GPU;
    const limit = Math.min(budget, this.gpu.device.limits.maxBufferSize);
    const wanted = Math.min(Math.floor(limit / bytes), this.cfg.schedule.T);
    if (wanted < 1) {
      this.historySlots = 0;
    } else if (this.history && Math.floor(this.history.size / bytes) >= wanted) {
      this.historySlots = Math.min(Math.floor(this.history.size / bytes), Math.floor(limit / bytes));
    } else {
      this.history?.destroy();
      this.history = createStorageBuffer(this.gpu.device, 'diffusion.history', wanted * bytes);
      this.historySlots = wanted;
    }
    this.snapshots.clear();
    this.freeSlots = Array.from({ length: this.historySlots }, (_, i) => this.historySlots - 1 - i);
    return this.historySlots;
  }

  private encodeSnapshot(encoder: GPUCommandEncoder): void {
    if (this.snapshots.has(this.k)) return;
    if (this.sizeHistory() < 1) return;
    if (this.freeSlots.length === 0) {
      const oldest = Math.min(...this.snapshots.keys());
      this.freeSlots.push(this.snapshots.get(oldest)!);
      this.snapshots.delete(oldest);
    }
    const slot = this.freeSlots.pop()!;
    encoder.copyBufferToBuffer(this.buf.cur, 0, this.history!, slot * this.bytes, this.bytes);
    this.snapshots.set(this.k, slot);
  }

  private async moveTo(target: number, read: ReadRequest): Promise<DiffusionFrame> {
    const t0 = performance.now();
    const device = this.gpu.device;
    let encoder = device.createCommandEncoder({ label: 'diffusion.move' });
    if (target < this.k) {
      let from = -1;
      for (const j of this.snapshots.keys()) if (j <= target && j > from) from = j;
      if (from >= 0) {
        const offset = this.snapshots.get(from)! * this.bytes;
        encoder.copyBufferToBuffer(this.history!, offset, this.buf.cur, 0, this.bytes);
        this.k = from;
        this.evaluatedAt = -1;
      } else {
        this.k = 0;
        this.encodeStart(encoder);
      }
    }
    let batch = 0;
    while (this.k < target) {
      this.encodeStep(encoder, true);
      if (++batch === REPLAY_BATCH && this.k < target) {
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder({ label: 'diffusion.move' });
        batch = 0;
      }
    }
    return this.finish(encoder, read, t0);
  }

  private fieldBuffers(size: number) {
    if (!this.field || this.field.size < size) {
      this.freeField();
      const n = size * size;
      const device = this.gpu.device;
      this.field = {
        size,
        points: createStorageBuffer(device, 'diffusion.field.points', n * 8),
        x0: createStorageBuffer(device, 'diffusion.field.x0', n * 8),
        eps: createStorageBuffer(device, 'diffusion.field.eps', n * 8),
      };
    }
    return this.field;
  }

  /** Encodes the requested reads, submits once, resolves the frame. */
  private async finish(encoder: GPUCommandEncoder, read: ReadRequest, t0: number): Promise<DiffusionFrame> {
    const c = this.cfg;
    const b = this.buf;
    const t = this.t;
    const nPos = readCount(read.positions, c.count);
    const nX0 = readCount(read.x0, c.count);
    const reads: Array<Promise<void>> = [];
    const frame: DiffusionFrame = {
      t,
      stepIndex: this.k,
      totalSteps: this.chain.length - 1,
      backend: 'gpu',
      elapsedMs: 0,
      bytesRead: 0,
    };
    const pending: Array<{ dst: GPUBuffer; bytes: number; take: (data: ArrayBuffer) => void }> = [];
    const copy = (src: GPUBuffer, bytes: number, take: (data: ArrayBuffer) => void) => {
      if (bytes === 0) {
        take(new ArrayBuffer(0));
        return;
      }
      pending.push({ dst: encodeReadback(encoder, this.readback, src, bytes), bytes, take });
    };
    if (nPos > 0) copy(b.cur, nPos * c.dim * 4, (d) => (frame.positions = new Float32Array(d)));
    if (nX0 > 0) {
      if (t > 0 && this.evaluatedAt !== this.k) {
        this.encodeDenoise(encoder, b.cur, t, b.x0, b.eps);
        this.evaluatedAt = this.k;
      }
      copy(t > 0 ? b.x0 : b.cur, nX0 * c.dim * 4, (d) => (frame.x0 = new Float32Array(d)));
    }
    if (read.density) {
      const spec = read.density;
      const counts = this.grid.encodeDensity(encoder, b.cur, c.count, c.dim, spec);
      const g2 = spec.size * spec.size;
      copy(counts, (g2 + 1) * 4, (d) => {
        const all = new Uint32Array(d);
        frame.density = { spec, counts: all.slice(0, g2), outside: all[g2]! };
      });
    }
    if (read.field) {
      const spec = read.field;
      checkViewGrid(spec);
      if (c.dim !== 2) throw new RangeError('The vector field is drawn for 2D data only.');
      if (t === 0) frame.field = null;
      else {
        const f = this.fieldBuffers(spec.size);
        const n = spec.size * spec.size;
        this.grid.encodePoints(encoder, spec, f.points);
        this.model!.encode(encoder, {
          xt: f.points,
          count: n,
          dim: 2,
          level: this.level(t),
          x0: f.x0,
          eps: f.eps,
        });
        const field: FieldFrame = {
          spec,
          t,
          points: new Float32Array(0),
          x0: new Float32Array(0),
          eps: new Float32Array(0),
        };
        frame.field = field;
        copy(f.points, n * 8, (d) => (field.points = new Float32Array(d)));
        copy(f.x0, n * 8, (d) => (field.x0 = new Float32Array(d)));
        copy(f.eps, n * 8, (d) => (field.eps = new Float32Array(d)));
      }
    }
    this.gpu.device.queue.submit([encoder.finish()]);
    for (const p of pending) {
      reads.push(this.readback.read(p.dst, p.bytes).then(p.take));
      frame.bytesRead += p.bytes;
    }
    await Promise.all(reads);
    if (reads.length === 0) await this.gpu.device.queue.onSubmittedWorkDone();
    frame.elapsedMs = performance.now() - t0;
    return frame;
  }

  private dropSnapshots(): void {
    for (const slot of this.snapshots.values()) this.freeSlots.push(slot);
    this.snapshots.clear();
  }

  private freeField(): void {
    if (!this.field) return;
    this.field.points.destroy();
    this.field.x0.destroy();
    this.field.eps.destroy();
    this.field = null;
  }

  private freeChain(): void {
    if (this.buffers) for (const buffer of Object.values(this.buffers)) buffer.destroy();
    this.buffers = null;
    // The history buffer outlives the chain (a later setup reuses it when big enough); its slots are freed.
    this.snapshots.clear();
    this.freeSlots = [];
    this.historySized = false;
    if (this.ownsModel) this.model?.destroy();
    this.model = null;
    this.evaluatedAt = -1;
  }

  destroy(): void {
    this.freeChain();
    this.freeField();
    this.history?.destroy();
    this.history = null;
    this.historySlots = 0;
    this.forwardKernel.destroy();
    this.stepKernel.destroy();
    this.grid.destroy();
    this.readback.destroy();
  }
}

// -------------------------------------------------------------------------------------------------------
// CPU

/**
 * The same API on the CPU: float64 references (diffusion.ref.ts), identical random numbers, no GPU. For
 * browsers without WebGPU, at reduced N (a few 10⁴ particles in 2D).
 */
export class DiffusionCpuEngine extends ChainState implements DiffusionRunner {
  readonly backend = 'cpu' as const;
  private denoiser: CpuDenoiser | null = null;
  private x: Float64Array = new Float64Array(0);
  private evaluated: { k: number; out: DenoiserOutput } | null = null;
  private snapshots = new Map<number, Float64Array>();

  setup(setup: DiffusionSetup, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () => {
      validate(setup, MAX_PARTICLES_CPU);
      this.config = setup;
      const choice = setup.denoiser ?? { kind: 'exact' };
      if (choice.kind === 'exact') this.denoiser = exactDenoiserCpu(setup.data, setup.dim);
      else if (choice.kind === 'gaussian') this.denoiser = gaussianDenoiserCpu(choice.law, setup.dim);
      else if (choice.kind === 'mlp') {
        if (choice.model.config.dim !== setup.dim) throw new RangeError('The MLP has the wrong dimension.');
        this.denoiser = mlpDenoiserCpu(choice.model);
      } else {
        if (!choice.cpu) throw new Error('A custom denoiser needs a CPU model for the CPU engine.');
        this.denoiser = choice.cpu;
      }
      return this.initialise(setup.start ?? { from: 'noise' }, read);
    });
  }

  restart(start: StartSpec, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () => this.initialise(start, read));
  }

  step(read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () => {
      const t0 = performance.now();
      if (!this.done) this.doStep(true);
      return this.frame(read, t0);
    });
  }

  stepBack(read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () => this.moveTo(Math.max(0, this.k - 1), read));
  }

  jumpToStep(k: number, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () =>
      this.moveTo(Math.max(0, Math.min(this.chain.length - 1, Math.floor(k))), read),
    );
  }

  read(read: ReadRequest): Promise<DiffusionFrame> {
    return this.queue.run(async () => this.frame(read, performance.now()));
  }

  private initialise(start: StartSpec, read: ReadRequest): DiffusionFrame {
    const t0 = performance.now();
    this.makePath(start);
    this.snapshots.clear();
    this.startState();
    return this.frame(read, t0);
  }

  private startState(): void {
    const c = this.cfg;
    const level =
      this.start.from === 'noise' ? { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 } : this.level(this.chain[0]!);
    this.x = forwardReference(c.data, c.data.length / c.dim, c.count, c.dim, level, c.seed).xt;
    this.evaluated = null;
  }

  private evaluate(): DenoiserOutput {
    if (this.evaluated?.k !== this.k) {
      const c = this.cfg;
      this.evaluated = { k: this.k, out: this.denoiser!.predict(this.x, c.count, c.dim, this.level(this.t)) };
    }
    return this.evaluated.out;
  }

  private doStep(snapshot: boolean): void {
    const c = this.cfg;
    const t = this.chain[this.k]!;
    const tPrev = this.chain[this.k + 1]!;
    if (snapshot && !this.snapshots.has(this.k)) {
      const cap = Math.floor((c.historyBytes ?? DEFAULT_HISTORY_BYTES_CPU) / (this.x.length * 8));
      if (cap >= 1) {
        while (this.snapshots.size >= cap) this.snapshots.delete(Math.min(...this.snapshots.keys()));
        this.snapshots.set(this.k, this.x.slice());
      }
    }
    const out = this.evaluate();
    const plan = planStep(c.schedule, this.sampler, t, tPrev);
    const n = c.count;
    let next = combineReference(plan.first, this.x, out.x0, out.eps, null, n, c.dim, c.seed, plan.noiseStep);
    if (plan.heunC2 !== null) {
      const second = this.denoiser!.predict(next, n, c.dim, this.level(tPrev));
      next = combineReference(
        heunCorrection(plan.heunC2),
        next,
        second.x0,
        next,
        out.x0,
        n,
        c.dim,
        c.seed,
        0,
      );
    }
    this.x = next;
    this.k++;
    this.evaluated = null;
  }

  private moveTo(target: number, read: ReadRequest): DiffusionFrame {
    const t0 = performance.now();
    if (target < this.k) {
      let from = -1;
      for (const j of this.snapshots.keys()) if (j <= target && j > from) from = j;
      if (from >= 0) {
        this.x = this.snapshots.get(from)!.slice();
        this.k = from;
        this.evaluated = null;
      } else {
        this.k = 0;
        this.startState();
      }
    }
    while (this.k < target) this.doStep(true);
    return this.frame(read, t0);
  }

  private frame(read: ReadRequest, t0: number): DiffusionFrame {
    const c = this.cfg;
    const t = this.t;
    const frame: DiffusionFrame = {
      t,
      stepIndex: this.k,
      totalSteps: this.chain.length - 1,
      backend: 'cpu',
      elapsedMs: 0,
      bytesRead: 0,
    };
    const nPos = readCount(read.positions, c.count);
    const nX0 = readCount(read.x0, c.count);
    if (nPos > 0) frame.positions = Float32Array.from(this.x.subarray(0, nPos * c.dim));
    if (nX0 > 0) {
      const src = t > 0 ? this.evaluate().x0 : this.x;
      frame.x0 = Float32Array.from(src.subarray(0, nX0 * c.dim));
    }
    if (read.density) {
      const spec = read.density;
      checkViewGrid(spec);
      if (c.dim < 2) throw new RangeError('The density grid needs at least two components.');
      const all = densityReference(Float32Array.from(this.x), c.count, c.dim, spec);
      const g2 = spec.size * spec.size;
      frame.density = { spec, counts: all.slice(0, g2), outside: all[g2]! };
    }
    if (read.field) {
      const spec = read.field;
      checkViewGrid(spec);
      if (c.dim !== 2) throw new RangeError('The vector field is drawn for 2D data only.');
      if (t === 0) frame.field = null;
      else {
        const points = Float32Array.from(gridPointsReference(spec));
        const out = this.denoiser!.predict(points, spec.size * spec.size, 2, this.level(t));
        frame.field = { spec, t, points, x0: Float32Array.from(out.x0), eps: Float32Array.from(out.eps) };
      }
    }
    frame.elapsedMs = performance.now() - t0;
    return frame;
  }

  destroy(): void {
    this.snapshots.clear();
    this.x = new Float64Array(0);
    this.denoiser = null;
    this.config = null;
  }
}

/** A runner for whatever is available: the GPU engine when a context is given, else the CPU engine. */
export function createDiffusionRunner(gpu: Pick<GpuContext, 'device' | 'info'> | null): DiffusionRunner {
  return gpu ? new DiffusionEngine(gpu) : new DiffusionCpuEngine();
}
