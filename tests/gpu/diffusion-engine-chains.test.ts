/**
 * Diffusion engine chains on a real WebGPU adapter: GPU against the float64 CPU engine through the chain
 * error bound (tests/gpu/chain-error-bound.ts), and the Gaussian law of 10⁵ samples. Tolerances:
 * tests/gpu/diffusion-helpers.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeSchedule, noiseLevel } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import {
  exactDenoiserCpu,
  exactDenoiserReference,
  forwardReference,
  gaussianAffine,
} from '../../src/kernels/diffusion/ref';
import { planStep } from '../../src/kernels/diffusion/spec';
import { DiffusionCpuEngine, DiffusionEngine } from '../../src/engine/diffusion';
import { chainErrorBound } from './chain-error-bound';
import { U, check, gpu, reductionStepTolerance, useDiffusionGpu, zTol } from './diffusion-helpers';

useDiffusionGpu();

describe('engine', () => {
  it('GPU and CPU engines agree after 5 DDIM (η = 0.3) steps, and the field matches the CPU field', async () => {
    const data = makeDataset2D({ kind: 'checkerboard', n: 100, seed: 4 });
    const setup = {
      schedule: makeSchedule({ kind: 'cosine', T: 200 }),
      data,
      dim: 2,
      count: 300,
      seed: 8,
      sampler: { kind: 'ddim', eta: 0.3 } as const,
      steps: 20,
    };
    const grid = { size: 16, xMin: -3, xMax: 3, yMin: -3, yMax: 3 };
    const g = new DiffusionEngine(gpu);
    const c = new DiffusionCpuEngine();
    await g.setup(setup);
    await c.setup(setup);
    const fg = await g.jumpToStep(5, { positions: true, x0: true, field: grid });
    const fc = await c.jumpToStep(5, { positions: true, x0: true, field: grid });
    expect(fg.t).toBe(fc.t);
    // Error growth per step × steps (tests/gpu/chain-error-bound.ts): each step adds a one-step f32 bound
    // and carries the earlier error through the float64 step map's Jacobian (measured growth ≈ 1.4 per step
    // here); the start x_T = ε carries the forward kernel's 2u|ε| + tol_z(ε); the CPU frame rounds its
    // float64 state to f32 (u·|x|). The one-step bound holds the denoiser to DESIGN.md's rule for a length-M
    // reduction: x̂₀ (a weighted mean of the M data points) within M·u·max|x_i|, ε̂ = (x − √ᾱ x̂₀)/√(1−ᾱ)
    // within (√ᾱ·that + 4u(|x| + √ᾱ|x̂₀|))/√(1−ᾱ); the update adds |c|·those + 4u·Σ|c·v| + |σ|·tol_z. (The
    // worst-case bound of the denoiser tests above, ~10³ times what they measure, would allow 2e-3 here.)
    const n = setup.count;
    const m = data.length / 2;
    const start = forwardReference(data, m, n, 2, { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 }, setup.seed);
    const e0 = Float64Array.from({ length: n }, (_, q) =>
      Math.hypot(
        ...[0, 1].map((d) => 2 * U * Math.abs(start.xt[2 * q + d]!) + zTol(start.eps[2 * q + d]!) + 1e-7),
      ),
    );
    const chain = chainErrorBound({
      schedule: setup.schedule,
      sampler: setup.sampler,
      denoiser: exactDenoiserCpu(data, 2),
      path: g.path,
      steps: 5,
      start: start.xt,
      n,
      dim: 2,
      seed: setup.seed,
      e0,
      stepTolerance: (x, level, coef, noiseStep) =>
        reductionStepTolerance(x, n, data, m, 2, level, coef, setup.seed, noiseStep),
    });
    check(
      fc.positions!,
      chain.x,
      (k) => 1e-12 + U * Math.abs(chain.x[k]!),
      'CPU engine vs the float64 chain',
    );
    const w = check(
      fg.positions!,
      fc.positions!,
      (k) => chain.bound[Math.floor(k / 2)]! + U * Math.abs(fc.positions![k]!),
      'GPU vs CPU after 5 steps',
    );
    let worstAbs = 0;
    for (let k = 0; k < fc.positions!.length; k++)
      worstAbs = Math.max(worstAbs, Math.abs(fg.positions![k]! - fc.positions![k]!));
    console.log(
      `5 DDIM steps: worst |Δ| ${worstAbs.toExponential(2)}, worst |Δ|/bound ${w.toExponential(2)}, ` +
        `largest bound ${Math.max(...chain.bound).toExponential(2)}, step-map growth ${chain.growth.map((v) => v.toFixed(2)).join(', ')}`,
    );
    check(
      fg.field!.points,
      fc.field!.points,
      (k) => 2 * U * (Math.abs(fc.field!.points[k]!) + 4),
      'field points',
    );
    // The field's x̂₀ against the float64 denoiser at the GPU's own cell centres, within the same length-M
    // reduction rule M·u·max|x_i|.
    const g2 = grid.size * grid.size;
    const level = noiseLevel(setup.schedule, fg.t);
    const fieldRef = exactDenoiserReference(fg.field!.points, g2, data, m, 2, level);
    const fieldTol = m * U * Math.max(...Array.from(data, Math.abs));
    const wf = check(fg.field!.x0, fieldRef.x0, () => fieldTol, 'field x̂₀');
    let worstField = 0;
    for (let k = 0; k < 2 * g2; k++)
      worstField = Math.max(worstField, Math.abs(fg.field!.x0[k]! - fc.field!.x0[k]!));
    console.log(
      `field x̂₀: worst |Δ|/tol ${wf.toExponential(2)}; vs the CPU field |Δ| ≤ ${worstField.toExponential(2)}`,
    );
    g.destroy();
    c.destroy();
  });

  it('Gaussian data with its exact (linear) denoiser: DDPM and DDIM η = 0 return N(μ, Σ) — 10⁵ GPU samples, mean and covariance within 4 SE', async () => {
    // Everything is linear, so the law of the discrete chain is Gaussian with mean and covariance computed
    // exactly (float64 recursion below). The GPU samples must match that law within 4 SE, and that law must
    // be N(μ, Σ) up to the sampler's discretisation bias, which at T = 250 (cosine) is −1.8% (DDPM, β̃) and
    // −1.0% (DDIM) of the variance along Σ's main axis — more than 4 SE of 10⁵ samples, hence the split.
    // At T = 1000 the bias is −0.46% / −0.25% (tests/unit/diffusion-ref.test.ts checks DDPM there against
    // N(μ, Σ) directly on the CPU); 1000 steps of 10⁵ particles take ~20 s on this software adapter.
    const law = { mean: [1, -0.5], cov: [1, 0.6, 0.6, 0.5] };
    const n = 100_000;
    const schedule = makeSchedule({ kind: 'cosine', T: 250 });
    for (const [sampler, bias] of [
      [{ kind: 'ddpm', variance: 'beta-tilde' }, 0.02],
      [{ kind: 'ddim', eta: 0 }, 0.012],
    ] as const) {
      const engine = new DiffusionEngine(gpu);
      const t0 = performance.now();
      const f0 = await engine.setup({
        schedule,
        data: new Float32Array(2),
        dim: 2,
        count: n,
        seed: 2025,
        sampler,
        denoiser: { kind: 'gaussian', law },
        historyBytes: 0,
      });
      const end = await engine.jumpToStep(f0.totalSteps, { positions: true });
      console.log(
        `${sampler.kind}: ${f0.totalSteps} steps of 10⁵ particles in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      // Exact law of the chain: x ← K x + c + σ z with K = cx I + cx0 A + ceps (I − √ᾱ A)/√(1−ᾱ).
      let m = [0, 0];
      let C = [1, 0, 0, 1];
      for (let k = 0; k < f0.totalSteps; k++) {
        const [t, tp] = [engine.path[k]!, engine.path[k + 1]!];
        const level = noiseLevel(schedule, t);
        const p = planStep(schedule, sampler, t, tp).first;
        const { A, b } = gaussianAffine(law, 2, level);
        const e = p.ceps / level.sqrtOneMinusAlphaBar;
        const K = [0, 1, 2, 3].map(
          (i) => (i === 0 || i === 3 ? p.cx + e : 0) + (p.cx0 - e * level.sqrtAlphaBar) * A[i]!,
        );
        const c = [0, 1].map((i) => (p.cx0 - e * level.sqrtAlphaBar) * b[i]!);
        m = [K[0]! * m[0]! + K[1]! * m[1]! + c[0]!, K[2]! * m[0]! + K[3]! * m[1]! + c[1]!];
        const KC = [
          K[0]! * C[0]! + K[1]! * C[2]!,
          K[0]! * C[1]! + K[1]! * C[3]!,
          K[2]! * C[0]! + K[3]! * C[2]!,
          K[2]! * C[1]! + K[3]! * C[3]!,
        ];
        const s2 = p.sigma ** 2;
        C = [
          KC[0]! * K[0]! + KC[1]! * K[1]! + s2,
          KC[0]! * K[2]! + KC[1]! * K[3]!,
          KC[2]! * K[0]! + KC[3]! * K[1]!,
          KC[2]! * K[2]! + KC[3]! * K[3]! + s2,
        ];
      }
      const x = end.positions!;
      let [mx, my] = [0, 0];
      for (let i = 0; i < n; i++) {
        mx += x[2 * i]!;
        my += x[2 * i + 1]!;
      }
      [mx, my] = [mx / n, my / n];
      let [sxx, sxy, syy] = [0, 0, 0];
      for (let i = 0; i < n; i++) {
        const [a, bb] = [x[2 * i]! - mx, x[2 * i + 1]! - my];
        sxx += a * a;
        sxy += a * bb;
        syy += bb * bb;
      }
      [sxx, sxy, syy] = [sxx / n, sxy / n, syy / n];
      const msg =
        `${sampler.kind}: mean (${mx.toFixed(4)}, ${my.toFixed(4)}) vs chain (${m[0]!.toFixed(4)}, ${m[1]!.toFixed(4)}); ` +
        `cov (${sxx.toFixed(4)}, ${sxy.toFixed(4)}, ${syy.toFixed(4)}) vs chain (${C[0]!.toFixed(4)}, ${C[1]!.toFixed(4)}, ${C[3]!.toFixed(4)})`;
      console.log(msg);
      expect(Math.abs(mx - m[0]!), msg).toBeLessThan(4 * Math.sqrt(C[0]! / n));
      expect(Math.abs(my - m[1]!), msg).toBeLessThan(4 * Math.sqrt(C[3]! / n));
      expect(Math.abs(sxx - C[0]!), msg).toBeLessThan(4 * Math.sqrt((2 * C[0]! ** 2) / n));
      expect(Math.abs(syy - C[3]!), msg).toBeLessThan(4 * Math.sqrt((2 * C[3]! ** 2) / n));
      expect(Math.abs(sxy - C[1]!), msg).toBeLessThan(4 * Math.sqrt((C[0]! * C[3]! + C[1]! ** 2) / n));
      // The chain's law is N(μ, Σ) up to the stated discretisation bias (relative, per entry).
      expect(Math.abs(m[0]! - 1) + Math.abs(m[1]! + 0.5)).toBeLessThan(1e-3);
      expect(Math.abs(C[0]! - 1)).toBeLessThan(bias);
      expect(Math.abs(C[1]! - 0.6) / 0.6).toBeLessThan(bias);
      expect(Math.abs(C[3]! - 0.5) / 0.5).toBeLessThan(2 * bias);
      engine.destroy();
    }
  });
});
