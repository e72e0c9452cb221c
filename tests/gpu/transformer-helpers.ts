/**
 * Error bounds of the transformer training kernels (tests/gpu/transformer-kernels.test.ts), derived from f32
 * and the WGSL accuracy rules, evaluated in float64 on the reference's values. u = 2⁻²⁴ (unit roundoff);
 * γ_n = n·u/(1 − n·u) bounds a length-n dot product (products and sums rounded): |err| ≤ γ_n·Σ|terms|;
 * FLUSH = 2⁻¹²⁶ is what a flushed subnormal product or sum can lose (implementations may flush).
 * exp: 3 + 2|x| ULP (≤ (3 + 2|x|)·2⁻²³ relative); division 2.5 ULP.
 */
import type { HeadShape } from '../../src/kernels/transformer/spec';
import { testRng } from './gpu-test-context';

export const U = 2 ** -24;
export const ULP = 2 ** -23;
export const FLUSH = 2 ** -126;
export const gamma = (n: number) => (n * U) / (1 - n * U);

/** n normal values × scale, rounded to f32 (the exact inputs of both the GPU and the reference). */
export function f32Normal(n: number, seed: number, scale = 1): Float64Array {
  const r = testRng(seed);
  return Float64Array.from(Float32Array.from({ length: n }, () => scale * r.normal()));
}

/** Rounds to f32 and back. */
export const toF32 = (v: ArrayLike<number>) => Float64Array.from(Float32Array.from(v));

type V = ArrayLike<number>;
const idx = (s: HeadShape) => ({
  hd: (g: number, t: number, c: number) => (g * s.len + t) * s.dHead + c,
  tt: (g: number, i: number, j: number) => (g * s.len + i) * s.len + j,
  G: s.batch * s.heads,
});

/** Scores s = fl(fl(Σ_c q·k)·scale): γ_dh·scale·Σ|q·k| + u·|s| + flushes. Masked entries: bound 0. */
export function scoresBound(q: V, k: V, s: HeadShape, scale: number): Float64Array {
  const { hd, tt, G } = idx(s);
  const out = new Float64Array(G * s.len * s.len);
  for (let g = 0; g < G; g++)
    for (let i = 0; i < s.len; i++)
      for (let j = 0; j <= i; j++) {
        let abs = 0;
        let val = 0;
        for (let c = 0; c < s.dHead; c++) {
          abs += Math.abs(q[hd(g, i, c)]! * k[hd(g, j, c)]!);
          val += q[hd(g, i, c)]! * k[hd(g, j, c)]!;
        }
        const e = (gamma(s.dHead) * abs + s.dHead * FLUSH) * scale;
        out[tt(g, i, j)] = e * (1 + U) + U * Math.abs(val * scale) + FLUSH;
      }
  return out;
}

/**
 * A = exp(x − m)·fl(1/l) from scores with absolute errors `sErr`: with δ_j = sErr_j + max sErr (x and m) +
 * u|x_j|, exp contributes expm1(δ_j) + (3 + 2|x_j|)·2⁻²³ relative, the sum l that plus γ_T, 1/l 2.5 ULP,
 * the product u; the relative terms are multiplied out (no first-order truncation). Masked: exactly 0.
 */
export function weightsBound(scores: V, a: V, sErr: V, s: HeadShape): Float64Array {
  const { G } = idx(s);
  const T = s.len;
  const out = new Float64Array(G * T * T);
  for (let row = 0; row < G * T; row++) {
    const i = row % T;
    const base = row * T;
    let m = -Infinity;
    let eMax = 0;
    for (let j = 0; j <= i; j++) {
      m = Math.max(m, scores[base + j]!);
      eMax = Math.max(eMax, sErr[base + j]!);
    }
    const relE = (j: number) => {
      const x = scores[base + j]! - m;
      return Math.expm1(sErr[base + j]! + eMax + U * Math.abs(x)) + (3 + 2 * Math.abs(x)) * ULP;
    };
    let relL = 0;
    for (let j = 0; j <= i; j++) relL = Math.max(relL, relE(j));
    relL = (1 + relL) * (1 + gamma(T)) - 1;
    for (let j = 0; j <= i; j++) {
      const rel = (1 + relE(j)) * (1 + relL) * (1 + 2.5 * ULP) * (1 + U) - 1;
      out[base + j] = a[base + j]! * rel + FLUSH;
    }
  }
  return out;
}

/**
 * out[i][c] = fl(fl(Σ_{j ≤ i} x[i][j]·y[j][c])·scale) (rows) or Σ_{i ≥ j} x[i][j]·y[i][c] (columns), with
 * x known to ±xErr: scale·(Σ xErr·|y| + γ_T·Σ(|x| + xErr)·|y| + T·FLUSH) + u·|out|.
 */
export function causalProductBound(
  x: V,
  xErr: V | null,
  y: V,
  s: HeadShape,
  scale: number,
  transposed: boolean,
): Float64Array {
  const { hd, tt, G } = idx(s);
  const T = s.len;
  const out = new Float64Array(G * T * s.dHead);
  for (let g = 0; g < G; g++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < s.dHead; c++) {
        let prop = 0;
        let abs = 0;
        let val = 0;
        const [lo, hi] = transposed ? [t, T - 1] : [0, t];
        for (let m = lo; m <= hi; m++) {
          const xi = transposed ? tt(g, m, t) : tt(g, t, m);
          const yv = y[hd(g, m, c)]!;
          const xe = xErr ? xErr[xi]! : 0;
          prop += xe * Math.abs(yv);
          abs += (Math.abs(x[xi]!) + xe) * Math.abs(yv);
          val += x[xi]! * yv;
        }
        const e = scale * (prop + gamma(T) * abs + T * FLUSH) * (1 + U);
        out[hd(g, t, c)] = e + U * Math.abs(val * scale) + FLUSH;
      }
  return out;
}

/**
 * dA = Σ_c dO·V: γ_dh·Σ|dO·V|; r = Σ_j fl(dA·A): Σ errDA·A + γ_T·Σ(|dA| + errDA)·A; t = fl(dA − r) and
 * dS = fl(A·t): A·(errDA + errR)(1 + u) + u·|t|·A + u·|dS|. Masked entries: bound 0 (exactly 0 expected).
 */
export function softmaxBackwardBounds(
  dO: V,
  v: V,
  a: V,
  dA: V,
  dS: V,
  s: HeadShape,
): { dA: Float64Array; dS: Float64Array } {
  const { hd, tt, G } = idx(s);
  const T = s.len;
  const eA = new Float64Array(G * T * T);
  const eS = new Float64Array(G * T * T);
  for (let g = 0; g < G; g++)
    for (let i = 0; i < T; i++) {
      for (let j = 0; j <= i; j++) {
        let abs = 0;
        for (let c = 0; c < s.dHead; c++) abs += Math.abs(dO[hd(g, i, c)]! * v[hd(g, j, c)]!);
        eA[tt(g, i, j)] = gamma(s.dHead) * abs + (s.dHead + 1) * FLUSH;
      }
      let prop = 0;
      let abs = 0;
      for (let j = 0; j <= i; j++) {
        const w = a[tt(g, i, j)]!;
        prop += eA[tt(g, i, j)]! * w;
        abs += (Math.abs(dA[tt(g, i, j)]!) + eA[tt(g, i, j)]!) * w;
      }
      const eR = prop + gamma(T) * abs + T * FLUSH;
      for (let j = 0; j <= i; j++) {
        const w = a[tt(g, i, j)]!;
        const tAbs = Math.abs(dS[tt(g, i, j)]!) / Math.max(w, Number.MIN_VALUE);
        const eT = (eA[tt(g, i, j)]! + eR) * (1 + U) + U * tAbs + FLUSH;
        eS[tt(g, i, j)] = w * eT * (1 + U) + U * Math.abs(dS[tt(g, i, j)]!) + FLUSH;
      }
    }
  return { dA: eA, dS: eS };
}

/** Fails with the first entry over its bound; returns the worst |gpu − ref| / bound. */
export function checkBound(gpuV: ArrayLike<number>, refV: ArrayLike<number>, bound: V, what: string): number {
  let worst = 0;
  for (let i = 0; i < refV.length; i++) {
    const err = Math.abs(gpuV[i]! - refV[i]!);
    if (!(err <= bound[i]!)) {
      throw new Error(`${what}[${i}]: gpu ${gpuV[i]} ref ${refV[i]} err ${err} > bound ${bound[i]}`);
    }
    if (bound[i]! > 0) worst = Math.max(worst, err / bound[i]!);
  }
  return worst;
}

/** Indices (into [B·H][T][T]) of the masked entries j > i. */
export function maskedIndices(s: HeadShape): number[] {
  const out: number[] = [];
  for (let row = 0; row < s.batch * s.heads * s.len; row++)
    for (let j = (row % s.len) + 1; j < s.len; j++) out.push(row * s.len + j);
  return out;
}
