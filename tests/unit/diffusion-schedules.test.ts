/**
 * Diffusion schedules and sampler coefficients against closed forms (../shared/DESIGN.md), float64.
 * Tolerances: closed forms within 1e-12 relative (a product of ≤ 1000 factors, each correctly rounded, and
 * exp/log1p); identities between sampler coefficients within 1e-12.
 */
import { describe, expect, it } from 'vitest';
import {
  ALPHA_BAR_T_WARN,
  SCHEDULE_KINDS,
  cosineF,
  makeSchedule,
  noiseLevel,
  previousTimestep,
  scheduleToJson,
  stridedTimesteps,
  type Schedule,
} from '../../src/models/schedules';
import {
  combineReference,
  exactDenoiserCpu,
  forwardReference,
  stepReference,
} from '../../src/kernels/diffusion/ref';
import { heunCoefficient, planStep } from '../../src/kernels/diffusion/spec';
import { makeDataset2D } from '../../src/models/datasets2d';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('schedules: closed forms', () => {
  it('linear, T = 1000: β from 1e-4 to 0.02, ᾱ_t = ∏(1 − β_s) at chosen t', () => {
    const s = makeSchedule({ kind: 'linear', T: 1000 });
    expect(s.beta[1]).toBeCloseTo(1e-4, 15);
    expect(s.beta[1000]).toBeCloseTo(0.02, 15);
    expect(s.beta[0]).toBe(0);
    expect(s.alphaBar[0]).toBe(1);
    for (const t of [1, 2, 10, 250, 500, 999, 1000]) {
      let prod = 1;
      for (let k = 1; k <= t; k++) prod *= 1 - (1e-4 + ((k - 1) * (0.02 - 1e-4)) / 999);
      expect(rel(s.alphaBar[t]!, prod), `t = ${t}`).toBeLessThan(1e-12);
      expect(rel(s.oneMinusAlphaBar[t]!, 1 - prod), `1 − ᾱ at t = ${t}`).toBeLessThan(1e-10);
      expect(rel(s.sqrtAlphaBar[t]! ** 2, prod)).toBeLessThan(1e-12);
      expect(rel(s.logSNR[t]!, Math.log(prod / (1 - prod)))).toBeLessThan(1e-9);
    }
    expect(s.alphaBar[1]).toBeCloseTo(1 - 1e-4, 15);
    expect(s.oneMinusAlphaBar[1]).toBeCloseTo(1e-4, 18);
    expect(s.logSNR[0]).toBe(Infinity);
    expect(s.warning).toBeNull();
  });

  it('linear rescales β by 1000/T and clips at 0.999', () => {
    const s = makeSchedule({ kind: 'linear', T: 100 });
    expect(s.beta[1]).toBeCloseTo(1e-3, 15);
    expect(s.beta[100]).toBeCloseTo(0.2, 15);
    const small = makeSchedule({ kind: 'linear', T: 10 });
    expect(small.beta[10]).toBe(0.999); // 0.02·100 = 2 would exceed 1
    expect(Math.max(...small.beta)).toBeLessThanOrEqual(0.999);
  });

  it('scaled-linear: √β evenly spaced from √0.00085 to √0.012 at T = 1000', () => {
    const s = makeSchedule({ kind: 'scaled-linear', T: 1000 });
    expect(rel(s.beta[1]!, 0.00085)).toBeLessThan(1e-12);
    expect(rel(s.beta[1000]!, 0.012)).toBeLessThan(1e-12);
    const r = (t: number) => Math.sqrt(0.00085) + ((t - 1) * (Math.sqrt(0.012) - Math.sqrt(0.00085))) / 999;
    for (const t of [2, 400, 777]) expect(rel(s.beta[t]!, r(t) ** 2)).toBeLessThan(1e-12);
  });

  it('sigmoid: β = sigmoid(linspace(−6, 6, T))·(0.02 − 1e-4) + 1e-4', () => {
    const T = 1000;
    const s = makeSchedule({ kind: 'sigmoid', T });
    for (const t of [1, 500, 1000]) {
      const x = -6 + (12 * (t - 1)) / (T - 1);
      expect(rel(s.beta[t]!, (1 / (1 + Math.exp(-x))) * (0.02 - 1e-4) + 1e-4)).toBeLessThan(1e-12);
    }
  });

  it('cosine: ᾱ₀ = 1, ᾱ_t = f(t)/f(0) for t < T, β_T clipped at 0.999, ᾱ_T tiny', () => {
    for (const T of [10, 100, 1000]) {
      const s = makeSchedule({ kind: 'cosine', T });
      expect(s.alphaBar[0]).toBe(1);
      for (const t of [1, Math.floor(T / 3), Math.floor(T / 2), T - 1]) {
        expect(rel(s.alphaBar[t]!, cosineF(t, T) / cosineF(0, T)), `T ${T} t ${t}`).toBeLessThan(1e-12);
      }
      expect(s.beta[T]).toBe(0.999);
      expect(rel(s.alphaBar[T]!, 0.001 * s.alphaBar[T - 1]!)).toBeLessThan(1e-12);
      expect(s.alphaBar[T]).toBeLessThan(1e-4);
      expect(s.warning).toBeNull();
    }
    // The midpoint of the cosine schedule: ᾱ(T/2) = cos²(((0.5 + s)/(1 + s))·π/2)/cos²((s/(1 + s))·π/2).
    const s = makeSchedule({ kind: 'cosine', T: 1000 });
    const expected =
      Math.cos(((0.508 / 1.008) * Math.PI) / 2) ** 2 / Math.cos(((0.008 / 1.008) * Math.PI) / 2) ** 2;
    expect(rel(s.alphaBar[500]!, expected)).toBeLessThan(1e-12);
  });

  it('β non-decreasing, ᾱ and log-SNR strictly decreasing, for every kind, T and rescale', () => {
    for (const kind of SCHEDULE_KINDS) {
      for (const T of [10, 50, 137, 1000]) {
        for (const zeroTerminalSnr of [false, true]) {
          const s = makeSchedule({ kind, T, zeroTerminalSnr });
          expect(s.beta.length).toBe(T + 1);
          for (let t = 1; t <= T; t++) {
            const label = `${s.label} t ${t}`;
            expect(s.beta[t]!, label).toBeGreaterThan(0);
            expect(s.beta[t]!, label).toBeLessThanOrEqual(1);
            if (t > 1) expect(s.beta[t]! - s.beta[t - 1]!, label).toBeGreaterThanOrEqual(-1e-15);
            expect(s.alphaBar[t]!, label).toBeLessThan(s.alphaBar[t - 1]!);
            expect(s.logSNR[t]!, label).toBeLessThan(s.logSNR[t - 1]!);
            expect(Math.abs(s.alphaBar[t]! + s.oneMinusAlphaBar[t]! - 1), label).toBeLessThan(1e-15);
          }
        }
      }
    }
  });

  it('linear with T = 50 without the 1000/T rescale ends near ᾱ ≈ 0.6 and warns; rescaled it does not', () => {
    const raw = makeSchedule({ kind: 'linear', T: 50, scaleBetaToT: false });
    expect(raw.alphaBar[50]).toBeGreaterThan(0.55);
    expect(raw.alphaBar[50]).toBeLessThan(0.65);
    expect(raw.warning).toMatch(/ᾱ_T = 0\.6/);
    const scaled = makeSchedule({ kind: 'linear', T: 50 });
    expect(scaled.alphaBar[50]).toBeLessThan(ALPHA_BAR_T_WARN);
    expect(scaled.warning).toBeNull();
    // DESIGN's sigmoid has no 1000/T factor: at T = 50 it ends far from noise too.
    expect(makeSchedule({ kind: 'sigmoid', T: 50 }).warning).not.toBeNull();
  });

  it('zero terminal SNR: ᾱ_T = 0, √ᾱ_1 unchanged, √ᾱ an affine map of the original, β_T = 1', () => {
    for (const kind of SCHEDULE_KINDS) {
      const a = makeSchedule({ kind, T: 1000 });
      const z = makeSchedule({ kind, T: 1000, zeroTerminalSnr: true });
      expect(z.alphaBar[1000]).toBe(0);
      expect(z.sqrtAlphaBar[1000]).toBe(0);
      expect(z.logSNR[1000]).toBe(-Infinity);
      expect(z.beta[1000]).toBe(1);
      expect(z.alpha[1000]).toBe(0);
      expect(z.alphaBar[1]).toBe(a.alphaBar[1]);
      expect(z.beta[1]).toBe(a.beta[1]);
      const k = a.sqrtAlphaBar[1]! / (a.sqrtAlphaBar[1]! - a.sqrtAlphaBar[1000]!);
      for (const t of [2, 300, 999]) {
        expect(rel(z.sqrtAlphaBar[t]!, (a.sqrtAlphaBar[t]! - a.sqrtAlphaBar[1000]!) * k)).toBeLessThan(1e-12);
      }
      expect(z.warning).toBeNull();
    }
  });

  it('rejects T outside 10…1000', () => {
    expect(() => makeSchedule({ kind: 'linear', T: 9 })).toThrow(RangeError);
    expect(() => makeSchedule({ kind: 'cosine', T: 1001 })).toThrow(RangeError);
    expect(() => makeSchedule({ kind: 'cosine', T: 50.5 })).toThrow(RangeError);
  });

  it('exports β and ᾱ for t = 1…T', () => {
    const s = makeSchedule({ kind: 'cosine', T: 20 });
    const j = scheduleToJson(s);
    expect(j.schedule).toBe('cosine');
    expect(j.T).toBe(20);
    expect(j.beta).toHaveLength(20);
    expect(j.alphaBar[0]).toBe(s.alphaBar[1]);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('strided timesteps', () => {
  it('trailing 50 of 1000 is 1000, 980, …, 20; leading is 981, …, 1; S = T is T…1', () => {
    const tr = stridedTimesteps(1000, 50);
    expect(tr).toHaveLength(50);
    expect(tr[0]).toBe(1000);
    expect(tr[49]).toBe(20);
    expect(tr.every((t, i) => i === 0 || tr[i - 1]! - t === 20)).toBe(true);
    const le = stridedTimesteps(1000, 50, 'leading');
    expect(le[0]).toBe(981);
    expect(le[49]).toBe(1);
    const li = stridedTimesteps(1000, 50, 'linspace');
    expect(li[0]).toBe(1000);
    expect(li[49]).toBe(1);
    for (const spacing of ['trailing', 'leading', 'linspace'] as const) {
      expect(stridedTimesteps(37, 37, spacing)).toEqual(Array.from({ length: 37 }, (_, i) => 37 - i));
      const seq = stridedTimesteps(1000, 7, spacing);
      expect(new Set(seq).size).toBe(7);
      expect(seq.every((t, i) => t >= 1 && t <= 1000 && (i === 0 || t < seq[i - 1]!))).toBe(true);
    }
    expect(previousTimestep(tr, 1000)).toBe(980);
    expect(previousTimestep(tr, 990)).toBe(980);
    expect(previousTimestep(tr, 20)).toBe(0);
    expect(() => stridedTimesteps(100, 101)).toThrow(RangeError);
  });
});

describe('sampler coefficients', () => {
  const schedules: Schedule[] = [
    makeSchedule({ kind: 'linear', T: 1000 }),
    makeSchedule({ kind: 'cosine', T: 100 }),
    makeSchedule({ kind: 'scaled-linear', T: 1000, zeroTerminalSnr: true }),
  ];

  it('DDPM ε-form equals the posterior mean for a consistent (x̂₀, ε̂), at every tested t', () => {
    for (const s of schedules) {
      for (const t of [1, 2, Math.floor(s.T / 2), s.T - 1]) {
        const plan = planStep(s, { kind: 'ddpm', variance: 'beta-tilde' }, t, t - 1);
        const x0 = 0.7;
        const eps = -1.3;
        const xt = s.sqrtAlphaBar[t]! * x0 + s.sqrtOneMinusAlphaBar[t]! * eps;
        const viaPlan = plan.first.cx * xt + plan.first.cx0 * x0 + plan.first.ceps * eps;
        const b = s.beta[t]!;
        const mean =
          ((s.sqrtAlphaBar[t - 1]! * b) / s.oneMinusAlphaBar[t]!) * x0 +
          ((Math.sqrt(s.alpha[t]!) * s.oneMinusAlphaBar[t - 1]!) / s.oneMinusAlphaBar[t]!) * xt;
        expect(Math.abs(viaPlan - mean), `${s.label} t ${t}`).toBeLessThan(1e-12);
        expect(plan.first.sigma ** 2).toBeCloseTo(
          (b * s.oneMinusAlphaBar[t - 1]!) / s.oneMinusAlphaBar[t]!,
          14,
        );
        const beta = planStep(s, { kind: 'ddpm', variance: 'beta' }, t, t - 1);
        expect(beta.first.sigma ** 2).toBeCloseTo(b, 14);
      }
    }
    // β̃_1 = 0: the last DDPM step with β̃ is deterministic.
    expect(planStep(schedules[0]!, { kind: 'ddpm', variance: 'beta-tilde' }, 1, 0).first.sigma).toBe(0);
  });

  it('DDPM posterior-mean form equals the ε-form for a consistent (x̂₀, ε̂), also for strided steps', () => {
    for (const s of schedules) {
      for (const [t, tp] of [
        [s.T, s.T - 1],
        [Math.floor(s.T / 2), Math.floor(s.T / 2) - 1],
        [Math.floor(s.T / 2), Math.floor(s.T / 5)],
        [3, 0],
      ] as const) {
        if (s.alpha[t] === 0) continue;
        for (const variance of ['beta', 'beta-tilde'] as const) {
          const eps = planStep(s, { kind: 'ddpm', variance }, t, tp).first;
          const post = planStep(s, { kind: 'ddpm', variance, form: 'posterior' }, t, tp).first;
          expect(post.sigma).toBe(eps.sigma);
          const x0 = -0.4;
          const e = 0.9;
          const xt = s.sqrtAlphaBar[t]! * x0 + s.sqrtOneMinusAlphaBar[t]! * e;
          const a = eps.cx * xt + eps.cx0 * x0 + eps.ceps * e;
          const b = post.cx * xt + post.cx0 * x0 + post.ceps * e;
          expect(Math.abs(a - b), `${s.label} ${t} → ${tp}`).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('DDPM from t = T with ᾱ_T = 0 (α_T = 0) uses the finite limit √ᾱ_{T−1}·x̂₀', () => {
    const s = schedules[2]!;
    const plan = planStep(s, { kind: 'ddpm', variance: 'beta-tilde' }, s.T, s.T - 1);
    expect(plan.first).toMatchObject({ cx: 0, ceps: 0, cx0: s.sqrtAlphaBar[s.T - 1] });
    expect(Number.isFinite(plan.first.sigma)).toBe(true);
  });

  it('DDIM: η = 1 with t_prev = t − 1 has σ² = β̃_t; η = 0 has σ = 0 and equals the ODE Euler step', () => {
    for (const s of schedules) {
      for (const t of [2, Math.floor(s.T / 2), s.T]) {
        const one = planStep(s, { kind: 'ddim', eta: 1 }, t, t - 1);
        const bt = (s.beta[t]! * s.oneMinusAlphaBar[t - 1]!) / s.oneMinusAlphaBar[t]!;
        expect(Math.abs(one.first.sigma ** 2 - bt), `${s.label} t ${t}`).toBeLessThan(1e-12);
        const zero = planStep(s, { kind: 'ddim', eta: 0 }, t, Math.floor(t / 3));
        const euler = planStep(s, { kind: 'ode', method: 'euler' }, t, Math.floor(t / 3));
        expect(zero.first.sigma).toBe(0);
        expect(zero.first).toEqual(euler.first);
        expect(zero.heunC2).toBeNull();
      }
    }
    expect(() => planStep(schedules[0]!, { kind: 'ddim', eta: 1.5 }, 10, 5)).toThrow(RangeError);
    expect(() => planStep(schedules[0]!, { kind: 'ddim', eta: 0 }, 10, 10)).toThrow(RangeError);
  });

  it('DDIM (any η) maps a consistent pair to √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂', () => {
    const s = schedules[0]!;
    const plan = planStep(s, { kind: 'ddim', eta: 0.5 }, 800, 600);
    const sig2 = plan.first.sigma ** 2;
    const expect2 =
      0.25 *
      (s.oneMinusAlphaBar[600]! / s.oneMinusAlphaBar[800]!) *
      (1 - s.alphaBar[800]! / s.alphaBar[600]!);
    expect(rel(sig2, expect2)).toBeLessThan(1e-12);
    expect(plan.first.cx0).toBe(s.sqrtAlphaBar[600]);
    expect(rel(plan.first.ceps, Math.sqrt(s.oneMinusAlphaBar[600]! - sig2))).toBeLessThan(1e-12);
  });

  it('Heun corrector coefficient: the small-h series joins the closed form; limit α_prev at ᾱ_t = 0', () => {
    const s = schedules[0]!;
    for (const [t, tp] of [
      [1000, 980],
      [500, 499],
      [2, 1],
    ] as const) {
      const cur = noiseLevel(s, t);
      const prev = noiseLevel(s, tp);
      const h =
        0.5 *
        (Math.log(prev.alphaBar / prev.oneMinusAlphaBar) - Math.log(cur.alphaBar / cur.oneMinusAlphaBar));
      const closed = (prev.sqrtAlphaBar * (h - 1 + Math.exp(-h))) / h;
      expect(rel(heunCoefficient(cur, prev), closed)).toBeLessThan(h < 1e-2 ? 1e-6 : 1e-12);
    }
    const z = schedules[2]!;
    expect(heunCoefficient(noiseLevel(z, z.T), noiseLevel(z, 900))).toBe(z.sqrtAlphaBar[900]);
    expect(planStep(z, { kind: 'ode', method: 'heun' }, 10, 0).heunC2).toBeNull(); // last step is Euler
  });
});

describe('determinism', () => {
  it('DDIM with η = 0 on the exact denoiser: the same x_T gives the same x₀, whatever the seed of z', () => {
    const data = makeDataset2D({ kind: 'two-moons', n: 40, seed: 3 });
    const s = makeSchedule({ kind: 'cosine', T: 200 });
    const den = exactDenoiserCpu(data, 2);
    const n = 64;
    const xT = forwardReference(data, 40, n, 2, { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 }, 5).xt;
    const seq = stridedTimesteps(200, 20);
    const chain = (seed: number) => {
      let x = xT;
      for (let t = seq[0]!; t > 0; t = previousTimestep(seq, t)) {
        x = stepReference(s, { kind: 'ddim', eta: 0 }, den, x, n, 2, t, previousTimestep(seq, t), seed);
      }
      return x;
    };
    const a = chain(1);
    expect(chain(1)).toEqual(a);
    expect(chain(999)).toEqual(a);
    // With η = 1 the sampler noise matters.
    let eta1 = xT;
    for (let t = seq[0]!; t > 0; t = previousTimestep(seq, t)) {
      eta1 = stepReference(s, { kind: 'ddim', eta: 1 }, den, eta1, n, 2, t, previousTimestep(seq, t), 1);
    }
    expect(eta1).not.toEqual(a);
  });

  it('combineReference draws z from (seed, particle, step): same inputs, same outputs', () => {
    const c = { cx: 0, cx0: 0, ceps: 0, caux: 0, sigma: 1 };
    const x = new Float64Array(12);
    const a = combineReference(c, x, x, x, null, 4, 3, 7, 55);
    expect(combineReference(c, x, x, x, null, 4, 3, 7, 55)).toEqual(a);
    expect(combineReference(c, x, x, x, null, 4, 3, 7, 54)).not.toEqual(a);
  });
});
