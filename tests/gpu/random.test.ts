/**
 * Random lab kernels on a real WebGPU adapter against the float64 references. Tolerances (u = 2⁻²³, one f32
 * ulp at 1; DESIGN.md "Numerics"):
 * - raw words bit-exact; uniform exact ((w >> 8)·2⁻²⁴ is exact in f32);
 * - standardized (u − ½)·√12: u − ½ is exact, then two roundings of at most 2⁻²⁴ relative (the f32 constant
 *   √12 and the product): |Δ| ≤ u·|z|;
 * - Irwin–Hall Σ₁₂ u − 6: the eleven additions round at ½ ulp of partial sums ≤ 2, 4, 4, 8 ×4, 12 ×4
 *   (26.5u in all) and subtracting 6 adds at most 4u: |Δ| ≤ 31u;
 * - Box–Muller z = r·(cos θ, sin θ), r = √(−2 log u₁), with the accurate log and cos/sin of
 *   shaders/common/box_muller.wgsl (a few ulps each, where WGSL's built-ins may be 2⁻¹¹ off): r carries the
 *   log's relative error halved plus sqrt's (1/inverseSqrt: 2 + 2.5 ULP), cos/sin a few u absolute,
 *   times r ≤ 5.8: |Δz| ≤ u·(8|z| + 4r), r = hypot of the value pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { RandomEngine } from '../../src/engine/random';
import { RandomKernel } from '../../src/kernels/random/random';
import { MomentsKernel, MOMENTS_BYTES } from '../../src/kernels/random/moments';
import { HistogramKernel } from '../../src/kernels/random/histogram';
import {
  centralSums,
  histogramReference,
  momentsReference,
  rawWords,
  sampleReference,
} from '../../src/kernels/random/ref';
import { TRANSFORMS } from '../../src/kernels/random/spec';
import { ksCritical001, ksStatistic, standardErrors, theory } from '../../src/kernels/random/theory';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { createStorageBuffer } from '../../src/gpu/compute';
import { testGpu, testRng } from './gpu-test-context';

let gpu: GpuContext;
let engine: RandomEngine;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
  engine = new RandomEngine(gpu);
});
afterAll(() => {
  engine?.destroy();
  gpu?.destroy();
});

async function readWords(buffer: GPUBuffer, count: number): Promise<Uint32Array> {
  const pool = new ReadbackPool(gpu.device, 'test');
  const enc = gpu.device.createCommandEncoder();
  const dst = encodeReadback(enc, pool, buffer, count * 4);
  gpu.device.queue.submit([enc.finish()]);
  const out = new Uint32Array(await pool.read(dst, count * 4));
  pool.destroy();
  return out;
}

describe('Philox on the GPU', () => {
  it('is bit-identical to the reference for several seeds, streams and counts (incl. non-multiples of 4)', async () => {
    const kernel = new RandomKernel(gpu.device, 'test.generate');
    const rng = testRng(1);
    for (const [seed, stream, count] of [
      [0, 0, 1],
      [42, 0, 1023],
      [0xffffffff, 7, 4096],
      [rng.int(0, 2 ** 32 - 1), rng.int(0, 2 ** 32 - 1), 70_001],
    ] as const) {
      const out = createStorageBuffer(gpu.device, 'test.out', count * 4);
      const enc = gpu.device.createCommandEncoder();
      kernel.encode(enc, out, { transform: 'raw', count, key: { seed, stream } });
      gpu.device.queue.submit([enc.finish()]);
      const got = await readWords(out, count);
      const want = rawWords(count, { seed, stream });
      let mismatches = 0;
      for (let i = 0; i < count; i++) if (got[i] !== want[i]) mismatches++;
      expect(mismatches, `seed ${seed} stream ${stream} count ${count}`).toBe(0);
      out.destroy();
    }
    kernel.destroy();
  });

  for (const transform of TRANSFORMS) {
    it(`${transform}: values match the float64 reference`, async () => {
      const count = 10_001;
      const got = await engine.sample({ transform, seed: 99, count });
      const want = sampleReference(transform, count, { seed: 99 });
      const u = 2 ** -23;
      // Box–Muller values come in pairs (r cos θ, r sin θ): r is the pair's hypot.
      const r = (i: number) => Math.hypot(want[i & ~1]!, want[i | 1] ?? 0);
      const bound: (i: number) => number = {
        uniform: () => 0,
        standardized: (i: number) => u * Math.abs(want[i]!),
        'irwin-hall': () => 31 * u,
        'box-muller': (i: number) => u * (8 * Math.abs(want[i]!) + 4 * r(i)),
      }[transform];
      let worst = 0;
      let worstAbs = 0;
      for (let i = 0; i < count; i++) {
        const err = Math.abs(got[i]! - want[i]!);
        if (!(err <= bound(i)))
          expect.fail(`${transform}[${i}]: gpu ${got[i]} ref ${want[i]} |Δ| ${err} > ${bound(i)}`);
        worstAbs = Math.max(worstAbs, err);
        if (err > 0) worst = Math.max(worst, err / bound(i));
      }
      console.log(
        `${transform}: max |Δ| = ${worstAbs.toExponential(2)}, max |Δ|/bound = ${worst.toFixed(3)}`,
      );
    });

    it(`${transform}: GPU moments within 4 standard errors of theory; KS below the 0.1% critical value`, async () => {
      const count = 200_000;
      const t = theory(transform);
      const se = standardErrors(t, count);
      const result = await engine.run({ transform, seed: 20241129, count });
      const m = result.moments;
      expect(result.sums.n).toBe(count);
      expect(Math.abs(m.mean - t.mean)).toBeLessThan(4 * se.mean);
      expect(Math.abs(m.variance - t.variance)).toBeLessThan(4 * se.variance);
      expect(Math.abs(m.skewness - t.skewness)).toBeLessThan(4 * se.skewness);
      expect(Math.abs(m.excessKurtosis - t.excessKurtosis)).toBeLessThan(4 * se.excessKurtosis);
      const counts = [...result.counts];
      expect(counts.reduce((a, b) => a + b, 0)).toBe(count);
      const values = await engine.sample({ transform, seed: 20241129, count }, 50_000);
      expect(ksStatistic(values, t.cdf)).toBeLessThan(ksCritical001(values.length));
    });
  }
});

describe('GPU reductions against float64', () => {
  async function gpuMoments(values: Float32Array<ArrayBuffer>) {
    const kernel = new MomentsKernel(gpu.device, 'test.moments');
    const pool = new ReadbackPool(gpu.device, 'test');
    const buf = createStorageBuffer(gpu.device, 'test.values', values.byteLength);
    gpu.device.queue.writeBuffer(buf, 0, values);
    const enc = gpu.device.createCommandEncoder();
    const res = kernel.encode(enc, buf, values.length);
    const dst = encodeReadback(enc, pool, res, MOMENTS_BYTES);
    gpu.device.queue.submit([enc.finish()]);
    const sums = MomentsKernel.decode(await pool.read(dst, MOMENTS_BYTES));
    kernel.destroy();
    pool.destroy();
    buf.destroy();
    return sums;
  }

  // Tolerances (u = 2⁻²³): the kernel reduces x − x₀ (x₀ = values[0]) and adds x₀ back once, so the
  // mean is within ½ ulp of |μ| plus the shifted mean's error: 8u·(|μ| + σ). Each value passes through
  // L = 16 (a thread's sequential Welford run, PER_THREAD) + 8 (workgroup tree) + 8 (finalize tree) = 32
  // updates or merges, each adding a few roundings relative to the sums merged: m2 within 4L·u (1.5e-5),
  // m3 and m4 (more terms per merge) within 8L·u (3.1e-5), m3 on the scale of n·σ³ as it may be near 0.
  // Measured ≤ 1.2e-7. (Welford/Chan on shifted values; E[x²] − E[x]² in f32 at offset 1e4 would lose every
  // digit of a unit variance.)
  const cases: Array<[string, (r: ReturnType<typeof testRng>) => number]> = [
    ['unit normals', (r) => r.normal()],
    ['offset 1e4 + N(0,1)', (r) => 1e4 + r.normal()],
    ['offset −3e3 + U(0,1e-2)', (r) => -3e3 + 1e-2 * r.next()],
    ['skewed exp(N)', (r) => Math.exp(r.normal())],
  ];
  for (const [name, draw] of cases) {
    it(`10^6 values: ${name}`, async () => {
      const rng = testRng(name.length * 31);
      const values = Float32Array.from({ length: 1_000_000 }, () => draw(rng));
      const got = await gpuMoments(values);
      const want = centralSums(values);
      const sd = Math.sqrt(want.m2 / want.n);
      expect(got.n).toBe(1_000_000);
      const L = 32;
      const u = 2 ** -23;
      const err = {
        mean: Math.abs(got.mean - want.mean) / (8 * u * (Math.abs(want.mean) + sd)),
        m2: Math.abs(got.m2 / want.m2 - 1) / (4 * L * u),
        m4: Math.abs(got.m4 / want.m4 - 1) / (8 * L * u),
        m3: Math.abs(got.m3 - want.m3) / (8 * L * u * (Math.abs(want.m3) + want.n * sd ** 3)),
      };
      console.log(
        `moments of ${name}: |Δ|/bound ${JSON.stringify(err, (_, v: unknown) => (typeof v === 'number' ? +v.toFixed(4) : v))}`,
      );
      for (const [k, v] of Object.entries(err)) expect(v, k).toBeLessThanOrEqual(1);
    });
  }

  it('edge sizes: 1, 255, 257 and 4097 values', async () => {
    const rng = testRng(5);
    for (const n of [1, 255, 257, 4097]) {
      const values = Float32Array.from({ length: n }, () => rng.normal() * 3 + 2);
      const got = await gpuMoments(values);
      const want = momentsReference(values);
      expect(got.n).toBe(n);
      expect(got.mean).toBeCloseTo(want.mean, 5);
      expect(got.m2 / n).toBeCloseTo(want.variance, 4);
    }
  });

  it('histogram counts equal the f32-emulating reference exactly', async () => {
    const kernel = new HistogramKernel(gpu.device, 'test.histogram');
    const pool = new ReadbackPool(gpu.device, 'test');
    const rng = testRng(77);
    const values = Float32Array.from({ length: 300_001 }, () => rng.normal() * 2);
    const buf = createStorageBuffer(gpu.device, 'test.values', values.byteLength);
    gpu.device.queue.writeBuffer(buf, 0, values);
    for (const spec of [
      { bins: 64, lo: -5, hi: 5 },
      { bins: 1, lo: 0, hi: 1 },
      { bins: 1024, lo: -1.5, hi: 3.25 },
    ]) {
      const enc = gpu.device.createCommandEncoder();
      const counts = kernel.encode(enc, buf, values.length, spec);
      const bytes = (spec.bins + 2) * 4;
      const dst = encodeReadback(enc, pool, counts, bytes);
      gpu.device.queue.submit([enc.finish()]);
      const got = new Uint32Array(await pool.read(dst, bytes));
      expect([...got]).toEqual([...histogramReference(values, spec)]);
    }
    kernel.destroy();
    pool.destroy();
    buf.destroy();
  });
});
