import onlineSoftmaxWgsl from '../../../shaders/common/online_softmax.wgsl?raw';
import fusedWgsl from '../../../shaders/attention/fused.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { ATTENTION_LIMITS, type AttentionShape } from './spec';
import { ATTENTION_UNIFORM_FIELDS, MaskedKernel, TILE, ceilDiv, maskWgsl, type MaskUniform } from './common';

const PARAMS = new UniformLayout(ATTENTION_UNIFORM_FIELDS);

interface FusedBuffers {
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  bias?: GPUBuffer | undefined;
  maskBits?: GPUBuffer | undefined;
  /** [heads][L][d] */
  out: GPUBuffer;
  /** [heads][L][2] = (running max m, running sum l) at the end; logsumexp = m + log l. */
  stats: GPUBuffer;
}

interface FusedParams {
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  biasMode: number;
}

/** Output dims each thread accumulates: ⌈d/16⌉ rounded up to a power of two (1, 2, 4, 8 or 16). */
function fusedChunkTier(d: number): number {
  const chunks = ceilDiv(d, TILE);
  let tier = 1;
  while (tier < chunks) tier *= 2;
  return tier;
}

/**
 * Fused attention (shaders/attention/fused.wgsl): FlashAttention-style online softmax over 16-key tiles of
 * K and V in workgroup memory, running max and running sum (shaders/common/online_softmax.wgsl); never
 * writes an L×L matrix. Writes the output and per-row (max, sum). One dispatch of (⌈L/16⌉, heads)
 * workgroups. Pipelines are specialised by head-dim tier (fusedChunkTier) and compiled on first use.
 * Encode at most once per submit.
 */
export class FusedAttentionKernel {
  /** Layout, uniforms and the encode tail; the pipelines, one per head-dim tier, are made on first use. */
  private readonly masked;
  private readonly pipelines = new Map<number, GPUComputePipeline>();

  constructor(
    private readonly device: GPUDevice,
    label = 'attention.fused',
  ) {
    this.masked = new MaskedKernel(device, label, {
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage'],
      uniforms: PARAMS,
    });
  }

  private pipelineDescriptor(d: number): { tier: number; descriptor: GPUComputePipelineDescriptor } {
    if (d > ATTENTION_LIMITS.maxD) {
      throw new RangeError(`Fused attention supports d ≤ ${ATTENTION_LIMITS.maxD} (got ${d}).`);
    }
    const tier = fusedChunkTier(d);
    const label = `${this.masked.kernel.label}[d≤${tier * TILE}]`;
    const code = joinWgsl(`const D_CHUNKS: u32 = ${tier}u;`, onlineSoftmaxWgsl, maskWgsl, fusedWgsl);
    const module = this.device.createShaderModule({ label, code });
    const layout = this.device.createPipelineLayout({
      label: `${label}.layout`,
      bindGroupLayouts: [this.masked.kernel.layout],
    });
    return { tier, descriptor: { label, layout, compute: { module, entryPoint: 'fused' } } };
  }

  /** Whether the pipeline for head dim `d` is compiled (encode would otherwise compile it first). */
  isCompiled(d: number): boolean {
    return this.pipelines.has(fusedChunkTier(d));
  }

  /**
   * Compiles the pipeline for head dim `d` without blocking the page (createComputePipelineAsync); encode
   * then uses it. A no-op when it is already compiled.
   */
  async compile(d: number): Promise<void> {
    if (this.isCompiled(d)) return;
    const { tier, descriptor } = this.pipelineDescriptor(d);
    const pipeline = await this.device.createComputePipelineAsync(descriptor);
    if (!this.pipelines.has(tier)) this.pipelines.set(tier, pipeline);
  }

  private pipeline(d: number): GPUComputePipeline {
    const tier = fusedChunkTier(d);
    let pipeline = this.pipelines.get(tier);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.pipelineDescriptor(d).descriptor);
      this.pipelines.set(tier, pipeline);
    }
    return pipeline;
  }

  encode(encoder: GPUCommandEncoder, p: FusedParams, b: FusedBuffers): void {
    const { heads, L, d } = p.shape;
    const pipeline = this.pipeline(d);
    this.masked.write(p, {});
    const { kernel } = this.masked;
    const buffers = [kernel.params, b.q, b.k, b.v, ...this.masked.optional(b), b.out, b.stats];
    kernel.encode(encoder, buffers, { x: ceilDiv(L, TILE), y: heads }, { pipeline });
  }

  destroy(): void {
    this.masked.destroy();
  }
}
