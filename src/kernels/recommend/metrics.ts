/**
 * List metrics on the GPU (shaders/recommend/metrics.wgsl; float64 definition in metrics.ref.ts): NDCG@n,
 * ILD, coverage and KL per (point, user), then their mean over users per point (two passes, a fixed
 * summation order). Relevance-only lists (TopKKernel indices) go through it with points = 1. Any number
 * of encodes per command encoder (EncodeRing, rerank-common.ts).
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import metricsWgsl from '../../../shaders/recommend/metrics.wgsl?raw';
import { ComputeKernel } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { EncodeRing } from './rerank-common';
import { CALIBRATION_MIX, RECOMMEND_LIMITS } from './spec';

const PARAMS = new UniformLayout([
  ['points', 'u32'],
  ['users', 'u32'],
  ['m', 'u32'],
  ['n', 'u32'],
  ['kCategories', 'u32'],
  ['held', 'u32'],
  ['mix', 'f32'],
  ['pad', 'u32'],
] as const);

export interface MetricsShape {
  points: number;
  users: number;
  /** Candidate positions per user (row length of `items`). */
  m: number;
  /** List length N (≤ 64). */
  n: number;
  /** Categories K (row length of `history`). */
  categories: number;
  /** Held-out clicks per user H (row length of `heldOut`; 0 allowed). */
  heldOut: number;
}

export interface MetricsBuffers {
  /** u32 [points][users][n]: candidate POSITIONS in list order (NO_PICK skipped). */
  picks: GPUBuffer;
  /** u32 [users][m]: item id of each position. */
  items: GPUBuffer;
  /** f32 [items][32] unit vectors. */
  embeddings: GPUBuffer;
  /** u32 [items]. */
  categories: GPUBuffer;
  /** f32 [users][K]: the history's category distribution p. */
  history: GPUBuffer;
  /** u32 [users][H]: held-out item ids, NO_PICK padded. */
  heldOut: GPUBuffer;
  /** f32 [points][users][4] out: (ndcg, ild, coverage, kl). */
  perUser: GPUBuffer;
  /** f32 [points][4] out: the mean over users of each. */
  mean: GPUBuffer;
}

/** Order of the four values of each perUser / mean row. */
export const METRIC_FIELDS = ['ndcg10', 'ild', 'coverage', 'kl'] as const;

function validate(s: MetricsShape, maxGroups: number): void {
  const L = RECOMMEND_LIMITS;
  const int = (x: number, lo: number, hi: number) => Number.isInteger(x) && x >= lo && x <= hi;
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`Metrics: ${what}.`);
  };
  check(int(s.points, 1, maxGroups), `points must be 1…${maxGroups}`);
  check(int(s.users, 1, maxGroups), `users must be 1…${maxGroups}`);
  check(int(s.m, 1, 2 ** 31), 'M must be a positive integer');
  check(int(s.n, 1, L.maxListLength), `N must be 1…${L.maxListLength}`);
  check(int(s.categories, 1, L.maxCategories), `categories must be 1…${L.maxCategories}`);
  check(int(s.heldOut, 0, 2 ** 31), 'the held-out count must be a non-negative integer');
}

export class MetricsKernel {
  private readonly kernel: ComputeKernel<EncodeRing<GPUBuffer>>;

  constructor(device: GPUDevice, label = 'recommend.metrics') {
    const ring = {
      createBuffer: () => new EncodeRing((i) => PARAMS.createBuffer(device, `${label}.params[${i}]`)),
    };
    this.kernel = new ComputeKernel(device, label, {
      code: joinWgsl(ranksWgsl, metricsWgsl),
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'],
      entryPoints: { lists: 'list_metrics', mean: 'mean_metrics' },
      uniforms: ring,
    });
  }

  encode(encoder: GPUCommandEncoder, shape: MetricsShape, b: MetricsBuffers): void {
    const { device, label, params: ring } = this.kernel;
    validate(shape, device.limits.maxComputeWorkgroupsPerDimension);
    const { points, users } = shape;
    if (b.picks.size < points * users * shape.n * 4)
      throw new RangeError('Metrics: picks must hold [points][users][n] u32.');
    if (b.perUser.size < points * users * 16 || b.mean.size < points * 16)
      throw new RangeError('Metrics: perUser must hold [points][users][4] and mean [points][4] f32.');
    const params = ring.next(encoder);
    PARAMS.write(device, params, {
      points,
      users,
      m: shape.m,
      n: shape.n,
      kCategories: shape.categories,
      held: shape.heldOut,
      mix: CALIBRATION_MIX,
      pad: 0,
    });
    const buffers = [
      params,
      b.picks,
      b.items,
      b.embeddings,
      b.categories,
      b.history,
      b.heldOut,
      b.perUser,
      b.mean,
    ];
    this.kernel.encode(
      encoder,
      buffers,
      { x: users, y: points },
      { pipeline: 'lists', pass: `${label}.lists` },
    );
    this.kernel.encode(encoder, buffers, { x: points }, { pipeline: 'mean', pass: `${label}.mean` });
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
