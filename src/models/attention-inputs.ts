/**
 * Inputs for the attention lab, in plain TypeScript: the documented seeded initialisation that turns tokens
 * into Q, K, V (initAttentionInputs). The tokenizer (tokenizer.ts) and the JSON import (attention-import.ts)
 * are re-exported here, so the lab takes all its inputs from this module.
 */
import { philox4x32 } from '../kernels/random/philox.ref';
import { boxMuller } from '../kernels/random/ref';
import { ATTENTION_LIMITS, type AttentionShape } from '../kernels/attention/spec';

export { tokenize, repeatTokens } from './tokenizer';
export { parseAttentionJson, type ImportedAttention } from './attention-import';

const INIT_TAG = { embedding: 1, wq: 2, wk: 3, wv: 4 } as const;
export const DEFAULT_D_MODEL = 64;

/** FNV-1a, 32-bit, over the UTF-8 bytes of `s`. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** n N(0, 1) values from Philox blocks 0, 1, … with counter (block, tag, id, 0) and key (seed, 0). */
export function seededNormals(n: number, seed: number, tag: number, id: number): Float64Array {
  const out = new Float64Array(n);
  for (let b = 0; b * 4 < n; b++) {
    const w = philox4x32([b, tag, id, 0], [seed >>> 0, 0]);
    const values = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
    for (let j = 0; j < 4 && b * 4 + j < n; j++) out[b * 4 + j] = values[j]!;
  }
  return out;
}

/** Sinusoidal position encoding, [L][dModel]. */
export function sinusoidalPositions(L: number, dModel: number): Float64Array {
  const out = new Float64Array(L * dModel);
  for (let p = 0; p < L; p++) {
    for (let i = 0; i < dModel; i++) {
      const pair = i - (i % 2);
      const angle = p / Math.pow(10000, pair / dModel);
      out[p * dModel + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export interface AttentionInitOptions {
  tokens: readonly string[];
  heads: number;
  /** Head dimension. */
  d: number;
  /** Embedding width, default 64 (cost: L·dModel·d·heads·3 multiply-adds in JavaScript). */
  dModel?: number;
  seed: number;
}

export interface AttentionInit {
  shape: AttentionShape;
  tokens: string[];
  dModel: number;
  seed: number;
  /** x = e(token) + PE, [L][dModel]. */
  embeddings: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

/**
 * Q, K, V for a token sequence, reproducible from (tokens, heads, d, dModel, seed):
 * - Normal draws come from Philox4x32-10 (src/kernels/random/philox.ref.ts) with key (seed, 0) and counter
 *   (block, tag, id, 0); each block's four words give four N(0, 1) values by Box–Muller on the word pairs
 *   (w0, w1) and (w2, w3) (boxMuller in src/kernels/random/ref.ts: u₁ = 1 − u in (0, 1], angle 2πu₂ − π). A vector of n
 *   values uses blocks 0, 1, … in order.
 * - Token embedding e(t) ∈ ℝ^dModel: tag 1, id = FNV-1a 32-bit hash of the token's UTF-8 bytes, so the same
 *   token always gets the same embedding (for a given seed), wherever it appears.
 * - Sinusoidal positions (Vaswani et al. 2017): PE[p][2i] = sin(p / 10000^(2i/dModel)),
 *   PE[p][2i+1] = cos(p / 10000^(2i/dModel)); x[p] = e(token p) + PE[p].
 * - Per head h: W_q (tag 2), W_k (tag 3), W_v (tag 4), id = h, shaped [dModel][d] row-major, entries
 *   N(0, 1)/√dModel (so q, k, v entries have variance ≈ Var(x) ≈ 1.5).
 * - Q[h] = X W_q[h], K[h] = X W_k[h], V[h] = X W_v[h], computed in float64 and stored as f32,
 *   [heads][L][d] row-major.
 */
export function initAttentionInputs(options: AttentionInitOptions): AttentionInit {
  const { tokens, heads, d, seed } = options;
  const dModel = options.dModel ?? DEFAULT_D_MODEL;
  const L = tokens.length;
  const { maxHeads, maxL, maxD } = ATTENTION_LIMITS;
  if (L < 1 || L > maxL) throw new RangeError(`Need 1 to ${maxL} tokens (got ${L}).`);
  if (!Number.isInteger(heads) || heads < 1 || heads > maxHeads) {
    throw new RangeError(`heads must be an integer from 1 to ${maxHeads} (got ${heads}).`);
  }
  if (!Number.isInteger(d) || d < 1 || d > maxD) {
    throw new RangeError(`d must be an integer from 1 to ${maxD} (got ${d}).`);
  }
  if (!Number.isInteger(dModel) || dModel < 1 || dModel > 1024) {
    throw new RangeError(`dModel must be an integer from 1 to 1024 (got ${dModel}).`);
  }
  const pe = sinusoidalPositions(L, dModel);
  const cache = new Map<string, Float64Array>();
  const x = new Float64Array(L * dModel);
  for (let p = 0; p < L; p++) {
    const t = tokens[p]!;
    let e = cache.get(t);
    if (!e) {
      e = seededNormals(dModel, seed, INIT_TAG.embedding, fnv1a32(t));
      cache.set(t, e);
    }
    for (let i = 0; i < dModel; i++) x[p * dModel + i] = e[i]! + pe[p * dModel + i]!;
  }
  const scale = 1 / Math.sqrt(dModel);
  const project = (tag: number) => {
    const out = new Float32Array(heads * L * d);
    const row = new Float64Array(d);
    for (let h = 0; h < heads; h++) {
      const w = seededNormals(dModel * d, seed, tag, h);
      for (let p = 0; p < L; p++) {
        row.fill(0);
        for (let i = 0; i < dModel; i++) {
          const xi = x[p * dModel + i]!;
          const wo = i * d;
          for (let j = 0; j < d; j++) row[j]! += xi * w[wo + j]!;
        }
        for (let j = 0; j < d; j++) out[(h * L + p) * d + j] = row[j]! * scale;
      }
    }
    return out;
  };
  return {
    shape: { heads, L, d },
    tokens: [...tokens],
    dModel,
    seed,
    embeddings: Float32Array.from(x),
    q: project(INIT_TAG.wq),
    k: project(INIT_TAG.wk),
    v: project(INIT_TAG.wv),
  };
}
