/**
 * Diffusion sampler steps on a real WebGPU adapter against the float64 references: the update kernel, and
 * one full GPU step per sampler. Tolerances: tests/gpu/diffusion-helpers.ts.
 */
import { describe, it } from 'vitest';
import { makeSchedule, noiseLevel, type Schedule } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { SamplerStepKernel } from '../../src/kernels/diffusion/step';
import { ExactDenoiser } from '../../src/kernels/diffusion/exact';
import {
  combineReference,
  exactDenoiserReference,
  forwardReference,
  particleNoise,
} from '../../src/kernels/diffusion/ref';
import {
  heunCorrection,
  planStep,
  STREAM_SAMPLER,
  type SamplerSpec,
  type StepCoefficients,
} from '../../src/kernels/diffusion/spec';
import { testRng } from './gpu-test-context';
import {
  U,
  check,
  denoiserTolerance,
  empty,
  exactStepTolerance,
  f32,
  gpu,
  run,
  upload,
  useDiffusionGpu,
  zTol,
} from './diffusion-helpers';

useDiffusionGpu();

describe('sampler steps', () => {
  it('the update kernel equals combineReference (all five terms, noise from the sampler stream)', async () => {
    const kernel = new SamplerStepKernel(gpu.device, 'test.step');
    const rng = testRng(3);
    const n = 1001;
    const dim = 3;
    const arrays = [0, 1, 2, 3].map(() => Float32Array.from({ length: n * dim }, () => rng.normal()));
    const [x, x0, eps, aux] = arrays.map((a) => upload(a));
    const out = empty(n * dim);
    for (const c of [
      { cx: 1.3, cx0: -0.2, ceps: 0.7, caux: 0.1, sigma: 0.3 },
      { cx: 0, cx0: 0.99, ceps: 0.14, caux: 0, sigma: 0 },
      { cx: 0, cx0: 0, ceps: 0, caux: 0, sigma: 1 },
    ] satisfies StepCoefficients[]) {
      const [g] = await run(
        (e) =>
          kernel.encode(e, {
            x: x!,
            x0: x0!,
            eps: eps!,
            aux: aux!,
            out,
            count: n,
            dim,
            coefficients: c,
            seed: 5,
            noiseStep: 321,
          }),
        [[out, n * dim]],
      );
      const want = combineReference(c, arrays[0]!, arrays[1]!, arrays[2]!, arrays[3]!, n, dim, 5, 321);
      const z = particleNoise(5, STREAM_SAMPLER, 321, n, dim);
      check(
        f32(g!),
        want,
        (k) =>
          4 *
            U *
            (Math.abs(c.cx * arrays[0]![k]!) +
              Math.abs(c.cx0 * arrays[1]![k]!) +
              Math.abs(c.ceps * arrays[2]![k]!) +
              Math.abs(c.caux * arrays[3]![k]!) +
              Math.abs(c.sigma * z[k]!)) +
          Math.abs(c.sigma) * zTol(z[k]!) +
          1e-7,
        `update ${JSON.stringify(c)}`,
      );
    }
    [x!, x0!, eps!, aux!, out].forEach((b) => b.destroy());
    kernel.destroy();
  });

  const samplers: Array<[string, SamplerSpec, number, number]> = [
    ['DDPM σ² = β', { kind: 'ddpm', variance: 'beta' }, 600, 599],
    ['DDPM σ² = β̃', { kind: 'ddpm', variance: 'beta-tilde' }, 2, 1],
    ['DDIM η = 0.5 (strided)', { kind: 'ddim', eta: 0.5 }, 800, 760],
    ['ODE Euler', { kind: 'ode', method: 'euler' }, 1000, 950],
    ['ODE Heun', { kind: 'ode', method: 'heun' }, 500, 450],
  ];
  for (const [name, sampler, t, tPrev] of samplers) {
    it(`${name}: one GPU step (exact denoiser, D = 2) equals the CPU reference step for the same inputs and noise`, async () => {
      const s: Schedule = makeSchedule({ kind: 'cosine', T: 1000 });
      const dim = 2;
      const m = 200;
      const n = 777;
      const data = makeDataset2D({ kind: 'two-moons', n: m, seed: 2 });
      const level = noiseLevel(s, t);
      const xArr = Float32Array.from(forwardReference(data, m, n, dim, level, 4).xt);
      const den = new ExactDenoiser(gpu.device, data, dim, 'test.exact');
      const kernel = new SamplerStepKernel(gpu.device, 'test.step');
      const [x, x0, eps, xp, x0b, epsb, out] = [
        upload(xArr),
        ...[0, 1, 2, 3, 4, 5].map(() => empty(n * dim)),
      ];
      const plan = planStep(s, sampler, t, tPrev);
      const common = { count: n, dim, seed: 9, noiseStep: plan.noiseStep };
      const [g] = await run(
        (e) => {
          den.encode(e, { xt: x!, count: n, dim, level, x0: x0!, eps: eps! });
          kernel.encode(e, {
            ...common,
            x: x!,
            x0: x0!,
            eps: eps!,
            aux: eps!,
            out: xp!,
            coefficients: plan.first,
          });
          if (plan.heunC2 !== null) {
            den.encode(e, { xt: xp!, count: n, dim, level: noiseLevel(s, tPrev), x0: x0b!, eps: epsb! });
            kernel.encode(e, {
              ...common,
              x: xp!,
              x0: x0b!,
              eps: epsb!,
              aux: x0!,
              out: out!,
              coefficients: heunCorrection(plan.heunC2),
            });
          }
        },
        [[plan.heunC2 === null ? xp! : out!, n * dim]],
      );
      // CPU: the same f32 inputs, float64 arithmetic.
      const ref = exactDenoiserReference(xArr, n, data, m, dim, level);
      const tol = denoiserTolerance(xArr, n, data, m, dim, level, ref.maxAbsLogit, ref.x0);
      const c = plan.first;
      const first = combineReference(c, xArr, ref.x0, ref.eps, null, n, dim, 9, plan.noiseStep);
      const tolFirstArr = exactStepTolerance(xArr, n, data, m, dim, level, c, 9, plan.noiseStep);
      const tolFirst = (k: number) => tolFirstArr[k]!;
      if (plan.heunC2 === null) {
        const w = check(f32(g!), first, tolFirst, name);
        console.log(`${name}: worst |Δ|/tol ${w.toExponential(2)}`);
      } else {
        const lp = noiseLevel(s, tPrev);
        const second = exactDenoiserReference(first, n, data, m, dim, lp);
        const want = combineReference(
          heunCorrection(plan.heunC2),
          first,
          second.x0,
          first,
          ref.x0,
          n,
          dim,
          9,
          0,
        );
        const tol2 = denoiserTolerance(first, n, data, m, dim, lp, second.maxAbsLogit, second.x0);
        const lipschitz = (lp.sqrtAlphaBar * (2 * tol2.spread) ** 2) / lp.oneMinusAlphaBar;
        const c2 = Math.abs(plan.heunC2);
        const w = check(
          f32(g!),
          want,
          (k) =>
            tolFirst(k) * (1 + c2 * lipschitz) +
            c2 * (tol2.tolX0[k]! + tol.tolX0[k]!) +
            4 * U * Math.abs(want[k]!),
          name,
        );
        console.log(`${name}: worst |Δ|/tol ${w.toExponential(2)}`);
      }
      [x, x0, eps, xp, x0b, epsb, out].forEach((b) => b!.destroy());
      kernel.destroy();
      den.destroy();
    });
  }
});
