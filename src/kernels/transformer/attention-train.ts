/**
 * Training kernels of causal multi-head attention, batched over (batch, head): head split/merge, scores,
 * softmax (shaders/attention/softmax.wgsl with B·H heads, or a barrier-free one), A·V and the backward. Each function records
 * Dispatch lists like the nn ops (uniforms owned by the caller's OpResources); sizes are fixed when recorded.
 */
import maskWgsl from '../../../shaders/attention/mask.wgsl?raw';
import softmaxWgsl from '../../../shaders/attention/softmax.wgsl?raw';
import headsWgsl from '../../../shaders/transformer/heads.wgsl?raw';
import attentionTrainWgsl from '../../../shaders/transformer/attention_train.wgsl?raw';
import softmaxBackwardWgsl from '../../../shaders/transformer/softmax_backward.wgsl?raw';
import softmaxRowsWgsl from '../../../shaders/transformer/softmax_rows.wgsl?raw';
import {
  createBindGroup,
  createBindGroupLayout,
  createComputePipeline,
  grid1D,
  type BindingKind,
} from '../../gpu/compute';
import { UniformLayout, joinWgsl } from '../../gpu/uniforms';
import type { Dispatch } from '../nn/pipelines';
import { barrierFree, type OpResources } from '../nn/op-resources';
import { columnBlock, defaultScale, validateHeadShape, type ColumnBlock, type HeadShape } from './spec';

interface Program {
  layout: GPUBindGroupLayout;
  pipelines: Record<string, GPUComputePipeline>;
}

const SOURCES = {
  heads: { code: headsWgsl, kinds: ['uniform', 'read', 'storage'], entries: ['head_split', 'head_merge'] },
  products: {
    code: joinWgsl(maskWgsl, attentionTrainWgsl),
    kinds: ['uniform', 'read', 'read', 'storage'],
    entries: ['causal_scores', 'causal_ax', 'causal_atx'],
  },
  softmax: {
    code: joinWgsl(maskWgsl, softmaxWgsl),
    kinds: ['uniform', 'read', 'storage', 'storage'],
    entries: ['softmax'],
  },
  softmaxRows: {
    code: joinWgsl(maskWgsl, softmaxRowsWgsl),
    kinds: ['uniform', 'read', 'storage', 'storage'],
    entries: ['softmax_rows'],
  },
  softmaxBackward: {
    code: softmaxBackwardWgsl,
    kinds: ['uniform', 'read', 'read', 'read', 'storage', 'storage'],
    entries: ['softmax_backward'],
  },
} satisfies Record<string, { code: string; kinds: BindingKind[]; entries: string[] }>;

/** Registered sources of the transformer programs (embedding.ts adds its own). */
export type ProgramSource = { code: string; kinds: BindingKind[]; entries: string[] };

const cache = new WeakMap<GPUDevice, Map<string, Program>>();

/** The program `name` (module `transformer.<name>`, layout, pipelines) on `device`, made once per device. */
export function program(device: GPUDevice, name: string, src: ProgramSource): Program {
  let m = cache.get(device);
  if (!m) cache.set(device, (m = new Map()));
  let p = m.get(name);
  if (!p) {
    const module = device.createShaderModule({ label: `transformer.${name}`, code: src.code });
    const layout = createBindGroupLayout(device, `transformer.${name}.bgl`, src.kinds);
    const pipelines: Record<string, GPUComputePipeline> = {};
    for (const e of src.entries) {
      pipelines[e] = createComputePipeline(device, `transformer.${name}.${e}`, module, layout, e);
    }
    m.set(name, (p = { layout, pipelines }));
  }
  return p;
}

/** One dispatch of `entry` over `threads` invocations (64 per workgroup, folded into 2D by grid1D). */
export function dispatch1D(
  res: OpResources,
  prog: Program,
  entry: string,
  label: string,
  buffers: GPUBuffer[],
  threads: number,
): Dispatch {
  const pipeline = prog.pipelines[entry];
  if (!pipeline) throw new Error(`transformer: no entry point ${entry}`);
  const g = grid1D(threads, 64, res.device.limits.maxComputeWorkgroupsPerDimension);
  const bindGroup = createBindGroup(res.device, label, prog.layout, buffers);
  return { pipeline, bindGroup, x: g.x, y: g.y };
}

/** Throws a RangeError naming the buffer when one holds fewer than its 4-byte elements. */
export function checkSizes(label: string, need: ReadonlyArray<readonly [GPUBuffer, number]>): void {
  for (const [b, n] of need) {
    if (b.size < n * 4) {
      throw new RangeError(`${label}: buffer "${b.label}" holds ${b.size / 4} values, needs ${n}`);
    }
  }
}

/** threads_per_row of a grid1D dispatch of `threads` invocations (the WGSL's index stride). */
export function threadsPerRow(res: OpResources, threads: number): number {
  return grid1D(threads, 64, res.device.limits.maxComputeWorkgroupsPerDimension).threadsPerRow;
}

const HEADS = new UniformLayout([
  ['batch', 'u32'],
  ['heads', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['width', 'u32'],
  ['offset', 'u32'],
  ['threads_per_row', 'u32'],
] as const);
const PRODUCTS = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['scale', 'f32'],
  ['threads_per_row', 'u32'],
] as const);
const SOFTMAX = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
] as const);
const SOFTMAX_ROWS = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
  ['threads_per_row', 'u32'],
] as const);
const SOFTMAX_BACKWARD = new UniformLayout([
  ['heads', 'u32'],
  ['len', 'u32'],
  ['dim', 'u32'],
  ['threads_per_row', 'u32'],
] as const);

function headCopy(
  res: OpResources,
  entry: 'head_split' | 'head_merge',
  label: string,
  s: HeadShape,
  block: ColumnBlock | undefined,
  src: GPUBuffer,
  dst: GPUBuffer,
): Dispatch[] {
  validateHeadShape(s);
  const { width, offset } = columnBlock(s, block);
  const threads = s.batch * s.heads * s.len * s.dHead;
  const act = s.batch * s.len * width;
  checkSizes(
    label,
    entry === 'head_split'
      ? [
          [src, act],
          [dst, threads],
        ]
      : [
          [src, threads],
          [dst, act],
        ],
  );
  const u = res.uniform(HEADS, `${label}.params`, {
    batch: s.batch,
    heads: s.heads,
    len: s.len,
    dim: s.dHead,
    width,
    offset,
    threads_per_row: threadsPerRow(res, threads),
  });
  const prog = program(res.device, 'heads', SOURCES.heads);
  return [dispatch1D(res, prog, entry, `${label}.bg`, [u, src, dst], threads)];
}

/** [B·T][width] (column block) → [B][H][T][dh]. Its backward is headMerge of the gradient. */
export function headSplit(
  res: OpResources,
  label: string,
  s: HeadShape,
  x: GPUBuffer,
  y: GPUBuffer,
  block?: ColumnBlock,
): Dispatch[] {
  return headCopy(res, 'head_split', `${label}.split`, s, block, x, y);
}

/** [B][H][T][dh] → the column block of [B·T][width] (other columns untouched). Backward: headSplit. */
export function headMerge(
  res: OpResources,
  label: string,
  s: HeadShape,
  y: GPUBuffer,
  x: GPUBuffer,
  block?: ColumnBlock,
): Dispatch[] {
  return headCopy(res, 'head_merge', `${label}.merge`, s, block, y, x);
}

type ProductEntry = 'causal_scores' | 'causal_ax' | 'causal_atx';

function product(
  res: OpResources,
  entry: ProductEntry,
  label: string,
  s: HeadShape,
  scale: number,
  buffers: [a: GPUBuffer, b: GPUBuffer, out: GPUBuffer],
): Dispatch {
  validateHeadShape(s);
  const heads = s.batch * s.heads;
  const threads = heads * s.len * (entry === 'causal_scores' ? s.len : s.dHead);
  const [hd, tt] = [heads * s.len * s.dHead, heads * s.len * s.len];
  const [a, b, out] = buffers;
  const sizes = entry === 'causal_scores' ? [hd, hd, tt] : [tt, hd, hd];
  checkSizes(label, [
    [a, sizes[0]!],
    [b, sizes[1]!],
    [out, sizes[2]!],
  ]);
  const u = res.uniform(PRODUCTS, `${label}.params`, {
    heads,
    len: s.len,
    dim: s.dHead,
    scale,
    threads_per_row: threadsPerRow(res, threads),
  });
  const prog = program(res.device, 'products', SOURCES.products);
  return dispatch1D(res, prog, entry, `${label}.bg`, [u, ...buffers], threads);
}

/** Buffers of the causal attention forward; q, k, v, o are [B][H][T][dh]. */
export interface AttentionForwardBuffers {
  q: GPUBuffer;
  k: GPUBuffer;
  v: GPUBuffer;
  /** Masked scaled scores [B][H][T][T] (MASKED_SENTINEL where j > i): scratch, the softmax's input. */
  scores: GPUBuffer;
  /** Softmax row stats [B][H][T][2] (max, sum): scratch. */
  stats: GPUBuffer;
  /** Attention weights A [B][H][T][T], exactly 0 where masked; kept for the backward. */
  a: GPUBuffer;
  o: GPUBuffer;
}

/** Causal scores S = scale·Q·Kᵀ (MASKED_SENTINEL for j > i) into `scores`. */
export function causalScores(
  res: OpResources,
  label: string,
  s: HeadShape,
  q: GPUBuffer,
  k: GPUBuffer,
  scores: GPUBuffer,
  scale = defaultScale(s.dHead),
): Dispatch[] {
  return [product(res, 'causal_scores', `${label}.scores`, s, scale, [q, k, scores])];
}

/**
 * A = row softmax of the masked scores, masked entries exactly 0, row stats (max, sum) into `stats`. Under the
 * nn 'workgroup' style: shaders/attention/softmax.wgsl over B·H heads (one 256-thread workgroup per row);
 * under 'barrier-free' (software adapters): softmax_rows.wgsl, one invocation per row (measured on
 * SwiftShader at B 32, H 4, T 64: ~3.9 s per dispatch for the workgroup kernel, tens of ms for this one).
 */
export function causalSoftmax(
  res: OpResources,
  label: string,
  s: HeadShape,
  scores: GPUBuffer,
  a: GPUBuffer,
  stats: GPUBuffer,
): Dispatch[] {
  validateHeadShape(s);
  const heads = s.batch * s.heads;
  const rows = heads * s.len;
  const tt = rows * s.len;
  checkSizes(`${label}.softmax`, [
    [scores, tt],
    [a, tt],
    [stats, 2 * rows],
  ]);
  if (barrierFree(res.device)) {
    const u = res.uniform(SOFTMAX_ROWS, `${label}.softmax.params`, {
      heads,
      len: s.len,
      threads_per_row: threadsPerRow(res, rows),
    });
    const prog = program(res.device, 'softmaxRows', SOURCES.softmaxRows);
    return [dispatch1D(res, prog, 'softmax_rows', `${label}.softmax.bg`, [u, scores, a, stats], rows)];
  }
  if (heads > res.device.limits.maxComputeWorkgroupsPerDimension) {
    throw new RangeError(`transformer: batch·heads = ${heads} exceeds the softmax dispatch grid`);
  }
  const u = res.uniform(SOFTMAX, `${label}.softmax.params`, { heads, len: s.len });
  const prog = program(res.device, 'softmax', SOURCES.softmax);
  const bindGroup = createBindGroup(res.device, `${label}.softmax.bg`, prog.layout, [u, scores, a, stats]);
  return [{ pipeline: prog.pipelines['softmax']!, bindGroup, x: s.len, y: heads }];
}

/** O = A·V over the causal keys (j ≤ i). */
export function attendValues(
  res: OpResources,
  label: string,
  s: HeadShape,
  a: GPUBuffer,
  v: GPUBuffer,
  o: GPUBuffer,
): Dispatch[] {
  return [product(res, 'causal_ax', `${label}.attend`, s, 1, [a, v, o])];
}

/** Scores, softmax and A·V: three dispatches. */
export function causalAttentionForward(
  res: OpResources,
  label: string,
  s: HeadShape,
  b: AttentionForwardBuffers,
  scale = defaultScale(s.dHead),
): Dispatch[] {
  return [
    ...causalScores(res, label, s, b.q, b.k, b.scores, scale),
    ...causalSoftmax(res, label, s, b.scores, b.a, b.stats),
    ...attendValues(res, label, s, b.a, b.v, b.o),
  ];
}

/** Gradient buffers of the backward: dA, dS [B][H][T][T] (0 where masked); dQ, dK, dV [B][H][T][dh]. */
export interface AttentionGradBuffers {
  dA: GPUBuffer;
  dS: GPUBuffer;
  dQ: GPUBuffer;
  dK: GPUBuffer;
  dV: GPUBuffer;
}

/**
 * Backward of causalAttentionForward from dO: dA = dO·Vᵀ and dS = A ⊙ (dA − rowsum(dA ⊙ A)) (one dispatch),
 * dV = Aᵀ·dO, dQ = dS·K·scale, dK = dSᵀ·Q·scale. Four dispatches; dA and dS must precede dQ and dK.
 */
export function causalAttentionBackward(
  res: OpResources,
  label: string,
  s: HeadShape,
  f: Pick<AttentionForwardBuffers, 'q' | 'k' | 'v' | 'a'>,
  dO: GPUBuffer,
  g: AttentionGradBuffers,
  scale = defaultScale(s.dHead),
): Dispatch[] {
  validateHeadShape(s);
  const heads = s.batch * s.heads;
  const rows = heads * s.len;
  const [hd, tt] = [rows * s.dHead, rows * s.len];
  checkSizes(`${label}.softmaxBackward`, [
    [dO, hd],
    [f.v, hd],
    [f.a, tt],
    [g.dA, tt],
    [g.dS, tt],
  ]);
  const u = res.uniform(SOFTMAX_BACKWARD, `${label}.softmaxBackward.params`, {
    heads,
    len: s.len,
    dim: s.dHead,
    threads_per_row: threadsPerRow(res, rows),
  });
  const prog = program(res.device, 'softmaxBackward', SOURCES.softmaxBackward);
  const buffers = [u, dO, f.v, f.a, g.dA, g.dS];
  return [
    dispatch1D(res, prog, 'softmax_backward', `${label}.softmaxBackward.bg`, buffers, rows),
    product(res, 'causal_atx', `${label}.dv`, s, 1, [f.a, dO, g.dV]),
    product(res, 'causal_ax', `${label}.dq`, s, scale, [g.dS, f.k, g.dQ]),
    product(res, 'causal_atx', `${label}.dk`, s, scale, [g.dS, f.q, g.dK]),
  ];
}
