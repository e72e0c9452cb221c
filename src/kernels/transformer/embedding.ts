/**
 * Token + learned position embedding (shaders/transformer/embedding*.wgsl): forward h0 = E_tok[x] + E_pos[t]
 * and a deterministic backward without atomics (one invocation per output, fixed summation order).
 * Records Dispatch lists like the nn ops; tokens are a u32 buffer [B·T].
 */
import commonWgsl from '../../../shaders/transformer/embedding_common.wgsl?raw';
import embeddingWgsl from '../../../shaders/transformer/embedding.wgsl?raw';
import embeddingBackwardWgsl from '../../../shaders/transformer/embedding_backward.wgsl?raw';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { Dispatch } from '../nn/pipelines';
import type { OpResources } from '../nn/op-resources';
import { checkSizes, dispatch1D, program, threadsPerRow, type ProgramSource } from './attention-train';
import { validateEmbeddingShape, type EmbeddingShape } from './spec';

const FORWARD: ProgramSource = {
  code: joinWgsl(commonWgsl, embeddingWgsl),
  kinds: ['uniform', 'read', 'read', 'read', 'storage'],
  entries: ['embed_forward'],
};
const BACKWARD: ProgramSource = {
  code: joinWgsl(commonWgsl, embeddingBackwardWgsl),
  kinds: ['uniform', 'read', 'read', 'storage'],
  entries: ['grad_tokens', 'grad_positions'],
};

const PARAMS = new UniformLayout([
  ['rows', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['vocab', 'u32'],
  ['threads_per_row', 'u32'],
] as const);

function params(res: OpResources, label: string, s: EmbeddingShape, threads: number): GPUBuffer {
  return res.uniform(PARAMS, `${label}.params`, {
    rows: s.batch * s.len,
    len: s.len,
    dim: s.dModel,
    vocab: s.vocab,
    threads_per_row: threadsPerRow(res, threads),
  });
}

/** h0[B·T][D] = E_tok[x] + E_pos[t]; E_tok [vocab][D], E_pos [≥ T][D]; ids ≥ vocab take only E_pos. */
export function embeddingForward(
  res: OpResources,
  label: string,
  s: EmbeddingShape,
  b: { tokens: GPUBuffer; eTok: GPUBuffer; ePos: GPUBuffer; h: GPUBuffer },
): Dispatch[] {
  validateEmbeddingShape(s);
  const threads = s.batch * s.len * s.dModel;
  checkSizes(`${label}.forward`, [
    [b.tokens, s.batch * s.len],
    [b.eTok, s.vocab * s.dModel],
    [b.ePos, s.len * s.dModel],
    [b.h, threads],
  ]);
  const u = params(res, `${label}.forward`, s, threads);
  const prog = program(res.device, 'embedding', FORWARD);
  const buffers = [u, b.tokens, b.eTok, b.ePos, b.h];
  return [dispatch1D(res, prog, 'embed_forward', `${label}.forward.bg`, buffers, threads)];
}

/**
 * dE_tok [vocab][D] = onehot(X)ᵀ·dH (rows summed in ascending order) and dE_pos [T][D] = Σ_batch dH[b, t]
 * (ascending b). Both overwrite their outputs; bit-identical from run to run.
 */
export function embeddingBackward(
  res: OpResources,
  label: string,
  s: EmbeddingShape,
  b: { tokens: GPUBuffer; dH: GPUBuffer; dTok: GPUBuffer; dPos: GPUBuffer },
): Dispatch[] {
  validateEmbeddingShape(s);
  const prog = program(res.device, 'embeddingBackward', BACKWARD);
  const tokThreads = s.vocab * s.dModel;
  const posThreads = s.len * s.dModel;
  checkSizes(`${label}.backward`, [
    [b.tokens, s.batch * s.len],
    [b.dH, s.batch * s.len * s.dModel],
    [b.dTok, tokThreads],
    [b.dPos, posThreads],
  ]);
  const uTok = params(res, `${label}.dTok`, s, tokThreads);
  const uPos = params(res, `${label}.dPos`, s, posThreads);
  return [
    dispatch1D(res, prog, 'grad_tokens', `${label}.dTok.bg`, [uTok, b.tokens, b.dH, b.dTok], tokThreads),
    dispatch1D(res, prog, 'grad_positions', `${label}.dPos.bg`, [uPos, b.tokens, b.dH, b.dPos], posThreads),
  ];
}
