import onlineSoftmaxWgsl from '../../../shaders/common/online_softmax.wgsl?raw';
import maskKeepsWgsl from '../../../shaders/attention/mask_keeps.wgsl?raw';
import fusedWgsl from '../../../shaders/attention/fused.wgsl?raw';
import flashWgsl from '../../../shaders/attention/flash.wgsl?raw';
import fusedIoWgsl from '../../../shaders/attention/fused_io.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { isSoftwareDevice } from '../nn/pipelines';
import { ATTENTION_LIMITS, type AttentionShape } from './spec';
import {
  ATTENTION_UNIFORM_FIELDS,
  MaskedKernel,
  TILE,
  ceilDiv,
  createDummyBuffer,
  maskWgsl,
  rectUniformValues,
  type MaskUniform,
} from './common';
import type { PoolPartialsSpec } from './pool-reduce';

const PARAMS = new UniformLayout([
  ...ATTENTION_UNIFORM_FIELDS,
  ['poolRow0', 'u32'],
  ['poolRows', 'u32'],
  ['poolCol0', 'u32'],
  ['poolCols', 'u32'],
  ['poolOutCols', 'u32'],
] as const);

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
  /** With FusedParams.pool: [heads][pool.rect.rows][pool.outCols][2] pooled-map partials (PoolReduceKernel). */
  partials?: GPUBuffer | undefined;
}

interface FusedParams {
  shape: AttentionShape;
  scale: number;
  mask: MaskUniform;
  biasMode: number;
  /** Also write the pooled-map partials of these rows and pool columns (poolPartialsBytes of them). */
  pool?: PoolPartialsSpec | undefined;
}

/**
 * The two kernel families (issue #15), chosen by adapter as the nn kernels are: `tiled` (fused.wgsl, 16
 * queries and 16 keys per step, cheap on a software adapter) and `flash` (flash.wgsl, FlashAttention-2 work
 * split for GPUs: 64 queries per workgroup, 4×2 register blocks, one exp per score). Same bindings and results.
 */
export type FusedFamily = 'tiled' | 'flash';

const FAMILIES: Record<FusedFamily, { wgsl: string; entryPoint: string; queries: number }> = {
  tiled: { wgsl: fusedWgsl, entryPoint: 'fused', queries: TILE },
  flash: { wgsl: flashWgsl, entryPoint: 'flash', queries: 64 },
};

/** The family for a device: `tiled` on a software adapter (SwiftShader, llvmpipe, WARP), `flash` on a GPU. */
export function fusedFamilyFor(device: GPUDevice): FusedFamily {
  return isSoftwareDevice(device) ? 'tiled' : 'flash';
}

/**
 * Output dims each thread accumulates, in chunks of 16: tiled, ⌈d/16⌉ rounded up to a power of two (1, 2, 4,
 * 8 or 16); flash, 4 (d ≤ 64) or 16 (d ≤ 256) — two pipelines, since each takes seconds to compile on a
 * software adapter (where the tests run it) and the GPU compilers care about the register count only.
 */
function fusedChunkTier(d: number, family: FusedFamily): number {
  const chunks = ceilDiv(d, TILE);
  if (family === 'flash') return chunks <= 4 ? 4 : 16;
  let tier = 1;
  while (tier < chunks) tier *= 2;
  return tier;
}

/**
 * Fused attention (shaders/attention/fused.wgsl): FlashAttention-style online softmax over 16-key tiles of
 * K and V in workgroup memory, running max and running sum (shaders/common/online_softmax.wgsl); never
 * writes an L×L matrix. Writes the output and per-row (max, sum), and with `pool` the pooled-map partials
 * per row and pool column (fused_io.wgsl) for PoolReduceKernel. One dispatch of (⌈L/16⌉, heads)
 * workgroups. Pipelines are specialised by head-dim tier (fusedChunkTier) and compiled on first use.
 * Encode at most once per submit.
 */
export class FusedAttentionKernel {
  /** Layout, uniforms and the encode tail; the pipelines, one per head-dim tier, are made on first use. */
  private readonly masked;
  private readonly pipelines = new Map<number, GPUComputePipeline>();
  /** Bound as the partials when the pass writes none (a writable binding may not alias the read dummy). */
  private readonly noPartials: GPUBuffer;

  constructor(
    private readonly device: GPUDevice,
    label = 'attention.fused',
    readonly family: FusedFamily = 'tiled',
  ) {
    this.masked = new MaskedKernel(device, label, {
      bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage', 'storage', 'storage'],
      uniforms: PARAMS,
    });
    this.noPartials = this.masked.kernel.own(createDummyBuffer(device, `${label}.noPartials`));
  }

  private pipelineDescriptor(d: number): { tier: number; descriptor: GPUComputePipelineDescriptor } {
    if (d > ATTENTION_LIMITS.maxD) {
      throw new RangeError(`Fused attention supports d ≤ ${ATTENTION_LIMITS.maxD} (got ${d}).`);
    }
    const tier = fusedChunkTier(d, this.family);
    const label = `${this.masked.kernel.label}.${this.family}[d≤${tier * TILE}]`;
    const { wgsl, entryPoint } = FAMILIES[this.family];
    const code = joinWgsl(
      `const D_CHUNKS: u32 = ${tier}u;`,
      onlineSoftmaxWgsl,
      maskWgsl,
      maskKeepsWgsl,
      fusedIoWgsl,
      wgsl,
    );
    const module = this.device.createShaderModule({ label, code });
    const layout = this.device.createPipelineLayout({
      label: `${label}.layout`,
      bindGroupLayouts: [this.masked.kernel.layout],
    });
    return { tier, descriptor: { label, layout, compute: { module, entryPoint } } };
  }

  /** Whether the pipeline for head dim `d` is compiled (encode would otherwise compile it first). */
  isCompiled(d: number): boolean {
    return this.pipelines.has(fusedChunkTier(d, this.family));
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
    const tier = fusedChunkTier(d, this.family);
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
    const pool = p.pool;
    if (pool && !b.partials) throw new RangeError('Fused attention with pool needs a partials buffer.');
    const r = pool ? rectUniformValues(L, pool.rect, 1, pool.outCols) : null;
    this.masked.write(p, {
      poolRow0: r?.row0 ?? 0,
      poolRows: r?.rows ?? 0,
      poolCol0: r?.col0 ?? 0,
      poolCols: r?.cols ?? 0,
      poolOutCols: r?.outCols ?? 0,
    });
    const { kernel } = this.masked;
    const partials = pool ? b.partials! : this.noPartials;
    const buffers = [kernel.params, b.q, b.k, b.v, ...this.masked.optional(b), b.out, b.stats, partials];
    const x = ceilDiv(L, FAMILIES[this.family].queries);
    kernel.encode(encoder, buffers, { x, y: heads }, { pipeline });
  }

  destroy(): void {
    this.masked.destroy();
  }
}
