/**
 * Head scores and copy losses of the induction model (issue 13), float64 sums over a batch. Attention of
 * layer l is [batch][head][query][key]; logits are [batch][T][V + 1]; copy positions come from data.ts.
 * A tally accumulates over chunks so that 512 held-out sequences never need to be held at once.
 */

/** Where a batch's copies are (InductionBatch satisfies it). */
export interface CopyPositions {
  size: number;
  T: number;
  tokens: ArrayLike<number>;
  period: ArrayLike<number>;
  firstCopy: ArrayLike<number>;
}

interface CopyStat {
  nll: number;
  correct: number;
  count: number;
}

export interface InductionTally {
  layers: number;
  heads: number;
  /** [layer·heads + head] sums and the number of terms each sum holds. */
  previousSum: Float64Array;
  previousCount: number;
  prefixSum: Float64Array;
  prefixCount: number;
  first: CopyStat;
  second: CopyStat;
}

export interface CopyLoss {
  /** Mean cross-entropy in nats and the fraction whose arg-max logit is the target. */
  loss: number;
  top1: number;
  count: number;
}

export interface InductionScores {
  /** [layer][head]: mean of A[t][t − 1] over t = 1 … T − 1 and the batch. */
  previousToken: number[][];
  /** [layer][head]: mean over second-copy positions i = o + P + j (j = 0 … P − 1) of A[i][o + j + 1]. */
  prefixMatching: number[][];
  /** Targets o + j, j = 0 … P − 1 (unpredictable: ln V for a model without leakage). */
  firstCopy: CopyLoss;
  /** Targets o + P + j, j = 1 … P − 1: the ones an induction head can predict (a_0 at o + P cannot be). */
  secondCopy: CopyLoss;
}

export function newTally(layers: number, heads: number): InductionTally {
  const stat = () => ({ nll: 0, correct: 0, count: 0 });
  return {
    layers,
    heads,
    previousSum: new Float64Array(layers * heads),
    previousCount: 0,
    prefixSum: new Float64Array(layers * heads),
    prefixCount: 0,
    first: stat(),
    second: stat(),
  };
}

/** Adds the attention of every layer (`attention[l]` is [batch][head][T][T]) of one batch. */
export function tallyAttention(
  tally: InductionTally,
  attention: ReadonlyArray<ArrayLike<number>>,
  copies: CopyPositions,
): void {
  const { layers, heads } = tally;
  const { size, T } = copies;
  if (attention.length !== layers)
    throw new RangeError(`Expected ${layers} layers, got ${attention.length}.`);
  for (let l = 0; l < layers; l++) {
    const a = attention[l]!;
    if (a.length !== size * heads * T * T)
      throw new RangeError(
        `Layer ${l} attention has ${a.length} values; [${size}][${heads}][${T}][${T}] needed.`,
      );
    for (let b = 0; b < size; b++) {
      const P = copies.period[b]!;
      const o = copies.firstCopy[b]!;
      for (let h = 0; h < heads; h++) {
        const base = (b * heads + h) * T * T;
        let prev = 0;
        for (let t = 1; t < T; t++) prev += a[base + t * T + t - 1]!;
        let prefix = 0;
        for (let j = 0; j < P; j++) prefix += a[base + (o + P + j) * T + o + j + 1]!;
        tally.previousSum[l * heads + h]! += prev;
        tally.prefixSum[l * heads + h]! += prefix;
      }
    }
  }
  for (let b = 0; b < size; b++) tally.prefixCount += copies.period[b]!;
  tally.previousCount += size * (T - 1);
}

/** −log softmax(row)[target] (max-subtracted) and whether the target is the arg-max (first index on ties). */
function crossEntropy(
  logits: ArrayLike<number>,
  start: number,
  n: number,
  target: number,
): [number, boolean] {
  let max = -Infinity;
  let arg = 0;
  for (let c = 0; c < n; c++) {
    const z = logits[start + c]!;
    if (z > max) {
      max = z;
      arg = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < n; c++) sum += Math.exp(logits[start + c]! - max);
  return [Math.log(sum) - (logits[start + target]! - max), arg === target];
}

/** Adds the first- and second-copy losses of one batch; `logits` is [batch][T][classes]. */
export function tallyLogits(
  tally: InductionTally,
  logits: ArrayLike<number>,
  classes: number,
  copies: CopyPositions,
): void {
  const { size, T, tokens } = copies;
  if (logits.length !== size * T * classes)
    throw new RangeError(`Logits have ${logits.length} values; [${size}][${T}][${classes}] needed.`);
  const add = (stat: CopyStat, b: number, target: number) => {
    const [nll, ok] = crossEntropy(logits, (b * T + target - 1) * classes, classes, tokens[b * T + target]!);
    stat.nll += nll;
    stat.correct += ok ? 1 : 0;
    stat.count++;
  };
  for (let b = 0; b < size; b++) {
    const P = copies.period[b]!;
    const o = copies.firstCopy[b]!;
    for (let j = 0; j < P; j++) add(tally.first, b, o + j);
    for (let j = 1; j < P; j++) add(tally.second, b, o + P + j);
  }
}

const grid = (sums: Float64Array, count: number, layers: number, heads: number) =>
  Array.from({ length: layers }, (_, l) =>
    Array.from({ length: heads }, (_, h) => sums[l * heads + h]! / count),
  );
const copyLoss = (s: CopyStat): CopyLoss => ({
  loss: s.nll / s.count,
  top1: s.correct / s.count,
  count: s.count,
});

/** Means of a tally (NaN where nothing was added). */
export function summarize(tally: InductionTally): InductionScores {
  const { layers, heads } = tally;
  return {
    previousToken: grid(tally.previousSum, tally.previousCount, layers, heads),
    prefixMatching: grid(tally.prefixSum, tally.prefixCount, layers, heads),
    firstCopy: copyLoss(tally.first),
    secondCopy: copyLoss(tally.second),
  };
}

/** Previous-token and prefix-matching scores [layer][head] of one batch. */
export function headScores(
  attention: ReadonlyArray<ArrayLike<number>>,
  heads: number,
  copies: CopyPositions,
): Pick<InductionScores, 'previousToken' | 'prefixMatching'> {
  const tally = newTally(attention.length, heads);
  tallyAttention(tally, attention, copies);
  const { previousToken, prefixMatching } = summarize(tally);
  return { previousToken, prefixMatching };
}

/** First- and second-copy cross-entropy and top-1 of one batch. */
export function copyLosses(
  logits: ArrayLike<number>,
  classes: number,
  copies: CopyPositions,
): Pick<InductionScores, 'firstCopy' | 'secondCopy'> {
  const tally = newTally(0, 0);
  tallyLogits(tally, logits, classes, copies);
  const { firstCopy, secondCopy } = summarize(tally);
  return { firstCopy, secondCopy };
}
