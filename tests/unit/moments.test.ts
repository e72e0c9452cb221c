import { describe, expect, it } from 'vitest';
import {
  centralSums,
  histogramReference,
  mergeSums,
  momentsFromSums,
  momentsReference,
  sampleReference,
} from '../../src/kernels/random/ref';
import { TRANSFORMS, histogramSpec } from '../../src/kernels/random/spec';
import {
  irwinHallCdf,
  irwinHallDensity,
  ksCritical001,
  ksStatistic,
  normalCdf,
  standardErrors,
  theory,
} from '../../src/kernels/random/theory';

describe('moments reference', () => {
  it('matches hand-computed moments', () => {
    const m = momentsReference([1, 2, 3, 4, 10]);
    expect(m.mean).toBeCloseTo(4, 14);
    expect(m.variance).toBeCloseTo(10, 14); // (9+4+1+0+36)/5
    // m3 = (−27 −8 −1 +0 +216)/5 = 36; skew = 36 / 10^1.5
    expect(m.skewness).toBeCloseTo(36 / 10 ** 1.5, 12);
    // m4 = (81+16+1+0+1296)/5 = 278.8; kurt = 278.8/100 − 3
    expect(m.excessKurtosis).toBeCloseTo(2.788 - 3, 12);
  });

  it('pairwise merging equals the two-pass result, whatever the split', () => {
    const xs = Array.from(
      { length: 1000 },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453) + 1e4,
    );
    const whole = centralSums(xs);
    for (const split of [1, 7, 500, 999]) {
      const merged = mergeSums(centralSums(xs.slice(0, split)), centralSums(xs.slice(split)));
      expect(merged.n).toBe(whole.n);
      expect(merged.mean).toBeCloseTo(whole.mean, 9);
      expect(merged.m2 / whole.m2).toBeCloseTo(1, 10);
      expect(merged.m4 / whole.m4).toBeCloseTo(1, 9);
      expect(Math.abs(merged.m3 - whole.m3)).toBeLessThan(1e-9 * whole.m4);
    }
  });

  it('element-by-element Welford (merge with singletons) equals the two-pass result', () => {
    const xs = sampleReference('box-muller', 5000, { seed: 11 });
    let acc = { n: 0, mean: 0, m2: 0, m3: 0, m4: 0 };
    for (const x of xs) acc = mergeSums(acc, { n: 1, mean: x, m2: 0, m3: 0, m4: 0 });
    const a = momentsFromSums(acc);
    const b = momentsReference(xs);
    expect(a.mean).toBeCloseTo(b.mean, 12);
    expect(a.variance).toBeCloseTo(b.variance, 12);
    expect(a.skewness).toBeCloseTo(b.skewness, 10);
    expect(a.excessKurtosis).toBeCloseTo(b.excessKurtosis, 10);
  });
});

describe('theory', () => {
  it('uniform: E = 1/2, Var = 1/3 − 1/4 = 1/12', () => {
    const t = theory('uniform');
    expect(t.mean).toBe(0.5);
    expect(t.variance).toBeCloseTo(1 / 3 - 1 / 4, 15);
  });

  it('densities integrate to 1 and match the CDFs', () => {
    for (const tr of TRANSFORMS) {
      const t = theory(tr);
      const lo = -7;
      const hi = 7;
      const n = 140000;
      let s = 0;
      for (let i = 0; i < n; i++) s += t.density(lo + ((i + 0.5) * (hi - lo)) / n);
      expect(s * ((hi - lo) / n)).toBeCloseTo(1, 3);
      expect(t.cdf(0.3) - t.cdf(-0.2)).toBeGreaterThan(0);
    }
    expect(irwinHallCdf(6, 12)).toBeCloseTo(0.5, 12);
    expect(irwinHallDensity(6, 12)).toBeCloseTo(0.4, 1);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
  });

  it('standard errors reduce to the textbook normal values', () => {
    const se = standardErrors(theory('box-muller'), 10000);
    expect(se.mean).toBeCloseTo(0.01, 12);
    expect(se.variance).toBeCloseTo(Math.sqrt(2 / 10000), 12);
    expect(se.skewness).toBeCloseTo(Math.sqrt(6 / 10000), 12);
    expect(se.excessKurtosis).toBeCloseTo(Math.sqrt(24 / 10000), 12);
  });

  it('Irwin–Hall standardized moments agree with numerical integration of the density', () => {
    const t = theory('irwin-hall');
    const n = 120000;
    const m = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = -6 + ((i + 0.5) * 12) / n;
      const w = (t.density(x) * 12) / n;
      m[0]! += w * x ** 4;
      m[1]! += w * x ** 6;
      m[2]! += w * x ** 8;
    }
    expect(m[0]).toBeCloseTo(t.k4, 5);
    expect(m[1]).toBeCloseTo(t.k6, 4);
    expect(m[2]).toBeCloseTo(t.k8, 3);
  });
});

describe('reference samples (CPU backend) against theory', () => {
  for (const tr of TRANSFORMS) {
    it(`${tr}: moments within 4 standard errors, KS below the 0.1% critical value`, () => {
      const n = 100_000;
      const xs = sampleReference(tr, n, { seed: 2024 });
      const t = theory(tr);
      const m = momentsReference(xs);
      const se = standardErrors(t, n);
      expect(Math.abs(m.mean - t.mean)).toBeLessThan(4 * se.mean);
      expect(Math.abs(m.variance - t.variance)).toBeLessThan(4 * se.variance);
      expect(Math.abs(m.skewness - t.skewness)).toBeLessThan(4 * se.skewness);
      expect(Math.abs(m.excessKurtosis - t.excessKurtosis)).toBeLessThan(4 * se.excessKurtosis);
      expect(ksStatistic(xs, t.cdf)).toBeLessThan(ksCritical001(n));
    });
  }
});

describe('histogram reference', () => {
  it('counts every value once, with under- and overflow', () => {
    const spec = { bins: 4, lo: 0, hi: 1 };
    const c = histogramReference([-1, 0, 0.24, 0.25, 0.5, 0.99, 1, 2], spec);
    expect([...c]).toEqual([2, 1, 1, 1, 1, 2]);
    expect(histogramSpec('uniform', 10)).toEqual({ bins: 10, lo: 0, hi: 1 });
  });
});
