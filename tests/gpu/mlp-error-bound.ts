/**
 * The f32 error bound of the ε-MLP inference kernel (shaders/diffusion/mlp.wgsl) against mlpForward, shared by
 * tests/gpu/diffusion-mlp.test.ts and tests/gpu/denoiser-train.test.ts. A first-order bound (u = 2⁻²³), each
 * local f32 error times |exact Jacobian| from there to the output, ×2:
 * - embedding: one rounding of the argument in turns (2π·u·|turns| = u·|arg|) plus 8u for the reduction
 *   and the polynomials;
 * - each dot product: (fan_in + 2)·u·Σ|W·input|; each silu: exp's (3 + 2|a|) ulp → 0.25·|a|(3 + 2|a|)·u,
 *   plus one rounding; each residual add: one rounding.
 */
import { frequencies, parameterLayout, type MlpModel } from '../../src/models/mlp-denoiser';

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
