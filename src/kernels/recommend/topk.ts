/**
 * Top-k per row (shaders/recommend/topk.wgsl): the k ≤ 512 largest values of each row with their indices,
 * largest first, ties to the lowest index. One workgroup per row. Relevance-only re-ranking is the top-N
 * of the relevance rows. Writes its uniform buffer on encode: encode at most once per submit.
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import topkWgsl from '../../../shaders/recommend/topk.wgsl?raw';
import { ComputeKernel } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { validateTopKShape } from './spec';

const PARAMS = new UniformLayout([
  ['rows', 'u32'],
  ['len', 'u32'],
  ['k', 'u32'],
  ['pad', 'u32'],
] as const);

export interface TopKBuffers {
  /** f32 [rows][len]. */
  values: GPUBuffer;
  /** u32 [rows][k] out: column indices (NO_PICK beyond the row's length). */
  indices: GPUBuffer;
  /** f32 [rows][k] out: the values (−FLT_MAX beyond the row's length). */
  topValues: GPUBuffer;
}

export class TopKKernel {
  private readonly kernel: ComputeKernel;

  constructor(device: GPUDevice, label = 'recommend.topk') {
    this.kernel = new ComputeKernel(device, label, {
      code: joinWgsl(ranksWgsl, topkWgsl),
      bindings: ['uniform', 'read', 'storage', 'storage'],
      entryPoints: 'topk',
      uniforms: PARAMS,
    });
  }

  encode(encoder: GPUCommandEncoder, shape: { rows: number; len: number; k: number }, b: TopKBuffers): void {
    validateTopKShape(shape.rows, shape.len, shape.k);
    const { device, params } = this.kernel;
    const max = device.limits.maxComputeWorkgroupsPerDimension;
    if (shape.rows > max) throw new RangeError(`Top-k: ${shape.rows} rows exceed ${max} workgroups.`);
    PARAMS.write(device, params, { ...shape, pad: 0 });
    this.kernel.encode(encoder, [params, b.values, b.indices, b.topValues], { x: shape.rows });
  }

  destroy(): void {
    this.kernel.destroy();
  }
}
