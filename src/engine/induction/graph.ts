/**
 * The induction model's GPU training graph, built once per (config, batch, length): every buffer and three
 * dispatch lists replayed each step — forward + softmax cross-entropy, backward (reverse order), Adam per
 * tensor. Same composition and order of residual sums as the float64 trainer (cpu.ts).
 */
import { createStorageBuffer } from '../../gpu/compute';
import * as ops from '../../kernels/nn/ops';
import type { Dispatch } from '../../kernels/nn/pipelines';
import * as attn from '../../kernels/transformer/attention-train';
import { embeddingBackward, embeddingForward } from '../../kernels/transformer/embedding';
import type { HeadShape } from '../../kernels/transformer/spec';
import { parameterLayout, type InductionConfig } from '../../models/induction/params';

/** One parameter tensor: its place in the flat parameter array and its buffers. */
export interface GpuTensor {
  name: string;
  offset: number;
  size: number;
  param: GPUBuffer;
  grad: GPUBuffer;
  /** Adam's first and second moments. */
  m: GPUBuffer;
  v: GPUBuffer;
}

export interface InductionGraph {
  tensors: GpuTensor[];
  /** u32 [batch·len] inputs and next-token targets. */
  tokens: GPUBuffer;
  labels: GPUBuffer;
  /** (mean loss, accuracy) of the last forward. */
  result: GPUBuffer;
  /** [batch·len][vocab + 1]. */
  logits: GPUBuffer;
  /** Per layer A [batch][head][len][len]. */
  attention: GPUBuffer[];
  /** The shared Adam uniform (lr, β, ε, bias corrections), written before every step's submit. */
  adamParams: GPUBuffer;
  forward: Dispatch[];
  backward: Dispatch[];
  update: Dispatch[];
  /** Every buffer created (the caller destroys them). */
  buffers: GPUBuffer[];
}

export function buildInductionGraph(
  device: GPUDevice,
  res: ops.OpResources,
  config: InductionConfig,
  batch: number,
  len: number,
  init: ArrayLike<number>,
  label: string,
): InductionGraph {
  const { dModel: d, heads: H, dHead: dh, vocab, layers: L } = config;
  const V1 = vocab + 1;
  const hd = H * dh;
  const R = batch * len;
  const s: HeadShape = { batch, heads: H, len, dHead: dh };
  const headFloats = batch * H * len * dh;
  const squareFloats = batch * H * len * len;
  const buffers: GPUBuffer[] = [];
  const buf = (name: string, floats: number) => {
    const b = createStorageBuffer(device, `${label}.${name}`, floats * 4);
    buffers.push(b);
    return b;
  };
  const tensors = parameterLayout(config).map((slot): GpuTensor => {
    const t = {
      name: slot.name,
      offset: slot.offset,
      size: slot.size,
      param: buf(slot.name, slot.size),
      grad: buf(`${slot.name}.grad`, slot.size),
      m: buf(`${slot.name}.adam.m`, slot.size),
      v: buf(`${slot.name}.adam.v`, slot.size),
    };
    device.queue.writeBuffer(
      t.param,
      0,
      Float32Array.from({ length: slot.size }, (_, i) => init[slot.offset + i]!),
    );
    return t;
  });
  const T = (name: string) => tensors.find((t) => t.name === name)!;
  const P = (name: string) => T(name).param;
  const G = (name: string) => T(name).grad;
  const adamParams = ops.ADAM.createBuffer(device, `${label}.adam.params`);
  buffers.push(adamParams);
  // No biases: the Linear ops add a zero bias (x + 0 is exact) and write their unused db here.
  const wide = Math.max(V1, d, hd);
  const zero = buf('zero_bias', wide);
  const db = buf('unused_db', wide);
  const tokens = buf('tokens', R);
  const labels = buf('labels', R);
  const result = buf('result', 4);
  const logits = buf('logits', R * V1);
  const dlogits = buf('dlogits', R * V1);
  const rowLoss = buf('row_loss', 2 * R);
  const x = Array.from({ length: L + 1 }, (_, l) => buf(`residual.${l}`, R * d));
  const g = Array.from({ length: L + 1 }, (_, l) => buf(`residual.${l}.grad`, R * d));
  const flat = { q: buf('q', R * hd), k: buf('k', R * hd), v: buf('v', R * hd) };
  const scores = buf('scores', squareFloats);
  const stats = buf('softmax_stats', 2 * batch * H * len);
  const o = buf('heads_out', headFloats);
  const attnOut = buf('attention_out', R * d);
  const layers = Array.from({ length: L }, (_, l) => ({
    q: buf(`layers.${l}.q_heads`, headFloats),
    k: buf(`layers.${l}.k_heads`, headFloats),
    v: buf(`layers.${l}.v_heads`, headFloats),
    a: buf(`layers.${l}.attention`, squareFloats),
    z: buf(`layers.${l}.z`, R * hd),
  }));
  const back = {
    dz: buf('dz', R * hd),
    dO: buf('d_heads_out', headFloats),
    grads: {
      dA: buf('dA', squareFloats),
      dS: buf('dS', squareFloats),
      dQ: buf('dq_heads', headFloats),
      dK: buf('dk_heads', headFloats),
      dV: buf('dv_heads', headFloats),
    },
    dFlat: [buf('dq', R * hd), buf('dk', R * hd), buf('dv', R * hd)],
    dx: [buf('dx_q', R * d), buf('dx_k', R * d), buf('dx_v', R * d)],
    sums: [buf('dx_sum.0', R * d), buf('dx_sum.1', R * d)],
  };
  const embedShape = { batch, len, vocab: V1, dModel: d };
  const linear = (name: string, inDim: number, outDim: number) => ({
    name,
    shape: { rows: R, inDim, outDim },
  });

  const forward: Dispatch[] = [
    ...embeddingForward(res, `${label}.embed`, embedShape, {
      tokens,
      eTok: P('tokEmbed'),
      ePos: P('posEmbed'),
      h: x[0]!,
    }),
  ];
  for (let l = 0; l < L; l++) {
    const n = `${label}.layers.${l}`;
    const lay = layers[l]!;
    for (const [w, key] of [
      ['wQ', 'q'],
      ['wK', 'k'],
      ['wV', 'v'],
    ] as const) {
      const li = linear(`${n}.${w}`, d, hd);
      forward.push(
        ...ops.linearForward(res, li.name, li.shape, x[l]!, P(`layers.${l}.${w}`), zero, flat[key]),
      );
      forward.push(...attn.headSplit(res, `${n}.${key}`, s, flat[key], lay[key]));
    }
    const f = { q: lay.q, k: lay.k, v: lay.v, scores, stats, a: lay.a, o };
    forward.push(...attn.causalAttentionForward(res, `${n}.attention`, s, f));
    forward.push(...attn.headMerge(res, `${n}.z`, s, o, lay.z));
    const lo = linear(`${n}.wO`, hd, d);
    forward.push(...ops.linearForward(res, lo.name, lo.shape, lay.z, P(`layers.${l}.wO`), zero, attnOut));
    forward.push(...ops.add(res, `${n}.residual`, R * d, x[l]!, attnOut, x[l + 1]!));
  }
  const un = linear(`${label}.unembed`, d, V1);
  forward.push(...ops.linearForward(res, un.name, un.shape, x[L]!, P('unembed'), zero, logits));
  const xentShape = { rows: R, classes: V1 };
  forward.push(...ops.softmaxXent(res, `${label}.xent`, xentShape, logits, labels, dlogits, rowLoss, result));

  const backward: Dispatch[] = [
    ...ops.linearBackward(res, un.name, un.shape, x[L]!, P('unembed'), dlogits, G('unembed'), db, g[L]),
  ];
  for (let l = L - 1; l >= 0; l--) {
    const n = `${label}.layers.${l}`;
    const lay = layers[l]!;
    const lo = linear(`${n}.wO`, hd, d);
    const wO = `layers.${l}.wO`;
    backward.push(...ops.linearBackward(res, lo.name, lo.shape, lay.z, P(wO), g[l + 1]!, G(wO), db, back.dz));
    backward.push(...attn.headSplit(res, `${n}.dO`, s, back.dz, back.dO));
    const f = { q: lay.q, k: lay.k, v: lay.v, a: lay.a };
    backward.push(...attn.causalAttentionBackward(res, `${n}.attention`, s, f, back.dO, back.grads));
    const heads = [back.grads.dQ, back.grads.dK, back.grads.dV];
    (['wQ', 'wK', 'wV'] as const).forEach((w, i) => {
      const li = linear(`${n}.${w}`, d, hd);
      const name = `layers.${l}.${w}`;
      backward.push(...attn.headMerge(res, `${n}.d${w}`, s, heads[i]!, back.dFlat[i]!));
      backward.push(
        ...ops.linearBackward(
          res,
          li.name,
          li.shape,
          x[l]!,
          P(name),
          back.dFlat[i]!,
          G(name),
          db,
          back.dx[i],
        ),
      );
    });
    // dx_l = ((g_{l+1} + dX_Q) + dX_K) + dX_V: the skip path plus the three projections, cpu.ts's order.
    const [s0, s1] = back.sums as [GPUBuffer, GPUBuffer];
    backward.push(...ops.add(res, `${n}.dx.q`, R * d, g[l + 1]!, back.dx[0]!, s0));
    backward.push(...ops.add(res, `${n}.dx.k`, R * d, s0, back.dx[1]!, s1));
    backward.push(...ops.add(res, `${n}.dx.v`, R * d, s1, back.dx[2]!, g[l]!));
  }
  backward.push(
    ...embeddingBackward(res, `${label}.embed`, embedShape, {
      tokens,
      dH: g[0]!,
      dTok: G('tokEmbed'),
      dPos: G('posEmbed'),
    }),
  );
  const update = tensors.flatMap((t) =>
    ops.adam(res, `${label}.${t.name}`, t.size, adamParams, t.grad, t.param, t.m, t.v),
  );
  return {
    tensors,
    tokens,
    labels,
    result,
    logits,
    attention: layers.map((l) => l.a),
    adamParams,
    forward,
    backward,
    update,
    buffers,
  };
}
