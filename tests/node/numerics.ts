/**
 * Comparison helpers shared by the Dawn tests in tests/node/: every element is checked against its own
 * derived bound, |got − want| ≤ tol(k), and the worst ratio |Δ|/tol is printed so the margin is on record.
 */
import assert from 'node:assert/strict';

/** One ulp at 1 in f32 (2⁻²³): the unit of every tolerance below. */
export const U = 2 ** -23;

export interface Worst {
  /** max over k of |got − want| / tol(k): the check passes when ≤ 1. */
  ratio: number;
  /** max over k of |got − want|. */
  maxAbs: number;
  at: number;
}

/**
 * Asserts |got[k] − want[k]| ≤ tol(k) for every k (NaN fails; tol 0 demands equality); prints and returns
 * the worst margin.
 */
export function checkWithin(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (k: number) => number,
): Worst {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, want ${want.length}`);
  const w: Worst = { ratio: 0, maxAbs: 0, at: -1 };
  for (let k = 0; k < got.length; k++) {
    const d = Math.abs(got[k]! - want[k]!);
    const r = d === 0 ? 0 : d / tol(k); // exact agreement passes a zero tolerance
    if (!(r <= w.ratio)) Object.assign(w, { ratio: Number.isNaN(r) ? Infinity : r, at: k });
    if (d > w.maxAbs) w.maxAbs = d;
  }
  console.log(`    ${what}: max |Δ| ${w.maxAbs.toExponential(2)}, worst |Δ|/tol ${w.ratio.toExponential(2)}`);
  if (!(w.ratio <= 1))
    assert.fail(
      `${what}: at ${w.at} got ${got[w.at]}, want ${want[w.at]}, tol ${tol(w.at)} (|Δ|/tol ${w.ratio})`,
    );
  return w;
}

/**
 * The largest |m̂/√v̂| of Adam at step t ≥ 1 (β₁ = 0.9, β₂ = 0.999): with the bias-corrected weights
 * a_s = (1 − β₁)β₁^{t−s}/(1 − β₁^t), b_s = (1 − β₂)β₂^{t−s}/(1 − β₂^t), Cauchy–Schwarz gives
 * |Σ a_s g_s| ≤ √(Σ a_s²/b_s)·√(Σ b_s g_s²), so one update moves a parameter by at most lr·c_t (c_1 = 1).
 */
export function adamStepBound(t: number): number {
  const [b1, b2] = [0.9, 0.999];
  let sum = 0;
  for (let s = 1; s <= t; s++) {
    const a = ((1 - b1) * b1 ** (t - s)) / (1 - b1 ** t);
    const b = ((1 - b2) * b2 ** (t - s)) / (1 - b2 ** t);
    sum += (a * a) / b;
  }
  return Math.sqrt(sum);
}
