/**
 * Bound training-core operations: each owns its uniform buffers and bind groups over fixed buffers, and
 * yields the dispatches to replay every step. Sizes are fixed at construction (a model is rebuilt when its
 * shape changes).
 */
import { UniformLayout } from '../../gpu/uniforms';
import { nnPipelines, type Dispatch, type NnPipelines } from './pipelines';
import { ACTIVATIONS, type Activation } from './nn.ref';

const MATMUL = new UniformLayout([
  ['m', 'u32'],
  ['n', 'u32'],
  ['k', 'u32'],
  ['flags', 'u32'],
] as const);
const COUNT = new UniformLayout([['count', 'u32']] as const);
const ROWS_CHANNELS = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
] as const);
const BN = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
  ['train', 'u32'],
  ['update_running', 'u32'],
  ['momentum', 'f32'],
  ['eps', 'f32'],
] as const);
const BN_BACKWARD = new UniformLayout([
  ['rows', 'u32'],
  ['channels', 'u32'],
  ['train', 'u32'],
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

const TILE = 16;
const TRANS_A = 1;
const TRANS_B = 2;
const BIAS = 4;

/** Owns the small uniform buffers of a set of ops, so one destroy() frees them. */
export class OpResources {
  private buffers: GPUBuffer[] = [];
  constructor(readonly device: GPUDevice) {}
  uniform<K extends string>(layout: UniformLayout<K>, label: string, values: Record<K, number>): GPUBuffer {
    const b = layout.createBuffer(this.device, label);
    layout.write(this.device, b, values);
    this.buffers.push(b);
    return b;
  }
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
  }
}

/**
 * Elements per invocation of the elementwise kernels with grid-stride loops (activation, Adam): several on
 * software adapters, which pay per invocation (measured on SwiftShader: 8 per invocation runs an activation
 * over 8192 values 2–3× faster than 1), one on GPUs.
 */
function elementsPerInvocation(p: NnPipelines): number {
  return p.style === 'barrier-free' ? 8 : 1;
}

function matmulDispatch(
  res: OpResources,
  label: string,
  dims: { m: number; n: number; k: number; flags: number },
  a: GPUBuffer,
  b: GPUBuffer,
  bias: GPUBuffer,
  c: GPUBuffer,
  direct?: boolean,
): Dispatch {
  // Kernel: `direct` false → the tiled kernel on any adapter. Otherwise, with the 'barrier-free' style
  // (software adapters), 8×8 outputs per invocation (matmul_block8); with the 'workgroup' style, one thread
  // per output (matmul_direct) when `direct` is true and the tiled kernel when it is not given.
  const p = nnPipelines(res.device);
  const u = res.uniform(MATMUL, `${label}.params`, dims);
  const maxGroups = res.device.limits.maxComputeWorkgroupsPerDimension;
  const blockGroups = Math.ceil((Math.ceil(dims.m / 8) * Math.ceil(dims.n / 8)) / 64);
  if (direct !== false && p.style === 'barrier-free' && blockGroups <= maxGroups) {
    return {
      pipeline: p.matmul.pipelines.matmul_block8!,
      bindGroup: p.bind(p.matmul, `${label}.bg`, [u, a, b, bias, c]),
      x: blockGroups,
    };
  }
  const groups = Math.ceil((dims.m * dims.n) / 64);
  if (direct && groups <= maxGroups) {
    return {
      pipeline: p.matmul.pipelines.matmul_direct!,
      bindGroup: p.bind(p.matmul, `${label}.bg`, [u, a, b, bias, c]),
      x: groups,
    };
  }
  return {
    pipeline: p.matmul.pipelines.matmul!,
    bindGroup: p.bind(p.matmul, `${label}.bg`, [u, a, b, bias, c]),
    x: Math.ceil(dims.n / TILE),
    y: Math.ceil(dims.m / TILE),
  };
}

/** Y[rows, out] = X[rows, in]·W[in, out] + b. */
export function linearForward(
  res: OpResources,
  label: string,
  s: { rows: number; inDim: number; outDim: number },
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer,
  y: GPUBuffer,
): Dispatch[] {
  return [
    matmulDispatch(res, `${label}.forward`, { m: s.rows, n: s.outDim, k: s.inDim, flags: BIAS }, x, w, b, y),
  ];
}

/** dW = Xᵀ·dY, db = Σ_rows dY and (when dx is given) dX = dY·Wᵀ. */
export function linearBackward(
  res: OpResources,
  label: string,
  s: { rows: number; inDim: number; outDim: number },
  x: GPUBuffer,
  w: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  db: GPUBuffer,
  dx?: GPUBuffer,
): Dispatch[] {
  return linearBackwardDispatches(res, label, s, 'in-out', x, w, dy, dw, db, dx);
}

/**
 * The three dispatches of a Linear layer's backward pass for either weight layout: dW (from Xᵀ·dY for W[in][out],
 * dYᵀ·X for W[out][in]), db = Σ_rows dY, and (when dx is given) dX = dY·Wᵀ or dY·W.
 */
function linearBackwardDispatches(
  res: OpResources,
  label: string,
  s: { rows: number; inDim: number; outDim: number; direct?: boolean },
  layout: 'in-out' | 'out-in',
  x: GPUBuffer,
  w: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  db: GPUBuffer,
  dx?: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const out: Dispatch[] = [
    layout === 'in-out'
      ? matmulDispatch(
          res,
          `${label}.dw`,
          { m: s.inDim, n: s.outDim, k: s.rows, flags: TRANS_A },
          x,
          dy,
          dy,
          dw,
        )
      : matmulDispatch(
          res,
          `${label}.dw`,
          { m: s.outDim, n: s.inDim, k: s.rows, flags: TRANS_A },
          dy,
          x,
          x,
          dw,
          s.direct,
        ),
  ];
  const u = res.uniform(MATMUL, `${label}.db.params`, { m: s.rows, n: s.outDim, k: 0, flags: 0 });
  out.push({
    pipeline: p.matmul.pipelines.column_sum!,
    bindGroup: p.bind(p.matmul, `${label}.db.bg`, [u, dy, dy, dy, db]),
    x: Math.ceil(s.outDim / 64),
  });
  if (dx) {
    const flags = layout === 'in-out' ? TRANS_B : 0;
    out.push(
      matmulDispatch(
        res,
        `${label}.dx`,
        { m: s.rows, n: s.inDim, k: s.outDim, flags },
        dy,
        w,
        w,
        dx,
        layout === 'in-out' ? undefined : s.direct,
      ),
    );
  }
  return out;
}

export function reluForward(
  res: OpResources,
  label: string,
  count: number,
  x: GPUBuffer,
  y: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(COUNT, `${label}.params`, { count });
  return [
    {
      pipeline: p.relu.pipelines.relu_forward!,
      bindGroup: p.bind(p.relu, `${label}.forward.bg`, [u, x, x, y]),
      x: Math.ceil(count / 256),
    },
  ];
}

export function reluBackward(
  res: OpResources,
  label: string,
  count: number,
  x: GPUBuffer,
  dy: GPUBuffer,
  dx: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(COUNT, `${label}.params`, { count });
  return [
    {
      pipeline: p.relu.pipelines.relu_backward!,
      bindGroup: p.bind(p.relu, `${label}.backward.bg`, [u, x, dy, dx]),
      x: Math.ceil(count / 256),
    },
  ];
}

const ACTIVATION = new UniformLayout([
  ['count', 'u32'],
  ['kind', 'u32'],
] as const);

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
  const p = nnPipelines(res.device);
  const u = res.uniform(ACTIVATION, `${label}.params`, { count, kind: ACTIVATIONS.indexOf(kind) });
  return [
    {
      pipeline: p.activation.pipelines[dy ? 'activation_backward' : 'activation_forward']!,
      bindGroup: p.bind(p.activation, `${label}.${dy ? 'backward' : 'forward'}.bg`, [u, x, dy ?? x, out]),
      x: Math.ceil(count / (256 * elementsPerInvocation(p))),
    },
  ];
}

/** out[2c], out[2c+1] = batch mean and biased variance of channel c (Chan/Pébay merge reduction). */
export function channelStats(
  res: OpResources,
  label: string,
  s: { rows: number; channels: number },
  x: GPUBuffer,
  out: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(ROWS_CHANNELS, `${label}.params`, s);
  const serial = p.style === 'barrier-free';
  return [
    {
      pipeline: p.stats.pipelines[serial ? 'channel_stats_serial' : 'channel_stats']!,
      bindGroup: p.bind(p.stats, `${label}.bg`, [u, x, out]),
      x: serial ? Math.ceil(s.channels / 64) : s.channels,
    },
  ];
}

export interface BnBuffers {
  gamma: GPUBuffer;
  beta: GPUBuffer;
  runningMean: GPUBuffer;
  runningVar: GPUBuffer;
  /** [rows·channels] normalised x̂, kept for backward. */
  xhat: GPUBuffer;
  /** [3·channels]: (μ, σ², 1/√(σ²+ε)) as used by the last forward. */
  stats: GPUBuffer;
}

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
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(BN, `${label}.params`, {
    rows: s.rows,
    channels: s.channels,
    train: s.train ? 1 : 0,
    update_running: s.updateRunning ? 1 : 0,
    momentum: s.momentum,
    eps: s.eps,
  });
  const serial = p.style === 'barrier-free';
  return [
    {
      pipeline: p.bnForward.pipelines[serial ? 'bn_forward_serial' : 'bn_forward']!,
      bindGroup: p.bind(p.bnForward, `${label}.forward.bg`, [
        u,
        x,
        bn.gamma,
        bn.beta,
        bn.runningMean,
        bn.runningVar,
        y,
        bn.xhat,
        bn.stats,
      ]),
      x: serial ? Math.ceil(s.channels / 64) : s.channels,
    },
  ];
}

export function bnBackward(
  res: OpResources,
  label: string,
  s: { rows: number; channels: number; train: boolean },
  dy: GPUBuffer,
  bn: BnBuffers,
  dx: GPUBuffer,
  dgamma: GPUBuffer,
  dbeta: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(BN_BACKWARD, `${label}.backward.params`, {
    rows: s.rows,
    channels: s.channels,
    train: s.train ? 1 : 0,
  });
  const serial = p.style === 'barrier-free';
  return [
    {
      pipeline: p.bnBackward.pipelines[serial ? 'bn_backward_serial' : 'bn_backward']!,
      bindGroup: p.bind(p.bnBackward, `${label}.backward.bg`, [
        u,
        dy,
        bn.xhat,
        bn.gamma,
        bn.stats,
        dx,
        dgamma,
        dbeta,
      ]),
      x: serial ? Math.ceil(s.channels / 64) : s.channels,
    },
  ];
}

/** Per-row loss/correctness and dlogits, then result[0..1] = (mean loss, accuracy). */
export function softmaxXent(
  res: OpResources,
  label: string,
  s: { rows: number; classes: number },
  logits: GPUBuffer,
  labels: GPUBuffer,
  dlogits: GPUBuffer,
  rowLoss: GPUBuffer,
  result: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(ROWS_CHANNELS, `${label}.params`, { rows: s.rows, channels: s.classes });
  const bindGroup = p.bind(p.xent, `${label}.bg`, [u, logits, labels, dlogits, rowLoss, result]);
  return [
    { pipeline: p.xent.pipelines.xent_rows!, bindGroup, x: Math.ceil(s.rows / 64) },
    { pipeline: p.xent.pipelines.xent_reduce!, bindGroup, x: 1 },
  ];
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
  const p = nnPipelines(res.device);
  return [
    {
      pipeline: p.adam.pipelines.adam!,
      bindGroup: p.bind(p.adam, `${label}.adam.bg`, [params, grad, param, m, v]),
      x: Math.ceil(count / (64 * elementsPerInvocation(p))),
    },
  ];
}

/**
 * Y[rows, out] = X[rows, in]·Wᵀ + b with W stored [out][in] (row-major, the layout of PyTorch's nn.Linear
 * and of the diffusion ε-MLP's parameter array). `direct` true asks for a barrier-free kernel (`matmul_direct`,
 * or `matmul_block8` under the 'barrier-free' style), false for the tiled one, absent for the style's default
 * (same summation order in all three).
 */
export function linearOutInForward(
  res: OpResources,
  label: string,
  s: { rows: number; inDim: number; outDim: number; direct?: boolean },
  x: GPUBuffer,
  w: GPUBuffer,
  b: GPUBuffer,
  y: GPUBuffer,
): Dispatch[] {
  return [
    matmulDispatch(
      res,
      `${label}.forward`,
      { m: s.rows, n: s.outDim, k: s.inDim, flags: TRANS_B | BIAS },
      x,
      w,
      b,
      y,
      s.direct,
    ),
  ];
}

/** Backward of linearOutInForward: dW[out, in] = dYᵀ·X, db = Σ_rows dY and (when dx is given) dX = dY·W. */
export function linearOutInBackward(
  res: OpResources,
  label: string,
  s: { rows: number; inDim: number; outDim: number; direct?: boolean },
  x: GPUBuffer,
  w: GPUBuffer,
  dy: GPUBuffer,
  dw: GPUBuffer,
  db: GPUBuffer,
  dx?: GPUBuffer,
): Dispatch[] {
  return linearBackwardDispatches(res, label, s, 'out-in', x, w, dy, dw, db, dx);
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
  const p = nnPipelines(res.device);
  const u = res.uniform(COUNT, `${label}.params`, { count });
  return [
    {
      pipeline: p.add.pipelines.add!,
      bindGroup: p.bind(p.add, `${label}.bg`, [u, a, b, out]),
      x: Math.ceil(count / 256),
    },
  ];
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
  rowLoss: GPUBuffer,
  result: GPUBuffer,
): Dispatch[] {
  const p = nnPipelines(res.device);
  const u = res.uniform(ROWS_CHANNELS, `${label}.params`, { rows: s.rows, channels: s.cols });
  const bindGroup = p.bind(p.mse, `${label}.bg`, [u, pred, target, dpred, rowLoss, result]);
  return [
    { pipeline: p.mse.pipelines.mse_rows!, bindGroup, x: Math.ceil(s.rows / 64) },
    { pipeline: p.mse.pipelines.mse_reduce!, bindGroup, x: 1 },
  ];
}

const EMBED = new UniformLayout([
  ['rows', 'u32'],
  ['dim', 'u32'],
  ['freqs', 'u32'],
] as const);

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
  const p = nnPipelines(res.device);
  const u = res.uniform(EMBED, `${label}.params`, s);
  return [
    {
      pipeline: p.embed.pipelines.embed!,
      bindGroup: p.bind(p.embed, `${label}.bg`, [u, x, lambda, turns, out]),
      x: Math.ceil((s.rows * (s.dim + 1)) / 64),
    },
  ];
}
