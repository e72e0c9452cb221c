/**
 * Float64 reference of the GPT-2 forward pass (issue 14), the GPU engine's oracle: token + position
 * embeddings, pre-LN blocks (attention, then GELU-tanh MLP, each added to the residual), ln_f, tied
 * unembedding h·wteᵀ. Also top-k next tokens and the per-head summary scores of the attention lab.
 */
import { layerNormRows } from '../../kernels/gpt2/layernorm.ref';
import { activation } from '../../kernels/nn/ref';
import { layerTensorNames, type Gpt2Config } from './types';

type Tensors = ReadonlyMap<string, Float32Array>;

export interface Gpt2RefOptions {
  /** Positions whose logits are wanted besides the last one. */
  positions?: number[];
  /** Return every layer's attention weights. */
  attention?: boolean;
  /** Return every layer's fused QKV [T][3C]. */
  qkv?: boolean;
  /** Called after each layer (0 … nLayer − 1): progress for the CPU path. */
  onLayer?: (layer: number) => void;
}

export interface Gpt2RefResult {
  /** Logits [V] by position: the last position always, plus `positions`. */
  logits: Map<number, Float64Array>;
  /** Per layer A [H][T][T] (query row, key column), exactly 0 above the diagonal; with `attention`. */
  attention?: Float64Array[];
  /** Per layer QKV [T][3C]; with `qkv`. */
  qkv?: Float64Array[];
  /** ln_f output [T][C]. */
  hidden: Float64Array;
}

function get(tensors: Tensors, name: string): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new RangeError(`gpt2Reference: no tensor “${name}”`);
  return t;
}

/** y[rows][out] = x[rows][in]·W[in][out] + b (GPT-2's Conv1D layout). */
export function conv1d(
  x: ArrayLike<number>,
  rows: number,
  w: ArrayLike<number>,
  b: ArrayLike<number>,
  inDim: number,
  outDim: number,
): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const yo = r * outDim;
    for (let o = 0; o < outDim; o++) y[yo + o] = b[o]!;
    for (let i = 0; i < inDim; i++) {
      const xv = x[r * inDim + i]!;
      const wo = i * outDim;
      for (let o = 0; o < outDim; o++) y[yo + o]! += xv * w[wo + o]!;
    }
  }
  return y;
}

/** Causal multi-head attention of the fused qkv rows [T][3C] → merged heads z [T][C] and A [H][T][T]. */
export function causalSelfAttention(
  qkv: Float64Array,
  T: number,
  C: number,
  H: number,
): { z: Float64Array; a: Float64Array } {
  const dh = C / H;
  const scale = 1 / Math.sqrt(dh);
  const a = new Float64Array(H * T * T);
  const z = new Float64Array(T * C);
  const s = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    const [qo, ko, vo] = [h * dh, C + h * dh, 2 * C + h * dh];
    for (let i = 0; i < T; i++) {
      let m = -Infinity;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < dh; c++) dot += qkv[i * 3 * C + qo + c]! * qkv[j * 3 * C + ko + c]!;
        s[j] = dot * scale;
        m = Math.max(m, s[j]!);
      }
      let l = 0;
      for (let j = 0; j <= i; j++) l += Math.exp(s[j]! - m);
      const row = (h * T + i) * T;
      for (let j = 0; j <= i; j++) {
        const w = Math.exp(s[j]! - m) / l;
        a[row + j] = w;
        for (let c = 0; c < dh; c++) z[i * C + h * dh + c]! += w * qkv[j * 3 * C + vo + c]!;
      }
    }
  }
  return { z, a };
}

/** The whole forward pass in float64 on the (f32) weights. */
export function gpt2Reference(
  tensors: Tensors,
  config: Gpt2Config,
  ids: number[],
  options: Gpt2RefOptions = {},
): Gpt2RefResult {
  const { nEmbd: C, nHead: H, vocab: V, nPositions, eps } = config;
  const T = ids.length;
  if (T < 1 || T > nPositions) throw new RangeError(`gpt2Reference: ${T} tokens, context ${nPositions}`);
  const wte = get(tensors, 'wte.weight');
  const wpe = get(tensors, 'wpe.weight');
  const x = new Float64Array(T * C);
  ids.forEach((id, t) => {
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new RangeError(`gpt2Reference: token id ${id}`);
    for (let c = 0; c < C; c++) x[t * C + c] = wte[id * C + c]! + wpe[t * C + c]!;
  });
  const attention: Float64Array[] = [];
  const qkvs: Float64Array[] = [];
  for (let l = 0; l < config.nLayer; l++) {
    const n = layerTensorNames(l);
    const h1 = layerNormRows(x, T, C, get(tensors, n.ln1g), get(tensors, n.ln1b), eps);
    const qkv = conv1d(h1, T, get(tensors, n.attnW), get(tensors, n.attnB), C, 3 * C);
    const { z, a } = causalSelfAttention(qkv, T, C, H);
    if (options.attention) attention.push(a);
    if (options.qkv) qkvs.push(qkv);
    const proj = conv1d(z, T, get(tensors, n.attnProjW), get(tensors, n.attnProjB), C, C);
    for (let i = 0; i < T * C; i++) x[i]! += proj[i]!;
    const h2 = layerNormRows(x, T, C, get(tensors, n.ln2g), get(tensors, n.ln2b), eps);
    const fc = conv1d(h2, T, get(tensors, n.fcW), get(tensors, n.fcB), C, 4 * C);
    for (let i = 0; i < fc.length; i++) fc[i] = activation('gelu', fc[i]!);
    const mlp = conv1d(fc, T, get(tensors, n.projW), get(tensors, n.projB), 4 * C, C);
    for (let i = 0; i < T * C; i++) x[i]! += mlp[i]!;
    options.onLayer?.(l);
  }
  const hidden = layerNormRows(x, T, C, get(tensors, 'ln_f.weight'), get(tensors, 'ln_f.bias'), eps);
  const logits = new Map<number, Float64Array>();
  for (const t of [...(options.positions ?? []), T - 1]) {
    if (!(Number.isInteger(t) && t >= 0 && t < T)) throw new RangeError(`gpt2Reference: position ${t}`);
    logits.set(t, unembedRow(hidden, t, wte, V, C));
  }
  return {
    logits,
    hidden,
    ...(options.attention ? { attention } : {}),
    ...(options.qkv ? { qkv: qkvs } : {}),
  };
}

/** logits[v] = h[t]·wte[v] (the tied unembedding). */
export function unembedRow(
  hidden: ArrayLike<number>,
  t: number,
  wte: ArrayLike<number>,
  V: number,
  C: number,
) {
  const out = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += hidden[t * C + c]! * wte[v * C + c]!;
    out[v] = dot;
  }
  return out;
}

export interface TopToken {
  id: number;
  /** Softmax probability over the whole vocabulary. */
  p: number;
}

/** The k most likely ids (ties: lower id first) with their softmax probabilities. */
export function topK(logits: ArrayLike<number>, k: number): TopToken[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - m);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (best.length === k && v <= logits[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && logits[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((id) => ({ id, p: Math.exp(logits[id]! - m) / sum }));
}

export interface HeadScores {
  /** Mean A[t][t−1] over t ≥ 1 (0 when T = 1). */
  previous: number;
  /** Mean A[t][0]: the first token as an attention sink. */
  first: number;
  /** Mean A[t][t]. */
  self: number;
  /** Mean over t of Σ_k A[t][k]·(t − k), in tokens. */
  distance: number;
}

/** Summary scores of each head of one layer's A [H][T][T] (T from the length). */
export function headScores(a: ArrayLike<number>, heads: number): HeadScores[] {
  const T = Math.round(Math.sqrt(a.length / heads));
  if (T * T * heads !== a.length) throw new RangeError(`headScores: ${a.length} is not ${heads}·T·T`);
  return Array.from({ length: heads }, (_, h) => {
    let [previous, first, self, distance] = [0, 0, 0, 0];
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * T;
      if (t >= 1) previous += a[row + t - 1]!;
      first += a[row]!;
      self += a[row + t]!;
      for (let k = 0; k <= t; k++) distance += a[row + k]! * (t - k);
    }
    return {
      previous: T > 1 ? previous / (T - 1) : 0,
      first: first / T,
      self: self / T,
      distance: distance / T,
    };
  });
}
