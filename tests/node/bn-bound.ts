/**
 * A first-order f32 error bound for the BatchNorm lab's forward pass (for tests/node/batchnorm.node.ts):
 * the float64 forward of a CpuMlp's parameters on one batch, carrying for every value an elementwise bound
 * on |f32 value − float64 value| (u = 2⁻²³; the parameters are rounded to f32 on the GPU):
 * - Linear z = b + Σ_k a_k W_kj (fan-in n): Σ_k |W_kj|·e(a_k) + (n + 3)·u·(|b_j| + Σ_k |a_k W_kj|);
 * - batch mean over B rows: mean e(z) + (B + 2)·u·mean|z|; variance: mean 2|z − μ|(e(z) + e(μ)) + (B + 4)·u·σ²;
 * - x̂ = (z − μ)·inverseSqrt(σ² + ε) (2 ulp): (e(z) + e(μ))·s + |x̂|·(½·e(σ²)/(σ² + ε) + 5u); eval mode uses
 *   the running statistics (exact in f32 at their initial 0 and 1);
 * - y = γx̂ + β: |γ|·e(x̂) + 2u(|γx̂| + |β|); ReLU is 1-Lipschitz: e(max(0, y)) ≤ e(y);
 * - cross-entropy of a row (p = softmax of the logits): Σ_k |p_k − [k = label]|·e(logit_k) plus the
 *   rounding of exp, the sum and log, (K + 10 + 2·range)·u·(1 + CE); the batch mean adds B·u·loss.
 * Every final bound is doubled for the second-order terms.
 */
import type { CpuMlp, Batch } from '../../src/models/mlp';
import { U } from './numerics';

const BN_EPS = 1e-5;

export interface ColumnBound {
  mean: Float64Array;
  var: Float64Array;
  eMean: Float64Array;
  eVar: Float64Array;
}

export interface LayerBound {
  /** Batch statistics of z (BN input / plain Linear output), of x̂ (BN only). */
  pre: ColumnBound;
  post: ColumnBound | null;
  /** The activation input (y with BN, z without) and its elementwise bound, [rows][width]. */
  h: Float64Array;
  eh: Float64Array;
}

export interface ForwardBound {
  loss: number;
  eLoss: number;
  accuracy: number;
  /** Rows whose predicted class f32 rounding could flip (their logit margin is within the bound). */
  ambiguousRows: number;
  layers: LayerBound[];
}

function columnStats(x: Float64Array, ex: Float64Array, B: number, C: number): ColumnBound {
  const r: ColumnBound = {
    mean: new Float64Array(C),
    var: new Float64Array(C),
    eMean: new Float64Array(C),
    eVar: new Float64Array(C),
  };
  for (let c = 0; c < C; c++) {
    let s = 0;
    let abs = 0;
    let e = 0;
    for (let i = 0; i < B; i++)
      [s, abs, e] = [s + x[i * C + c]!, abs + Math.abs(x[i * C + c]!), e + ex[i * C + c]!];
    const mean = s / B;
    const eMean = e / B + ((B + 2) * U * abs) / B;
    let v = 0;
    let ev = 0;
    for (let i = 0; i < B; i++) {
      const d = x[i * C + c]! - mean;
      v += d * d;
      ev += 2 * Math.abs(d) * (ex[i * C + c]! + eMean);
    }
    v /= B;
    r.mean[c] = mean;
    r.var[c] = v;
    r.eMean[c] = eMean;
    r.eVar[c] = ev / B + (B + 4) * U * v;
  }
  return r;
}

function linear(
  a: Float64Array,
  ea: Float64Array,
  w: Float64Array,
  b: Float64Array,
  B: number,
  I: number,
  O: number,
) {
  const z = new Float64Array(B * O);
  const ez = new Float64Array(B * O);
  for (let r = 0; r < B; r++) {
    for (let o = 0; o < O; o++) {
      let s = b[o]!;
      let abs = Math.abs(b[o]!);
      let prop = 0;
      for (let i = 0; i < I; i++) {
        const wio = w[i * O + o]!;
        s += a[r * I + i]! * wio;
        abs += Math.abs(a[r * I + i]! * wio);
        prop += Math.abs(wio) * ea[r * I + i]!;
      }
      z[r * O + o] = s;
      ez[r * O + o] = prop + (I + 3) * U * abs;
    }
  }
  return { z, ez };
}

/** The bound of one forward pass of `mlp` (its current parameters and running statistics) on `batch`. */
export function forwardBound(mlp: CpuMlp, batch: Batch, mode: 'train' | 'eval'): ForwardBound {
  const { depth, width: C, batchNorm } = mlp.shape;
  const inDim = mlp.shape.inDim ?? 2;
  const K = mlp.shape.classes ?? 2;
  const B = batch.labels.length;
  const W = (n: string) => mlp.weights.get(n)!;
  let a = Float64Array.from(batch.x);
  let ea = new Float64Array(a.length);
  const layers: LayerBound[] = [];
  for (let l = 0; l < depth; l++) {
    const { z, ez } = linear(
      a,
      ea,
      W(`layers.${l}.weight`),
      W(`layers.${l}.bias`),
      B,
      l === 0 ? inDim : C,
      C,
    );
    const pre = columnStats(z, ez, B, C);
    let h = z;
    let eh = ez;
    let post: ColumnBound | null = null;
    if (batchNorm) {
      const running = mlp.running[l]!;
      const gamma = W(`layers.${l}.bn.gamma`);
      const beta = W(`layers.${l}.bn.beta`);
      const xhat = new Float64Array(B * C);
      const ex = new Float64Array(B * C);
      h = new Float64Array(B * C);
      eh = new Float64Array(B * C);
      for (let c = 0; c < C; c++) {
        const [mu, v, eMu, eV] =
          mode === 'train'
            ? [pre.mean[c]!, pre.var[c]!, pre.eMean[c]!, pre.eVar[c]!]
            : [running.mean[c]!, running.var[c]!, U * Math.abs(running.mean[c]!), U * running.var[c]!];
        const s = 1 / Math.sqrt(v + BN_EPS);
        for (let r = 0; r < B; r++) {
          const i = r * C + c;
          xhat[i] = (z[i]! - mu) * s;
          ex[i] = (ez[i]! + eMu) * s + Math.abs(xhat[i]!) * (eV / (2 * (v + BN_EPS)) + 5 * U);
          h[i] = gamma[c]! * xhat[i]! + beta[c]!;
          eh[i] =
            Math.abs(gamma[c]!) * ex[i]! + 2 * U * (Math.abs(gamma[c]! * xhat[i]!) + Math.abs(beta[c]!));
        }
      }
      post = columnStats(xhat, ex, B, C);
    }
    layers.push({ pre, post, h, eh });
    a = h.map((y) => Math.max(0, y));
    ea = eh;
  }
  const last = depth > 0 ? C : inDim;
  const { z: logits, ez: eLogits } = linear(a, ea, W('out.weight'), W('out.bias'), B, last, K);
  let loss = 0;
  let eLoss = 0;
  let correct = 0;
  let ambiguous = 0;
  for (let r = 0; r < B; r++) {
    const row = logits.subarray(r * K, (r + 1) * K);
    const m = Math.max(...row);
    const lo = Math.min(...row);
    let z = 0;
    for (const x of row) z += Math.exp(x - m);
    const y = batch.labels[r]!;
    const ce = Math.log(z) + m - row[y]!;
    loss += ce;
    let e = (K + 10 + 2 * (m - lo)) * U * (1 + ce);
    for (let k = 0; k < K; k++)
      e += Math.abs(Math.exp(row[k]! - m) / z - (k === y ? 1 : 0)) * eLogits[r * K + k]!;
    eLoss += e;
    const best = row.indexOf(m);
    if (best === y) correct++;
    for (let k = 0; k < K; k++) {
      if (k !== best && m - row[k]! <= 2 * (eLogits[r * K + k]! + eLogits[r * K + best]!)) {
        ambiguous++;
        break;
      }
    }
  }
  loss /= B;
  const double = (b: ColumnBound | null) => {
    if (!b) return;
    b.eMean.forEach((e, c) => (b.eMean[c] = 2 * e));
    b.eVar.forEach((e, c) => (b.eVar[c] = 2 * e));
  };
  for (const l of layers) {
    double(l.pre);
    double(l.post);
    l.eh.forEach((e, i) => (l.eh[i] = 2 * e));
  }
  return {
    loss,
    eLoss: 2 * (eLoss / B + B * U * loss),
    accuracy: correct / B,
    ambiguousRows: ambiguous,
    layers,
  };
}
