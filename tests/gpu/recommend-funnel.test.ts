/**
 * The funnel kernels before the ranker (shaders/recommend/candidates.wgsl, gather.wgsl) on a real WebGPU
 * adapter against the float64 references (src/kernels/recommend/funnel.ref.ts), fed the same f32 inputs.
 * Tolerances (u = 2⁻²⁴, the f32 unit roundoff):
 * - merged ids, gathers, and the features u, v and log pop are copies: exact.
 * - u⊙v is one f32 product of f32 inputs, correctly rounded: exactly Math.fround(u·v) (a result below 2⁻¹²⁶
 *   may also be flushed to 0).
 * - pre-rank score g = u·v + β·log pop: the 32-term f32 dot product is off by ≤ 32u·Σ|u_c v_c| ≤ 32u·|u||v|
 *   in any summation order, β·log pop and the sum add one rounding each: |g − ref| ≤ 34u·(|u||v| + β|log pop|).
 *   NO_PICK slots are exactly −FLT_MAX.
 * - end to end (recommend-gather.test.ts: recall → GPU top-k → merge + score → top-100 → gathers → features): the top-100 positions
 *   equal the float64 pipeline's except where two slots' reference scores differ by no more than the sum of
 *   their bounds (the f32 order may swap them); everything downstream of the GPU's positions is exact.
 * [m: …] in the log lines: the worst |gpu − ref| / bound and |gpu − ref| of the scores.
 */
import { describe, expect, it } from 'vitest';
import { CandidateKernel } from '../../src/kernels/recommend/candidates';
import { mergeCandidates, prerankScores } from '../../src/kernels/recommend/funnel.ref';
import { gpu, read, useRecommendGpu } from './recommend-helpers';
import {
  X,
  BETA,
  type FunnelInputs,
  randomInputs,
  labInputs,
  slotsOf,
  recentRows,
  scoreBounds,
  encodeCandidates,
  checkScores,
} from './recommend-funnel-helpers';

useRecommendGpu('recommend-funnel.test.ts');

describe('candidates: WGSL = float64 reference', () => {
  it('merged ids identical and scores within the f32 bound (S ∤ 256, NO_PICK, empty channels)', async () => {
    const t0 = performance.now();
    const kernel = new CandidateKernel(gpu.device);
    const cases: FunnelInputs[] = [
      randomInputs(1, { users: 3, items: 300, recallK: 40, popularK: 8, recentK: 8, historyLength: 5 }, 80),
      randomInputs(
        2,
        { users: 4, items: 20, recallK: 280, popularK: 10, recentK: 10, historyLength: 30 },
        20,
      ),
      randomInputs(3, { users: 2, items: 700, recallK: 496, popularK: 8, recentK: 8, historyLength: 0 }, 700),
      randomInputs(4, { users: 2, items: 50, recallK: 0, popularK: 9, recentK: 7, historyLength: 3 }, 50),
      labInputs(5, 2, 2000).inputs,
    ];
    let worst = 0;
    let worstAbs = 0;
    for (const x of cases) {
      const { users } = x.shape;
      const S = slotsOf(x.shape);
      const enc = gpu.device.createCommandEncoder();
      const b = encodeCandidates(kernel, enc, x);
      gpu.device.queue.submit([enc.finish()]);
      const merged = new Uint32Array(await read(b.merged, users * S));
      const scores = new Float32Array(await read(b.scores, users * S));
      const label = `users ${users} S ${S}`;
      const wantMerged = mergeCandidates(x.recall, x.popular, recentRows(x), x.history, users);
      expect(Array.from(merged), label).toEqual(Array.from(wantMerged));
      const kept = wantMerged.filter((id) => id !== X).length;
      expect(kept, `${label}: some slots kept`).toBeGreaterThan(0);
      expect(kept, `${label}: some slots dropped`).toBeLessThan(users * S);
      const want = prerankScores(wantMerged, x.userVecs, x.emb, x.logPop, users, BETA);
      const [w, a] = checkScores(label, scores, want, scoreBounds(x, wantMerged));
      worst = Math.max(worst, w);
      worstAbs = Math.max(worstAbs, a);
    }
    kernel.destroy();
    console.log(
      `candidates: [m: ${worst.toFixed(3)}; ${worstAbs.toExponential(2)}], ` +
        `${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
  });

  it('several encodes in one submit keep their own parameters', async () => {
    const kernel = new CandidateKernel(gpu.device);
    const a = randomInputs(
      6,
      { users: 2, items: 100, recallK: 30, popularK: 5, recentK: 5, historyLength: 4 },
      60,
    );
    const b = randomInputs(
      7,
      { users: 3, items: 100, recallK: 12, popularK: 3, recentK: 9, historyLength: 2 },
      30,
    );
    const enc = gpu.device.createCommandEncoder();
    const ga = encodeCandidates(kernel, enc, a);
    const gb = encodeCandidates(kernel, enc, b);
    gpu.device.queue.submit([enc.finish()]);
    for (const [x, g] of [
      [a, ga],
      [b, gb],
    ] as const) {
      const n = x.shape.users * slotsOf(x.shape);
      const want = mergeCandidates(x.recall, x.popular, recentRows(x), x.history, x.shape.users);
      expect(Array.from(new Uint32Array(await read(g.merged, n)))).toEqual(Array.from(want));
    }
    kernel.destroy();
  });

  it('refuses shapes beyond the workgroup arrays', () => {
    const kernel = new CandidateKernel(gpu.device);
    const x = randomInputs(
      8,
      { users: 1, items: 10, recallK: 4, popularK: 1, recentK: 1, historyLength: 1 },
      10,
    );
    const enc = gpu.device.createCommandEncoder();
    expect(() => encodeCandidates(kernel, enc, { ...x, shape: { ...x.shape, recallK: 1100 } })).toThrow(
      /maxSlots/,
    );
    expect(() => encodeCandidates(kernel, enc, { ...x, shape: { ...x.shape, historyLength: 65 } })).toThrow(
      /maxHistory/,
    );
    kernel.destroy();
  });
});
