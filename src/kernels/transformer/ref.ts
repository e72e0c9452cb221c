/**
 * Float64 references of the transformer training kernels (shaders/transformer), in the kernels' order of
 * operations: every dot product sums its terms in ascending index order, as the WGSL does. Layouts in spec.ts.
 */
import { linearBackward, linearForward } from '../nn/ref';
import { columnBlock, defaultScale, type ColumnBlock, type EmbeddingShape, type HeadShape } from './spec';

type Vec = Float64Array;

/** [B·T][width] → [B][H][T][dh]: head h of row b·T + t is columns offset + h·dh … offset + h·dh + dh − 1. */
export function headSplit(x: ArrayLike<number>, s: HeadShape, block?: ColumnBlock): Vec {
  const { width, offset } = columnBlock(s, block);
  const { batch: B, heads: H, len: T, dHead: dh } = s;
  const y = new Float64Array(B * H * T * dh);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let c = 0; c < dh; c++)
          y[((b * H + h) * T + t) * dh + c] = x[(b * T + t) * width + offset + h * dh + c]!;
  return y;
}

/**
 * [B][H][T][dh] → the column block of a [B·T][width] activation (the inverse of headSplit; its backward).
 * Columns outside the block are those of `into` (zeros when absent).
 */
export function headMerge(y: ArrayLike<number>, s: HeadShape, block?: ColumnBlock, into?: Vec): Vec {
  const { width, offset } = columnBlock(s, block);
  const { batch: B, heads: H, len: T, dHead: dh } = s;
  const x = into ?? new Float64Array(B * T * width);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let t = 0; t < T; t++)
        for (let c = 0; c < dh; c++)
          x[(b * T + t) * width + offset + h * dh + c] = y[((b * H + h) * T + t) * dh + c]!;
  return x;
}

/**
 * Causal scores and weights per (batch, head): S[i][j] = (Σ_c Q[i][c]·K[j][c])·scale for j ≤ i, −∞ for j > i;
 * A = softmax_row(S) (max-subtracted; A = exp(S − m)·(1/l)), exactly 0 where masked. Returns both.
 */
export function causalAttentionWeights(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  s: HeadShape,
  scale = defaultScale(s.dHead),
): { scores: Vec; a: Vec } {
  const { len: T, dHead: dh } = s;
  const heads = s.batch * s.heads;
  const scores = new Float64Array(heads * T * T).fill(-Infinity);
  const a = new Float64Array(heads * T * T);
  for (let g = 0; g < heads; g++) {
    for (let i = 0; i < T; i++) {
      const row = (g * T + i) * T;
      let m = -Infinity;
      for (let j = 0; j <= i; j++) {
        let acc = 0;
        for (let c = 0; c < dh; c++) acc += q[(g * T + i) * dh + c]! * k[(g * T + j) * dh + c]!;
        const v = acc * scale;
        scores[row + j] = v;
        m = Math.max(m, v);
      }
      let l = 0;
      for (let j = 0; j <= i; j++) l += Math.exp(scores[row + j]! - m);
      const inv = 1 / l;
      for (let j = 0; j <= i; j++) a[row + j] = Math.exp(scores[row + j]! - m) * inv;
    }
  }
  return { scores, a };
}

/** O[i][c] = Σ_{j ≤ i} A[i][j]·V[j][c] per (batch, head). */
export function attendValues(a: ArrayLike<number>, v: ArrayLike<number>, s: HeadShape): Vec {
  const { len: T, dHead: dh } = s;
  const heads = s.batch * s.heads;
  const o = new Float64Array(heads * T * dh);
  for (let g = 0; g < heads; g++)
    for (let i = 0; i < T; i++)
      for (let c = 0; c < dh; c++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += a[(g * T + i) * T + j]! * v[(g * T + j) * dh + c]!;
        o[(g * T + i) * dh + c] = acc;
      }
  return o;
}

export interface AttentionGrads {
  /** dA = dO·Vᵀ on kept entries (j ≤ i), 0 where masked (those never reach dS). */
  dA: Vec;
  /** dS = A ⊙ (dA − rowsum(dA ⊙ A)); 0 where masked. */
  dS: Vec;
  dQ: Vec;
  dK: Vec;
  dV: Vec;
}

/**
 * Backward of causal attention per (batch, head), in the kernels' order: dA[i][j] = Σ_c dO[i][c]·V[j][c];
 * r_i = Σ_{j ≤ i} dA[i][j]·A[i][j]; dS[i][j] = A[i][j]·(dA[i][j] − r_i); dV[j][c] = Σ_{i ≥ j} A[i][j]·dO[i][c];
 * dQ[i][c] = (Σ_{j ≤ i} dS[i][j]·K[j][c])·scale; dK[j][c] = (Σ_{i ≥ j} dS[i][j]·Q[i][c])·scale.
 */
export function causalAttentionBackward(
  inputs: { q: ArrayLike<number>; k: ArrayLike<number>; v: ArrayLike<number>; a: ArrayLike<number> },
  dO: ArrayLike<number>,
  s: HeadShape,
  scale = defaultScale(s.dHead),
): AttentionGrads {
  const { q, k, v, a } = inputs;
  const { len: T, dHead: dh } = s;
  const heads = s.batch * s.heads;
  const dA = new Float64Array(heads * T * T);
  const dS = new Float64Array(heads * T * T);
  const dQ = new Float64Array(heads * T * dh);
  const dK = new Float64Array(heads * T * dh);
  const dV = new Float64Array(heads * T * dh);
  const at = (g: number, t: number, c: number) => (g * T + t) * dh + c;
  for (let g = 0; g < heads; g++) {
    for (let i = 0; i < T; i++) {
      const row = (g * T + i) * T;
      let r = 0;
      for (let j = 0; j <= i; j++) {
        let acc = 0;
        for (let c = 0; c < dh; c++) acc += dO[at(g, i, c)]! * v[at(g, j, c)]!;
        dA[row + j] = acc;
        r += acc * a[row + j]!;
      }
      for (let j = 0; j <= i; j++) dS[row + j] = a[row + j]! * (dA[row + j]! - r);
    }
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < dh; c++) {
        let accV = 0;
        let accK = 0;
        for (let i = t; i < T; i++) {
          const idx = (g * T + i) * T + t;
          accV += a[idx]! * dO[at(g, i, c)]!;
          accK += dS[idx]! * q[at(g, i, c)]!;
        }
        let accQ = 0;
        for (let j = 0; j <= t; j++) accQ += dS[(g * T + t) * T + j]! * k[at(g, j, c)]!;
        dV[at(g, t, c)] = accV;
        dK[at(g, t, c)] = accK * scale;
        dQ[at(g, t, c)] = accQ * scale;
      }
    }
  }
  return { dA, dS, dQ, dK, dV };
}

/**
 * h0[b·T + t][c] = E_tok[x[b·T + t]][c] + E_pos[t][c]. E_tok is [vocab][D], E_pos [≥ T][D]. A token id
 * ≥ vocab takes no token row (only its position) and receives no gradient, on the GPU as here.
 */
export function embeddingForward(
  tokens: ArrayLike<number>,
  eTok: ArrayLike<number>,
  ePos: ArrayLike<number>,
  s: EmbeddingShape,
): Vec {
  const { batch: B, len: T, vocab: V, dModel: D } = s;
  const h = new Float64Array(B * T * D);
  for (let r = 0; r < B * T; r++) {
    const id = tokens[r]!;
    const t = r % T;
    for (let c = 0; c < D; c++) h[r * D + c] = (id < V ? eTok[id * D + c]! : 0) + ePos[t * D + c]!;
  }
  return h;
}

/**
 * dE_tok = onehot(X)ᵀ·dH (dE_tok[id][c] = Σ_{rows r with x[r] = id, ascending r} dH[r][c]) and
 * dE_pos[t][c] = Σ_{b ascending} dH[b·T + t][c]; dE_pos has T rows (rows ≥ T of E_pos get no gradient).
 */
export function embeddingBackward(
  tokens: ArrayLike<number>,
  dH: ArrayLike<number>,
  s: EmbeddingShape,
): { dTok: Vec; dPos: Vec } {
  const { batch: B, len: T, vocab: V, dModel: D } = s;
  const dTok = new Float64Array(V * D);
  const dPos = new Float64Array(T * D);
  for (let r = 0; r < B * T; r++) {
    const id = tokens[r]!;
    if (id >= V) continue;
    for (let c = 0; c < D; c++) dTok[id * D + c] = dTok[id * D + c]! + dH[r * D + c]!;
  }
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let c = 0; c < D; c++) dPos[t * D + c] = dPos[t * D + c]! + dH[(b * T + t) * D + c]!;
  return { dTok, dPos };
}

/** Parameters of one embedding + attention block (in-out weights: Y = X·W, no biases). */
export interface BlockParams {
  /** [vocab][D] */
  eTok: Vec;
  /** [T][D] */
  ePos: Vec;
  /** [D][H·dh] each. */
  wq: Vec;
  wk: Vec;
  wv: Vec;
  /** [H·dh][D] */
  wo: Vec;
}

interface BlockShape extends HeadShape {
  vocab: number;
  dModel: number;
}

/** y = h0 + merge(attention(split(h0·Wq), split(h0·Wk), split(h0·Wv)))·Wo with h0 = embedding(tokens). */
export function blockForward(tokens: ArrayLike<number>, p: BlockParams, s: BlockShape) {
  const rows = s.batch * s.len;
  const hd = s.heads * s.dHead;
  const h0 = embeddingForward(tokens, p.eTok, p.ePos, s);
  const none = (n: number) => new Float64Array(n);
  const proj = (w: Vec) => headSplit(linearForward(h0, w, none(hd), rows, s.dModel, hd), s);
  const [q, k, v] = [proj(p.wq), proj(p.wk), proj(p.wv)];
  const { a } = causalAttentionWeights(q, k, s);
  const merged = headMerge(attendValues(a, v, s), s);
  const out = linearForward(merged, p.wo, none(s.dModel), rows, hd, s.dModel);
  const y = out.map((x, i) => x + h0[i]!);
  return { h0, q, k, v, a, merged, y };
}

/** Gradients of loss = Σ w ⊙ blockForward(...).y with respect to every parameter. */
export function blockBackward(tokens: ArrayLike<number>, p: BlockParams, s: BlockShape, w: Vec) {
  const rows = s.batch * s.len;
  const hd = s.heads * s.dHead;
  const f = blockForward(tokens, p, s);
  const o = linearBackward(f.merged, p.wo, w, rows, hd, s.dModel);
  const g = causalAttentionBackward(f, headSplit(o.dx, s), s);
  const dh0 = Float64Array.from(w);
  const back = (d: Vec, wt: Vec) => {
    const r = linearBackward(f.h0, wt, headMerge(d, s), rows, s.dModel, hd);
    for (let i = 0; i < dh0.length; i++) dh0[i] = dh0[i]! + r.dx[i]!;
    return r.dw;
  };
  const [wq, wk, wv] = [back(g.dQ, p.wq), back(g.dK, p.wk), back(g.dV, p.wv)];
  const e = embeddingBackward(tokens, dh0, s);
  return { eTok: e.dTok, ePos: e.dPos, wq, wk, wv, wo: o.dw };
}
