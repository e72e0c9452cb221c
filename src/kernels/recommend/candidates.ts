/**
 * Candidate merge + pre-rank score (shaders/recommend/candidates.wgsl), one workgroup per user, two passes
 * (merge, then score: neither binds more than 8 storage buffers). Parameters go through rings of uniform
 * buffers owned by the kernel (UniformRing, `<label>.merge.params[i]`, `<label>.score.params[i]`): up to
 * RING_SLOTS (16) encodes may share one submit.
 */
import ranksWgsl from '../../../shaders/recommend/ranks.wgsl?raw';
import candidatesWgsl from '../../../shaders/recommend/candidates.wgsl?raw';
import { ComputeKernel, createComputePipeline, type BindingKind } from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import { UniformRing } from '../../gpu/rings';
import { validateCandidateShape, type CandidateShape } from './funnel-spec';

const PARAMS = new UniformLayout([
  ['users', 'u32'],
  ['recallK', 'u32'],
  ['popularK', 'u32'],
  ['recentK', 'u32'],
  ['historyLength', 'u32'],
  ['slots', 'u32'],
  ['beta', 'f32'],
  ['pad', 'u32'],
] as const);

const MERGE_BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'read', 'read', 'read', 'storage'];
const SCORE_BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'read', 'read', 'storage'];

export interface CandidateBuffers {
  /** u32 [users][recallK]: the recall top-k's item ids (NO_PICK allowed). */
  recall: GPUBuffer;
  /** u32 [popularK]: the popularity channel, one list for every user. */
  popular: GPUBuffer;
  /** u32 [K][recentK]: popularByCategory (funnel.ref.ts). */
  recentTable: GPUBuffer;
  /** u32 [users]: the row of recentTable each user takes (< K; the category of the latest history item). */
  recentCategory: GPUBuffer;
  /** u32 [users][historyLength]: items to drop. */
  history: GPUBuffer;
  /** f32 [users][32]. */
  userVecs: GPUBuffer;
  /** f32 [items][32]. */
  embeddings: GPUBuffer;
  /** f32 [items]: log popularity. */
  logPop: GPUBuffer;
  /** u32 [users][S] out, S = recallK + popularK + recentK: item ids, NO_PICK for dropped slots. */
  merged: GPUBuffer;
  /** f32 [users][S] out: u·v + β·log pop, −FLT_MAX for NO_PICK slots. */
  scores: GPUBuffer;
}

type Ring = UniformRing<(typeof PARAMS.fields)[number][0]>;

export class CandidateKernel {
  private readonly mergeKernel: ComputeKernel<Ring>;
  private readonly scoreKernel: ComputeKernel<Ring>;
  private readonly mergePipeline: GPUComputePipeline;
  private readonly scorePipeline: GPUComputePipeline;

  constructor(
    readonly device: GPUDevice,
    readonly label = 'recommend.candidates',
  ) {
    const uniforms = { createBuffer: (d: GPUDevice, l: string) => new UniformRing(d, PARAMS, l) };
    this.mergeKernel = new ComputeKernel(device, `${label}.merge`, { bindings: MERGE_BINDINGS, uniforms });
    this.scoreKernel = new ComputeKernel(device, `${label}.score`, { bindings: SCORE_BINDINGS, uniforms });
    const module = device.createShaderModule({ label, code: joinWgsl(ranksWgsl, candidatesWgsl) });
    this.mergePipeline = createComputePipeline(
      device,
      `${label}.merge`,
      module,
      this.mergeKernel.layout,
      'merge',
    );
    this.scorePipeline = createComputePipeline(
      device,
      `${label}.score`,
      module,
      this.scoreKernel.layout,
      'score',
    );
  }

  encode(encoder: GPUCommandEncoder, shape: CandidateShape, beta: number, b: CandidateBuffers): void {
    validateCandidateShape(shape);
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (shape.users > max) throw new RangeError(`Candidates: ${shape.users} users exceed ${max} workgroups.`);
    if (!Number.isFinite(beta)) throw new RangeError(`Candidates: β must be finite, got ${beta}.`);
    const values = {
      users: shape.users,
      recallK: shape.recallK,
      popularK: shape.popularK,
      recentK: shape.recentK,
      historyLength: shape.historyLength,
      slots: shape.recallK + shape.popularK + shape.recentK,
      beta,
      pad: 0,
    };
    const groups = { x: shape.users };
    this.mergeKernel.encode(
      encoder,
      [
        this.mergeKernel.params.next(values),
        b.recall,
        b.popular,
        b.recentTable,
        b.recentCategory,
        b.history,
        b.merged,
      ],
      groups,
      { pipeline: this.mergePipeline },
    );
    this.scoreKernel.encode(
      encoder,
      [this.scoreKernel.params.next(values), b.merged, b.userVecs, b.embeddings, b.logPop, b.scores],
      groups,
      { pipeline: this.scorePipeline },
    );
  }

  destroy(): void {
    this.mergeKernel.destroy();
    this.scoreKernel.destroy();
  }
}
