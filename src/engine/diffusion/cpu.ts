/**
 * The Diffusion engine's API on the CPU: the float64 references (src/kernels/diffusion/ref.ts), the same
 * random numbers, no GPU. For browsers without WebGPU, at reduced N (a few 10⁴ particles in 2D).
 */
import {
  combineReference,
  densityReference,
  exactDenoiserCpu,
  forwardReference,
  gaussianDenoiserCpu,
  gridPointsReference,
  type CpuDenoiser,
  type DenoiserOutput,
} from '../../kernels/diffusion/ref';
import { MAX_PARTICLES_CPU, heunCorrection, planStep } from '../../kernels/diffusion/spec';
import { mlpDenoiserCpu } from '../../models/mlp-denoiser';
import {
  ChainState,
  checkFieldGrid,
  checkViewGrid,
  densityFrame,
  frameHeader,
  readCount,
  validateSetup,
} from './chain';
import {
  DEFAULT_HISTORY_BYTES_CPU,
  type DiffusionFrame,
  type DiffusionRunner,
  type DiffusionSetup,
  type ReadRequest,
  type StartSpec,
} from './types';

export class DiffusionCpuEngine extends ChainState implements DiffusionRunner {
  readonly backend = 'cpu' as const;
  private denoiser: CpuDenoiser | null = null;
  private x: Float64Array = new Float64Array(0);
  private evaluated: { k: number; out: DenoiserOutput } | null = null;
  private snapshots = new Map<number, Float64Array>();

  setup(setup: DiffusionSetup, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(async () => {
      validateSetup(setup, MAX_PARTICLES_CPU);
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
      const frame = this.initialise(setup.start ?? { from: 'noise' }, setup.resume ? {} : read);
      // Resuming: the float64 state is not in a frame's f32 positions, so replay (the same numbers).
      return setup.resume ? this.moveTo(this.clampStep(setup.resume.stepIndex), read) : frame;
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
    return this.queue.run(async () => this.moveTo(this.clampStep(k), read));
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
    this.x = forwardReference(c.data, c.data.length / c.dim, c.count, c.dim, this.startLevel(), c.seed).xt;
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
    const frame = frameHeader(this, 'cpu');
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
      frame.density = densityFrame(spec, densityReference(Float32Array.from(this.x), c.count, c.dim, spec));
    }
    if (read.field) {
      const spec = read.field;
      checkFieldGrid(spec, c.dim);
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
