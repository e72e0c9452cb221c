/**
 * One sequence through the induction model, as the Attention lab shows it: token names (the 64 ordinary
 * tokens as the base64url alphabet, BOS as ⟨BOS⟩), parsing the user's sequence, the generated sequence with
 * its repeat, where a sequence repeats, and `analyseSequence`: every layer's Q/K/V and attention, head scores,
 * first- and second-copy losses, and the second-copy loss with each head zeroed.
 */
import { msg, str } from '@lit/localize';
import { INDUCTION_DATA, sequenceAt } from './data';
import { inductionForward } from './index';
import { INDUCTION_CONFIG, type InductionConfig } from './params';
import { copyLosses, headScores, type CopyLoss, type CopyPositions } from './scores';

/** Token i (0 … 63) is character i of this alphabet; BOS (64) has no character and is always first. */
export const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const BOS_LABEL = '⟨BOS⟩';

/** Philox key word 1 of the lab's generated sequences (neither the training nor the held-out stream). */
export const STREAM_DEMO = 0x494e_4444;
/** Periods the lab can generate: the training range and the held-out one. */
export const DEMO_PERIODS = [INDUCTION_DATA.periods[0], INDUCTION_DATA.heldOutPeriods[1]] as const;

export function tokenLabel(id: number): string {
  return id === INDUCTION_DATA.BOS ? BOS_LABEL : (TOKEN_ALPHABET[id] ?? `#${id}`);
}

/** The ordinary tokens of a sequence (BOS dropped) as the text the user edits. */
export function formatSequence(ids: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) if (ids[i] !== INDUCTION_DATA.BOS) s += TOKEN_ALPHABET[ids[i]!] ?? '';
  return s;
}

export type ParsedSequence = { ok: true; ids: Uint32Array } | { ok: false; error: string };

/**
 * The user's sequence: characters of TOKEN_ALPHABET (whitespace ignored), at most context − 1 of them; BOS is
 * put first. An empty text or an unknown character is an error naming it.
 */
export function parseSequence(text: string, config: InductionConfig = INDUCTION_CONFIG): ParsedSequence {
  const chars = [...text.replace(/\s+/g, '')];
  const max = config.context - 1;
  const n = chars.length;
  if (n === 0) return { ok: false, error: msg('The token sequence is empty: type some tokens.') };
  if (n > max) {
    const context = config.context;
    return {
      ok: false,
      error: msg(str`The model's context is ${context} tokens (BOS and ${max} more); the sequence has ${n}.`),
    };
  }
  const ids = new Uint32Array(chars.length + 1);
  ids[0] = INDUCTION_DATA.BOS;
  for (const [i, c] of chars.entries()) {
    const id = TOKEN_ALPHABET.indexOf(c);
    if (id < 0 || id >= config.vocab) {
      const at = i + 1;
      return {
        ok: false,
        error: msg(
          str`“${c}” (character ${at}) is not a token: tokens are A–Z, a–z, 0–9, - and _ (64 in all).`,
        ),
      };
    }
    ids[i + 1] = id;
  }
  return { ok: true, ids };
}

export interface Repeat {
  /** Length P of the repeated block and the position o of its first copy (second copy at o + P). */
  period: number;
  offset: number;
}

/** The generated sequence of `seed` with period P: BOS, filler, P distinct tokens, the same P again, filler. */
export function demoSequence(seed: number, period: number): { ids: Uint32Array } & Repeat {
  if (!(Number.isInteger(period) && period >= DEMO_PERIODS[0] && period <= DEMO_PERIODS[1]))
    throw new RangeError(`The period must be ${DEMO_PERIODS[0]} … ${DEMO_PERIODS[1]}, got ${period}.`);
  const ids = new Uint32Array(INDUCTION_DATA.T);
  const { offset } = sequenceAt(ids, seed >>> 0, STREAM_DEMO, 0, 0, [period, period]);
  return { ids, period, offset };
}

/**
 * The longest block (P ≥ 2) followed at once by a copy of itself, earliest first among equals; null when no
 * block repeats. For a generated sequence this is its planted block.
 */
export function findRepeat(ids: ArrayLike<number>): Repeat | null {
  const n = ids.length;
  for (let P = Math.floor(n / 2); P >= 2; P--)
    for (let o = 0; o + 2 * P <= n; o++) {
      let j = 0;
      while (j < P && ids[o + j] === ids[o + P + j]) j++;
      if (j === P) return { period: P, offset: o };
    }
  return null;
}

export interface HeadRef {
  layer: number;
  head: number;
}

export interface SequenceAnalysis {
  ids: Uint32Array;
  n: number;
  repeat: Repeat | null;
  /** Per layer, [head][n][dh] as the attention kernels take them (the inputs of that layer, ablations applied). */
  q: Float32Array[];
  k: Float32Array[];
  v: Float32Array[];
  /** Per layer [head][n][n] (float64 reference). */
  attention: Float64Array[];
  /** [layer][head]; prefix-matching is null without a repeat. */
  previousToken: number[][];
  prefixMatching: number[][] | null;
  /** Losses at the first copy's targets and the second copy's predictable ones (null without a repeat). */
  firstCopy: CopyLoss | null;
  secondCopy: CopyLoss | null;
  /** Cross-entropy (nats) of each next-token prediction: entry t predicts ids[t + 1] (n − 1 entries). */
  tokenLoss: Float64Array;
  /** With `ablations`: second-copy loss with head (layer, head) zeroed, on top of `ablate`. */
  ablation?: Array<HeadRef & { secondCopyLoss: number }>;
}

/** [batch=1][n][H·dh] → [H][n][dh] (f32, what the lab's attention engine takes). */
function splitHeads(x: Float64Array, n: number, H: number, dh: number): Float32Array {
  const out = new Float32Array(H * n * dh);
  for (let t = 0; t < n; t++)
    for (let h = 0; h < H; h++)
      for (let e = 0; e < dh; e++) out[(h * n + t) * dh + e] = x[t * H * dh + h * dh + e]!;
  return out;
}

/**
 * Runs one sequence (BOS first, ≤ context tokens) through the float64 forward with `ablate` heads zeroed;
 * with `ablations`, once more per head with that head zeroed too.
 */
export function analyseSequence(
  params: ArrayLike<number>,
  ids: Uint32Array,
  options: { ablate?: readonly HeadRef[]; ablations?: boolean; config?: InductionConfig } = {},
): SequenceAnalysis {
  const config = options.config ?? INDUCTION_CONFIG;
  const { heads: H, dHead: dh, vocab, layers } = config;
  const classes = vocab + 1;
  const n = ids.length;
  const ablate = options.ablate ?? [];
  const f = inductionForward(params, ids, 1, config, { ablate, cache: true });
  const cache = f.cache!;
  const repeat = findRepeat(ids);
  const copies: CopyPositions | null = repeat && {
    size: 1,
    T: n,
    tokens: ids,
    period: [repeat.period],
    firstCopy: [repeat.offset],
  };
  // headScores' previous-token mean needs only positions; a sequence without a repeat gets a zero period.
  const scores = headScores(
    f.attention,
    H,
    copies ?? { size: 1, T: n, tokens: ids, period: [0], firstCopy: [0] },
  );
  const tokenLoss = new Float64Array(Math.max(0, n - 1));
  for (let t = 0; t + 1 < n; t++) {
    const row = f.logits.subarray(t * classes, (t + 1) * classes);
    let max = -Infinity;
    for (const z of row) max = Math.max(max, z);
    let sum = 0;
    for (const z of row) sum += Math.exp(z - max);
    tokenLoss[t] = Math.log(sum) - (row[ids[t + 1]!]! - max);
  }
  const losses = copies && repeat!.period >= 2 ? copyLosses(f.logits, classes, copies) : null;
  const out: SequenceAnalysis = {
    ids,
    n,
    repeat,
    q: cache.q.map((x) => splitHeads(x, n, H, dh)),
    k: cache.k.map((x) => splitHeads(x, n, H, dh)),
    v: cache.v.map((x) => splitHeads(x, n, H, dh)),
    attention: f.attention,
    previousToken: scores.previousToken,
    prefixMatching: copies ? scores.prefixMatching : null,
    firstCopy: losses?.firstCopy ?? null,
    secondCopy: losses?.secondCopy ?? null,
    tokenLoss,
  };
  if (options.ablations && copies) {
    out.ablation = [];
    for (let layer = 0; layer < layers; layer++)
      for (let head = 0; head < H; head++) {
        const cut = inductionForward(params, ids, 1, config, { ablate: [...ablate, { layer, head }] });
        out.ablation.push({
          layer,
          head,
          secondCopyLoss: copyLosses(cut.logits, classes, copies).secondCopy.loss,
        });
      }
  }
  return out;
}
