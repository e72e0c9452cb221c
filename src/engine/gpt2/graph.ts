/**
 * The GPT-2 forward graph for one sequence length T: activation buffers and the dispatch lists of every
 * layer, split where the layer's attention weights A (one shared [H][T][T] buffer) are copied or pooled out
 * before the next layer overwrites them. Tensors are the GPU buffers GpuGpt2.load uploaded.
 */
import { msg, str } from '@lit/localize';
import { createStorageBuffer } from '../../gpu/compute';
import { checkStorageSize } from '../../gpu/limits';
import { layerNorm } from '../../kernels/gpt2/layernorm';
import * as ops from '../../kernels/nn/ops';
import type { Dispatch } from '../../kernels/nn/pipelines';
import * as attn from '../../kernels/transformer/attention-train';
import { embeddingForward } from '../../kernels/transformer/embedding';
import type { HeadShape } from '../../kernels/transformer/spec';
import { layerTensorNames, type Gpt2Config } from '../../models/gpt2/types';

export interface Gpt2Graph {
  T: number;
  /** u32 [T] token ids. */
  tokens: GPUBuffer;
  /** Token + position embeddings into `residual` (layer 0's input). */
  embed: Dispatch[];
  /** Per layer: ln_1 of `residual` … attention, then the rest of the layer (back into `residual`). */
  pre: Dispatch[][];
  post: Dispatch[][];
  /** ln_f over all T rows into `hidden`. */
  final: Dispatch[];
  /** The unembedding of `row` ([C], copied from a row of `hidden`) into `logits` [V]. */
  unembed: Dispatch[];
  /** A [H][T][T] of the layer just run (exactly 0 above the diagonal). */
  attention: GPUBuffer;
  /** Fused QKV [T][3C] of the layer just run. */
  qkv: GPUBuffer;
  /** The residual stream [T][C] between layers (each layer's input when its `pre` starts). */
  residual: GPUBuffer;
  /** LayerNorm output [T][C] (ln_1's, then ln_2's). */
  lnOut: GPUBuffer;
  hidden: GPUBuffer;
  row: GPUBuffer;
  logits: GPUBuffer;
  buffers: GPUBuffer[];
}

/** Bytes of each activation buffer of a T-token graph, for the limit check before anything is allocated. */
export function graphSizes(c: Gpt2Config, T: number): [string, number][] {
  const C = c.nEmbd;
  return [
    [msg('activation qkv [T][3C]'), T * 3 * C * 4],
    [msg('activation mlp [T][4C]'), T * 4 * C * 4],
    [msg('attention scores [H][T][T]'), c.nHead * T * T * 4],
    [msg('logits [V]'), c.vocab * 4],
  ];
}

export function checkGraphLimits(limits: Record<string, number>, c: Gpt2Config, T: number): void {
  for (const [what, bytes] of graphSizes(c, T))
    checkStorageSize({ limits }, msg(str`GPT-2 ${what} at T = ${T}`), bytes);
}

export function buildGpt2Graph(
  device: GPUDevice,
  res: ops.OpResources,
  config: Gpt2Config,
  tensors: ReadonlyMap<string, GPUBuffer>,
  T: number,
  label: string,
): Gpt2Graph {
  const { nEmbd: C, nHead: H, vocab: V, eps } = config;
  const dh = C / H;
  const s: HeadShape = { batch: 1, heads: H, len: T, dHead: dh };
  const buffers: GPUBuffer[] = [];
  const buf = (name: string, floats: number) => {
    const b = createStorageBuffer(device, `${label}.${name}`, floats * 4);
    buffers.push(b);
    return b;
  };
  const P = (name: string) => {
    const b = tensors.get(name);
    if (!b) throw new RangeError(`${label}: no tensor “${name}” on the GPU`);
    return b;
  };
  const tokens = buf('tokens', T);
  const x = [buf('residual.a', T * C), buf('residual.b', T * C)] as const;
  const h = buf('ln_out', T * C);
  const qkv = buf('qkv', T * 3 * C);
  const heads = { q: buf('q_heads', T * C), k: buf('k_heads', T * C), v: buf('v_heads', T * C) };
  const scores = buf('scores', H * T * T);
  const stats = buf('softmax_stats', 2 * H * T);
  const attention = buf('attention', H * T * T);
  const o = buf('heads_out', T * C);
  const z = buf('z', T * C);
  const proj = buf('proj_out', T * C);
  const fc = buf('fc', T * 4 * C);
  const act = buf('gelu', T * 4 * C);
  const hidden = buf('hidden', T * C);
  const row = buf('row', C);
  const logits = buf('logits', V);
  const zero = buf('zero_bias', V);
  const lin = (rows: number, inDim: number, outDim: number) => ({ rows, inDim, outDim });

  const embedShape = { batch: 1, len: T, vocab: V, dModel: C };
  const embedBuffers = { tokens, eTok: P('wte.weight'), ePos: P('wpe.weight'), h: x[0] };
  const embed = embeddingForward(res, `${label}.embed`, embedShape, embedBuffers);
  const pre: Dispatch[][] = [];
  const post: Dispatch[][] = [];
  for (let l = 0; l < config.nLayer; l++) {
    const n = layerTensorNames(l);
    const at = `${label}.layers.${l}`;
    const ln = (name: string, g: string, bias: string, from: GPUBuffer) =>
      layerNorm(
        res,
        `${at}.${name}`,
        { rows: T, channels: C, eps },
        { x: from, gain: P(g), bias: P(bias), y: h },
      );
    const list = layerQkvDispatches(res, config, tensors, { layer: l, T, label }, { x: x[0], lnOut: h, qkv });
    (['q', 'k', 'v'] as const).forEach((key, i) => {
      const block = { width: 3 * C, offset: i * C };
      list.push(...attn.headSplit(res, `${at}.${key}`, s, qkv, heads[key], block));
    });
    const f = { ...heads, scores, stats, a: attention, o };
    list.push(...attn.causalAttentionForward(res, `${at}.attention`, s, f));
    pre.push(list);
    const rest: Dispatch[] = [
      ...attn.headMerge(res, `${at}.z`, s, o, z),
      ...ops.linearForward(res, `${at}.attn.c_proj`, lin(T, C, C), z, P(n.attnProjW), P(n.attnProjB), proj),
      ...ops.add(res, `${at}.residual.attn`, T * C, x[0], proj, x[1]),
      ...ln('ln_2', n.ln2g, n.ln2b, x[1]),
      ...ops.linearForward(res, `${at}.c_fc`, lin(T, C, 4 * C), h, P(n.fcW), P(n.fcB), fc),
      ...ops.activationOp(res, `${at}.gelu`, 'gelu', T * 4 * C, fc, act),
      ...ops.linearForward(res, `${at}.mlp.c_proj`, lin(T, 4 * C, C), act, P(n.projW), P(n.projB), proj),
      ...ops.add(res, `${at}.residual.mlp`, T * C, x[1], proj, x[0]),
    ];
    post.push(rest);
  }
  const lnf = { x: x[0], gain: P('ln_f.weight'), bias: P('ln_f.bias'), y: hidden };
  const final = layerNorm(res, `${label}.ln_f`, { rows: T, channels: C, eps }, lnf);
  // Tied unembedding of one row: logits = row·wteᵀ (wte stored [V][C]); one dot product per invocation.
  const unembed = ops.linearOutInForward(
    res,
    `${label}.unembed`,
    { rows: 1, inDim: C, outDim: V, direct: true },
    row,
    P('wte.weight'),
    zero,
    logits,
  );
  return {
    T,
    tokens,
    embed,
    pre,
    post,
    final,
    unembed,
    attention,
    qkv,
    residual: x[0],
    lnOut: h,
    hidden,
    row,
    logits,
    buffers,
  };
}

/**
 * Layer `layer`'s ln_1 of `x` [T][C] into `lnOut`, then c_attn into `qkv` [T][3C]: the start of the layer
 * in the forward, and all a layer change needs when that layer's input was kept (GpuGpt2.layerQkv).
 */
export function layerQkvDispatches(
  res: ops.OpResources,
  config: Gpt2Config,
  tensors: ReadonlyMap<string, GPUBuffer>,
  where: { layer: number; T: number; label: string },
  b: { x: GPUBuffer; lnOut: GPUBuffer; qkv: GPUBuffer },
): Dispatch[] {
  const { nEmbd: C, eps } = config;
  const { layer, T } = where;
  const at = `${where.label}.layers.${layer}`;
  const n = layerTensorNames(layer);
  const P = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new RangeError(`${at}: no tensor “${name}” on the GPU`);
    return t;
  };
  const lnIo = { x: b.x, gain: P(n.ln1g), bias: P(n.ln1b), y: b.lnOut };
  const lin = { rows: T, inDim: C, outDim: 3 * C };
  return [
    ...layerNorm(res, `${at}.ln_1`, { rows: T, channels: C, eps }, lnIo),
    ...ops.linearForward(res, `${at}.c_attn`, lin, b.lnOut, P(n.attnW), P(n.attnB), b.qkv),
  ];
}
