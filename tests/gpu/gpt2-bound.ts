/**
 * First-order f32 error bounds of the GPT-2 forward pass (src/engine/gpt2), evaluated in float64 alongside a
 * second float64 forward: every activation carries |gpu − exact| ≤ e elementwise, propagated through each
 * op and increased by that op's own rounding (u = 2⁻²⁴, γ_n = n·u/(1 − n·u), WGSL accuracy rules):
 * - embedding add, residual adds: e_a + e_b + u·|sum|;
 * - Conv1D / unembedding (length-K dot + bias): Σ e_x·|W| + γ_{K+1}·(Σ|x·W| + |b|) + K·FLUSH;
 * - LayerNorm (two passes): μ: (Σe_x + γ_C·Σ|x|)/C + 2.5 ULP·|μ|; d = x − μ: e_x + e_μ + u|d|;
 *   σ²: (Σ 2|d|e_d + γ_{C+1}·Σd²)/C + 2.5 ULP·σ²; +ε: u; inverseSqrt: ½·e_v/v + 2 ULP relative;
 *   y = d·inv·g + b: |g|(e_d·inv + |d|·e_inv) + 2u·|d·inv·g| + u|y|;
 * - GELU-tanh: |f′(v)|·e_v, plus the argument's 5 roundings through tanh′ and tanh's own error inherited
 *   from sinh/cosh via exp (3 + 2|x| ULP each): (2(3 + 2|x|) + 2.5) ULP, |x| ≤ 10 (clamped); then 4u|y|;
 * - scores: scale·(Σ(e_q|k| + |q|e_k) + γ_dh·Σ|q·k|) + 2u·|s| (the product and the f32 scale constant);
 *   weights: weightsBound (transformer-helpers); O = A·V: Σ(e_A|v| + A·e_v) + γ_T·Σ A|v|.
 * Second-order terms (products of two errors, ~1e-10 relative here) are dropped.
 */
import { layerNormRows } from '../../src/kernels/gpt2/layernorm.ref';
import { activation } from '../../src/kernels/nn/ref';
import { layerTensorNames, type Gpt2Config } from '../../src/models/gpt2/types';
import { FLUSH, U, ULP, gamma, weightsBound } from './transformer-helpers';

type T32 = ReadonlyMap<string, Float32Array>;
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

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;
export function geluBound(x: Val): Val {
  const v = x.v.map((t) => activation('gelu', t));
  const e = x.v.map((t, i) => {
    const arg = GELU_C * (t + GELU_A * t ** 3);
    const th = Math.tanh(Math.max(-10, Math.min(10, arg)));
    const deriv = 0.5 * (1 + th) + 0.5 * t * (1 - th * th) * GELU_C * (1 + 3 * GELU_A * t * t);
    const argRound = 5 * U * GELU_C * (Math.abs(t) + GELU_A * Math.abs(t) ** 3);
    const eTanh = (1 - th * th) * argRound + (2 * (3 + 2 * Math.min(10, Math.abs(arg))) + 2.5) * ULP;
    return Math.abs(deriv) * x.e[i]! + 0.5 * Math.abs(t) * eTanh + 4 * U * Math.abs(v[i]!) + FLUSH;
  });
  return { v, e };
}

function addBound(a: Val, b: Val): Val {
  const v = a.v.map((t, i) => t + b.v[i]!);
  return { v, e: v.map((t, i) => a.e[i]! + b.e[i]! + U * Math.abs(t)) };
}

/** Causal attention on fused qkv [T][3C] with bounds: merged z [T][C] and A [H][T][T] with its bound. */
function attentionBound(qkv: Val, T: number, C: number, H: number) {
  const dh = C / H;
  const scale = 1 / Math.sqrt(dh);
  const s = { batch: 1, heads: H, len: T, dHead: dh };
  const scores = new Float64Array(H * T * T);
  const sErr = new Float64Array(H * T * T);
  const at = (t: number, col: number) => t * 3 * C + col;
  for (let h = 0; h < H; h++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j <= i; j++) {
        let [dot, abs, prop] = [0, 0, 0];
        for (let c = 0; c < dh; c++) {
          const [qi, kj] = [at(i, h * dh + c), at(j, C + h * dh + c)];
          dot += qkv.v[qi]! * qkv.v[kj]!;
          abs += Math.abs(qkv.v[qi]! * qkv.v[kj]!);
          prop += qkv.e[qi]! * Math.abs(qkv.v[kj]!) + Math.abs(qkv.v[qi]!) * qkv.e[kj]!;
        }
        const idx = (h * T + i) * T + j;
        scores[idx] = dot * scale;
        sErr[idx] = scale * (prop + gamma(dh) * abs + dh * FLUSH) + 2 * U * Math.abs(dot * scale) + FLUSH;
      }
  const a = new Float64Array(H * T * T);
  for (let row = 0; row < H * T; row++) {
    const i = row % T;
    let m = -Infinity;
    for (let j = 0; j <= i; j++) m = Math.max(m, scores[row * T + j]!);
    let l = 0;
    for (let j = 0; j <= i; j++) l += Math.exp(scores[row * T + j]! - m);
    for (let j = 0; j <= i; j++) a[row * T + j] = Math.exp(scores[row * T + j]! - m) / l;
  }
  const aErr = weightsBound(scores, a, sErr, s);
  const z = { v: new Float64Array(T * C), e: new Float64Array(T * C) };
  for (let h = 0; h < H; h++)
    for (let i = 0; i < T; i++)
      for (let c = 0; c < dh; c++) {
        let [val, abs, prop] = [0, 0, 0];
        for (let j = 0; j <= i; j++) {
          const w = a[(h * T + i) * T + j]!;
          const vv = at(j, 2 * C + h * dh + c);
          val += w * qkv.v[vv]!;
          abs += w * Math.abs(qkv.v[vv]!);
          prop += aErr[(h * T + i) * T + j]! * Math.abs(qkv.v[vv]!) + w * qkv.e[vv]!;
        }
        z.v[i * C + h * dh + c] = val;
        z.e[i * C + h * dh + c] = prop + gamma(T) * abs + T * FLUSH;
      }
  return { z, a, aErr };
}

export interface Gpt2Bounds {
  /** Per layer A [H][T][T] and its bound. */
  attention: { a: Float64Array; bound: Float64Array }[];
  /** Logits [V] at `position` and their bound. */
  logits: (position: number) => Val;
}

export function gpt2Bounds(t: T32, c: Gpt2Config, ids: number[]): Gpt2Bounds {
  const { nEmbd: C, nHead: H, eps } = c;
  const T = ids.length;
  const get = (n: string) => t.get(n)!;
  const [wte, wpe] = [get('wte.weight'), get('wpe.weight')];
  let x: Val = { v: new Float64Array(T * C), e: new Float64Array(T * C) };
  ids.forEach((id, p) => {
    for (let k = 0; k < C; k++) {
      const val = wte[id * C + k]! + wpe[p * C + k]!;
      x.v[p * C + k] = val;
      x.e[p * C + k] = U * Math.abs(val);
    }
  });
  const attention: Gpt2Bounds['attention'] = [];
  for (let l = 0; l < c.nLayer; l++) {
    const n = layerTensorNames(l);
    const h1 = layerNormBound(x, T, C, get(n.ln1g), get(n.ln1b), eps);
    const qkv = linearBound(h1, T, get(n.attnW), get(n.attnB), C, 3 * C);
    const { z, a, aErr } = attentionBound(qkv, T, C, H);
    attention.push({ a, bound: aErr });
    x = addBound(x, linearBound(z, T, get(n.attnProjW), get(n.attnProjB), C, C));
    const h2 = layerNormBound(x, T, C, get(n.ln2g), get(n.ln2b), eps);
    const fc = geluBound(linearBound(h2, T, get(n.fcW), get(n.fcB), C, 4 * C));
    x = addBound(x, linearBound(fc, T, get(n.projW), get(n.projB), 4 * C, C));
  }
  const hf = layerNormBound(x, T, C, get('ln_f.weight'), get('ln_f.bias'), eps);
  return {
    attention,
    logits: (p) => {
      const row = { v: hf.v.slice(p * C, (p + 1) * C), e: hf.e.slice(p * C, (p + 1) * C) };
      return linearBound(row, 1, wte, null, C, c.vocab, true);
    },
  };
}
