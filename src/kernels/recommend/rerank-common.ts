/**
 * The wrapper shared by the three re-rank kernels (mmr.ts, dpp.ts, calibration.ts): one WGSL file joined
 * after shaders/recommend/rerank_common.wgsl, the same eight bindings, one workgroup per user. Writes its
 * uniform buffer on encode: encode at most once per submit.
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import commonWgsl from '../../../shaders/recommend/rerank_common.wgsl?raw';
import { ComputeKernel } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { CALIBRATION_MIX, RERANK_DEFAULTS, dppAlpha, validateRerankShape, type RerankOptions } from './spec';

const PARAMS = new UniformLayout([
  ['users', 'u32'],
  ['m', 'u32'],
  ['n', 'u32'],
  ['kCategories', 'u32'],
  ['lambda', 'f32'],
  ['alpha', 'f32'],
  ['epsilon', 'f32'],
  ['mix', 'f32'],
] as const);

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
  /** u32 [users][n] out: candidate positions in pick order (NO_PICK after a DPP stop). */
  picks: GPUBuffer;
  /** f32 [users][n] out: the objective of each pick (RerankResult.gains). */
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
  private readonly kernel: ComputeKernel;

  protected constructor(device: GPUDevice, label: string, code: string, entryPoint: string) {
    this.kernel = new ComputeKernel(device, label, {
      code: joinWgsl(ranksWgsl, commonWgsl, code),
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'],
      entryPoints: entryPoint,
      uniforms: PARAMS,
    });
  }

  encode(encoder: GPUCommandEncoder, shape: RerankShape, opts: RerankOptions, b: RerankBuffers): void {
    validateRerankShape(shape.users, shape.m, opts.n, shape.categories);
    if ((opts.window ?? 0) !== 0)
      throw new RangeError('Re-rank: the DPP sliding window runs on the CPU reference only.');
    const { device, params } = this.kernel;
    const max = device.limits.maxComputeWorkgroupsPerDimension;
    if (shape.users > max) throw new RangeError(`Re-rank: ${shape.users} users exceed ${max} workgroups.`);
    PARAMS.write(device, params, {
      users: shape.users,
      m: shape.m,
      n: opts.n,
      kCategories: shape.categories,
      lambda: opts.lambda ?? RERANK_DEFAULTS.lambda,
      alpha: dppAlpha(opts.theta ?? RERANK_DEFAULTS.theta),
      epsilon: opts.epsilon ?? RERANK_DEFAULTS.epsilon,
      mix: CALIBRATION_MIX,
    });
    this.kernel.encode(
      encoder,
      [params, b.items, b.embeddings, b.categories, b.relevance, b.history, b.picks, b.gains],
      { x: shape.users },
    );
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
