/**
 * One chain pane of the Diffusion lab: a DiffusionRunner (GPU engine or CPU reference) plus what the page
 * keeps alongside it (schedule, data, last frame, trails of a few particles). No DOM here.
 */
import { msg } from '@lit/localize';
import type {
  DenoiserChoice,
  DiffusionFrame,
  DiffusionRunner,
  DiffusionSetup,
  ReadRequest,
  SamplerSpec,
  StartSpec,
} from '../../engine/diffusion';
import { makeSchedule, type Schedule, type ScheduleKind } from '../../models/schedules';
import {
  isImageDataset,
  type DiffusionDataset,
  type DiffusionDenoiserChoice,
  type DiffusionSamplerChoice,
  type DiffusionState,
} from '../../state/diffusion';

/** The view extent [−EXTENT, EXTENT]²: the datasets have per-axis std ≈ 1 and x_T is N(0, I). */
export const EXTENT = 3.5;
/** Particles drawn (and read back for drawing) at most; exports read all of them. */
export const MAX_DRAWN = 100_000;
/** x̂₀ overlay points read back at most. */
const MAX_DRAWN_X0 = 20_000;
/** Particles whose paths are drawn as trails. */
export const TRAIL_COUNT = 8;
const DENSITY_GRID = 64;
const FIELD_GRID = 21;
/** The training data are drawn with this fixed seed, so reseeding the sampler keeps the same data. */
export const DATA_SEED = 1;
/** Image mode: particles (images) per pane at most. */
export const MAX_IMAGE_PARTICLES = 64;
/** Image mode: training glyphs per class. */
export const GLYPHS_PER_CLASS = 16;

function samplerSpec(choice: DiffusionSamplerChoice, eta: number): SamplerSpec {
  switch (choice) {
    case 'ddpm-beta':
      return { kind: 'ddpm', variance: 'beta' };
    case 'ddpm-beta-tilde':
      return { kind: 'ddpm', variance: 'beta-tilde' };
    case 'ddim':
      return { kind: 'ddim', eta };
    case 'ode-euler':
      return { kind: 'ode', method: 'euler' };
    case 'ode-heun':
      return { kind: 'ode', method: 'heun' };
  }
}

/** The sampler's name in the interface language (a function: msg() answers in the language of the moment). */
export function samplerLabel(choice: DiffusionSamplerChoice): string {
  switch (choice) {
    case 'ddpm-beta':
      return 'DDPM, σ² = β';
    case 'ddpm-beta-tilde':
      return 'DDPM, σ² = β̃';
    case 'ddim':
      return 'DDIM';
    case 'ode-euler':
      return msg('Probability-flow ODE, Euler');
    case 'ode-heun':
      return msg('Probability-flow ODE, Heun');
  }
}

/** A schedule's name on screen (English: the kind as in the URL). */
export function scheduleLabel(kind: ScheduleKind): string {
  switch (kind) {
    case 'linear':
      return msg('linear');
    case 'scaled-linear':
      return msg('scaled-linear');
    case 'cosine':
      return msg('cosine');
    case 'sigmoid':
      return msg('sigmoid');
  }
}

/** DDPM visits every timestep; DDIM and the ODE solvers take `steps` strided steps (at most T). */
export function samplerSteps(choice: DiffusionSamplerChoice, steps: number, T: number): number {
  return choice.startsWith('ddpm') ? T : Math.min(steps, T);
}

export interface PaneConfig {
  dataset: DiffusionDataset;
  /** Training points (for 'draw': the number drawn). */
  points: number;
  /** The drawn points as in the URL ('' unless dataset is 'draw'). */
  drawing: string;
  /** Image side for the glyph datasets (0 for 2D data). */
  size: number;
  schedule: ScheduleKind;
  T: number;
  ztsnr: boolean;
  sampler: DiffusionSamplerChoice;
  steps: number;
  eta: number;
  particles: number;
  seed: number;
  /** The denoiser asked for (what runs is ChainPane.denoiserUsed: a missing model falls back to exact). */
  denoiser: DiffusionDenoiserChoice;
}

export function paneConfig(p: DiffusionState, particles: number, which: 'A' | 'B'): PaneConfig {
  const base: PaneConfig = {
    dataset: p.dataset,
    points: p.dataset === 'draw' ? drawnCount(p.drawing) : p.points,
    drawing: p.dataset === 'draw' ? p.drawing : '',
    size: isImageDataset(p.dataset) ? Number(p.size) : 0,
    schedule: p.schedule,
    T: p.T,
    ztsnr: p.ztsnr,
    sampler: p.sampler,
    steps: p.steps,
    eta: p.eta,
    particles,
    seed: p.seed,
    denoiser: p.denoiser,
  };
  if (which === 'B') {
    if (p.compare === 'sampler') base.sampler = p.samplerB;
    if (p.compare === 'schedule') base.schedule = p.scheduleB;
    if (p.compare === 'denoiser') base.denoiser = p.denoiserB;
  }
  return base;
}

/** Points in an encoded drawing (4 base64url-encoded bytes each). */
function drawnCount(drawing: string): number {
  return Math.floor((drawing.length * 3) / 4 / 4);
}

export function paneLabel(c: PaneConfig, eta: number): string {
  const s = samplerLabel(c.sampler) + (c.sampler === 'ddim' ? ` (η = ${eta})` : '');
  return `${s} · ${scheduleLabel(c.schedule)}${c.ztsnr ? msg(' (zero terminal SNR)') : ''}`;
}

export function viewRequest(
  view: { x0: boolean; field: boolean; density: boolean; dataset: DiffusionDataset },
  particles: number,
): ReadRequest {
  // Image mode reads every image and its x̂₀ (at most MAX_IMAGE_PARTICLES): the grids show both.
  if (isImageDataset(view.dataset)) return { positions: true, x0: true };
  const grid = (size: number) => ({ size, xMin: -EXTENT, xMax: EXTENT, yMin: -EXTENT, yMax: EXTENT });
  return {
    positions: Math.min(particles, MAX_DRAWN),
    ...(view.x0 ? { x0: Math.min(particles, MAX_DRAWN_X0) } : {}),
    ...(view.density ? { density: grid(DENSITY_GRID) } : {}),
    ...(view.field ? { field: grid(FIELD_GRID) } : {}),
  };
}

/** What a pane computes with besides its config: the training data and the resolved denoiser. */
export interface PaneInputs {
  /** M training points of `dim` components, row-major. */
  data: Float32Array;
  dim: number;
  denoiser: DenoiserChoice;
  /** Which of the page's denoisers this is ('exact' when the one asked for was unavailable). */
  denoiserUsed: DiffusionDenoiserChoice;
}

export class ChainPane {
  readonly schedule: Schedule;
  readonly data: Float32Array;
  readonly dim: number;
  readonly denoiserUsed: DiffusionDenoiserChoice;
  private readonly denoiser: DenoiserChoice;
  frame: DiffusionFrame | null = null;
  /** The start of the chain (setup or the last reset). */
  start: StartSpec = { from: 'noise' };
  /** stepIndex → positions of the first TRAIL_COUNT particles. */
  private trailPoints = new Map<number, Float32Array>();

  constructor(
    readonly runner: DiffusionRunner,
    readonly config: PaneConfig,
    inputs: PaneInputs,
  ) {
    this.schedule = makeSchedule({ kind: config.schedule, T: config.T, zeroTerminalSnr: config.ztsnr });
    this.data = inputs.data;
    this.dim = inputs.dim;
    this.denoiser = inputs.denoiser;
    this.denoiserUsed = inputs.denoiserUsed;
  }

  /** `start`: pure noise at t = T, or the data noised forward to t (the forward-process scrub). */
  async setup(read: ReadRequest, start: StartSpec = { from: 'noise' }): Promise<DiffusionFrame> {
    this.trailPoints.clear();
    return this.take(await this.runner.setup(this.setupOf(start), read));
  }

  /**
   * Continues `prev` (same config, its device lost) on this pane's runner from prev's last drawn frame: the
   * particles it read back are uploaded when they are all of them, else the chain replays to that step
   * (counter-based noise: the same numbers). The trails carry over; step-back history starts afresh.
   */
  async resume(prev: ChainPane, read: ReadRequest): Promise<DiffusionFrame> {
    const f = prev.frame!;
    this.start = prev.start;
    this.trailPoints = new Map(prev.trailPoints);
    const c = this.config;
    const particles = f.positions;
    if (particles?.length === c.particles * this.dim) {
      const setup = { ...this.setupOf(this.start), resume: { stepIndex: f.stepIndex, particles } };
      return this.take(await this.runner.setup(setup, read));
    }
    await this.runner.setup(this.setupOf(this.start), {});
    return this.take(await this.runner.jumpToStep(f.stepIndex, read));
  }

  private setupOf(start: StartSpec): DiffusionSetup {
    const c = this.config;
    this.start = start;
    return {
      schedule: this.schedule,
      data: this.data,
      dim: this.dim,
      count: c.particles,
      seed: c.seed,
      sampler: samplerSpec(c.sampler, c.eta),
      steps: samplerSteps(c.sampler, c.steps, c.T),
      denoiser: this.denoiser,
      start,
    };
  }

  async step(read: ReadRequest) {
    return this.take(await this.runner.step(read));
  }
  async stepBack(read: ReadRequest) {
    return this.take(await this.runner.stepBack(read));
  }
  async jumpToStep(k: number, read: ReadRequest) {
    return this.take(await this.runner.jumpToStep(k, read));
  }
  async jumpToT(t: number, read: ReadRequest) {
    return this.take(await this.runner.jumpToT(t, read));
  }
  /** Back to the start of the chain: pure noise, or the data noised to t. */
  async reset(read: ReadRequest, start: StartSpec = { from: 'noise' }) {
    this.trailPoints.clear();
    this.start = start;
    return this.take(await this.runner.restart(start, read));
  }
  async read(read: ReadRequest) {
    return this.take(await this.runner.read(read));
  }

  /** Trails (oldest first) of the first TRAIL_COUNT particles up to the current step. */
  trails(): Float32Array[] {
    const keys = [...this.trailPoints.keys()].sort((a, b) => a - b);
    const n = Math.min(TRAIL_COUNT, this.config.particles);
    const out: Float32Array[] = [];
    for (let j = 0; j < n; j++) {
      const tr = new Float32Array(keys.length * 2);
      keys.forEach((k, i) => {
        const p = this.trailPoints.get(k)!;
        tr[2 * i] = p[2 * j]!;
        tr[2 * i + 1] = p[2 * j + 1]!;
      });
      out.push(tr);
    }
    return out;
  }

  private take(frame: DiffusionFrame): DiffusionFrame {
    this.frame = frame;
    for (const k of [...this.trailPoints.keys()]) if (k > frame.stepIndex) this.trailPoints.delete(k);
    if (frame.positions && this.dim === 2)
      this.trailPoints.set(frame.stepIndex, frame.positions.slice(0, 2 * TRAIL_COUNT));
    return frame;
  }
}
