/**
 * The Diffusion lab's engine on Dawn in Node: the GPU engine (f32) against the CPU engine (float64) from the
 * same seed, exact denoiser on 64 two-moons points, DDIM η = 0 (deterministic after the start), cosine
 * T = 1000 strided to 10 steps; three steps from pure noise. Run by tests/node/run.mjs.
 *
 * Tolerance: a per-particle bound e (max over components, u = 2⁻²³) carried through the steps.
 * - start x_T = ε: Box–Muller in f32 within 8u·(1 + |z|) of float64.
 * - one step t → t′ with ᾱ = ᾱ_t, v = 1 − ᾱ, s = √ᾱ: x′ = √ᾱ′·x̂₀ + √(1 − ᾱ′)·ε̂, ε̂ = (x − s·x̂₀)/√v.
 *   The exact denoiser's Jacobian is ∂x̂₀/∂x = (s/v)·Cov_w(data) (w: the softmax weights at x), so a
 *   position error e moves x̂₀ by J·e with J = (s/v)·‖Cov_w‖∞ (×2 for the change of w within e) and ε̂ by
 *   (1 + s·J)·e/√v. The denoiser's own f32 error (the derivation in tests/gpu/diffusion-helpers.ts, with
 *   Λ = max |logit|, B = |x|∞ + s·|data|∞, M points of spread Δ):
 *   δ = u·((D + 8)Λ + 8√D·B·√(Λ/2v) + 2Λ + 3 + M), t₀ = 4δΔ + M·u·|data|∞ + 1e-7,
 *   t_ε = (s·t₀ + 4u(|x| + s|x̂₀|))/√v + 1e-7; the update adds 4u·(√ᾱ′|x̂₀| + √(1 − ᾱ′)|ε̂|).
 *   e′ = √ᾱ′·(J·e + t₀) + √(1 − ᾱ′)·((1 + s·J)·e/√v + t_ε) + 4u·(…).
 * - positions read back: e + u·|x| (the CPU engine's float64 state rounded to f32 for the frame).
 */
import assert from 'node:assert/strict';
import type { GpuContext } from '../../src/gpu/device';
import { DiffusionCpuEngine, DiffusionEngine, type DiffusionSetup } from '../../src/engine/diffusion';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule, noiseLevel, type NoiseLevel } from '../../src/models/schedules';
import { U, checkWithin } from './numerics';
import { gpuSuite } from './suite';

let gpu: GpuContext;

const D = 2;

/** Per-particle (J, t₀) of the exact denoiser at x (see the file comment). */
function denoiserBounds(x: Float32Array, n: number, data: Float32Array, level: NoiseLevel) {
  const M = data.length / D;
  const s = level.sqrtAlphaBar;
  const v = level.oneMinusAlphaBar;
  let yMax = 0;
  for (const y of data) yMax = Math.max(yMax, Math.abs(y));
  let spread = 0;
  for (let c = 0; c < D; c++) {
    let [lo, hi] = [Infinity, -Infinity];
    for (let i = 0; i < M; i++) [lo, hi] = [Math.min(lo, data[i * D + c]!), Math.max(hi, data[i * D + c]!)];
    spread = Math.max(spread, hi - lo);
  }
  const J = new Float64Array(n);
  const t0 = new Float64Array(n);
  const logits = new Float64Array(M);
  for (let q = 0; q < n; q++) {
    let xMax = 0;
    for (let c = 0; c < D; c++) xMax = Math.max(xMax, Math.abs(x[q * D + c]!));
    let Lam = 0;
    let top = -Infinity;
    for (let i = 0; i < M; i++) {
      let r2 = 0;
      for (let c = 0; c < D; c++) r2 += (x[q * D + c]! - s * data[i * D + c]!) ** 2;
      logits[i] = -r2 / (2 * v);
      Lam = Math.max(Lam, Math.abs(logits[i]!));
      top = Math.max(top, logits[i]!);
    }
    // Softmax-weighted mean and covariance of the data points.
    let z = 0;
    const mean = [0, 0];
    const cov = [0, 0, 0, 0];
    for (let i = 0; i < M; i++) {
      const w = Math.exp(logits[i]! - top);
      z += w;
      for (let c = 0; c < D; c++) mean[c]! += w * data[i * D + c]!;
    }
    for (let c = 0; c < D; c++) mean[c]! /= z;
    for (let i = 0; i < M; i++) {
      const w = Math.exp(logits[i]! - top) / z;
      for (let a = 0; a < D; a++)
        for (let b = 0; b < D; b++)
          cov[a * D + b]! += w * (data[i * D + a]! - mean[a]!) * (data[i * D + b]! - mean[b]!);
    }
    let covNorm = 0;
    for (let a = 0; a < D; a++)
      covNorm = Math.max(covNorm, Math.abs(cov[a * D]!) + Math.abs(cov[a * D + 1]!));
    J[q] = 2 * (s / v) * covNorm;
    const B = xMax + s * yMax;
    const delta = U * ((D + 8) * Lam + 8 * Math.sqrt(D) * B * Math.sqrt(Lam / (2 * v)) + 2 * Lam + 3 + M);
    t0[q] = 4 * delta * spread + M * U * yMax + 1e-7;
  }
  return { J, t0 };
}

const maxAbs = (a: ArrayLike<number>, q: number) => Math.max(Math.abs(a[q * D]!), Math.abs(a[q * D + 1]!));

export default gpuSuite(
  (g) => (gpu = g),
  [
    [
      'DDIM η = 0, exact denoiser, 300 particles: 3 GPU steps from noise follow the float64 engine within the carried f32 bound',
      async () => {
        const n = 300;
        const data = makeDataset2D({ kind: 'two-moons', n: 64, seed: 3 });
        const schedule = makeSchedule({ kind: 'cosine', T: 1000 });
        const setup: DiffusionSetup = {
          schedule,
          data,
          dim: D,
          count: n,
          seed: 5,
          sampler: { kind: 'ddim', eta: 0 },
          steps: 10,
          denoiser: { kind: 'exact' },
        };
        const read = { positions: true, x0: true } as const;
        const g = new DiffusionEngine(gpu);
        const c = new DiffusionCpuEngine();
        try {
          let fg = await g.setup(setup, read);
          let fc = await c.setup(setup, read);
          assert.deepEqual(g.path, c.path);
          const e = Float64Array.from({ length: n }, (_, q) => 8 * U * (1 + maxAbs(fc.positions!, q)));
          const tolPos = (k: number) => e[Math.floor(k / D)]! + U * Math.abs(fc.positions![k]!);
          checkWithin(`x_${fc.t} (noise)`, fg.positions!, fc.positions!, tolPos);
          for (let step = 1; step <= 3; step++) {
            const level = noiseLevel(schedule, fc.t);
            const tPrev = c.path[fc.stepIndex + 1]!;
            const prev = noiseLevel(schedule, tPrev);
            const x = fc.positions!;
            const x0 = fc.x0!;
            const { J, t0 } = denoiserBounds(x, n, data, level);
            const sv = Math.sqrt(level.oneMinusAlphaBar);
            const s = level.sqrtAlphaBar;
            for (let q = 0; q < n; q++) {
              const xq = maxAbs(x, q);
              const x0q = maxAbs(x0, q);
              const epsQ = (xq + s * x0q) / sv;
              const tEps = (s * t0[q]! + 4 * U * (xq + s * x0q)) / sv + 1e-7;
              e[q] =
                prev.sqrtAlphaBar * (J[q]! * e[q]! + t0[q]!) +
                prev.sqrtOneMinusAlphaBar * (((1 + s * J[q]!) * e[q]!) / sv + tEps) +
                4 * U * (prev.sqrtAlphaBar * x0q + prev.sqrtOneMinusAlphaBar * epsQ);
            }
            fg = await g.step(read);
            fc = await c.step(read);
            assert.equal(fg.t, tPrev);
            assert.equal(fc.t, tPrev);
            checkWithin(`x_${fc.t} after ${step} DDIM steps`, fg.positions!, fc.positions!, tolPos);
          }
        } finally {
          g.destroy();
          c.destroy();
        }
      },
    ],
  ],
);
