/**
 * The laws the Random lab compares its samples against: each transform's moments and standardized even
 * moments, density and CDF, the large-sample standard errors of the sample moments, and the KS test.
 */
import type { Transform } from './spec';

/** Theoretical distribution of each transform: moments, standardized even moments, density and CDF. */
export interface Theory {
  mean: number;
  variance: number;
  skewness: number;
  excessKurtosis: number;
  /** Standardized central moments E[((x−μ)/σ)^k] for k = 4, 6, 8 (all odd ones are 0: symmetric laws). */
  k4: number;
  k6: number;
  k8: number;
  density(x: number): number;
  cdf(x: number): number;
  /** The law in notation ("U[0, 1)", "N(0, 1)"): the same in every language, and in the exports. */
  notation: string;
}

const SQRT3 = Math.sqrt(3);

// Irwin–Hall(12) − 6: cumulants of U(−½, ½) are κ2 = 1/12, κ4 = −1/120, κ6 = 1/252, κ8 = −1/240; sums add.
const IH = { c2: 1, c4: -12 / 120, c6: 12 / 252, c8: -12 / 240 };

export function theory(transform: Transform): Theory {
  switch (transform) {
    case 'uniform':
      return {
        mean: 0.5,
        variance: 1 / 12,
        skewness: 0,
        excessKurtosis: -6 / 5,
        k4: 9 / 5,
        k6: 27 / 7,
        k8: 9,
        density: (x) => (x >= 0 && x < 1 ? 1 : 0),
        cdf: (x) => Math.min(1, Math.max(0, x)),
        notation: 'U[0, 1)',
      };
    case 'standardized':
      return {
        mean: 0,
        variance: 1,
        skewness: 0,
        excessKurtosis: -6 / 5,
        k4: 9 / 5,
        k6: 27 / 7,
        k8: 9,
        density: (x) => (Math.abs(x) <= SQRT3 ? 1 / (2 * SQRT3) : 0),
        cdf: (x) => Math.min(1, Math.max(0, (x + SQRT3) / (2 * SQRT3))),
        notation: 'U[−√3, √3)',
      };
    case 'irwin-hall':
      return {
        mean: 0,
        variance: 1,
        skewness: 0,
        excessKurtosis: IH.c4,
        k4: IH.c4 + 3,
        k6: IH.c6 + 15 * IH.c4 + 15,
        k8: IH.c8 + 28 * IH.c6 + 35 * IH.c4 * IH.c4 + 210 * IH.c4 + 105,
        density: (x) => irwinHallDensity(x + 6, 12),
        cdf: (x) => irwinHallCdf(x + 6, 12),
        notation: 'Irwin–Hall(12) − 6',
      };
    case 'box-muller':
      return {
        mean: 0,
        variance: 1,
        skewness: 0,
        excessKurtosis: 0,
        k4: 3,
        k6: 15,
        k8: 105,
        density: (x) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI),
        cdf: normalCdf,
        notation: 'N(0, 1)',
      };
  }
}

/** Large-sample standard errors of the four sample moments for n draws from a symmetric law. */
export function standardErrors(t: Theory, n: number) {
  const sd = Math.sqrt(t.variance);
  const varG2 = t.k8 - t.k4 * t.k4 - 4 * t.k4 * (t.k6 - t.k4) + 4 * t.k4 * t.k4 * (t.k4 - 1);
  return {
    mean: sd / Math.sqrt(n),
    variance: t.variance * Math.sqrt((t.k4 - 1) / n),
    skewness: Math.sqrt((t.k6 - 6 * t.k4 + 9) / n),
    excessKurtosis: Math.sqrt(varG2 / n),
  };
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

export function irwinHallDensity(x: number, n: number): number {
  if (x <= 0 || x >= n) return 0;
  let s = 0;
  for (let k = 0; k <= Math.floor(x); k++) s += (k % 2 ? -1 : 1) * binomial(n, k) * (x - k) ** (n - 1);
  return s / factorial(n - 1);
}

export function irwinHallCdf(x: number, n: number): number {
  if (x <= 0) return 0;
  if (x >= n) return 1;
  let s = 0;
  for (let k = 0; k <= Math.floor(x); k++) s += (k % 2 ? -1 : 1) * binomial(n, k) * (x - k) ** n;
  return s / factorial(n);
}

/** Standard normal CDF via erfc (W. J. Cody's rational Chebyshev fit as in Numerical Recipes' erfcc, |err| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const y =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * y : 0.5 * y;
}

/** Kolmogorov–Smirnov statistic D_n of a sample against a continuous CDF. */
export function ksStatistic(values: ArrayLike<number>, cdf: (x: number) => number): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Asymptotic critical value of D_n at significance 0.001 (c(α) = √(−ln(α/2)/2) ≈ 1.9495). */
export function ksCritical001(n: number): number {
  return Math.sqrt(-Math.log(0.0005) / 2) / Math.sqrt(n);
}
