/**
 * The GPU trainer's compute graph, built once: parameter tensors and their gradients, the forward pass
 * (sinusoidal embedding → Linear → SiLU → blocks × (Linear → SiLU → residual add) → Linear → MSE against ε),
 * its backward through the same ops (the residual add's backward is another add), and one Adam dispatch per
 * tensor. Every buffer is created here; a training step only writes the batch and the Adam uniform.
 */
import { createStorageBuffer } from '../gpu/compute';
import * as ops from '../kernels/nn/ops';
import type { Dispatch } from '../kernels/nn/pipelines';
import { embeddingSize, frequencies, parameterLayout, type MlpConfig } from '../kernels/diffusion/spec';

/** One parameter tensor: its place in the flat parameter array and its GPU buffers. */
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

export interface DenoiserGraph {
  tensors: GpuTensor[];
  /** Uploaded batch: x_t [batch·D], λ [batch], target ε [batch·D]. */
  xt: GPUBuffer;
  lambdas: GPUBuffer;
  target: GPUBuffer;
  /** (loss of the last step, running sum of losses since it was cleared). */
  result: GPUBuffer;
  /** ε̂ of the last forward [batch·D]. */
  output: GPUBuffer;
  /** The Adam uniform, written every step. */
  adamParams: GPUBuffer;
  /** Forward, backward and Adam, in order. */
  list: Dispatch[];
  /** Every buffer created (the caller destroys them). */
  buffers: GPUBuffer[];
}

/** Builds the graph for `batch` rows of `config`, parameters initialised to `init`. */
export function buildDenoiserGraph(
  device: GPUDevice,
  res: ops.OpResources,
  config: MlpConfig,
  batch: number,
  init: Float32Array,
  label: string,
  direct: boolean,
): DenoiserGraph {
  const B = batch;
  const D = config.dim;
  const E = embeddingSize(config);
  const L = parameterLayout(config);
  const H = L.H;
  const buffers: GPUBuffer[] = [];
  const tensors: GpuTensor[] = [];
  const list: Dispatch[] = [];
  const buf = (name: string, floats: number) => {
    const b = createStorageBuffer(device, `${label}.${name}`, floats * 4);
    buffers.push(b);
    return b;
  };
  const tensor = (name: string, offset: number, size: number) => {
    const t: GpuTensor = {
      name,
      offset,
      size,
      param: buf(name, size),
      grad: buf(`${name}.grad`, size),
      m: buf(`${name}.adam.m`, size),
      v: buf(`${name}.adam.v`, size),
    };
    device.queue.writeBuffer(t.param, 0, init.slice(offset, offset + size));
    tensors.push(t);
    return t;
  };
  const tIn = tensor('in.weight', L.wIn, H * E);
  const tInB = tensor('in.bias', L.bIn, H);
  const tBlocks = L.blocks.map((blk, l) => ({
    w: tensor(`blocks.${l}.weight`, blk.w, H * H),
    b: tensor(`blocks.${l}.bias`, blk.b, H),
  }));
  const tOut = tensor('out.weight', L.wOut, D * H);
  const tOutB = tensor('out.bias', L.bOut, D);

  const xt = buf('xt', B * D);
  const lambdas = buf('lambda', B);
  const target = buf('target', B * D);
  const result = buf('result', 2);
  const output = buf('eps_hat', B * D);
  const omega = frequencies(config.freqs);
  const turns = buf('turns', 2 * config.freqs);
  device.queue.writeBuffer(
    turns,
    0,
    Float32Array.from([
      ...Array.from(omega, (w) => (config.inputScale * w) / (2 * Math.PI)),
      ...Array.from(omega, (w) => w / (2 * Math.PI)),
    ]),
  );

  // Forward.
  const e = buf('embedding', B * E);
  const a0 = buf('in.pre', B * H);
  const h = [buf('h.0', B * H)];
  const pre: GPUBuffer[] = [];
  list.push(
    ...ops.sinusoidalEmbed(
      res,
      `${label}.embed`,
      { rows: B, dim: D, freqs: config.freqs },
      xt,
      lambdas,
      turns,
      e,
    ),
    ...ops.linearOutInForward(
      res,
      `${label}.in`,
      { rows: B, inDim: E, outDim: H, direct },
      e,
      tIn.param,
      tInB.param,
      a0,
    ),
    ...ops.activationOp(res, `${label}.in.silu`, 'silu', B * H, a0, h[0]!),
  );
  const s = buf('block.silu', B * H);
  tBlocks.forEach((t, l) => {
    const p = buf(`blocks.${l}.pre`, B * H);
    const next = buf(`h.${l + 1}`, B * H);
    pre.push(p);
    list.push(
      ...ops.linearOutInForward(
        res,
        `${label}.blocks.${l}`,
        { rows: B, inDim: H, outDim: H, direct },
        h[l]!,
        t.w.param,
        t.b.param,
        p,
      ),
      ...ops.activationOp(res, `${label}.blocks.${l}.silu`, 'silu', B * H, p, s),
      ...ops.add(res, `${label}.blocks.${l}.residual`, B * H, h[l]!, s, next),
    );
    h.push(next);
  });
  const hL = h[config.blocks]!;
  const dout = buf('eps_hat.grad', B * D);
  list.push(
    ...ops.linearOutInForward(
      res,
      `${label}.out`,
      { rows: B, inDim: H, outDim: D, direct },
      hL,
      tOut.param,
      tOutB.param,
      output,
    ),
    ...ops.mse(res, `${label}.mse`, { rows: B, cols: D }, output, target, dout, buf('row_loss', B), result),
  );

  // Backward: dh[l] = ∂loss/∂h_l.
  const dh = h.map((_, l) => buf(`h.${l}.grad`, B * H));
  list.push(
    ...ops.linearOutInBackward(
      res,
      `${label}.out`,
      { rows: B, inDim: H, outDim: D, direct },
      hL,
      tOut.param,
      dout,
      tOut.grad,
      tOutB.grad,
      dh[config.blocks],
    ),
  );
  const da = buf('pre.grad', B * H);
  const through = buf('block.input.grad', B * H);
  for (let l = config.blocks - 1; l >= 0; l--) {
    const t = tBlocks[l]!;
    list.push(
      ...ops.activationOp(res, `${label}.blocks.${l}.silu.backward`, 'silu', B * H, pre[l]!, da, dh[l + 1]),
      ...ops.linearOutInBackward(
        res,
        `${label}.blocks.${l}`,
        { rows: B, inDim: H, outDim: H, direct },
        h[l]!,
        t.w.param,
        da,
        t.w.grad,
        t.b.grad,
        through,
      ),
      // h_{l+1} = h_l + silu(·): the skip path passes dh_{l+1} through unchanged.
      ...ops.add(res, `${label}.blocks.${l}.residual.backward`, B * H, dh[l + 1]!, through, dh[l]!),
    );
  }
  list.push(
    ...ops.activationOp(res, `${label}.in.silu.backward`, 'silu', B * H, a0, da, dh[0]),
    ...ops.linearOutInBackward(
      res,
      `${label}.in`,
      { rows: B, inDim: E, outDim: H, direct },
      e,
      tIn.param,
      da,
      tIn.grad,
      tInB.grad,
    ),
  );

  // Adam, one dispatch per tensor, sharing one uniform written every step.
  const adamParams = ops.ADAM.createBuffer(device, `${label}.adam.params`);
  buffers.push(adamParams);
  for (const t of tensors) {
    list.push(...ops.adam(res, `${label}.${t.name}`, t.size, adamParams, t.grad, t.param, t.m, t.v));
  }

  return { tensors, xt, lambdas, target, result, output, adamParams, list, buffers };
}
