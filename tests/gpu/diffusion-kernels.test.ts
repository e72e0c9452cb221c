/**
 * Diffusion lab kernels on a real WebGPU adapter against the float64 references: noise and forward noising,
 * the exact and Gaussian denoisers, density grids. Tolerances: tests/gpu/diffusion-helpers.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeSchedule, noiseLevel } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { ForwardKernel } from '../../src/kernels/diffusion/forward';
import { ExactDenoiser } from '../../src/kernels/diffusion/exact';
import { GaussianDenoiser } from '../../src/kernels/diffusion/affine';
import { GridKernel } from '../../src/kernels/diffusion/grid';
import {
  affineDenoiserReference,
  densityReference,
  exactDenoiserReference,
  forwardReference,
  gaussianAffine,
  gridPointsReference,
  particleNoise,
} from '../../src/kernels/diffusion/ref';
import { STREAM_FORWARD } from '../../src/kernels/diffusion/spec';
import { testRng } from './gpu-test-context';
import {
  U,
  check,
  denoiserTolerance,
  empty,
  f32,
  gpu,
  run,
  upload,
  useDiffusionGpu,
  zTol,
} from './diffusion-helpers';

useDiffusionGpu();

describe('noise and forward noising', () => {
  it('same seed: GPU noise equals the reference noise (D = 2, 7, 64; counts not multiples of the workgroup)', async () => {
    const kernel = new ForwardKernel(gpu.device, 'test.forward');
    for (const [n, dim, seed] of [
      [1001, 2, 1],
      [333, 7, 0xffffffff],
      [65, 64, 42],
    ] as const) {
      const src = upload(new Float32Array(dim));
      const xt = empty(n * dim);
      const eps = empty(n * dim);
      const [gx, ge] = await run(
        (e) =>
          kernel.encode(e, {
            source: src,
            sourceCount: 1,
            xt,
            eps,
            count: n,
            dim,
            level: { sqrtAlphaBar: 0, sqrtOneMinusAlphaBar: 1 },
            seed,
          }),
        [
          [xt, n * dim],
          [eps, n * dim],
        ],
      );
      const want = particleNoise(seed, STREAM_FORWARD, 0, n, dim);
      const worst = check(f32(ge!), want, (k) => zTol(want[k]!), `noise n ${n} D ${dim}`);
      expect(f32(gx!)).toEqual(f32(ge!)); // ᾱ = 0: x_T is exactly ε
      console.log(`noise n=${n} D=${dim}: worst |Δ| / (8u·(1+|z|)) = ${worst.toExponential(2)}`);
      [src, xt, eps].forEach((b) => b.destroy());
    }
    kernel.destroy();
  });

  it('forward noising equals the reference (source count not dividing the particle count)', async () => {
    const kernel = new ForwardKernel(gpu.device, 'test.forward');
    const s = makeSchedule({ kind: 'cosine', T: 1000 });
    const data = makeDataset2D({ kind: 'swiss-roll', n: 333, seed: 3 });
    const src = upload(data);
    const n = 1000;
    const xt = empty(n * 2);
    const eps = empty(n * 2);
    for (const t of [1, 250, 999]) {
      const level = noiseLevel(s, t);
      const [gx] = await run(
        (e) =>
          kernel.encode(e, { source: src, sourceCount: 333, xt, eps, count: n, dim: 2, level, seed: 77 }),
        [[xt, n * 2]],
      );
      const ref = forwardReference(data, 333, n, 2, level, 77);
      check(
        f32(gx!),
        ref.xt,
        (k) =>
          2 *
            U *
            (level.sqrtAlphaBar * Math.abs(data[(Math.floor(k / 2) % 333) * 2 + (k % 2)]!) +
              Math.abs(ref.xt[k]!)) +
          level.sqrtOneMinusAlphaBar * zTol(ref.eps[k]!) +
          1e-7,
        `forward t ${t}`,
      );
    }
    [src, xt, eps].forEach((b) => b.destroy());
    kernel.destroy();
  });
});

describe('exact denoiser', () => {
  const s = makeSchedule({ kind: 'linear', T: 1000 });
  const cases: Array<{ dim: number; n: number; m: number; ts: number[] }> = [
    { dim: 2, n: 1000, m: 777, ts: [3, 200, 900] }, // points kernel; M not a multiple of the 256-point tile
    { dim: 2, n: 70, m: 5, ts: [1, 1000] },
    { dim: 5, n: 130, m: 300, ts: [50, 600] },
    { dim: 9, n: 33, m: 40, ts: [100] }, // smallest wide case
    { dim: 64, n: 37, m: 53, ts: [20, 500] }, // wide kernel; M not a multiple of the 16-point chunk
    { dim: 1024, n: 3, m: 7, ts: [300] }, // 32×32 images, 2-point chunks
  ];
  for (const { dim, n, m, ts } of cases) {
    it(`D = ${dim}, ${n} particles, ${m} data points: x̂₀ and ε̂ within the derived f32 tolerance`, async () => {
      const rng = testRng(dim * 1000 + n);
      const data = Float32Array.from({ length: m * dim }, () => rng.normal());
      const den = new ExactDenoiser(gpu.device, data, dim, 'test.exact');
      const x0 = empty(n * dim);
      const eps = empty(n * dim);
      for (const t of ts) {
        const level = noiseLevel(s, t);
        // Half the particles are noised data points (peaked softmax), half arbitrary points.
        const xtArr = Float32Array.from(forwardReference(data, m, n, dim, level, t).xt);
        for (let k = Math.floor(n / 2) * dim; k < n * dim; k++) xtArr[k] = 2 * rng.normal();
        const xt = upload(xtArr);
        const [gx, ge] = await run(
          (e) => den.encode(e, { xt, count: n, dim, level, x0, eps }),
          [
            [x0, n * dim],
            [eps, n * dim],
          ],
        );
        const ref = exactDenoiserReference(xtArr, n, data, m, dim, level);
        const tol = denoiserTolerance(xtArr, n, data, m, dim, level, ref.maxAbsLogit, ref.x0);
        const w0 = check(f32(gx!), ref.x0, (k) => tol.tolX0[k]!, `x̂₀ D ${dim} t ${t}`);
        const w1 = check(f32(ge!), ref.eps, (k) => tol.tolEps[k]!, `ε̂ D ${dim} t ${t}`);
        console.log(
          `exact D=${dim} t=${t}: worst |Δ|/tol x̂₀ ${w0.toExponential(2)}, ε̂ ${w1.toExponential(2)}`,
        );
        xt.destroy();
      }
      [x0, eps].forEach((b) => b.destroy());
      den.destroy();
    });
  }

  it('65 600 particles of D = 9 (more workgroups than one dispatch dimension allows): every particle written', async () => {
    const n = 65_600;
    const dim = 9;
    const data = Float32Array.from({ length: 2 * dim }, (_, k) => (k < dim ? 1 : -1));
    const den = new ExactDenoiser(gpu.device, data, dim, 'test.exact.big');
    const xtArr = Float32Array.from({ length: n * dim }, (_, k) => 0.05 * ((Math.floor(k / dim) % 7) - 3));
    const xt = upload(xtArr);
    const x0 = empty(n * dim);
    const eps = empty(n * dim);
    const level = noiseLevel(s, 500);
    const [gx] = await run((e) => den.encode(e, { xt, count: n, dim, level, x0, eps }), [[x0, n * dim]]);
    // Seven distinct particles repeat; each x̂₀ must equal the reference of its pattern (so the folded 2D
    // grid of workgroups covers every particle exactly once, in the right place).
    const ref = exactDenoiserReference(xtArr.subarray(0, 7 * dim), 7, data, 2, dim, level);
    const got = f32(gx!);
    let bad = 0;
    for (let k = 0; k < n * dim; k++) if (Math.abs(got[k]! - ref.x0[k % (7 * dim)]!) > 1e-5) bad++;
    expect(bad).toBe(0);
    [xt, x0, eps].forEach((b) => b.destroy());
    den.destroy();
  });

  it('the Gaussian (affine) denoiser equals its reference', async () => {
    const law = { mean: [1, -0.5, 0.25], cov: [1, 0.6, 0, 0.6, 0.5, 0.1, 0, 0.1, 2] };
    const den = new GaussianDenoiser(gpu.device, law, 3, 'test.gaussian');
    const rng = testRng(9);
    const n = 301;
    const xtArr = Float32Array.from({ length: n * 3 }, () => 2 * rng.normal());
    const xt = upload(xtArr);
    const x0 = empty(n * 3);
    const eps = empty(n * 3);
    for (const t of [5, 500, 1000]) {
      const level = noiseLevel(s, t);
      const [gx, ge] = await run(
        (e) => den.encode(e, { xt, count: n, dim: 3, level, x0, eps }),
        [
          [x0, n * 3],
          [eps, n * 3],
        ],
      );
      const { A, b } = gaussianAffine(law, 3, level);
      const ref = affineDenoiserReference(xtArr, n, 3, A, b, level);
      // A and b are rounded to f32 (relative u each) and a 3-term dot product adds 4u.
      const tx = (k: number) =>
        8 * U * (Math.abs(ref.x0[k]!) + 3 * Math.max(...A.map(Math.abs)) * 2 * 6) + 1e-7;
      check(f32(gx!), ref.x0, tx, `gaussian x̂₀ t ${t}`);
      check(
        f32(ge!),
        ref.eps,
        (k) =>
          (level.sqrtAlphaBar * tx(k) + 4 * U * (Math.abs(xtArr[k]!) + Math.abs(ref.x0[k]!))) /
          level.sqrtOneMinusAlphaBar,
        `gaussian ε̂ t ${t}`,
      );
    }
    [xt, x0, eps].forEach((b) => b.destroy());
    den.destroy();
  });
});

describe('grids', () => {
  it('density counts equal the f32-emulating reference exactly (D = 2 and 3, outside and NaN counted)', async () => {
    const grid = new GridKernel(gpu.device, 'test.grid', 64);
    const rng = testRng(12);
    for (const [n, dim, spec] of [
      [70_001, 2, { size: 37, xMin: -2.5, xMax: 3.1, yMin: -1.7, yMax: 2.2 }],
      [5000, 3, { size: 64, xMin: -1, xMax: 1, yMin: -1, yMax: 1 }],
    ] as const) {
      const values = Float32Array.from({ length: n * dim }, () => 1.5 * rng.normal());
      values[dim * 7] = NaN;
      const pos = upload(values);
      const [g] = await run(
        (e) => grid.encodeDensity(e, pos, n, dim, spec),
        [[grid.counts, spec.size * spec.size + 1]],
      );
      const got = new Uint32Array(g!);
      expect([...got]).toEqual([...densityReference(values, n, dim, spec)]);
      expect(got.reduce((a, b) => a + b, 0)).toBe(n);
      pos.destroy();
    }
    grid.destroy();
  });

  it('grid points are the reference cell centres (within 1 ulp)', async () => {
    const grid = new GridKernel(gpu.device, 'test.grid', 64);
    const spec = { size: 33, xMin: -3, xMax: 2.5, yMin: -2, yMax: 4 };
    const out = empty(2 * 33 * 33);
    const [g] = await run((e) => grid.encodePoints(e, spec, out), [[out, 2 * 33 * 33]]);
    const want = gridPointsReference(spec);
    check(f32(g!), want, (k) => 2 * U * (Math.abs(want[k]!) + 4), 'grid points');
    out.destroy();
    grid.destroy();
  });
});
