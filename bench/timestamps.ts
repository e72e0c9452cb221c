/**
 * GPU timestamp bookkeeping (pure): guarding each pass's (begin, end) pair against zero, reversed or absurd
 * values, and telling from the accepted durations whether the implementation quantised them (Dawn's
 * `timestamp_quantization` rounds to 65.5 µs by default; Chromium's to 100 µs without developer features).
 */

/** A pass longer than this is a bad pair (wrapped or unwritten), not a measurement: 60 s. */
export const MAX_PASS_NS = 60e9;

export interface GuardedPairs {
  /** Accepted pass durations, ns (0 is accepted: a pass may finish within one tick). */
  durationsNs: number[];
  /** Pairs rejected: end < begin, begin or end never written (0), or longer than MAX_PASS_NS. */
  rejected: number;
  /** Sum of the accepted durations in ms, or null when there were pairs and every one was rejected. */
  gpuMs: number | null;
}

/** Guards the pairs [begin, end] (indices into `ticks`, ns) of one measured call. */
export function guardPairs(
  ticks: ArrayLike<bigint>,
  pairs: ReadonlyArray<readonly [number, number]>,
): GuardedPairs {
  const durationsNs: number[] = [];
  let rejected = 0;
  for (const [b, e] of pairs) {
    const tb = ticks[b];
    const te = ticks[e];
    if (tb === undefined || te === undefined || tb === 0n || te === 0n || te < tb) {
      rejected++;
      continue;
    }
    const d = Number(te - tb);
    if (!(d <= MAX_PASS_NS)) rejected++;
    else durationsNs.push(d);
  }
  const accepted = durationsNs.length;
  const gpuMs = accepted === 0 && pairs.length > 0 ? null : durationsNs.reduce((a, d) => a + d, 0) / 1e6;
  return { durationsNs, rejected, gpuMs };
}

export interface Quantisation {
  /** Accepted pass durations seen, and how many of them were 0. */
  samples: number;
  zeros: number;
  /** The smallest non-zero duration, ns (null without one). */
  minNonZeroNs: number | null;
  /** The greatest common divisor of the non-zero durations, ns: the quantum when quantised. */
  quantumNs: number | null;
  /** True when every non-zero duration is a multiple of one quantum ≥ 1 µs; null with too few samples. */
  quantised: boolean | null;
}

/** The fewest non-zero durations from which a common quantum is taken as evidence of quantisation. */
export const MIN_QUANTUM_SAMPLES = 8;
/** A common divisor this large among ≥ 8 true nanosecond durations is no coincidence: 1 µs. */
export const MIN_QUANTUM_NS = 1000;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Accumulates accepted durations over a run and says whether they look quantised. */
export class QuantumDetector {
  private samples = 0;
  private zeros = 0;
  private nonZero = 0;
  private min = Infinity;
  private g = 0;

  add(durationsNs: readonly number[]): void {
    for (const d of durationsNs) {
      this.samples++;
      const n = Math.round(d);
      if (n === 0) {
        this.zeros++;
        continue;
      }
      this.nonZero++;
      this.min = Math.min(this.min, n);
      this.g = gcd(this.g, n);
    }
  }

  summary(): Quantisation {
    const some = this.nonZero > 0;
    return {
      samples: this.samples,
      zeros: this.zeros,
      minNonZeroNs: some ? this.min : null,
      quantumNs: some ? this.g : null,
      quantised: this.nonZero < MIN_QUANTUM_SAMPLES ? null : this.g >= MIN_QUANTUM_NS,
    };
  }
}

/** "quantised to 65.5 µs (…)", "not quantised (…)" for the report. */
export function describeQuantisation(q: Quantisation): string {
  const us = (ns: number | null) =>
    ns === null
      ? '—'
      : ns < 1e3
        ? `${ns} ns`
        : ns < 1e6
          ? `${(ns / 1e3).toPrecision(3)} µs`
          : `${(ns / 1e6).toPrecision(3)} ms`;
  const facts =
    `${q.samples} pass durations, ${q.zeros} zero, smallest non-zero ${us(q.minNonZeroNs)}, ` +
    `common divisor ${us(q.quantumNs)}`;
  if (q.quantised === null) return `undetermined: too few non-zero durations (${facts})`;
  return q.quantised ? `QUANTISED to ${us(q.quantumNs)} (${facts})` : `not quantised (${facts})`;
}
