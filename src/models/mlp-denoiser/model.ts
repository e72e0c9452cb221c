/**
 * The ε-prediction MLP of the Diffusion lab's 2D datasets, float64: the reference of
 * shaders/diffusion/mlp.wgsl, its backward pass, and the MLP as a CPU denoiser. Input x_t and the log-SNR
 * λ = log(ᾱ/(1 − ᾱ)) (clipped to ±LAMBDA_CLIP), so one model serves every schedule; each scalar v becomes
 * sin(ω_k s v), cos(ω_k s v) (s = inputScale for coordinates, 1 for λ). h₀ = silu(W_in e + b_in), `blocks`
 * residual layers h ← h + silu(W h + b), ε̂ = W_out h + b_out. Layout: parameterLayout in the kernel spec.
 */
import { frequencies, modelLambda, parameterLayout, type MlpConfig } from '../../kernels/diffusion/spec';
import { x0FromEpsilon, type CpuDenoiser } from '../../kernels/diffusion/ref';
import type { MlpModel } from './format';

export const DEFAULT_MLP_CONFIG: MlpConfig = { dim: 2, hidden: 64, blocks: 3, freqs: 8, inputScale: 25 };

/** The E features of one input (x, λ) into `out` (float64). */
export function embed(
  c: MlpConfig,
  x: ArrayLike<number>,
  xOffset: number,
  lambda: number,
  out: Float64Array,
  omega = frequencies(c.freqs),
): void {
  const F = c.freqs;
  for (let d = 0; d <= c.dim; d++) {
    const v = d < c.dim ? c.inputScale * x[xOffset + d]! : lambda;
    for (let k = 0; k < F; k++) {
      const a = omega[k]! * v;
      out[d * 2 * F + k] = Math.sin(a);
      out[d * 2 * F + F + k] = Math.cos(a);
    }
  }
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
const silu = (a: number) => a * sigmoid(a);
/** d silu / da = σ(a)(1 + a(1 − σ(a))). */
const siluGrad = (a: number) => {
  const s = sigmoid(a);
  return s * (1 + a * (1 - s));
};

/** ε̂ for n inputs at one noise level λ (float64 reference). */
export function mlpForward(model: MlpModel, xt: ArrayLike<number>, n: number, lambda: number): Float64Array {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const omega = frequencies(c.freqs);
  const e = new Float64Array(L.E);
  const h = new Float64Array(L.H);
  const out = new Float64Array(n * c.dim);
  for (let q = 0; q < n; q++) {
    embed(c, xt, q * c.dim, lambda, e, omega);
    for (let j = 0; j < L.H; j++) {
      let a = p[L.bIn + j]!;
      for (let k = 0; k < L.E; k++) a += p[L.wIn + j * L.E + k]! * e[k]!;
      h[j] = silu(a);
    }
    for (const blk of L.blocks) {
      const a = new Float64Array(L.H);
      for (let j = 0; j < L.H; j++) {
        let v = p[blk.b + j]!;
        for (let k = 0; k < L.H; k++) v += p[blk.w + j * L.H + k]! * h[k]!;
        a[j] = v;
      }
      for (let j = 0; j < L.H; j++) h[j] = h[j]! + silu(a[j]!);
    }
    for (let d = 0; d < c.dim; d++) {
      let v = p[L.bOut + d]!;
      for (let k = 0; k < L.H; k++) v += p[L.wOut + d * L.H + k]! * h[k]!;
      out[q * c.dim + d] = v;
    }
  }
  return out;
}

/**
 * Mean squared error of ε̂ against `target` over a batch (inputs with per-sample λ), and its gradient with
 * respect to the parameters (float64), added into `grad` (which the caller zeroes).
 */
export function mlpLossAndGradient(
  model: { config: MlpConfig; params: ArrayLike<number> },
  xt: ArrayLike<number>,
  lambdas: ArrayLike<number>,
  target: ArrayLike<number>,
  n: number,
  grad: Float64Array,
): number {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const H = L.H;
  const omega = frequencies(c.freqs);
  const e = new Float64Array(L.E);
  const a0 = new Float64Array(H);
  const hs = Array.from({ length: c.blocks + 1 }, () => new Float64Array(H));
  const as = Array.from({ length: c.blocks }, () => new Float64Array(H));
  const gh = new Float64Array(H);
  const ga = new Float64Array(H);
  let loss = 0;
  const scale = 2 / (n * c.dim);
  for (let q = 0; q < n; q++) {
    embed(c, xt, q * c.dim, lambdas[q]!, e, omega);
    for (let j = 0; j < H; j++) {
      let a = p[L.bIn + j]!;
      for (let k = 0; k < L.E; k++) a += p[L.wIn + j * L.E + k]! * e[k]!;
      a0[j] = a;
      hs[0]![j] = silu(a);
    }
    for (let l = 0; l < c.blocks; l++) {
      const blk = L.blocks[l]!;
      const h = hs[l]!;
      for (let j = 0; j < H; j++) {
        let v = p[blk.b + j]!;
        for (let k = 0; k < H; k++) v += p[blk.w + j * H + k]! * h[k]!;
        as[l]![j] = v;
        hs[l + 1]![j] = h[j]! + silu(v);
      }
    }
    const hL = hs[c.blocks]!;
    gh.fill(0);
    for (let d = 0; d < c.dim; d++) {
      let v = p[L.bOut + d]!;
      for (let k = 0; k < H; k++) v += p[L.wOut + d * H + k]! * hL[k]!;
      const r = v - target[q * c.dim + d]!;
      loss += r * r;
      const g = scale * r;
      grad[L.bOut + d] = grad[L.bOut + d]! + g;
      for (let k = 0; k < H; k++) {
        grad[L.wOut + d * H + k] = grad[L.wOut + d * H + k]! + g * hL[k]!;
        gh[k] = gh[k]! + g * p[L.wOut + d * H + k]!;
      }
    }
    for (let l = c.blocks - 1; l >= 0; l--) {
      const blk = L.blocks[l]!;
      const h = hs[l]!;
      for (let j = 0; j < H; j++) ga[j] = gh[j]! * siluGrad(as[l]![j]!);
      // h_{l+1} = h_l + silu(W h_l + b): the skip passes gh through unchanged.
      for (let j = 0; j < H; j++) {
        const g = ga[j]!;
        if (g === 0) continue;
        grad[blk.b + j] = grad[blk.b + j]! + g;
        for (let k = 0; k < H; k++) {
          grad[blk.w + j * H + k] = grad[blk.w + j * H + k]! + g * h[k]!;
          gh[k] = gh[k]! + g * p[blk.w + j * H + k]!;
        }
      }
    }
    for (let j = 0; j < H; j++) {
      const g = gh[j]! * siluGrad(a0[j]!);
      grad[L.bIn + j] = grad[L.bIn + j]! + g;
      for (let k = 0; k < L.E; k++) grad[L.wIn + j * L.E + k] = grad[L.wIn + j * L.E + k]! + g * e[k]!;
    }
  }
  return loss / (n * c.dim);
}

/** The MLP as a CPU denoiser (float64): ε̂ from mlpForward, x̂₀ by x0FromEpsilon (√ᾱ ≥ 1e-3, |x̂₀| ≤ 4). */
export function mlpDenoiserCpu(model: MlpModel): CpuDenoiser {
  return {
    name: 'mlp',
    predict: (xt, n, dim, level) => {
      if (dim !== model.config.dim)
        throw new RangeError(`Denoiser built for D = ${model.config.dim}, called with D = ${dim}.`);
      const eps = mlpForward(model, xt, n, modelLambda(level.alphaBar, level.oneMinusAlphaBar));
      const x0 = Float64Array.from(eps, (e, k) => x0FromEpsilon(xt[k]!, e, level));
      return { x0, eps };
    },
  };
}
