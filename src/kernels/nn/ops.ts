/**
 * Bound training-core operations: each owns its uniform buffers (in an OpResources) and bind groups over
 * fixed buffers, and yields the dispatches to replay every step. Sizes are fixed at construction (a model is
 * rebuilt when its shape changes). Linear layers are in linear.ts, re-exported here.
 */
import { UniformLayout } from '../../gpu/uniforms';
import { nnPipelines, type BufferOrView, type Dispatch } from './pipelines';
import { ACTIVATIONS, type Activation } from './spec';
import { OpResources, barrierFree, dispatch, elementsPerInvocation, type ProgramName } from './op-resources';

export { OpResources };
export { linearForward, linearBackward, linearOutInForward, linearOutInBackward } from './linear';
export { ADAM_HYPER, ADAM_STATE_BYTES, AdamState, adamHyperValues, adamStep, type AdamBuffers } from './adam';

const COUNT = new UniformLayout([['count', 'u32']] as const);
const ROWS_CHANNELS = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
] as const);
const ACTIVATION = new UniformLayout([
  ['count', 'u32'],
  ['kind', 'u32'],
] as const);
const BN = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
  ['train', 'u32'],
  ['update_running', 'u32'],
  ['momentum', 'f32'],
  ['eps', 'f32'],
  ['act', 'u32'],
] as const);
const BN_BACKWARD = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
  ['train', 'u32'],
  ['act', 'u32'],
] as const);
const EMBED = new UniformLayout([
  ['rows', 'u32'],
  ['dim', 'u32'],
  ['freqs', 'u32'],
] as const);
export const ADAM = new UniformLayout([
  ['lr', 'f32'],
  ['beta1', 'f32'],
  ['beta2', 'f32'],
  ['eps', 'f32'],
  ['bc1', 'f32'],
  ['bc2', 'f32'],
  ['weight_decay', 'f32'],
] as const);

/** An elementwise kernel over `count` values, one per invocation: [count uniform, ...buffers]. */
function countOp(
  res: OpResources,
  program: ProgramName,
  entry: string,
  label: string,
  count: number,
  buffers: GPUBuffer[],
): Dispatch[] {
  const u = res.uniform(COUNT, `${label}.params`, { count });
  return [dispatch(res, program, entry, `${label}.bg`, [u, ...buffers], Math.ceil(count / 256))];
}

/** y = max(x, 0). */
export function reluForward(res: OpResources, label: string, count: number, x: GPUBuffer, y: GPUBuffer) {
  return countOp(res, 'relu', 'relu_forward', `${label}.forward`, count, [x, x, y]);
}

/** dx = dy where x > 0, else 0. */
export function reluBackward(
  res: OpResources,
  label: string,
  count: number,
  x: GPUBuffer,
  dy: GPUBuffer,
  dx: GPUBuffer,
): Dispatch[] {
  return countOp(res, 'relu', 'relu_backward', `${label}.backward`, count, [x, dy, dx]);
}

/** out = a + b elementwise (residual connections, forward and backward). */
export function add(
  res: OpResources,
  label: string,
  count: number,
  a: GPUBuffer,
  b: GPUBuffer,
  out: GPUBuffer,
): Dispatch[] {
  return countOp(res, 'add', 'add', label, count, [a, b, out]);
}

/** Forward (dy absent: y = f(x)) or backward (dx = dy·f'(x)) of an elementwise activation. */
export function activationOp(
  res: OpResources,
  label: string,
  kind: Activation,
  count: number,
  x: GPUBuffer,
  out: GPUBuffer,
  dy?: GPUBuffer,
): Dispatch[] {
  const u = res.uniform(ACTIVATION, `${label}.params`, { count, kind: ACTIVATIONS.indexOf(kind) });
  const [entry, pass] = dy ? ['activation_backward', 'backward'] : ['activation_forward', 'forward'];
  const groups = Math.ceil(count / (256 * elementsPerInvocation(res.device)));
  return [dispatch(res, 'activation', entry, `${label}.${pass}.bg`, [u, x, dy ?? x, out], groups)];
}

/** A per-channel reduction: one workgroup per channel, or (barrier-free) one invocation per channel. */
function perChannel(
  res: OpResources,
  program: ProgramName,
  entry: string,
  label: string,
  channels: number,
  buffers: BufferOrView[],
): Dispatch[] {
  const serial = barrierFree(res.device);
  const groups = serial ? Math.ceil(channels / 64) : channels;
  return [dispatch(res, program, serial ? `${entry}_serial` : entry, label, buffers, groups)];
}

/** out[2c], out[2c+1] = batch mean and biased variance of channel c (Chan/Pébay merge reduction). */
export function channelStats(
  res: OpResources,
  label: string,
  s: { rows: number; channels: number },
  x: GPUBuffer,
  out: GPUBuffer,
): Dispatch[] {
  const u = res.uniform(ROWS_CHANNELS, `${label}.params`, s);
  return perChannel(res, 'stats', 'channel_stats', `${label}.bg`, s.channels, [u, x, out]);
}

export interface BnBuffers {
  /** [γ | β]: 2·channels floats (γ of channel c at c, β at channels + c). */
  affine: BufferOrView;
  runningMean: GPUBuffer;
  runningVar: GPUBuffer;
  /** [rows·channels] normalised x̂, kept for backward. */
  xhat: GPUBuffer;
  /** [3·channels]: (μ, σ², 1/√(σ²+ε)) as used by the last forward. */
  stats: GPUBuffer;
}

/** The `act` field of the BN kernels: 0 none, kind + 1 an activation fused in. */
const actField = (kind?: Activation) => (kind === undefined ? 0 : ACTIVATIONS.indexOf(kind) + 1);

/**
 * BatchNorm1d forward: train (batch statistics, optionally updating the running ones) or eval mode; with
 * `act`, also act.out = f(y) in the same dispatch (the activation after BN).
 */
export function bnForward(
  res: OpResources,
  label: string,
  s: {
    rows: number;
    channels: number;
    train: boolean;
    updateRunning: boolean;
    momentum: number;
    eps: number;
  },
  x: GPUBuffer,
  bn: BnBuffers,
  y: GPUBuffer,
  act?: { kind: Activation; out: GPUBuffer },
): Dispatch[] {
  const u = res.uniform(BN, `${label}.params`, {
    rows: s.rows,
    channels: s.channels,
    train: s.train ? 1 : 0,
    update_running: s.updateRunning ? 1 : 0,
    momentum: s.momentum,
    eps: s.eps,
    act: actField(act?.kind),
  });
  const { affine, runningMean, runningVar, xhat, stats } = bn;
  const buffers = [u, x, affine, runningMean, runningVar, y, xhat, stats, act?.out ?? res.scratch()];
  return perChannel(res, 'bnForward', 'bn_forward', `${label}.forward.bg`, s.channels, buffers);
}

/**
 * BatchNorm1d backward: dx (through the batch statistics in train mode) and daffine = [dγ | dβ]. With
 * `act`, dy is the gradient of the fused activation's output and act.y (the BN output) its input.
 */
export function bnBackward(
  res: OpResources,
  label: string,
  s: { rows: number; channels: number; train: boolean },
  dy: GPUBuffer,
  bn: BnBuffers,
  dx: GPUBuffer,
  daffine: BufferOrView,
  act?: { kind: Activation; y: GPUBuffer },
): Dispatch[] {
  const u = res.uniform(BN_BACKWARD, `${label}.backward.params`, {
    rows: s.rows,
    channels: s.channels,
    train: s.train ? 1 : 0,
    act: actField(act?.kind),
  });
  const buffers = [u, dy, act?.y ?? dy, bn.xhat, bn.affine, bn.stats, dx, daffine];
  return perChannel(res, 'bnBackward', 'bn_backward', `${label}.backward.bg`, s.channels, buffers);
}

/** A per-row loss, then its one-workgroup reduction over the same bind group. */
function rowLoss(
  res: OpResources,
  program: 'xent' | 'mse',
  label: string,
  s: { rows: number; channels: number },
  buffers: GPUBuffer[],
): Dispatch[] {
  const u = res.uniform(ROWS_CHANNELS, `${label}.params`, s);
  const groups = Math.ceil(s.rows / 64);
  const rows = dispatch(res, program, `${program}_rows`, `${label}.bg`, [u, ...buffers], groups);
  const reduce = nnPipelines(res.device)[program].pipelines[`${program}_reduce`]!;
  return [rows, { pipeline: reduce, bindGroup: rows.bindGroup, x: 1 }];
}

/** Per-row loss/correctness and dlogits, then result[0..1] = (mean loss, accuracy). */
export function softmaxXent(
  res: OpResources,
  label: string,
  s: { rows: number; classes: number },
  logits: GPUBuffer,
  labels: GPUBuffer,
  dlogits: GPUBuffer,
  rowLosses: GPUBuffer,
  result: GPUBuffer,
): Dispatch[] {
  const shape = { rows: s.rows, channels: s.classes };
  return rowLoss(res, 'xent', label, shape, [logits, labels, dlogits, rowLosses, result]);
}

/**
 * Mean squared error over all rows·cols entries: dpred = 2(pred − target)/(rows·cols), row_loss[r] (scratch,
 * `rows` floats), then result[0] = mean loss and result[1] += mean loss (a running sum the caller clears).
 */
export function mse(
  res: OpResources,
  label: string,
  s: { rows: number; cols: number },
  pred: GPUBuffer,
  target: GPUBuffer,
  dpred: GPUBuffer,
  rowLosses: GPUBuffer,
  result: GPUBuffer,
): Dispatch[] {
  const shape = { rows: s.rows, channels: s.cols };
  return rowLoss(res, 'mse', label, shape, [pred, target, dpred, rowLosses, result]);
}

/** Adam over one tensor; `params` is a shared ADAM uniform written once per step. */
export function adam(
  res: OpResources,
  label: string,
  count: number,
  params: GPUBuffer,
  grad: GPUBuffer,
  param: GPUBuffer,
  m: GPUBuffer,
  v: GPUBuffer,
): Dispatch[] {
  const groups = Math.ceil(count / (64 * elementsPerInvocation(res.device)));
  return [dispatch(res, 'adam', 'adam', `${label}.adam.bg`, [params, grad, param, m, v], groups)];
}

/**
 * Sinusoidal embedding of (x[rows, dim], λ[rows]) into out[rows, 2F(dim + 1)]; `turns` holds 2F f32 factors
 * (coordinates: s·ω_k/(2π), then λ: ω_k/(2π)); see shaders/nn/embed.wgsl.
 */
export function sinusoidalEmbed(
  res: OpResources,
  label: string,
  s: { rows: number; dim: number; freqs: number },
  x: GPUBuffer,
  lambda: GPUBuffer,
  turns: GPUBuffer,
  out: GPUBuffer,
): Dispatch[] {
  const u = res.uniform(EMBED, `${label}.params`, s);
  const groups = Math.ceil((s.rows * (s.dim + 1)) / 64);
  return [dispatch(res, 'embed', 'embed', `${label}.bg`, [u, x, lambda, turns, out], groups)];
}
