/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups; the references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 * - BN forward and backward: from the statistics' merge depth, inverseSqrt's 2 ULP and the roundings of each
 *   formula (derived in the BatchNorm1d block);
 * - the fused activation (a = f(y) in the forward, f'(y) in front of the backward): the activation kernels'
 *   1e-5·(1 + |ref|) on the kernel's own y, carried through the backward's sums (stated there).
 */
import { describe, it } from 'vitest';
import * as ops from '../../src/kernels/nn/ops';
import * as ref from '../../src/kernels/nn/ref';
import type { Activation } from '../../src/kernels/nn/spec';
import { res, empty, run, read, f32s, expectClose, STYLES, withStyle, upload, useNnGpu } from './nn-helpers';
import type { NnKernelStyle as NnStyle } from '../../src/kernels/nn/pipelines';

useNnGpu();

describe('BatchNorm1d', () => {
  // Bounds (u = 2⁻²³). The statistics of B rows pass through at most L = min(B, 16) + ⌈log₂ B⌉ roundings
  // (a 16-row chunk or a strided run, then the merge tree), each ≤ u of the shifted values (≤ |μ| + σ), so
  // |Δμ| ≤ L·u·(|μ| + σ) and |Δσ²| ≤ 2L·u·σ²·κ, κ = 1 + |μ|/σ. Then:
  //  - x̂ = (x − μ)·inverseSqrt(σ² + ε): Δμ/σ + Δσ²/(2σ²)·|x̂| + 2u (inverseSqrt) + u (subtract, product):
  //    |Δx̂| ≤ (2L + 4)·u·(1 + |x̂|)·κ; y = γx̂ + β adds u·(|γx̂| + |β|);
  //  - running stats r ← (1 − m)r + m·stat: the f32 constants and three roundings, 2u·(|r| + |stat|), plus
  //    m times the statistic's error;
  //  - dβ = Σdy: B·u·Σ|dy|; dγ = Σdy·x̂: B·u·Σ|dy·x̂| + Σ|dy|·|Δx̂|;
  //  - dx = (γ·inv_std/B)·(B·dy − dβ − x̂·dγ): the inner terms' errors (Δdβ + |x̂|·Δdγ + |dγ|·|Δx̂|) scaled,
  //    plus (2L + 8)·u relative (inv_std as in x̂, five roundings) of |scale|·(|dy| + (|dβ| + |x̂·dγ|)/B).
  // With an activation fused in, the reference activation runs on the kernel's own f32 y (read back): a is
  // within 1e-5·(1 + |a|) of f(y), and the gradient into BN, g = da·f'(y), within e_g = 1e-5·(1 + |g|); the
  // backward's bounds below take g as their dy and add e_g through each sum (Σe_g, Σ|x̂|·e_g) and term.
  const cases: [NnStyle, boolean, Activation | undefined][] = [
    ...STYLES.flatMap((st) => [true, false].map((t) => [st, t, undefined] as [NnStyle, boolean, undefined])),
    ...STYLES.flatMap((st) =>
      (['relu', 'gelu'] as const).map((k) => [st, true, k] as [NnStyle, boolean, Activation]),
    ),
  ];
  for (const [style, train, kind] of cases) {
    const fused = kind ? ` with ${kind} fused` : '';
    it(`${style}: ${train ? 'train' : 'eval'} forward (running-stat update) and backward${fused} vs reference (B=37, C=19)`, async () => {
      const [B, C] = [37, 19];
      const x = f32s(B * C, 8).map((v, i) => Math.fround(v * (0.5 + (i % C) / 4) + (i % 7) - 3));
      const gamma = f32s(C, 9, 0.3, 1);
      const beta = f32s(C, 10);
      const rm = f32s(C, 11, 0.5);
      const rv = f32s(C, 12, 0.2, 1.5);
      const dyv = f32s(B * C, 13);
      const bn: ops.BnBuffers = {
        affine: upload([...gamma, ...beta]),
        runningMean: upload(rm),
        runningVar: upload(rv),
        xhat: empty(B * C),
        stats: empty(3 * C),
      };
      const [y, a, dx, daffine] = [empty(B * C), empty(B * C), empty(B * C), empty(2 * C)];
      const s = { rows: B, channels: C, train, updateRunning: train, momentum: 0.1, eps: 1e-5 };
      await withStyle(style, () =>
        run([
          ...ops.bnForward(res, 't.bn', s, upload(x), bn, y, kind ? { kind, out: a } : undefined),
          ...ops.bnBackward(res, 't.bn', s, upload(dyv), bn, dx, daffine, kind ? { kind, y } : undefined),
        ]),
      );
      const dAffine = await read(daffine, 2 * C);
      const [dg, db] = [dAffine.slice(0, C), dAffine.slice(C)];
      const state = { gamma, beta, runningMean: Float64Array.from(rm), runningVar: Float64Array.from(rv) };
      const f = ref.bnForward(x, B, C, state, train);
      const yGpu = Float64Array.from(await read(y, B * C));
      // The gradient into BN: dy itself, or da·f'(y) on the kernel's y, with its error e_g.
      const gIn = kind ? ref.activationBackward(kind, yGpu, dyv) : dyv;
      const eg = (i: number) => (kind ? 1e-5 * (1 + Math.abs(gIn[i]!)) : 0);
      const g = ref.bnBackward(gIn, f.xhat, gamma, f.invStd, B, C, train);
      const u = 2 ** -23;
      const L = Math.min(B, 16) + Math.ceil(Math.log2(B));
      const sd = (c: number) => Math.sqrt(f.variance[c]!);
      const kappa = (c: number) => 1 + Math.abs(f.mean[c]!) / sd(c);
      const tolXhat = (i: number) => (2 * L + 4) * u * (1 + Math.abs(f.xhat[i]!)) * kappa(i % C);
      const worst: Record<string, number> = {};
      const check = (
        name: string,
        got: Float32Array,
        want: ArrayLike<number>,
        bound: (i: number) => number,
      ) => (worst[name] = expectClose(got, want, bound, name));
      check('x̂', await read(bn.xhat, B * C), f.xhat, tolXhat);
      if (kind) {
        const aRef = ref.activationForward(kind, yGpu);
        check('a', await read(a, B * C), aRef, (i) => 1e-5 * (1 + Math.abs(aRef[i]!)));
      }
      check('y', await read(y, B * C), f.y, (i) => {
        const c = i % C;
        return Math.abs(gamma[c]!) * tolXhat(i) + u * (Math.abs(gamma[c]! * f.xhat[i]!) + Math.abs(beta[c]!));
      });
      // In eval mode the running statistics are left as they were (the reference's are unchanged too).
      check('running mean', await read(bn.runningMean, C), state.runningMean, (c) => {
        const stat = Math.abs(f.mean[c]!);
        return 2 * u * (Math.abs(rm[c]!) + stat) + 0.1 * L * u * (stat + sd(c));
      });
      check('running var', await read(bn.runningVar, C), state.runningVar, (c) => {
        const stat = (f.variance[c]! * B) / (B - 1);
        return 2 * u * (Math.abs(rv[c]!) + stat) + 0.1 * 2 * L * u * stat * kappa(c);
      });
      const sums = (term: (i: number) => number) =>
        Float64Array.from({ length: C }, (_, c) => {
          let t = 0;
          for (let r = 0; r < B; r++) t += term(r * C + c);
          return t;
        });
      const absDy = sums((i) => Math.abs(gIn[i]!));
      const sumEg = sums(eg);
      const tolDbeta = (c: number) => B * u * absDy[c]! + sumEg[c]!;
      const tolDgamma = sums(
        (i) =>
          B * u * Math.abs(gIn[i]! * f.xhat[i]!) +
          Math.abs(gIn[i]!) * tolXhat(i) +
          Math.abs(f.xhat[i]!) * eg(i),
      );
      check('dβ', db, g.dbeta, tolDbeta);
      check('dγ', dg, g.dgamma, (c) => tolDgamma[c]!);
      check('dx', await read(dx, B * C), g.dx, (i) => {
        const c = i % C;
        const scale = Math.abs(gamma[c]! * f.invStd[c]!);
        const xh = Math.abs(f.xhat[i]!);
        const dgm = Math.abs(g.dgamma[c]!);
        const inner = train ? (tolDbeta(c) + xh * tolDgamma[c]! + dgm * tolXhat(i)) / B : 0;
        const terms = Math.abs(gIn[i]!) + (train ? (Math.abs(g.dbeta[c]!) + xh * dgm) / B : 0);
        return scale * (inner + eg(i)) + (2 * L + 8) * u * scale * terms;
      });
      console.log(
        `BatchNorm1d ${style} ${train ? 'train' : 'eval'}${fused}: max |Δ|/bound ${JSON.stringify(worst)}`,
      );
    });
  }
});
