/**
 * The ranker's scoring kernel (shaders/recommend/rank_score.wgsl): σ(logit₁ − logit₀) of a one-hidden-layer
 * ReLU MLP per feature row, −FLT_MAX for NO_PICK rows. The caller owns every buffer, the packed weights
 * included (layers.0.weight, layers.0.bias, out.weight, out.bias in that order). Writes its uniform
 * buffer (the row count and shape) on encode: encodes within one submit must use the same row count.
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import rankScoreWgsl from '../../../shaders/recommend/rank_score.wgsl?raw';
import { ComputeKernel, grid1D } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';

const PARAMS = new UniformLayout([
  ['rows', 'u32'],
  ['in_dim', 'u32'],
  ['width', 'u32'],
  ['threads_per_row', 'u32'],
] as const);

const WORKGROUP = 64;

/** Floats of the packed weights of an inDim → width → 2 MLP. */
export function rankScoreWeightCount(inDim: number, width: number): number {
  return inDim * width + width + 2 * width + 2;
}

export interface RankScoreBuffers {
  /** f32, rankScoreWeightCount(inDim, width) values. */
  weights: GPUBuffer;
  /** f32 [rows][inDim]. */
  features: GPUBuffer;
  /** u32 [rows]: the candidate's item id, NO_PICK for an empty slot. */
  ids: GPUBuffer;
  /** f32 [rows] out. */
  relevance: GPUBuffer;
}

export class RankScoreKernel {
  private readonly kernel: ComputeKernel;

  constructor(
    device: GPUDevice,
    readonly shape: { inDim: number; width: number },
    label = 'recommend.rankScore',
  ) {
    for (const [k, v] of Object.entries(shape))
      if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`Rank score: ${k} must be ≥ 1, got ${v}.`);
    this.kernel = new ComputeKernel(device, label, {
      code: joinWgsl(ranksWgsl, rankScoreWgsl),
      bindings: ['uniform', 'read', 'read', 'read', 'storage'],
      entryPoints: 'rank_score',
      uniforms: PARAMS,
    });
  }

  encode(encoder: GPUCommandEncoder, rows: number, b: RankScoreBuffers): void {
    if (!(Number.isInteger(rows) && rows >= 1)) throw new RangeError(`Rank score: ${rows} rows.`);
    const { device, params } = this.kernel;
    const g = grid1D(rows, WORKGROUP, device.limits.maxComputeWorkgroupsPerDimension);
    PARAMS.write(device, params, {
      rows,
      in_dim: this.shape.inDim,
      width: this.shape.width,
      threads_per_row: g.threadsPerRow,
    });
    this.kernel.encode(encoder, [params, b.weights, b.features, b.ids, b.relevance], g);
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
