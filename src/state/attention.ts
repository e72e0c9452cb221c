import { msg, str } from '@lit/localize';
import { ATTENTION_LIMITS, MASK_KINDS } from '../kernels/attention/spec';
import { TRANSFORMER_LIMITS } from '../kernels/transformer/spec';
import { INDUCTION_CONFIG } from '../models/induction/params';
import { DEMO_PERIODS, TOKEN_ALPHABET } from '../models/induction/sequence';
import { boolParam, enumParam, floatParam, intParam, stringParam, type Param, type ValuesOf } from './params';

export const ATTENTION_PATHS = ['auto', 'staged', 'fused'] as const;
export const POOL_MODES = ['max', 'mean'] as const;
/** Additive bias before masking: none, or ALiBi (Press et al. 2022): −m_h·|q − k| with m_h = 2^(−8(h+1)/H). */
const BIAS_KINDS = ['none', 'alibi'] as const;
export const TOKENIZERS = ['words', 'characters'] as const;
const WEIGHT_RANGES = ['unit', 'max'] as const;
/** The [L][L] stages the enlarged heatmap can show. */
export const VIEW_STAGES = ['scores', 'scaled', 'masked', 'weights'] as const;

/**
 * Where Q, K and V come from: seeded random projections, a layer of the induction model (issue 13), or a
 * layer of a GPT-2 checkpoint the user loads (issue 14; the file itself is component state).
 */
export const ATTENTION_MODELS = ['random', 'induction', 'trained', 'gpt2'] as const;
/** Layers the `layer` control can address: gpt2-xl's 48; each model clamps it to its own count. */
export const MAX_MODEL_LAYERS = 48;
/**
 * Heads the `head` control can address: a GPT-2 model's (gpt2-xl has 25; the transformer kernels take up to
 * 64). The seeded and induction runs clamp it to their own heads; GPT-2 says when it exceeds the model's.
 */
export const MAX_MODEL_HEADS = TRANSFORMER_LIMITS.maxHeads;

const DEFAULT_SENTENCE = 'The cat sat on the mat because it was tired.';

/**
 * The Attention lab's controls, as they appear in the URL, e.g.
 * `#/attention?text=The+cat+sat&tokenizer=words&mask=causal&…&head=0&row=-1`.
 *
 * - text, tokenizer: the sentence and how it is split into tokens (src/models/tokenizer.ts).
 * - mask: none | causal | padding | window | custom; windowCausal, validLength and window configure the
 *   window and padding masks (validLength is clamped to L when it is larger). A custom mask is painted on
 *   the heatmap and lives in the component only (it is an L×L matrix, too big for a link).
 * - L: sequence length; 0 means "the token count". A larger L repeats the tokens (up to 4096); a smaller one
 *   truncates them.
 * - heads, d, seed: the seeded initialisation of Q, K and V.
 * - scale: multiplies QKᵀ; 0 means the default 1/√d.
 * - bias: an additive bias after scaling, before masking: none | alibi (per-head linear distance penalty).
 * - path: auto | staged | fused (auto: staged while its L×L buffers fit and L ≤ 1024, else fused).
 * - pool: how weights are pooled to screen resolution when L is larger than the canvas (max | mean).
 * - head, row, stage: the selected head (enlarged; 0 … 63, clamped to the run's heads), query row (bar chart, −1: none) and the stage the
 *   enlarged heatmap shows.
 * - weightRange: weights coloured over [0, 1] (unit) or over [0, each panel's max] (max: contrast for long
 *   sequences, where every weight is small). Zoom and pan are component state (they reset with each new run).
 * - model: random (the seeded projections above) | induction (the shipped trained model) | trained (the one
 *   trained in this page). With a model, Q, K, V are layer `layer`'s, the sentence is a token sequence:
 *   `tokens` (the user's, "" for the generated one: seed `seed`, block of `period` tokens repeated once), the
 *   mask is the model's causal one and `ablate` lists the heads zeroed ("layer.head,…").
 *   gpt2: the loaded checkpoint; `text` is the input (GPT-2's tokenizer) and `layer` is clamped to its layers.
 */
/**
 * Heads zeroed in the induction model, as "layer.head" pairs joined by commas ("0.1,1.2"), sorted and
 * without repeats; "" for none.
 */
export function headListParam(layers: number, heads: number): Param<string> {
  return {
    default: '',
    parse(raw) {
      if (raw.trim() === '') return '';
      const pairs = raw.split(',').map((x) => x.trim());
      for (const x of pairs) {
        const m = /^(\d+)\.(\d+)$/.exec(x);
        if (!m || Number(m[1]) >= layers || Number(m[2]) >= heads)
          return { error: msg(str`“${x}” is not layer.head with layer < ${layers} and head < ${heads}`) };
      }
      return normaliseHeadList(pairs);
    },
    format: (v) => v,
  };
}

/** Sorted, de-duplicated "layer.head" list. */
export function normaliseHeadList(pairs: readonly string[]): string {
  const key = (x: string) => x.split('.').map(Number) as [number, number];
  return [...new Set(pairs)].sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]).join(',');
}

/** The induction model's token sequence: characters of its 64-token alphabet, at most context − 1. */
function tokenSequenceParam(): Param<string> {
  const text = stringParam({ default: '', maxLength: INDUCTION_CONFIG.context - 1 });
  return {
    ...text,
    parse(raw) {
      const bad = [...raw].find((c) => !TOKEN_ALPHABET.includes(c));
      if (bad !== undefined) return { error: msg(str`“${bad}” is not a token (A–Z, a–z, 0–9, - and _)`) };
      return text.parse(raw);
    },
  };
}

export const attentionSchema = {
  text: stringParam({ default: DEFAULT_SENTENCE, maxLength: 2000 }),
  tokenizer: enumParam(TOKENIZERS, 'words'),
  mask: enumParam(MASK_KINDS, 'none'),
  windowCausal: boolParam(true),
  validLength: intParam({ min: 0, max: ATTENTION_LIMITS.maxL, default: 6 }),
  window: intParam({ min: 0, max: ATTENTION_LIMITS.maxL, default: 3 }),
  L: intParam({ min: 0, max: ATTENTION_LIMITS.maxL, default: 0 }),
  heads: intParam({ min: 1, max: ATTENTION_LIMITS.maxHeads, default: 4 }),
  d: intParam({ min: 1, max: ATTENTION_LIMITS.maxD, default: 16 }),
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 42 }),
  scale: floatParam({ min: 0, max: 1000, default: 0 }),
  bias: enumParam(BIAS_KINDS, 'none'),
  path: enumParam(ATTENTION_PATHS, 'auto'),
  pool: enumParam(POOL_MODES, 'max'),
  head: intParam({ min: 0, max: MAX_MODEL_HEADS - 1, default: 0 }),
  row: intParam({ min: -1, max: ATTENTION_LIMITS.maxL - 1, default: -1 }),
  stage: enumParam(VIEW_STAGES, 'weights'),
  weightRange: enumParam(WEIGHT_RANGES, 'unit'),
  model: enumParam(ATTENTION_MODELS, 'random'),
  layer: intParam({ min: 0, max: MAX_MODEL_LAYERS - 1, default: INDUCTION_CONFIG.layers - 1 }),
  tokens: tokenSequenceParam(),
  period: intParam({ min: DEMO_PERIODS[0], max: DEMO_PERIODS[1], default: 12 }),
  ablate: headListParam(INDUCTION_CONFIG.layers, INDUCTION_CONFIG.heads),
};

export type AttentionState = ValuesOf<typeof attentionSchema>;
