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
