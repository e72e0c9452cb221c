/**
 * The chain both backends share: `path` lists the timesteps visited (path[0] = the start, every strided
 * timestep below it, then 0); stepIndex k means the particles hold x at t = path[k]. Also the setup and grid
 * checks. Operations run one at a time through a SerialQueue.
 */
import {
  MAX_DIM,
  checkGrid,
  noiseLevel,
  type GridSpec,
  type NoiseLevel,
  type SamplerSpec,
} from '../../kernels/diffusion/spec';
import {
  previousTimestep,
  stridedTimesteps,
  type Schedule,
  type TimestepSpacing,
} from '../../models/schedules';
import { SerialQueue } from '../../util/serial-queue';
import {
  MAX_VIEW_GRID,
  type DensityFrame,
  type DiffusionFrame,
  type DiffusionSetup,
  type ReadRequest,
  type StartSpec,
} from './types';

/**
 * The path of timesteps a chain visits from `start` to 0: a pure-noise start begins at timesteps[0] of the
 * strided sequence (T with 'trailing' spacing), a start from data at its t.
 */
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

export function validateSetup(s: DiffusionSetup, maxParticles: number): void {
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

export function checkViewGrid(spec: GridSpec): void {
  checkGrid(spec);
  if (spec.size > MAX_VIEW_GRID)
    throw new RangeError(`Grid size must be at most ${MAX_VIEW_GRID} (got ${spec.size}).`);
}

/** Checks a vector-field request: a view grid, over 2D data. */
export function checkFieldGrid(spec: GridSpec, dim: number): void {
  checkViewGrid(spec);
  if (dim !== 2) throw new RangeError('The vector field is drawn for 2D data only.');
}

/** The density frame of a grid's counts as the kernels write them: G² cells, then the particles outside. */
export function densityFrame(spec: GridSpec, all: Uint32Array): DensityFrame {
  const g2 = spec.size * spec.size;
  return { spec, counts: all.slice(0, g2), outside: all[g2]! };
}

/** How many particles a read asks for: true = all n, a number k = the first k, else 0. */
export function readCount(req: boolean | number | undefined, n: number): number {
  if (req === undefined || req === false) return 0;
  if (req === true) return n;
  return Math.max(0, Math.min(n, Math.floor(req)));
}

/** The no-data frame fields of the current state. */
export function frameHeader(chain: ChainState, backend: 'gpu' | 'cpu'): DiffusionFrame {
  return {
    t: chain.t,
    stepIndex: chain.stepIndex,
    totalSteps: chain.path.length - 1,
    backend,
    elapsedMs: 0,
    bytesRead: 0,
  };
}

export abstract class ChainState {
  protected config: DiffusionSetup | null = null;
  protected chain: number[] = [];
  protected k = 0;
  protected start: StartSpec = { from: 'noise' };
  protected readonly queue = new SerialQueue();

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

  /** The level the start is noised to: ᾱ = 0 (x = ε) for a pure-noise start. */
  protected startLevel(): Pick<NoiseLevel, 'sqrtAlphaBar' | 'sqrtOneMinusAlphaBar'> {
    return this.start.from === 'noise'
      ? { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 }
      : this.level(this.chain[0]!);
  }

  /** Clamps a step index to the path. */
  protected clampStep(k: number): number {
    return Math.max(0, Math.min(this.chain.length - 1, Math.floor(k)));
  }

  jumpToT(t: number, read: ReadRequest = {}): Promise<DiffusionFrame> {
    let k = this.chain.findIndex((s) => s <= t);
    if (k < 0) k = this.chain.length - 1;
    return this.jumpToStep(k, read);
  }

  abstract jumpToStep(k: number, read?: ReadRequest): Promise<DiffusionFrame>;
}
