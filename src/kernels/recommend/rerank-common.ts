/**
 * The wrapper shared by the three re-rank kernels (mmr.ts, dpp.ts, calibration.ts): one WGSL file joined
 * after shaders/recommend/rerank_common.wgsl, nine bindings, one workgroup per (user, point). A single run
 * is a sweep of one point. Encodes and their parameters: see EncodeRing (any number per command encoder).
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import commonWgsl from '../../../shaders/recommend/rerank_common.wgsl?raw';
import { ComputeKernel, createStorageBuffer } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import {
  CALIBRATION_MIX,
  RERANK_DEFAULTS,
  dppAlpha,
  validateRerankShape,
  type RerankOptions,
  type SweepSetting,
} from './spec';

const PARAMS = new UniformLayout([
  ['users', 'u32'],
  ['m', 'u32'],
  ['n', 'u32'],
  ['kCategories', 'u32'],
  ['points', 'u32'],
  ['epsilon', 'f32'],
  ['mix', 'f32'],
  ['pad', 'u32'],
] as const);

/**
 * The per-encode parameter buffers of a kernel. Each encode takes the next slot; encodes into the same
 * command encoder always get distinct slots (the ring grows by one slot when an encoder has used them all),
 * because queue.writeBuffer runs before the submit, so two encodes sharing a slot would both see the last
 * values. A slot is reused by a later encoder only after every other slot has been: finish and submit a
 * command buffer before encoding the same kernel into further encoders that many times (the engine's
 * encode → submit per run always does).
 */
export class EncodeRing<T extends { destroy(): void }> {
  private readonly slots: T[] = [];
  private cursor = 0;
  private encoder: GPUCommandEncoder | undefined;
  private used = 0;

  constructor(
    private readonly make: (index: number) => T,
    initial = 2,
  ) {
    for (let i = 0; i < initial; i++) this.slots.push(make(i));
  }

  /** Slots made so far. */
  get size(): number {
    return this.slots.length;
  }

  next(encoder: GPUCommandEncoder): T {
    if (encoder !== this.encoder) {
      this.encoder = encoder;
      this.used = 0;
    }
    // This encoder's slots are the `used` ones before the cursor: when it holds all, insert a new one.
    if (this.used === this.slots.length) this.slots.splice(this.cursor, 0, this.make(this.slots.length));
    const slot = this.slots[this.cursor]!;
    this.cursor = (this.cursor + 1) % this.slots.length;
    this.used++;
    return slot;
  }

  destroy(): void {
    for (const s of this.slots.splice(0)) s.destroy();
    this.encoder = undefined;
  }
}

/** One encode's uniforms and its (λ, α) per point (f32 pairs), grown when a sweep has more points. */
class RerankSlot {
  readonly params: GPUBuffer;
  private sweepBuffer: GPUBuffer | undefined;
  private capacity = 0;

  constructor(
    private readonly device: GPUDevice,
    paramsLabel: string,
    private readonly sweepLabel: string,
  ) {
    this.params = PARAMS.createBuffer(device, paramsLabel);
  }

  sweep(points: number): GPUBuffer {
    if (!this.sweepBuffer || points > this.capacity) {
      this.sweepBuffer?.destroy();
      this.capacity = Math.max(16, points);
      this.sweepBuffer = createStorageBuffer(this.device, this.sweepLabel, this.capacity * 8);
    }
    return this.sweepBuffer;
  }

  destroy(): void {
    this.params.destroy();
    this.sweepBuffer?.destroy();
  }
}

/** GPU buffers of one batch of users (layouts in shaders/recommend/rerank_common.wgsl). */
export interface RerankBuffers {
  /** u32 [users][m]: item id of each candidate. */
  items: GPUBuffer;
  /** f32 [items][32] unit vectors. */
  embeddings: GPUBuffer;
  /** u32 [items]: category of each item. */
  categories: GPUBuffer;
  /** f32 [users][m]. */
  relevance: GPUBuffer;
  /** f32 [users][K]: the history's category distribution p (read by calibration only). */
  history: GPUBuffer;
  /** u32 [points][users][n] out: candidate positions in pick order (NO_PICK after a DPP stop). */
  picks: GPUBuffer;
  /** f32 [points][users][n] out: the objective of each pick (RerankResult.gains). */
  gains: GPUBuffer;
}

export interface RerankShape {
  users: number;
  /** Candidates per user, M. */
  m: number;
  /** Categories K (length of each history row). */
  categories: number;
}

export class RerankKernelBase {
  private readonly kernel: ComputeKernel<EncodeRing<RerankSlot>>;

  protected constructor(device: GPUDevice, label: string, code: string, entryPoint: string) {
    const slot = (i: number) => new RerankSlot(device, `${label}.params[${i}]`, `${label}.sweep[${i}]`);
    const ring = { createBuffer: () => new EncodeRing(slot) };
    this.kernel = new ComputeKernel(device, label, {
      code: joinWgsl(ranksWgsl, commonWgsl, code),
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage', 'read'],
      entryPoints: entryPoint,
      uniforms: ring,
    });
  }

  /** Parameter slots made so far (one per encode of the busiest command encoder, at least 2). */
  get ringSize(): number {
    return this.kernel.params.size;
  }

  /** One list per user at opts' setting: picks/gains are [users][n]. */
  encode(encoder: GPUCommandEncoder, shape: RerankShape, opts: RerankOptions, b: RerankBuffers): void {
    if ((opts.window ?? 0) !== 0)
      throw new RangeError('Re-rank: the DPP sliding window runs on the CPU reference only.');
    const setting = { lambda: opts.lambda, theta: opts.theta };
    this.encodeSweep(encoder, shape, opts.n, [setting], b, opts.epsilon);
  }

  /**
   * settings[p] gives λ (MMR, calibration) or θ (DPP) of point p (missing: RERANK_DEFAULTS); picks/gains
   * are [points][users][n]. ε is the DPP stop of every point.
   */
  encodeSweep(
    encoder: GPUCommandEncoder,
    shape: RerankShape,
    n: number,
    settings: readonly SweepSetting[],
    b: RerankBuffers,
    epsilon: number = RERANK_DEFAULTS.epsilon,
  ): void {
    validateRerankShape(shape.users, shape.m, n, shape.categories);
    const { device, params: ring } = this.kernel;
    const max = device.limits.maxComputeWorkgroupsPerDimension;
    const points = settings.length;
    if (shape.users > max) throw new RangeError(`Re-rank: ${shape.users} users exceed ${max} workgroups.`);
    if (points < 1 || points > max) throw new RangeError(`Re-rank: a sweep needs 1…${max} points.`);
    const bytes = points * shape.users * n * 4;
    if (b.picks.size < bytes || b.gains.size < bytes)
      throw new RangeError(`Re-rank: picks and gains need ${bytes} bytes ([points][users][n]).`);
    const pairs = new Float32Array(points * 2);
    settings.forEach((s, p) => {
      const lambda = s.lambda ?? RERANK_DEFAULTS.lambda;
      if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`Re-rank: λ must be in [0, 1], got ${lambda}.`);
      pairs[2 * p] = lambda;
      pairs[2 * p + 1] = dppAlpha(s.theta ?? RERANK_DEFAULTS.theta);
    });
    const slot = ring.next(encoder);
    const sweep = slot.sweep(points);
    device.queue.writeBuffer(sweep, 0, pairs);
    PARAMS.write(device, slot.params, {
      users: shape.users,
      m: shape.m,
      n,
      kCategories: shape.categories,
      points,
      epsilon,
      mix: CALIBRATION_MIX,
      pad: 0,
    });
    this.kernel.encode(
      encoder,
      [slot.params, b.items, b.embeddings, b.categories, b.relevance, b.history, b.picks, b.gains, sweep],
      { x: shape.users, y: points },
    );
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
