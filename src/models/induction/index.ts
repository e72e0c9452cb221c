/**
 * The induction model of issue 13: data (data.ts), parameters and init (params.ts), scores (scores.ts),
 * weight files (weights.ts), and here its float64 forward pass — the CPU backend and the GPU's oracle.
 */
import { INDUCTION_DATA, heldOutBatch, type InductionBatch } from './data';
import { INDUCTION_CONFIG, parameterCount, parameterLayout, type InductionConfig } from './params';
import { newTally, summarize, tallyAttention, tallyLogits, type InductionScores } from './scores';
import type { InductionMetrics } from './weights';

export * from './data';
export * from './params';
export * from './scores';
export * from './weights';

export interface ForwardOptions {
  /** Heads whose output is zeroed (their attention is still computed and returned). */
  ablate?: ReadonlyArray<{ layer: number; head: number }>;
  /** Also return the intermediates (for a CPU backward pass). */
  cache?: boolean;
}

export interface ForwardCache {
  /** L + 1 residual streams [batch][n][d]: the embeddings, then after each layer. */
  residual: Float64Array[];
  /** Per layer [batch][n][H·dh]: the projections and the merged head outputs (zeroed where ablated). */
  q: Float64Array[];
  k: Float64Array[];
  v: Float64Array[];
  z: Float64Array[];
}

export interface ForwardResult {
  batch: number;
  /** Sequence length n (≤ context). */
  n: number;
  /** [batch][n][V + 1]. */
  logits: Float64Array;
  /** Per layer [batch][head][query][key]; causal, so 0 for key > query. */
  attention: Float64Array[];
  cache?: ForwardCache;
}

/** a [rows][k] · W [k][m], W read row-major from w at wOff. */
function matmul(a: Float64Array, rows: number, k: number, w: ArrayLike<number>, wOff: number, m: number) {
  const out = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < k; i++) {
      const x = a[r * k + i]!;
      if (x === 0) continue;
      const row = wOff + i * m;
      for (let c = 0; c < m; c++) out[r * m + c]! += x * w[row + c]!;
    }
  return out;
}

/**
 * Embeddings → L layers of causal multi-head attention (scale 1/√dh, max-subtracted softmax over keys ≤
 * query) added to the residual → unembed. `tokens` is [batch][n] with n ≤ context and ids ≤ vocab (BOS).
 */
export function inductionForward(
  params: ArrayLike<number>,
  tokens: ArrayLike<number>,
  batch: number,
  config: InductionConfig = INDUCTION_CONFIG,
  options: ForwardOptions = {},
): ForwardResult {
  const layout = parameterLayout(config);
  if (params.length !== parameterCount(config))
    throw new RangeError(`Expected ${parameterCount(config)} parameters, got ${params.length}.`);
  const { dModel: d, heads: H, dHead: dh, vocab, context, layers: L } = config;
  const n = tokens.length / batch;
  if (!(Number.isInteger(batch) && batch >= 1 && Number.isInteger(n) && n >= 1 && n <= context))
    throw new RangeError(
      `Tokens must be [batch][n] with 1 ≤ n ≤ ${context}; got ${tokens.length} for ${batch}.`,
    );
  const off = (name: string) => layout.find((s) => s.name === name)!.offset;
  const hd = H * dh;
  const rows = batch * n;
  const scale = 1 / Math.sqrt(dh);
  const x = new Float64Array(rows * d);
  const tokOff = off('tokEmbed');
  const posOff = off('posEmbed');
  for (let r = 0; r < rows; r++) {
    const tok = tokens[r]!;
    if (!(Number.isInteger(tok) && tok >= 0 && tok <= vocab))
      throw new RangeError(`Token ${String(tok)} at ${r} is not in 0 … ${vocab}.`);
    const t = r % n;
    for (let c = 0; c < d; c++) x[r * d + c] = params[tokOff + tok * d + c]! + params[posOff + t * d + c]!;
  }
  const cache: ForwardCache = { residual: [x.slice()], q: [], k: [], v: [], z: [] };
  const attention: Float64Array[] = [];
  const row = new Float64Array(n);
  for (let l = 0; l < L; l++) {
    const q = matmul(x, rows, d, params, off(`layers.${l}.wQ`), hd);
    const k = matmul(x, rows, d, params, off(`layers.${l}.wK`), hd);
    const v = matmul(x, rows, d, params, off(`layers.${l}.wV`), hd);
    const z = new Float64Array(rows * hd);
    const a = new Float64Array(batch * H * n * n);
    for (let b = 0; b < batch; b++)
      for (let h = 0; h < H; h++) {
        const ablated = options.ablate?.some((s) => s.layer === l && s.head === h) ?? false;
        for (let i = 0; i < n; i++) {
          const qi = (b * n + i) * hd + h * dh;
          let max = -Infinity;
          for (let j = 0; j <= i; j++) {
            const kj = (b * n + j) * hd + h * dh;
            let s = 0;
            for (let e = 0; e < dh; e++) s += q[qi + e]! * k[kj + e]!;
            row[j] = s * scale;
            if (row[j]! > max) max = row[j]!;
          }
          let sum = 0;
          for (let j = 0; j <= i; j++) sum += row[j] = Math.exp(row[j]! - max);
          const aRow = ((b * H + h) * n + i) * n;
          for (let j = 0; j <= i; j++) {
            const w = row[j]! / sum;
            a[aRow + j] = w;
            if (ablated) continue;
            const vj = (b * n + j) * hd + h * dh;
            for (let e = 0; e < dh; e++) z[qi + e]! += w * v[vj + e]!;
          }
        }
      }
    const out = matmul(z, rows, hd, params, off(`layers.${l}.wO`), d);
    for (let i = 0; i < x.length; i++) x[i]! += out[i]!;
    attention.push(a);
    if (options.cache) {
      cache.q.push(q);
      cache.k.push(k);
      cache.v.push(v);
      cache.z.push(z);
      cache.residual.push(x.slice());
    }
  }
  const logits = matmul(x, rows, d, params, off('unembed'), vocab + 1);
  return { batch, n, logits, attention, ...(options.cache ? { cache } : {}) };
}

/** Scores and copy losses of `params` on a batch (e.g. the 512 held-out sequences), `chunk` at a time. */
export function evaluateInduction(
  params: ArrayLike<number>,
  data: InductionBatch,
  config: InductionConfig = INDUCTION_CONFIG,
  options: { ablate?: ForwardOptions['ablate']; chunk?: number } = {},
): InductionScores {
  const chunk = options.chunk ?? 32;
  const tally = newTally(config.layers, config.heads);
  for (let s = 0; s < data.size; s += chunk) {
    const size = Math.min(chunk, data.size - s);
    const part = {
      size,
      T: data.T,
      tokens: data.tokens.subarray(s * data.T, (s + size) * data.T),
      period: data.period.subarray(s, s + size),
      firstCopy: data.firstCopy.subarray(s, s + size),
    };
    const result = inductionForward(params, part.tokens, size, config, { ablate: options.ablate });
    tallyAttention(tally, result.attention, part);
    tallyLogits(tally, result.logits, config.vocab + 1, part);
  }
  return summarize(tally);
}

/**
 * The metrics manifest of a weight file: scores and copy losses on `sequences` held-out sequences of `seed`,
 * and with `ablations` the second-copy loss with each head zeroed in turn (one more pass per head).
 */
export function inductionMetrics(
  params: ArrayLike<number>,
  seed: number,
  options: { sequences?: number; ablations?: boolean; config?: InductionConfig } = {},
): InductionMetrics {
  const config = options.config ?? INDUCTION_CONFIG;
  const sequences = options.sequences ?? INDUCTION_DATA.heldOutCount;
  const data = heldOutBatch(seed, sequences);
  const s = evaluateInduction(params, data, config);
  const metrics: InductionMetrics = {
    heldOut: { seed, sequences, periods: [...INDUCTION_DATA.heldOutPeriods] },
    previousToken: s.previousToken,
    prefixMatching: s.prefixMatching,
    firstCopy: { loss: s.firstCopy.loss, top1: s.firstCopy.top1 },
    secondCopy: { loss: s.secondCopy.loss, top1: s.secondCopy.top1 },
  };
  if (options.ablations) {
    metrics.ablations = [];
    for (let layer = 0; layer < config.layers; layer++)
      for (let head = 0; head < config.heads; head++) {
        const cut = evaluateInduction(params, data, config, { ablate: [{ layer, head }] });
        metrics.ablations.push({ layer, head, secondCopyLoss: cut.secondCopy.loss });
      }
  }
  return metrics;
}
