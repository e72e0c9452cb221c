/**
 * What the induction model's two trainers (float64 cpu.ts, WebGPU gpu.ts) share: the objective, the Adam
 * settings with their linear warm-up, and where a step's tokens come from.
 */
import { INDUCTION_DATA, inductionBatch } from '../../models/induction/data';
import { INDUCTION_CONFIG, type InductionConfig } from '../../models/induction/params';

/**
 * Adam (β 0.9, 0.98; ε 1e-8, no weight decay) at lr 3e-3 after a linear warm-up over the first 100 steps,
 * batch 32, a fresh batch inductionBatch(seed, step, 32) every step.
 */
export interface TrainingSettings {
  lr: number;
  /** Steps of linear warm-up (0: none). */
  warmup: number;
  beta1: number;
  beta2: number;
  eps: number;
  batch: number;
}

export const INDUCTION_TRAINING: Readonly<TrainingSettings> = Object.freeze({
  lr: 3e-3,
  warmup: 100,
  beta1: 0.9,
  beta2: 0.98,
  eps: 1e-8,
  batch: 32,
});

/** Learning rate of optimiser step t = 1, 2, …: lr·min(1, t / warmup). */
export function learningRateAt(t: number, s: Pick<TrainingSettings, 'lr' | 'warmup'> = INDUCTION_TRAINING) {
  return s.warmup > 0 ? s.lr * Math.min(1, t / s.warmup) : s.lr;
}

/**
 * Tokens [batch][T] of training step `step` (0-based). Every sequence must start at position 0 and hold
 * ids 0 … vocab (vocab is BOS).
 */
export type TokenSource = (step: number, batch: number) => Uint32Array;

/** inductionBatch(seed, step, batch): the repeated sequences (T 64, vocabulary 64 + BOS). */
export function inductionTokens(seed: number): TokenSource {
  return (step, batch) => inductionBatch(seed, step, batch).tokens;
}

/** The default source for `config` (the data), or a RangeError when that data does not fit it. */
export function defaultTokens(seed: number, config: InductionConfig = INDUCTION_CONFIG): TokenSource {
  if (config.vocab !== INDUCTION_DATA.vocab || config.context < INDUCTION_DATA.T - 1)
    throw new RangeError(
      `The induction data (vocabulary ${INDUCTION_DATA.vocab}, T ${INDUCTION_DATA.T}) does not fit this ` +
        `config (vocabulary ${config.vocab}, context ${config.context}); pass a token source.`,
    );
  return inductionTokens(seed);
}

/**
 * The objective: next-token prediction at every position that has a target. A sequence x_0 … x_{T−1} gives
 * inputs x_0 … x_{T−2} and targets x_1 … x_{T−1}, T − 1 of each; the loss is the mean cross-entropy over
 * all batch·(T − 1) targets. (Position T − 1 has no next token, so it neither runs nor gets a gradient;
 * training on every target, not only the second copy, is the language-model objective, and the
 * first copy's targets teach the model that unrepeated tokens are unpredictable.)
 */
export function splitTargets(
  tokens: ArrayLike<number>,
  batch: number,
  config: InductionConfig = INDUCTION_CONFIG,
): { inputs: Uint32Array<ArrayBuffer>; targets: Uint32Array<ArrayBuffer>; len: number } {
  const T = tokens.length / batch;
  const len = T - 1;
  if (!(Number.isInteger(T) && len >= 1 && len <= config.context))
    throw new RangeError(
      `Tokens must be [${batch}][T] with 2 ≤ T ≤ ${config.context + 1}; got ${tokens.length} values.`,
    );
  const inputs = new Uint32Array(batch * len);
  const targets = new Uint32Array(batch * len);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < len; t++) {
      inputs[b * len + t] = tokens[b * T + t]!;
      targets[b * len + t] = tokens[b * T + t + 1]!;
    }
  for (const id of targets)
    if (!(id <= config.vocab)) throw new RangeError(`Token ${id} is not in 0 … ${config.vocab}.`);
  return { inputs, targets, len };
}
