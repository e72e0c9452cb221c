/**
 * Float64 CPU references of the training core (shaders/nn/*.wgsl). Tensors are row-major Float64Arrays:
 * activations [rows, channels], Linear weights [in, out] (Y = X·W + b). The oracle of the GPU tests and,
 * composed in src/models/mlp.ts, the CPU trainer.
 */
import { ADAM_DEFAULTS, BN_EPS, BN_MOMENTUM, type Activation, type AdamOptions } from './spec';

type Vec = Float64Array;

/** Y[B, O] = X[B, I]·W[I, O] + b[O]. */
export function linearForward(x: Vec, w: Vec, b: Vec, B: number, I: number, O: number): Vec {
  const y = new Float64Array(B * O);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < O; o++) {
      let s = b[o]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * w[i * O + o]!;
      y[r * O + o] = s;
    }
  }
  return y;
}

/** dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ_rows dY. */
export function linearBackward(x: Vec, w: Vec, dy: Vec, B: number, I: number, O: number) {
  const dx = new Float64Array(B * I);
  const dw = new Float64Array(I * O);
  const db = new Float64Array(O);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < O; o++) {
      const g = dy[r * O + o]!;
      db[o] = db[o]! + g;
      for (let i = 0; i < I; i++) {
        dx[r * I + i] = dx[r * I + i]! + g * w[i * O + o]!;
        dw[i * O + o] = dw[i * O + o]! + x[r * I + i]! * g;
      }
    }
  }
  return { dx, dw, db };
}

export function reluForward(x: Vec): Vec {
  return x.map((v) => Math.max(v, 0));
}

export function reluBackward(x: Vec, dy: Vec): Vec {
  return dy.map((g, i) => (x[i]! > 0 ? g : 0));
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** f(x): ReLU, sigmoid, SiLU x·σ(x), GELU (tanh approximation). */
export function activation(kind: Activation, v: number): number {
  switch (kind) {
    case 'sigmoid':
      return sigmoid(v);
    case 'silu':
      return v * sigmoid(v);
    case 'gelu':
      return 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v ** 3)));
    default:
      return Math.max(v, 0);
  }
}

/** f'(x). */
function activationGrad(kind: Activation, v: number): number {
  switch (kind) {
    case 'sigmoid': {
      const s = sigmoid(v);
      return s * (1 - s);
    }
    case 'silu': {
      const s = sigmoid(v);
      return s * (1 + v * (1 - s));
    }
    case 'gelu': {
      const t = Math.tanh(GELU_C * (v + GELU_A * v ** 3));
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * v * v);
    }
    default:
      return v > 0 ? 1 : 0;
  }
}

export function activationForward(kind: Activation, x: Vec): Vec {
  return x.map((v) => activation(kind, v));
}

export function activationBackward(kind: Activation, x: Vec, dy: Vec): Vec {
  return dy.map((g, i) => g * activationGrad(kind, x[i]!));
}

/** Per-channel batch mean and biased variance (two passes in float64). */
export function channelStats(x: Vec, B: number, C: number) {
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let r = 0; r < B; r++) s += x[r * C + c]!;
    const mu = s / B;
    let q = 0;
    for (let r = 0; r < B; r++) q += (x[r * C + c]! - mu) ** 2;
    mean[c] = mu;
    variance[c] = q / B;
  }
  return { mean, variance };
}

interface BnState {
  gamma: Vec;
  beta: Vec;
  runningMean: Vec;
  runningVar: Vec;
}

/**
 * BatchNorm1d forward. Train: batch mean and biased variance normalise; running stats are updated in place
 * (when `update`) with the unbiased variance, r ← (1 − m) r + m·stat. Eval: running statistics.
 */
export function bnForward(
  x: Vec,
  B: number,
  C: number,
  s: BnState,
  train: boolean,
  update = train,
  eps = BN_EPS,
  momentum = BN_MOMENTUM,
) {
  let mean: Vec;
  let variance: Vec;
  if (train) {
    ({ mean, variance } = channelStats(x, B, C));
    if (update) {
      for (let c = 0; c < C; c++) {
        const unbiased = B > 1 ? (variance[c]! * B) / (B - 1) : variance[c]!;
        s.runningMean[c] = (1 - momentum) * s.runningMean[c]! + momentum * mean[c]!;
        s.runningVar[c] = (1 - momentum) * s.runningVar[c]! + momentum * unbiased;
      }
    }
  } else {
    mean = Float64Array.from(s.runningMean);
    variance = Float64Array.from(s.runningVar);
  }
  const invStd = variance.map((v) => 1 / Math.sqrt(v + eps));
  const xhat = new Float64Array(B * C);
  const y = new Float64Array(B * C);
  for (let r = 0; r < B; r++) {
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      xhat[i] = (x[i]! - mean[c]!) * invStd[c]!;
      y[i] = s.gamma[c]! * xhat[i]! + s.beta[c]!;
    }
  }
  return { y, xhat, mean, variance, invStd };
}

/** BatchNorm1d backward (train: through the batch statistics; eval: running stats are constants). */
export function bnBackward(
  dy: Vec,
  xhat: Vec,
  gamma: Vec,
  invStd: Vec,
  B: number,
  C: number,
  train: boolean,
) {
  const dx = new Float64Array(B * C);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s0 = 0;
    let s1 = 0;
    for (let r = 0; r < B; r++) {
      s0 += dy[r * C + c]!;
      s1 += dy[r * C + c]! * xhat[r * C + c]!;
    }
    dbeta[c] = s0;
    dgamma[c] = s1;
    const scale = gamma[c]! * invStd[c]!;
    for (let r = 0; r < B; r++) {
      const i = r * C + c;
      dx[i] = train ? (scale / B) * (B * dy[i]! - s0 - xhat[i]! * s1) : scale * dy[i]!;
    }
  }
  return { dx, dgamma, dbeta };
}

/** Mean softmax cross-entropy over B rows of K logits, accuracy, and d(mean loss)/d logits. */
export function softmaxXent(logits: Vec, labels: ArrayLike<number>, B: number, K: number) {
  const dlogits = new Float64Array(B * K);
  let loss = 0;
  let hits = 0;
  for (let r = 0; r < B; r++) {
    let mx = -Infinity;
    let arg = 0;
    for (let k = 0; k < K; k++) {
      if (logits[r * K + k]! > mx) {
        mx = logits[r * K + k]!;
        arg = k;
      }
    }
    let se = 0;
    for (let k = 0; k < K; k++) se += Math.exp(logits[r * K + k]! - mx);
    const label = labels[r]!;
    loss += Math.log(se) + mx - logits[r * K + label]!;
    if (arg === label) hits++;
    for (let k = 0; k < K; k++) {
      dlogits[r * K + k] = (Math.exp(logits[r * K + k]! - mx) / se - (k === label ? 1 : 0)) / B;
    }
  }
  return { loss: loss / B, accuracy: hits / B, dlogits };
}

/** One Adam/AdamW step at time t ≥ 1, in place on param, m, v. */
export function adamStep(param: Vec, grad: Vec, m: Vec, v: Vec, t: number, o: AdamOptions): void {
  const b1 = o.beta1 ?? ADAM_DEFAULTS.beta1;
  const b2 = o.beta2 ?? ADAM_DEFAULTS.beta2;
  const eps = o.eps ?? ADAM_DEFAULTS.eps;
  const wd = o.weightDecay ?? 0;
  const bc1 = 1 - b1 ** t;
  const bc2 = 1 - b2 ** t;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * g;
    v[i] = b2 * v[i]! + (1 - b2) * g * g;
    const w = param[i]!;
    param[i] = w - (o.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + eps) - o.lr * wd * w;
  }
}

/**
 * Mean squared error over all entries of pred and target (the mean over the batch and the outputs), and
 * d loss/d pred = 2(pred − target)/n.
 */
export function mseLoss(pred: Vec, target: ArrayLike<number>): { loss: number; dpred: Vec } {
  const n = pred.length;
  if (target.length !== n) throw new RangeError(`MSE: ${n} predictions but ${target.length} targets.`);
  let loss = 0;
  const dpred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    loss += d * d;
    dpred[i] = (2 * d) / n;
  }
  return { loss: loss / n, dpred };
}
