/**
 * Float64 references of the Diffusion lab (src/kernels/diffusion/diffusion.ref.ts): noise layout, forward
 * noising, the exact denoisers and the samplers (datasets, grids and the CPU engine: diffusion-data.test.ts).
 * Statistical checks use fixed seeds and 4 standard errors; sampler checks state their bounds.
 */
import { describe, expect, it } from 'vitest';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule, noiseLevel, type Schedule } from '../../src/models/schedules';
import {
  exactDenoiserCpu,
  exactDenoiserReference,
  forwardReference,
  gaussianAffine,
  gaussianDenoiserCpu,
  noiseBlock,
  particleNoise,
  stepReference,
  x0FromEpsilon,
} from '../../src/kernels/diffusion/ref';
import { STREAM_FORWARD, STREAM_SAMPLER, type SamplerSpec } from '../../src/kernels/diffusion/spec';
import { PURE_NOISE, meanCov2, nearestDistances, sampleChain } from './diffusion-helpers';

describe('noise layout', () => {
  it('component d of particle i is value d mod 4 of block (i, step, ⌊d/4⌋); streams differ', () => {
    const z = particleNoise(11, STREAM_SAMPLER, 42, 5, 7);
    for (let i = 0; i < 5; i++) {
      for (let d = 0; d < 7; d++) {
        expect(z[i * 7 + d]).toBe(noiseBlock(11, STREAM_SAMPLER, i, 42, Math.floor(d / 4))[d % 4]);
      }
    }
    expect(particleNoise(11, STREAM_FORWARD, 42, 5, 7)).not.toEqual(z);
    expect(particleNoise(11, STREAM_SAMPLER, 43, 5, 7)).not.toEqual(z);
  });

  it('noise values are N(0, 1): mean and variance within 4 standard errors (10⁵ values)', () => {
    const z = particleNoise(2024, STREAM_SAMPLER, 7, 25_000, 4);
    const n = z.length;
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });
});

describe('forward noising', () => {
  it('x_t moments match √ᾱ·(data moments) + (1 − ᾱ)·I within 4 standard errors, at several t', () => {
    const data = makeDataset2D({ kind: 'two-moons', n: 500, seed: 1 });
    const m = 500;
    const n = 40_000;
    const s = makeSchedule({ kind: 'cosine', T: 1000 });
    // Data moments of the replicated source (particle i uses point i mod m; n is a multiple of m).
    const d = meanCov2(data, m);
    for (const [t, seed] of [
      [50, 1],
      [300, 2],
      [700, 3],
      [1000, 4],
    ] as const) {
      const level = noiseLevel(s, t);
      const { xt, eps } = forwardReference(data, m, n, 2, level, seed);
      const ab = level.alphaBar;
      const v = 1 - ab;
      const got = meanCov2(xt, n);
      const seMean = Math.sqrt(v / n);
      expect(Math.abs(got.mx - Math.sqrt(ab) * d.mx), `t ${t} mean x`).toBeLessThan(4 * seMean);
      expect(Math.abs(got.my - Math.sqrt(ab) * d.my), `t ${t} mean y`).toBeLessThan(4 * seMean);
      // Var of a sample variance: noise part 2v²/n plus the data–noise cross term 4·ab·v·var0/n.
      const seVar = (v0: number) => Math.sqrt((2 * v * v + 4 * ab * v * v0) / n);
      expect(Math.abs(got.sxx - (ab * d.sxx + v)), `t ${t} var x`).toBeLessThan(4 * seVar(d.sxx));
      expect(Math.abs(got.syy - (ab * d.syy + v)), `t ${t} var y`).toBeLessThan(4 * seVar(d.syy));
      const seCov = Math.sqrt((v * v + ab * v * (d.sxx + d.syy)) / n);
      expect(Math.abs(got.sxy - ab * d.sxy), `t ${t} cov`).toBeLessThan(4 * seCov);
      // x_t is exactly √ᾱ x₀ + √(1−ᾱ) ε with the returned ε.
      expect(xt[2 * 7 + 1]).toBeCloseTo(
        level.sqrtAlphaBar * data[2 * 7 + 1]! + level.sqrtOneMinusAlphaBar * eps[2 * 7 + 1]!,
        12,
      );
    }
  });

  it('ε does not depend on t (one straight line per particle as t is scrubbed)', () => {
    const data = makeDataset2D({ kind: 'rings', n: 10, seed: 1 });
    const s = makeSchedule({ kind: 'linear', T: 100 });
    const a = forwardReference(data, 10, 10, 2, noiseLevel(s, 10), 3).eps;
    const b = forwardReference(data, 10, 10, 2, noiseLevel(s, 90), 3).eps;
    expect(a).toEqual(b);
  });
});

describe('exact denoiser', () => {
  const s = makeSchedule({ kind: 'linear', T: 1000 });
  const data = makeDataset2D({ kind: 'eight-gaussians', n: 50, seed: 2 });

  it('x_t = √ᾱ x̂₀ + √(1−ᾱ) ε̂; one data point gives that point; weights are a softmax (x̂₀ in the hull)', () => {
    const xt = forwardReference(data, 50, 50, 2, noiseLevel(s, 400), 1).xt;
    const out = exactDenoiserReference(xt, 50, data, 50, 2, noiseLevel(s, 400));
    const l = noiseLevel(s, 400);
    for (let k = 0; k < 100; k++) {
      expect(l.sqrtAlphaBar * out.x0[k]! + l.sqrtOneMinusAlphaBar * out.eps[k]!).toBeCloseTo(xt[k]!, 12);
    }
    const xs = Array.from({ length: 50 }, (_, i) => data[2 * i]!);
    for (let q = 0; q < 50; q++) {
      expect(out.x0[2 * q]!).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-12);
      expect(out.x0[2 * q]!).toBeLessThanOrEqual(Math.max(...xs) + 1e-12);
    }
    const one = exactDenoiserReference(xt, 50, [0.25, -0.5], 1, 2, l);
    for (let q = 0; q < 50; q++) expect([one.x0[2 * q], one.x0[2 * q + 1]]).toEqual([0.25, -0.5]);
  });

  it('at t = 1 it returns the nearest training point (memorisation); at ᾱ = 0 the data mean and ε̂ = x_t', () => {
    // A 5×5 lattice of spacing 0.5; particle q sits 1e-3 away from lattice point (7q mod 25).
    const lattice = Float32Array.from(
      { length: 50 },
      (_, k) => 0.5 * ((k & 1 ? Math.floor(k / 10) : (k >> 1) % 5) - 2),
    );
    const xt = Float64Array.from(
      { length: 40 },
      (_, k) => lattice[2 * ((7 * (k >> 1)) % 25) + (k & 1)]! + 1e-3,
    );
    const near = exactDenoiserReference(xt, 20, lattice, 25, 2, noiseLevel(s, 1));
    for (let q = 0; q < 20; q++) {
      const j = (7 * q) % 25;
      expect(near.x0[2 * q]).toBeCloseTo(lattice[2 * j]!, 12);
      expect(near.x0[2 * q + 1]).toBeCloseTo(lattice[2 * j + 1]!, 12);
    }
    const z = makeSchedule({ kind: 'cosine', T: 100, zeroTerminalSnr: true });
    const atT = exactDenoiserReference(xt, 20, data, 50, 2, noiseLevel(z, 100));
    const mean = meanCov2(data, 50);
    for (let q = 0; q < 20; q++) {
      expect(atT.x0[2 * q]).toBeCloseTo(mean.mx, 12);
      expect(atT.x0[2 * q + 1]).toBeCloseTo(mean.my, 12);
      expect(atT.eps[2 * q]).toBe(xt[2 * q]);
    }
    expect(() => exactDenoiserReference(xt, 20, data, 50, 2, noiseLevel(s, 0))).toThrow(RangeError);
  });

  it('the Gaussian (linear) denoiser: A(ᾱΣ + (1−ᾱ)I) = √ᾱ Σ, and the 1D closed form', () => {
    const law = { mean: [1, -0.5], cov: [1, 0.6, 0.6, 0.5] };
    const l = noiseLevel(s, 300);
    const { A, b } = gaussianAffine(law, 2, l);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        let v = 0;
        for (let k = 0; k < 2; k++)
          v += A[i * 2 + k]! * (l.alphaBar * law.cov[k * 2 + j]! + (k === j ? l.oneMinusAlphaBar : 0));
        expect(v).toBeCloseTo(l.sqrtAlphaBar * law.cov[i * 2 + j]!, 12);
      }
    }
    expect(b[0]).toBeCloseTo(1 - l.sqrtAlphaBar * (A[0]! * 1 + A[1]! * -0.5), 12);
    const one = gaussianAffine({ mean: [2], cov: [0.25] }, 1, l);
    expect(one.A[0]).toBeCloseTo((l.sqrtAlphaBar * 0.25) / (l.alphaBar * 0.25 + l.oneMinusAlphaBar), 14);
    expect(x0FromEpsilon(1, 1, { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 })).toBe(0);
    expect(x0FromEpsilon(10, -100, { sqrtAlphaBar: 0.001, sqrtOneMinusAlphaBar: 1 })).toBe(4);
  });
});

describe('samplers with exact denoisers', () => {
  const moons = makeDataset2D({ kind: 'two-moons', n: 64, seed: 1 });
  const linear = makeSchedule({ kind: 'linear', T: 1000 });
  /** n DDPM samples (2D, all 1000 steps) with the exact denoiser of `moons`, and each one's nearest distance. */
  const memorise = (schedule: Schedule, variance: 'beta' | 'beta-tilde', n: number, seed: number) => {
    const x = sampleChain(schedule, { kind: 'ddpm', variance }, exactDenoiserCpu(moons, 2), n, 2, 1000, seed);
    return { x, d: nearestDistances(x, n, moons) };
  };

  it('DDPM (σ² = β), T = 1000, exact denoiser of 64 two-moons points: ≥ 99% of 256 samples within 0.05 of a training point', () => {
    const { d } = memorise(linear, 'beta', 256, 3);
    expect(d[Math.floor(0.99 * 256) - 1]).toBeLessThan(0.05);
  });

  it('DDPM (σ² = β̃): the last step is x̂₀ itself — at least half the samples ARE training points (≤ 1e-9)', () => {
    const { d } = memorise(linear, 'beta-tilde', 256, 3);
    expect(d[127]).toBeLessThan(1e-9);
    expect(d[255]).toBeLessThan(0.05);
  });

  it('zero terminal SNR: DDPM from ᾱ_T = 0 stays finite and memorises too (≥ 99% within 0.05)', () => {
    const z = makeSchedule({ kind: 'linear', T: 1000, zeroTerminalSnr: true });
    const { x, d } = memorise(z, 'beta-tilde', 128, 4);
    expect(x.every(Number.isFinite)).toBe(true);
    expect(d[Math.floor(0.99 * 128) - 1]).toBeLessThan(0.05);
  });

  it('Gaussian data N(μ, Σ) with its exact linear denoiser: DDPM (T = 1000) returns N(μ, Σ) — mean and covariance within 4 SE (10⁴ samples)', () => {
    const law = { mean: [1, -0.5], cov: [1, 0.6, 0.6, 0.5] };
    const n = 10_000;
    const x = sampleChain(
      makeSchedule({ kind: 'cosine', T: 1000 }),
      { kind: 'ddpm', variance: 'beta-tilde' },
      gaussianDenoiserCpu(law, 2),
      n,
      2,
      1000,
      17,
    );
    const g = meanCov2(x, n);
    const [sxx, sxy, syy] = [1, 0.6, 0.5];
    expect(Math.abs(g.mx - 1)).toBeLessThan(4 * Math.sqrt(sxx / n));
    expect(Math.abs(g.my + 0.5)).toBeLessThan(4 * Math.sqrt(syy / n));
    expect(Math.abs(g.sxx - sxx)).toBeLessThan(4 * Math.sqrt((2 * sxx * sxx) / n));
    expect(Math.abs(g.syy - syy)).toBeLessThan(4 * Math.sqrt((2 * syy * syy) / n));
    expect(Math.abs(g.sxy - sxy)).toBeLessThan(4 * Math.sqrt((sxx * syy + sxy * sxy) / n));
    // 1000 float64 steps of 10⁴ particles (10⁷ Philox draws): ~4 s alone, longer on a loaded machine.
  }, 30_000);

  it('probability-flow ODE on Gaussian data: Euler converges at order 1, Heun at order 2, to the exact flow map', () => {
    // Exact flow of N(μ, σ₀²) per dimension (diagonal Σ): x̄ − μ = √(σ₀² + σ̄²)·ξ with x̄ = x/√ᾱ, σ̄² = (1−ᾱ)/ᾱ.
    // Integrated from t = 900 to t = 100 on evenly spaced timesteps (from t = T the first interval in log-SNR
    // is huge for any step count, which hides the asymptotic order).
    const law = { mean: [0.5, -1], cov: [0.3, 0, 0, 2] };
    const s = makeSchedule({ kind: 'cosine', T: 1000 });
    const n = 200;
    const xi = forwardReference(new Float32Array(2), 1, n, 2, PURE_NOISE, 8).xt;
    const marginal = (t: number, mu: number, v0: number, z: number) =>
      s.sqrtAlphaBar[t]! * mu + Math.sqrt(s.alphaBar[t]! * v0 + s.oneMinusAlphaBar[t]!) * z;
    const start = Float64Array.from(xi, (z, k) =>
      k & 1 ? marginal(900, -1, 2, z) : marginal(900, 0.5, 0.3, z),
    );
    const den = gaussianDenoiserCpu(law, 2);
    const err = (sampler: SamplerSpec, steps: number) => {
      let x: Float64Array = start;
      for (let k = 0; k < steps; k++) {
        const t = 900 - (800 * k) / steps;
        x = stepReference(s, sampler, den, x, n, 2, t, t - 800 / steps, 0);
      }
      let e = 0;
      for (let k = 0; k < 2 * n; k++) {
        const want = k & 1 ? marginal(100, -1, 2, xi[k]!) : marginal(100, 0.5, 0.3, xi[k]!);
        e = Math.max(e, Math.abs(x[k]! - want));
      }
      return e;
    };
    const e1 = err({ kind: 'ode', method: 'euler' }, 16);
    const e2 = err({ kind: 'ode', method: 'euler' }, 32);
    const h1 = err({ kind: 'ode', method: 'heun' }, 16);
    const h2 = err({ kind: 'ode', method: 'heun' }, 32);
    expect(e1 / e2).toBeGreaterThan(1.7);
    expect(e1 / e2).toBeLessThan(2.3);
    expect(h1 / h2).toBeGreaterThan(3.4);
    expect(h1 / h2).toBeLessThan(4.6);
    expect(h1).toBeLessThan(e2 / 4); // Heun with 16 steps (32 evaluations) beats Euler with 32 steps
  });
});
