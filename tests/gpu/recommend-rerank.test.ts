/**
 * Recommendation kernels (shaders/recommend/*.wgsl) on a real WebGPU adapter against the float64
 * references (src/kernels/recommend/ref.ts), fed the same f32 inputs (u = 2⁻²³, D = 32 dimensions).
 *
 * The GPU must pick the IDENTICAL index lists. A greedy pick is well-defined in f32 only when, at every
 * step, the winner's reference score minus its f32 bound still beats every other candidate's score plus
 * its bound (and, for the DPP, the stop test d² < ε is on the same side for both). Each user's instance is
 * checked for that with the bounds of recommend-bounds.ts; on a well-posed user the whole list must be identical, on an
 * ill-posed one the lists must agree up to the first ill-posed step; at least one user of every case and
 * 3/4 of each method's users must be well-posed (so the identity check is never vacuous). Tolerances (|gpu − ref| ≤ bound):
 * - MMR, g = λ·rel − (1 − λ)·max sim: a D-term dot product of unit vectors is off by ≤ D·u, 1 − λ, the two
 *   products and the difference add ≤ 4 roundings: u·(2λ·R + (D + 5)(1 − λ)), R = max |rel|.
 * - DPP d_i² at step k (Y the k previous picks): the f32 kernel entries are off by ≤ η·√(L_aa L_bb),
 *   η = u·(D/2 + 9 + 8·x), x = α·(max rel − min rel) (dot D·u/2, exp (3 + 2|x|) ulp after a 2-rounding
 *   argument, 3 products); the Cholesky/Schur complement is backward stable with |ΔL| ≤ γ·|C||Cᵀ|,
 *   γ = (k + 12)·u (k + 1 roundings, WGSL's / at 2.5 ulp and sqrt = 1/inverseSqrt at 4.5 ulp), and
 *   (|C||Cᵀ|)_ab ≤ √(L_aa L_bb). First order, |Δd_i²| ≤ (η + γ)·(Σ_{a∈Y∪i} |w̃_a|·√L_aa)² with
 *   w̃ = (−L_YY⁻¹ l_Yi, 1); the bound doubles that for the second-order terms.
 * - calibration, g = (1 − λ)·(Σ rel + rel_i) − λ·KL: the f32 running sum of the k previous picks' rel is
 *   off by ≤ (k + 1)(k + 2)/2·u·R and each f32 log p_c by its WGSL bound (2⁻²¹ absolute in [½, 2], else
 *   3 ulp ≤ 3u·|log x|); both are the same for every candidate of a step (common: they cannot change the
 *   pick, only the reported gain). Per candidate: log q̃_c by the same rule plus 5u (q̃ ≤ 5 ulp), K + 2
 *   roundings of Σ_c p_c|log p_c − log q̃_c|, and ½u on |sum + rel_i| ≤ (k + 1)R, |(1 − λ)·A|, |λ·KL|, |g|.
 *   Candidates of one category at λ = 1 are computed by identical arithmetic, so their ties go by index.
 * - MMR's first step has no penalty: its bound is u·λ·R (0 for λ ∈ {0, 1}, where exact ties go by index).
 * [m: …] in the log lines: the worst |gpu − ref| / bound and |gpu − ref| of the reported gains; measured on
 * SwiftShader when the bounds were written: MMR [m: 0.37; 6.0e-8], DPP [m: 0.012; 2.6e-7], calibration
 * [m: 0.098; 9.1e-7]; well-posed users 24/24, 25/25, 22/24 (the two others agree up to steps 46 and 13).
 * Shapes are small (SwiftShader runs WGSL slower than plain JavaScript); the file runs in a few seconds.
 */
import { describe, expect, it } from 'vitest';
import { DppKernel } from '../../src/kernels/recommend/dpp';
import { rerankReference } from '../../src/kernels/recommend/ref';
import { NO_PICK, type RerankOptions } from '../../src/kernels/recommend/spec';
import {
  CASES,
  KERNELS,
  checkList,
  gpu,
  instanceOf,
  randomBatch,
  runRerank,
  upload,
  useRecommendGpu,
} from './recommend-helpers';

useRecommendGpu('recommend-rerank.test.ts');

describe('re-rankers: WGSL = float64 reference (identical picks)', () => {
  for (const method of ['mmr', 'dpp', 'calibration'] as const) {
    it(`${method}: identical lists on seeded random instances (M ∤ 256, N = 1, N = M)`, async () => {
      const t0 = performance.now();
      const kernel = KERNELS[method](gpu.device);
      let worst = 0;
      let worstAbs = 0;
      let users = 0;
      let posed = 0;
      for (const c of CASES[method]) {
        const b = randomBatch(c.seed, c.users, c.m, 12);
        const opts: RerankOptions = {
          n: c.n,
          lambda: Math.fround(c.lambda ?? 0.5),
          theta: c.theta ?? 0.5,
          epsilon: Math.fround(c.epsilon ?? 1e-6),
        };
        const got = await runRerank(kernel, b, opts);
        let casePosed = 0;
        for (let s = 0; s < b.users; s++) {
          const gp = got.picks.subarray(s * c.n, (s + 1) * c.n);
          const gg = got.gains.subarray(s * c.n, (s + 1) * c.n);
          const label = `${method} seed ${c.seed} user ${s} M ${c.m} N ${c.n}`;
          const r = checkList(method, instanceOf(b, s), opts, gp, gg, label);
          if (r.posed) casePosed++;
          worst = Math.max(worst, r.worst);
          worstAbs = Math.max(worstAbs, r.worstAbs);
        }
        expect(casePosed, `${method} seed ${c.seed}: well-posed users`).toBeGreaterThanOrEqual(1);
        users += b.users;
        posed += casePosed;
      }
      kernel.destroy();
      expect(posed / users, `${method}: well-posed users`).toBeGreaterThanOrEqual(0.75);
      console.log(
        `${method}: ${posed}/${users} users well-posed, [m: ${worst.toFixed(3)}; ${worstAbs.toExponential(2)}], ` +
          `${((performance.now() - t0) / 1000).toFixed(2)} s`,
      );
    });
  }

  it('a DPP that stops early writes NO_PICK and gain 0 for the rest of the list', async () => {
    const b = randomBatch(17, 4, 40, 12);
    const opts = { n: 40, theta: 0.2, epsilon: Math.fround(0.3) };
    const kernel = new DppKernel(gpu.device);
    const got = await runRerank(kernel, b, opts);
    kernel.destroy();
    const ref = rerankReference('dpp', instanceOf(b, 0), opts);
    expect(ref.picks.length).toBeLessThan(40);
    expect(got.picks[ref.picks.length]).toBe(NO_PICK);
    expect(got.picks[39]).toBe(NO_PICK);
  });

  it('refuses N > M, M > 512 and a DPP window', () => {
    const kernel = new DppKernel(gpu.device);
    const b = randomBatch(1, 1, 4, 3);
    const bufs = {
      items: upload(new Uint32Array(4)),
      embeddings: upload(b.emb),
      categories: upload(b.cat),
      relevance: upload(b.rel),
      history: upload(b.history),
      picks: upload(new Uint32Array(8)),
      gains: upload(new Float32Array(8)),
    };
    const enc = gpu.device.createCommandEncoder();
    expect(() => kernel.encode(enc, { users: 1, m: 4, categories: 3 }, { n: 5 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, { users: 1, m: 513, categories: 3 }, { n: 5 }, bufs)).toThrow(RangeError);
    expect(() => kernel.encode(enc, { users: 1, m: 4, categories: 3 }, { n: 2, window: 2 }, bufs)).toThrow(
      /window/,
    );
    kernel.destroy();
  });
});
