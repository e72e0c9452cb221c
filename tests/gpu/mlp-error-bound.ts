/**
 * The f32 error bound of the ε-MLP inference kernel (shaders/diffusion/mlp.wgsl) against mlpForward, shared by
 * tests/gpu/diffusion-mlp.test.ts, tests/gpu/denoiser-train.test.ts and tests/node/denoiser-train.node.ts; with
 * the loss and gradient bounds of a training step. A first-order bound (u = 2⁻²³), each
 * local f32 error times |exact Jacobian| from there to the output, ×2:
 * - embedding: one rounding of the argument in turns (2π·u·|turns| = u·|arg|) plus 8u for the reduction
 *   and the polynomials;
 * - each dot product: (fan_in + 2)·u·Σ|W·input|; each silu: exp's (3 + 2|a|) ulp → 0.25·|a|(3 + 2|a|)·u,
 *   plus one rounding; each residual add: one rounding.
 */
import {
  embed,
  embeddingSize,
  frequencies,
  mlpLossAndGradient,
  parameterLayout,
  type MlpModel,
} from '../../src/models/mlp-denoiser';

const U = 2 ** -23;

/**
 * Per-output first-order bound on |ε̂_gpu − ε̂_ref| for one input (see the file comment): every local
 * rounding error (embedding, each dot product, each silu, each residual add) times the absolute value of
 * the exact Jacobian from that point to the output, summed, times 2 for second-order terms.
 */
export function epsBound(model: MlpModel, x: ArrayLike<number>, lambda: number): number[] {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const H = L.H;
  const omega = frequencies(c.freqs);
  const e: number[] = [];
  const de: number[] = [];
  for (let d = 0; d <= c.dim; d++) {
    for (const trig of [Math.sin, Math.cos]) {
      for (let k = 0; k < c.freqs; k++) {
        const arg = omega[k]! * (d < c.dim ? c.inputScale * x[d]! : lambda);
        e.push(trig(arg));
        de.push(Math.abs(arg) * U + 8 * U);
      }
    }
  }
  const sig = (a: number) => 1 / (1 + Math.exp(-a));
  const silu = (a: number) => a * sig(a);
  const dsilu = (a: number) => sig(a) * (1 + a * (1 - sig(a)));
  const siluErr = (a: number) => 0.25 * Math.abs(a) * (3 + 2 * Math.abs(a)) * U + U * Math.abs(silu(a));
  const dot = (w: number, b: number, rows: number, cols: number, input: number[]) => {
    const a: number[] = [];
    const err: number[] = [];
    for (let j = 0; j < rows; j++) {
      let v = p[b + j]!;
      let abs = Math.abs(v);
      for (let k = 0; k < cols; k++) {
        v += p[w + j * cols + k]! * input[k]!;
        abs += Math.abs(p[w + j * cols + k]! * input[k]!);
      }
      a.push(v);
      err.push((cols + 2) * U * abs);
    }
    return { a, err };
  };
  // Forward, keeping what the bound needs.
  const first = dot(L.wIn, L.bIn, H, L.E, e);
  const hs = [first.a.map(silu)];
  const blocks = L.blocks.map((blk, l) => {
    const r = dot(blk.w, blk.b, H, H, hs[l]!);
    hs.push(hs[l]!.map((v, j) => v + silu(r.a[j]!)));
    return r;
  });
  const out = dot(L.wOut, L.bOut, c.dim, H, hs[c.blocks]!);
  const bounds: number[] = [];
  for (let d = 0; d < c.dim; d++) {
    let total = out.err[d]!;
    let G = Array.from({ length: H }, (_, k) => p[L.wOut + d * H + k]!); // ∂ε̂_d/∂h_L
    for (let l = c.blocks - 1; l >= 0; l--) {
      const blk = L.blocks[l]!;
      const a = blocks[l]!.a;
      for (let j = 0; j < H; j++) {
        total += Math.abs(G[j]!) * (U * Math.abs(hs[l + 1]![j]!) + siluErr(a[j]!)); // add and silu
        total += Math.abs(G[j]! * dsilu(a[j]!)) * blocks[l]!.err[j]!; // dot product
      }
      const next = G.slice(); // skip connection
      for (let j = 0; j < H; j++) {
        const g = G[j]! * dsilu(a[j]!);
        for (let k = 0; k < H; k++) next[k] = next[k]! + g * p[blk.w + j * H + k]!;
      }
      G = next;
    }
    const ge = new Array<number>(L.E).fill(0);
    for (let j = 0; j < H; j++) {
      const a = first.a[j]!;
      total += Math.abs(G[j]!) * siluErr(a) + Math.abs(G[j]! * dsilu(a)) * first.err[j]!;
      const g = G[j]! * dsilu(a);
      for (let k = 0; k < L.E; k++) ge[k] = ge[k]! + g * p[L.wIn + j * L.E + k]!;
    }
    for (let k = 0; k < L.E; k++) total += Math.abs(ge[k]!) * de[k]!;
    bounds.push(2 * total);
  }
  return bounds;
}

/** A training batch as the trainers draw it: x_t [B·D], λ [B], target ε [B·D]. */
interface Batch {
  xt: ArrayLike<number>;
  lambdas: ArrayLike<number>;
  target: ArrayLike<number>;
}

const slice = (a: ArrayLike<number>, from: number, to: number) =>
  Array.prototype.slice.call(a, from, to) as number[];

/**
 * Bound on |loss_gpu − loss_ref| of one batch at parameters `model`, by DESIGN.md's rule for reductions
 * (rtol ≈ N·u for length N) along the network: each ε̂_d is within ρ·S_d, S_d = |b_out| + Σ_k|W_out,dk·h_k|
 * the magnitude of the last dot product, ρ = (A + (E + 2) + (blocks + 1)·(H + 2))·u (the embedding's
 * argument rounding, |arg| ≤ A = inputScale·max|x_t|, then one dot product per layer); so |Δ(r²)| ≤
 * 2|r|δ + δ², and the mean of B·D squares adds (B·D + 2)·u·loss.
 */
export function lossBound(model: MlpModel, b: Batch, batch: number): number {
  const c = model.config;
  const D = c.dim;
  const L = parameterLayout(c);
  const p = model.params;
  let maxX = 0;
  for (let k = 0; k < batch * D; k++) maxX = Math.max(maxX, Math.abs(b.xt[k]!));
  const rho = (c.inputScale * maxX + L.E + 2 + (c.blocks + 1) * (L.H + 2)) * U;
  const silu = (a: number) => a / (1 + Math.exp(-a));
  const e = new Float64Array(L.E);
  let loss = 0;
  let bound = 0;
  for (let q = 0; q < batch; q++) {
    embed(c, b.xt, D * q, b.lambdas[q]!, e);
    let h = Array.from({ length: L.H }, (_, j) => {
      let a = p[L.bIn + j]!;
      for (let k = 0; k < L.E; k++) a += p[L.wIn + j * L.E + k]! * e[k]!;
      return silu(a);
    });
    for (const blk of L.blocks) {
      h = h.map((hj, j) => {
        let a = p[blk.b + j]!;
        for (let k = 0; k < L.H; k++) a += p[blk.w + j * L.H + k]! * h[k]!;
        return hj + silu(a);
      });
    }
    for (let d = 0; d < D; d++) {
      let v = p[L.bOut + d]!;
      let S = Math.abs(v);
      for (let k = 0; k < L.H; k++) {
        v += p[L.wOut + d * L.H + k]! * h[k]!;
        S += Math.abs(p[L.wOut + d * L.H + k]! * h[k]!);
      }
      const r = Math.abs(v - b.target[D * q + d]!);
      const delta = rho * S;
      loss += (r * r) / (batch * D);
      bound += (2 * r * delta + delta * delta) / (batch * D);
    }
  }
  return bound + (batch * D + 2) * U * loss;
}

/**
 * Norm-wise gradient bound per tensor: ‖Δg‖∞ ≤ c·u·max_k Σ_b |g_b,k|/B over the tensor's entries, g_b the
 * per-sample gradients (so cancellation across the batch is accounted for). First order, each per-sample
 * term carries its factors' errors: the embedding's u·|arg| (|arg| ≤ A = inputScale·max|x_t|; `inputTerms`
 * = 2 when the batch itself is also rounded to f32), (K + 2)·u per dot product along the forward and
 * backward chain (K = E for the input layer, H for the others), and the batch sum B·u:
 * c = 2·(inputTerms·A + (E + 2) + (blocks + 1)·(H + 2) + B), the 2 for second-order terms. Returns the
 * per-entry Σ_b|g_b,k|/B and c.
 */
export function gradientBound(
  model: { config: MlpModel['config']; params: ArrayLike<number> },
  b: Batch,
  batch: number,
  inputTerms = 1,
): { gAbs: Float64Array; c: number } {
  const config = model.config;
  const D = config.dim;
  const P = model.params.length;
  const gAbs = new Float64Array(P);
  const one = new Float64Array(P);
  let maxX = 0;
  for (let q = 0; q < batch; q++) {
    one.fill(0);
    const x = slice(b.xt, D * q, D * q + D);
    for (const v of x) maxX = Math.max(maxX, Math.abs(v));
    mlpLossAndGradient(model, x, [b.lambdas[q]!], slice(b.target, D * q, D * q + D), 1, one);
    for (let k = 0; k < P; k++) gAbs[k] = gAbs[k]! + Math.abs(one[k]!) / batch;
  }
  const E = embeddingSize(config);
  const c =
    2 * (inputTerms * config.inputScale * maxX + E + 2 + (config.blocks + 1) * (config.hidden + 2) + batch);
  return { gAbs, c };
}

/**
 * Relative error of the GPU Adam update m̂/(√v̂ + ε) at step t (1-based) against adamUpdate's float64 one.
 * shaders/nn/adam.wgsl forms 1 − β₁ and 1 − β₂ in f32 from f32 β's, and the bias corrections arrive
 * rounded to f32: m̂ is off by k₁ = f32(1 − f32(β₁))/(1 − β₁) · bc₁/f32(bc₁), v̂ by k₂ likewise, so the
 * update by |k₁/√k₂ − 1| (5.4e-6 at t = 1: f32(0.999) = 0.99900001…, so 1 − it is 1.3e-5 small) — plus
 * (16 + 2t)·u of its roundings (two fused steps of m and v, two 2.5-ulp divisions, sqrt, ε, lr, the
 * subtraction; β^t in f32 adds t·u to each bias correction).
 */
export function adamRelativeError(t: number, beta1 = 0.9, beta2 = 0.999): number {
  const f = Math.fround;
  const bc1 = 1 - beta1 ** t;
  const bc2 = 1 - beta2 ** t;
  const k1 = (f(1 - f(beta1)) / (1 - beta1)) * (bc1 / f(bc1));
  const k2 = (f(1 - f(beta2)) / (1 - beta2)) * (bc2 / f(bc2));
  return Math.abs(k1 / Math.sqrt(k2) - 1) + (16 + 2 * t) * U;
}
