/**
 * The Diffusion lab's GPU engine: N particles stepped through a sampler with a denoiser, every operation one
 * submit (denoise → step kernel, Heun twice; snapshot copy; requested reads). x̂₀ and ε̂ of the current state
 * are cached, so reading x̂₀ and then stepping evaluates the denoiser once.
 */
import { msg, str } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import { withErrorScopes } from '../../gpu/device';
import { checkStorageSize } from '../../gpu/limits';
import { ReadbackPool } from '../../gpu/readback';
import { createStorageBuffer } from '../../gpu/compute';
import { RING_SLOTS, type EpsilonModel } from '../../kernels/diffusion/common';
import { ExactDenoiser } from '../../kernels/diffusion/exact';
import { GaussianDenoiser } from '../../kernels/diffusion/affine';
import { ForwardKernel } from '../../kernels/diffusion/forward';
import { SamplerStepKernel } from '../../kernels/diffusion/step';
import { GridKernel } from '../../kernels/diffusion/grid';
import { createMlpDenoiser, mlpFamilyFor, type MlpFamily } from '../../kernels/diffusion/mlp-batched';
import { MAX_PARTICLES_GPU, heunCorrection, planStep } from '../../kernels/diffusion/spec';
import { ChainState, checkFieldGrid, densityFrame, frameHeader, readCount, validateSetup } from './chain';
import { formatCount } from '../../util/format';
import { GpuHistory } from './history';
import { FieldBuffers, FrameReads } from './readback';
import {
  DEFAULT_HISTORY_BYTES_GPU,
  MAX_VIEW_GRID,
  type ChainResume,
  type DiffusionFrame,
  type DiffusionRunner,
  type DiffusionSetup,
  type FieldFrame,
  type ReadRequest,
  type StartSpec,
} from './types';

/** Steps encoded per submit while replaying (each step may encode the denoiser and the step kernel twice). */
const REPLAY_BATCH = Math.floor(RING_SLOTS / 4);

type ChainBuffers = Record<'cur' | 'alt' | 'x0' | 'eps' | 'x0b' | 'epsb' | 'source', GPUBuffer>;

export class DiffusionEngine extends ChainState implements DiffusionRunner {
  readonly backend = 'gpu' as const;
  private readonly forwardKernel: ForwardKernel;
  private readonly stepKernel: SamplerStepKernel;
  private readonly grid: GridKernel;
  private readonly readback: ReadbackPool;
  private readonly history: GpuHistory;
  private readonly field: FieldBuffers;
  private model: EpsilonModel | null = null;
  private ownsModel = false;
  private buffers: ChainBuffers | null = null;
  /** Step index at which x0/eps hold the denoiser's output for `cur`, or −1. */
  private evaluatedAt = -1;

  /** The ε-MLP kernel family (mlpFamilyFor the device unless the constructor's options say). */
  readonly mlpFamily: MlpFamily;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device' | 'info'>,
    options: { mlpFamily?: MlpFamily } = {},
  ) {
    super();
    const { device } = gpu;
    this.mlpFamily = options.mlpFamily ?? mlpFamilyFor(device);
    this.forwardKernel = new ForwardKernel(device, 'diffusion.forward');
    this.stepKernel = new SamplerStepKernel(device, 'diffusion.step');
    this.grid = new GridKernel(device, 'diffusion.grid', MAX_VIEW_GRID);
    this.readback = new ReadbackPool(device, 'diffusion');
    this.history = new GpuHistory(device);
    this.field = new FieldBuffers(device);
  }

  /** Readback buffers ever created (stops growing in steady state). */
  get buffersCreated(): number {
    return this.readback.buffersCreated;
  }

  setup(setup: DiffusionSetup, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion setup', async () => {
        validateSetup(setup, MAX_PARTICLES_GPU);
        const { device, info } = this.gpu;
        const bytes = setup.count * setup.dim * 4;
        const what = msg(str`${formatCount(setup.count)} particles of dimension ${setup.dim}`);
        checkStorageSize(info, what, bytes);
        checkStorageSize(info, msg('The data'), setup.data.byteLength);
        this.freeChain();
        this.config = setup;
        const budget = setup.historyBytes ?? DEFAULT_HISTORY_BYTES_GPU;
        this.history.reset({ bytes, budget, maxSteps: setup.schedule.T });
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
        const data = setup.data;
        device.queue.writeBuffer(this.buffers.source, 0, data.buffer, data.byteOffset, data.byteLength);
        this.model = this.makeModel(setup);
        if (setup.resume) return this.resume(setup.start ?? { from: 'noise' }, setup.resume, read);
        return this.initialise(setup.start ?? { from: 'noise' }, read);
      }),
    );
  }

  private makeModel(setup: DiffusionSetup): EpsilonModel {
    const { device } = this.gpu;
    const choice = setup.denoiser ?? { kind: 'exact' };
    this.ownsModel = choice.kind !== 'custom';
    if (choice.kind === 'exact') return new ExactDenoiser(device, setup.data, setup.dim, 'diffusion.exact');
    if (choice.kind === 'gaussian') {
      return new GaussianDenoiser(device, choice.law, setup.dim, 'diffusion.gaussian');
    }
    if (choice.kind === 'mlp') {
      if (choice.model.config.dim !== setup.dim) throw new RangeError('The MLP has the wrong dimension.');
      return createMlpDenoiser(device, choice.model, 'diffusion.mlp', this.mlpFamily);
    }
    if (!choice.model) throw new Error('A custom denoiser needs a GPU model for the GPU engine.');
    if (choice.model.dim !== setup.dim) throw new RangeError('The custom denoiser has the wrong dimension.');
    return choice.model;
  }

  restart(start: StartSpec, read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() => this.scoped('Diffusion restart', () => this.initialise(start, read)));
  }

  step(read: ReadRequest = {}): Promise<DiffusionFrame> {
    return this.queue.run(() =>
      this.scoped('Diffusion step', async () => {
        const t0 = performance.now();
        const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.step' });
        if (!this.done) this.encodeStep(encoder);
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
    return this.queue.run(() => this.scoped('Diffusion jump', () => this.moveTo(this.clampStep(k), read)));
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

  private get buf(): ChainBuffers {
    if (!this.buffers || !this.model) throw new Error('Call setup() before running the diffusion engine.');
    return this.buffers;
  }

  /** Encodes the start state into `cur` (one forward dispatch) and reads. */
  private async initialise(start: StartSpec, read: ReadRequest): Promise<DiffusionFrame> {
    const t0 = performance.now();
    this.makePath(start);
    this.history.drop();
    const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.start' });
    this.encodeStart(encoder);
    return this.finish(encoder, read, t0);
  }

  /** Uploads x at step `r.stepIndex` of the path from `start` (a chain moved to a new device) and reads. */
  private async resume(start: StartSpec, r: ChainResume, read: ReadRequest): Promise<DiffusionFrame> {
    const t0 = performance.now();
    const c = this.cfg;
    if (r.particles.length !== c.count * c.dim) {
      throw new RangeError(`Resume needs ${c.count * c.dim} particle values (got ${r.particles.length}).`);
    }
    this.makePath(start);
    this.history.drop();
    this.k = this.clampStep(r.stepIndex);
    const p = r.particles;
    this.gpu.device.queue.writeBuffer(this.buf.cur, 0, p.buffer, p.byteOffset, p.byteLength);
    this.evaluatedAt = -1;
    const encoder = this.gpu.device.createCommandEncoder({ label: 'diffusion.resume' });
    return this.finish(encoder, read, t0);
  }

  private encodeStart(encoder: GPUCommandEncoder): void {
    const c = this.cfg;
    const b = this.buf;
    this.forwardKernel.encode(encoder, {
      source: b.source,
      sourceCount: c.data.length / c.dim,
      xt: b.cur,
      eps: b.alt,
      count: c.count,
      dim: c.dim,
      level: this.startLevel(),
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

  /** Encodes step k → k + 1, snapshotting k first. */
  private encodeStep(encoder: GPUCommandEncoder): void {
    const c = this.cfg;
    const b = this.buf;
    const t = this.chain[this.k]!;
    const tPrev = this.chain[this.k + 1]!;
    this.history.encodeSave(encoder, this.k, b.cur);
    if (this.evaluatedAt !== this.k) this.encodeDenoise(encoder, b.cur, t, b.x0, b.eps);
    const plan = planStep(c.schedule, this.sampler, t, tPrev);
    const common = { count: c.count, dim: c.dim, seed: c.seed, noiseStep: plan.noiseStep };
    const first = plan.first;
    this.stepKernel.encode(encoder, {
      ...common,
      x: b.cur,
      x0: b.x0,
      eps: b.eps,
      aux: b.eps,
      out: b.alt,
      coefficients: first,
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

  private async moveTo(target: number, read: ReadRequest): Promise<DiffusionFrame> {
    const t0 = performance.now();
    const device = this.gpu.device;
    let encoder = device.createCommandEncoder({ label: 'diffusion.move' });
    if (target < this.k) {
      const from = this.history.encodeRestore(encoder, target, this.buf.cur);
      this.k = Math.max(0, from);
      if (from < 0) this.encodeStart(encoder);
      this.evaluatedAt = -1;
    }
    let batch = 0;
    while (this.k < target) {
      this.encodeStep(encoder);
      if (++batch === REPLAY_BATCH && this.k < target) {
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder({ label: 'diffusion.move' });
        batch = 0;
      }
    }
    return this.finish(encoder, read, t0);
  }

  /** Encodes the requested reads, submits once, resolves the frame. */
  private async finish(encoder: GPUCommandEncoder, read: ReadRequest, t0: number): Promise<DiffusionFrame> {
    const c = this.cfg;
    const b = this.buf;
    const t = this.t;
    const nPos = readCount(read.positions, c.count);
    const nX0 = readCount(read.x0, c.count);
    const frame = frameHeader(this, 'gpu');
    const reads = new FrameReads(this.readback, encoder);
    if (nPos > 0) reads.copy(b.cur, nPos * c.dim * 4, (d) => (frame.positions = new Float32Array(d)));
    if (nX0 > 0) {
      if (t > 0 && this.evaluatedAt !== this.k) {
        this.encodeDenoise(encoder, b.cur, t, b.x0, b.eps);
        this.evaluatedAt = this.k;
      }
      reads.copy(t > 0 ? b.x0 : b.cur, nX0 * c.dim * 4, (d) => (frame.x0 = new Float32Array(d)));
    }
    if (read.density) {
      const spec = read.density;
      const counts = this.grid.encodeDensity(encoder, b.cur, c.count, c.dim, spec);
      reads.copy(counts, (spec.size * spec.size + 1) * 4, (d) => {
        frame.density = densityFrame(spec, new Uint32Array(d));
      });
    }
    if (read.field) {
      const spec = read.field;
      checkFieldGrid(spec, c.dim);
      if (t === 0) frame.field = null;
      else {
        const f = this.field.get(spec.size);
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
        const empty = new Float32Array(0);
        const field: FieldFrame = { spec, t, points: empty, x0: empty, eps: empty };
        frame.field = field;
        reads.copy(f.points, n * 8, (d) => (field.points = new Float32Array(d)));
        reads.copy(f.x0, n * 8, (d) => (field.x0 = new Float32Array(d)));
        reads.copy(f.eps, n * 8, (d) => (field.eps = new Float32Array(d)));
      }
    }
    frame.bytesRead = await reads.submit(this.gpu.device);
    frame.elapsedMs = performance.now() - t0;
    return frame;
  }

  private freeChain(): void {
    if (this.buffers) for (const buffer of Object.values(this.buffers)) buffer.destroy();
    this.buffers = null;
    // The history buffer outlives the chain (a later setup reuses it when big enough); its slots are freed.
    this.history.reset(null);
    if (this.ownsModel) this.model?.destroy();
    this.model = null;
    this.evaluatedAt = -1;
  }

  destroy(): void {
    this.freeChain();
    this.field.destroy();
    this.history.destroy();
    this.forwardKernel.destroy();
    this.stepKernel.destroy();
    this.grid.destroy();
    this.readback.destroy();
  }
}
