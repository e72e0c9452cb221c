/**
 * f32 tolerances of the GPT-2 forward pass tests (src/engine/gpt2), u = 2⁻²⁴, γ_n = n·u/(1 − n·u).
 * - layerNormBound, linearBound: rigorous elementwise first-order bounds of one op on inputs known to ±e:
 *   dot products Σ e_x·|W| + γ_{K+1}·(Σ|x·W| + |b|); LayerNorm (two passes) μ: (Σe_x + γ_C·Σ|x|)/C +
 *   2.5 ULP·|μ|, d = x − μ: e_x + e_μ + u|d|, σ²: (Σ 2|d|e_d + γ_{C+1}·Σd²)/C + 2.5 ULP·σ², +ε: u,
 *   inverseSqrt ½·e_v/v + 2 ULP relative, y = d·inv·g + b: |g|(e_d·inv + |d|·e_inv) + 2u|d·inv·g| + u|y|.
 * - gpt2Tolerances: chained through two layers the worst-case elementwise bound explodes (Σ|W| at every
 *   matmul, 1/σ at every LayerNorm, exp in every softmax: ~1e50 by layer 2 on the test model, while the
 *   measured errors are ~1e-6), so the forward test uses DESIGN.md's rule for reductions instead: relative
 *   error ≤ N·2⁻²³ with N the summed length of every reduction on the path (see forwardOps).
 * Second-order terms (products of two errors) are dropped.
 */
import { layerNormRows } from '../../src/kernels/gpt2/layernorm.ref';
import type { Gpt2Config } from '../../src/models/gpt2/types';
import { FLUSH, U, ULP, gamma } from './transformer-helpers';

interface Val {
  v: Float64Array;
  e: Float64Array;
}

export function linearBound(
  x: Val,
  rows: number,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  K: number,
  N: number,
  transposed = false,
): Val {
  const v = new Float64Array(rows * N);
  const e = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < N; o++) {
      let [val, abs, prop] = [b ? b[o]! : 0, b ? Math.abs(b[o]!) : 0, 0];
      for (let k = 0; k < K; k++) {
        const wv = transposed ? w[o * K + k]! : w[k * N + o]!;
        const xv = x.v[r * K + k]!;
        val += xv * wv;
        abs += Math.abs(xv * wv);
        prop += x.e[r * K + k]! * Math.abs(wv);
      }
      v[r * N + o] = val;
      e[r * N + o] = prop + gamma(K + 1) * abs + K * FLUSH;
    }
  return { v, e };
}

export function layerNormBound(
  x: Val,
  rows: number,
  C: number,
  g: ArrayLike<number>,
  b: ArrayLike<number>,
  eps: number,
): Val {
  const v = layerNormRows(x.v, rows, C, g, b, eps);
  const e = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let [sum, abs, sumE] = [0, 0, 0];
    for (let c = 0; c < C; c++)
      [sum, abs, sumE] = [sum + x.v[o + c]!, abs + Math.abs(x.v[o + c]!), sumE + x.e[o + c]!];
    const mu = sum / C;
    const eMu = (sumE + gamma(C) * abs) / C + 2.5 * ULP * Math.abs(mu) + FLUSH;
    let [q, qProp] = [0, 0];
    const eD = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const d = x.v[o + c]! - mu;
      eD[c] = x.e[o + c]! + eMu + U * Math.abs(d);
      q += d * d;
      qProp += 2 * Math.abs(d) * eD[c]!;
    }
    const varV = q / C;
    const eVar = (qProp + gamma(C + 1) * q) / C + 2.5 * ULP * varV + C * FLUSH;
    const ve = varV + eps;
    const eVe = eVar + U * ve;
    const inv = 1 / Math.sqrt(ve);
    const eInv = inv * (0.5 * (eVe / ve) + 2 * ULP);
    for (let c = 0; c < C; c++) {
      const d = x.v[o + c]! - mu;
      const gv = Math.abs(g[c]!);
      e[o + c] =
        gv * (eD[c]! * inv + Math.abs(d) * eInv) +
        2 * U * Math.abs(d * inv * g[c]!) +
        U * Math.abs(v[o + c]!) +
        FLUSH;
    }
  }
  return { v, e };
}

/**
 * N of DESIGN.md's N·2⁻²³ rule for the output of layer `upTo` (layers 0 … upTo − 1 whole, then the next
 * layer's attention when `attention`): per layer LN 2C (mean and variance passes) + c_attn C + scores dh +
 * softmax T + 8 (the max, exp's 3 + 2|x| ULP at |x| ≤ 2, 1/l's 2.5 ULP) + A·V T + c_proj C + LN 2C + c_fc C +
 * GELU 100 (tanh via exp at |x| ≤ 10: 2(3 + 20) + 2.5 ULP, ×2) + mlp c_proj 4C + two adds; ln_f 2C +
 * unembedding C.
 */
export function forwardOps(c: Gpt2Config, T: number, upTo: number, attention: boolean): number {
  const C = c.nEmbd;
  const dh = C / c.nHead;
  const attn = 2 * C + C + dh + T + 8;
  const layer = attn + T + C + 1 + 2 * C + C + 100 + 4 * C + 1;
  return upTo * layer + (attention ? attn : 3 * C);
}

export interface Gpt2Tolerances {
  /** |Δlogit| ≤ N·2⁻²³·max|logit| at the position. */
  logits: (ref: ArrayLike<number>) => number;
  /** Per layer: |ΔA| ≤ N_l·2⁻²³·(1 + R_l), R_l the largest score range ln(A_max/A_min) of a row. */
  attention: number[];
  /**
   * Per layer: |Σ_j A_ij − 1| ≤ γ_T + 2.5 ULP + u + 2(3 + 2(R_l + 1)) ULP — the softmax normalises whatever
   * its (perturbed) inputs were: the sum's rounding, 1/l, the product and exp's error (evaluated twice).
   */
  rowSum: number[];
}

export function gpt2Tolerances(
  c: Gpt2Config,
  T: number,
  attention: Float64Array[],
  finalOps = true,
): Gpt2Tolerances {
  const range = attention.map((a) => {
    let r = 0;
    for (let row = 0; row < c.nHead * T; row++) {
      const i = row % T;
      let [hi, lo] = [0, Infinity];
      for (let j = 0; j <= i; j++) [hi, lo] = [Math.max(hi, a[row * T + j]!), Math.min(lo, a[row * T + j]!)];
      r = Math.max(r, Math.log(hi / lo));
    }
    return r;
  });
  const N = forwardOps(c, T, c.nLayer, !finalOps);
  return {
    logits: (ref) => {
      let m = 0;
      for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]!));
      return N * ULP * m;
    },
    attention: range.map((r, l) => forwardOps(c, T, l, true) * ULP * (1 + r)),
    rowSum: range.map((r) => gamma(T) + 2.5 * ULP + U + 2 * (3 + 2 * (r + 1)) * ULP),
  };
}
