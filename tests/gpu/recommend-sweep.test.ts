/**
 * The λ/θ sweep of the re-rankers (RerankKernelBase.encodeSweep: one dispatch (users, points)) on a real
 * WebGPU adapter. Every point of a sweep must equal the float64 reference at that setting, with the same
 * rule and f32 bounds as recommend-rerank.test.ts (identical picks on well-posed lists, gains within the
 * bounds of recommend-bounds.ts; at least 1 well-posed user per point and 3/4 of all lists). A sweep point
 * and a single encode at the same setting run identical arithmetic, so they must agree bit for bit; and
 * several encodes of one kernel into one command encoder (the engine's selected setting + the sweep) must
 * each give their own right answer.
 */
import { describe, expect, it } from 'vitest';
import { MmrKernel } from '../../src/kernels/recommend/mmr';
import {
  RERANK_DEFAULTS,
  SWEEP_LAMBDAS,
  SWEEP_THETAS,
  type RerankOptions,
  type SweepSetting,
} from '../../src/kernels/recommend/spec';
import type { Method } from './recommend-bounds';
import {
  KERNELS,
  batchBuffers,
  checkList,
  gpu,
  instanceOf,
  randomBatch,
  readLists,
  runRerank,
  runSweep,
  useRecommendGpu,
} from './recommend-helpers';

useRecommendGpu('recommend-sweep.test.ts');

const EPS = Math.fround(RERANK_DEFAULTS.epsilon);

/** The sweep of a method as settings, and the reference options of point p (f32 λ as the GPU sees it). */
function sweepOf(method: Method): {
  settings: SweepSetting[];
  opts: (p: number, n: number) => RerankOptions;
} {
  if (method === 'dpp')
    return {
      settings: SWEEP_THETAS.map((theta) => ({ theta })),
      opts: (p, n) => ({ n, theta: SWEEP_THETAS[p]!, epsilon: EPS }),
    };
  return {
    settings: SWEEP_LAMBDAS.map((lambda) => ({ lambda })),
    opts: (p, n) => ({ n, lambda: Math.fround(SWEEP_LAMBDAS[p]!), epsilon: EPS }),
  };
}

describe('re-rank sweep: every point = float64 reference at its setting', () => {
  it('spec sweep points: 11 λ in [0, 1] and 11 θ in [0, 1), both from 0, increasing', () => {
    expect(SWEEP_LAMBDAS).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(SWEEP_THETAS).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99]);
  });

  for (const [method, seed, users, m, n] of [
    ['mmr', 41, 4, 60, 10],
    ['dpp', 42, 4, 60, 10],
    ['calibration', 43, 4, 60, 10],
    ['mmr', 44, 3, 300, 12],
    ['dpp', 45, 3, 257, 16],
    ['calibration', 46, 3, 130, 8],
  ] as const) {
    it(`${method}: ${SWEEP_LAMBDAS.length} points × ${users} users, M ${m}, N ${n}, one dispatch`, async () => {
      const t0 = performance.now();
      const kernel = KERNELS[method](gpu.device);
      const b = randomBatch(seed, users, m, 12);
      const { settings, opts } = sweepOf(method);
      const got = await runSweep(kernel, b, n, settings);
      let posed = 0;
      let worst = 0;
      let worstAbs = 0;
      for (let p = 0; p < settings.length; p++) {
        let pointPosed = 0;
        for (let s = 0; s < users; s++) {
          const row = (p * users + s) * n;
          const label = `${method} seed ${seed} point ${p} user ${s}`;
          const gp = got.picks.subarray(row, row + n);
          const gg = got.gains.subarray(row, row + n);
          const r = checkList(method, instanceOf(b, s), opts(p, n), gp, gg, label);
          if (r.posed) pointPosed++;
          worst = Math.max(worst, r.worst);
          worstAbs = Math.max(worstAbs, r.worstAbs);
        }
        expect(pointPosed, `${method} point ${p}: well-posed users`).toBeGreaterThanOrEqual(1);
        posed += pointPosed;
      }
      expect(posed / (users * settings.length), `${method}: well-posed lists`).toBeGreaterThanOrEqual(0.75);
      // A single encode at two of the settings: bit-identical to the sweep's point.
      for (const p of [0, 7]) {
        const single = await runRerank(kernel, b, opts(p, n));
        const at = (a: Uint32Array | Float32Array) =>
          Array.from(a.subarray(p * users * n, (p + 1) * users * n));
        expect(Array.from(single.picks), `${method} point ${p} single`).toEqual(at(got.picks));
        expect(Array.from(single.gains), `${method} point ${p} single`).toEqual(at(got.gains));
      }
      kernel.destroy();
      console.log(
        `${method} sweep: ${posed}/${users * settings.length} lists well-posed, ` +
          `[m: ${worst.toFixed(3)}; ${worstAbs.toExponential(2)}], ${((performance.now() - t0) / 1000).toFixed(2)} s`,
      );
    });
  }

  it('several encodes of one kernel in one submit each give their own answer (the ring grows)', async () => {
    const b = randomBatch(47, 3, 50, 12);
    const shape = { users: b.users, m: b.m, categories: b.k };
    const n = 8;
    for (const method of ['mmr', 'dpp', 'calibration'] as const) {
      const kernel = KERNELS[method](gpu.device);
      const { settings, opts } = sweepOf(method);
      const a = { p: 3, bufs: batchBuffers(b, n) };
      const sweep = batchBuffers(b, n, settings.length);
      const c = { p: 9, bufs: batchBuffers(b, n) };
      for (let round = 0; round < 2; round++) {
        // The same kernel three times in one encoder: single, sweep, single at another setting.
        const enc = gpu.device.createCommandEncoder({ label: 'test.recommend.two' });
        kernel.encode(enc, shape, opts(a.p, n), a.bufs);
        kernel.encodeSweep(enc, shape, n, settings, sweep, EPS);
        kernel.encode(enc, shape, opts(c.p, n), c.bufs);
        gpu.device.queue.submit([enc.finish()]);
        expect(kernel.ringSize, `${method}: parameter slots`).toBe(3);
        const sw = await readLists(sweep, settings.length * b.users, n);
        for (const { p, bufs } of [a, c]) {
          const got = await readLists(bufs, b.users, n);
          for (let s = 0; s < b.users; s++) {
            const slice = (x: Uint32Array | Float32Array, row: number) => x.subarray(row * n, (row + 1) * n);
            const label = `${method} round ${round} point ${p} user ${s}`;
            checkList(method, instanceOf(b, s), opts(p, n), slice(got.picks, s), slice(got.gains, s), label);
            const row = p * b.users + s;
            expect(Array.from(slice(got.picks, s)), label).toEqual(Array.from(slice(sw.picks, row)));
            expect(Array.from(slice(got.gains, s)), label).toEqual(Array.from(slice(sw.gains, row)));
          }
        }
        for (let row = 0; row < settings.length * b.users; row++) {
          const p = Math.floor(row / b.users);
          const s = row % b.users;
          const gp = sw.picks.subarray(row * n, (row + 1) * n);
          const gg = sw.gains.subarray(row * n, (row + 1) * n);
          checkList(method, instanceOf(b, s), opts(p, n), gp, gg, `${method} round ${round} sweep ${p}/${s}`);
        }
      }
      kernel.destroy();
    }
  });

  it('refuses an empty sweep, λ outside [0, 1], θ = 1 and output buffers too small for [points][users][n]', () => {
    const kernel = new MmrKernel(gpu.device);
    const b = randomBatch(1, 2, 6, 3);
    const shape = { users: 2, m: 6, categories: 3 };
    const bufs = batchBuffers(b, 4, 2);
    const enc = gpu.device.createCommandEncoder();
    expect(() => kernel.encodeSweep(enc, shape, 4, [], bufs)).toThrow(RangeError);
    expect(() => kernel.encodeSweep(enc, shape, 4, [{ lambda: 1.5 }], bufs)).toThrow(/λ/);
    expect(() => kernel.encodeSweep(enc, shape, 4, [{ theta: 1 }], bufs)).toThrow(/θ/);
    expect(() => kernel.encodeSweep(enc, shape, 4, [{}, {}, {}], bufs)).toThrow(/bytes/);
    expect(() => kernel.encodeSweep(enc, shape, 4, [{}, {}], bufs)).not.toThrow();
    kernel.destroy();
  });
});
