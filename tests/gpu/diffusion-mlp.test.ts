/**
 * The ε-prediction MLP kernels (both families: shaders/diffusion/mlp.wgsl, one particle per invocation, and
 * mlp_batched.wgsl, blocks of particles) against the float64 reference, and the engine running it. Tolerance: a first-order error bound (u = 2⁻²³), each local f32 error times |exact Jacobian|
 * from there to the output, ×2:
 * - embedding: one rounding of the argument in turns (2π·u·|turns| = u·|arg|) plus 8u for the reduction
 *   and the polynomials;
 * - each dot product: (fan_in + 2)·u·Σ|W·input|; each silu: exp's (3 + 2|a|) ulp → 0.25·|a|(3 + 2|a|)·u,
 *   plus one rounding; each residual add: one rounding;
 * - x̂₀ = clip((x − r ε̂)/√ᾱ): (r·δε + 4u(|x| + r|ε̂|))/max(√ᾱ, 1e-3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withErrorScopes, type GpuContext } from '../../src/gpu/device';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { createStorageBuffer } from '../../src/gpu/compute';
import {
  BatchedMlpDenoiser,
  createMlpDenoiser,
  mlpBlockPlan,
  repackMlpWeights,
  type MlpFamily,
} from '../../src/kernels/diffusion/mlp-batched';
import type { EpsilonModel } from '../../src/kernels/diffusion/common';
import type { NoiseLevel } from '../../src/kernels/diffusion/spec';
import {
  embeddingSize,
  initMlp,
  mlpDenoiserCpu,
  modelLambda,
  parameterLayout,
  type MlpModel,
} from '../../src/models/mlp-denoiser';
import { makeSchedule, noiseLevel } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { DiffusionCpuEngine, DiffusionEngine } from '../../src/engine/diffusion';
import { loadShippedMlp } from '../../src/ui/diffusion/models';
import { testGpu, testRng } from './gpu-test-context';
import { epsBound } from './mlp-error-bound';
import { chainErrorBound } from './chain-error-bound';
import { forwardReference } from '../../src/kernels/diffusion/ref';

/**
 * Shipped-MLP sampling on two moons (DDIM 50 steps, seed 11, 512 particles on SwiftShader): measured median
 * distance to the nearest of the 4000 training points 0.011, 90th percentile 0.023, 98.8% within 0.1 (pure
 * noise: median 0.22, 31% within 0.1). The thresholds leave about 2.5× room.
 */
const MLP_MEDIAN_MAX = 0.03;
const MLP_WITHIN_01_MIN = 0.95;

const U = 2 ** -23;
let gpu: GpuContext;
let pool: ReadbackPool;
beforeAll(async () => {
  gpu = await testGpu();
  pool = new ReadbackPool(gpu.device, 'test.mlp');
});
afterAll(() => {
  pool?.destroy();
  gpu?.destroy();
});

/** ε̂ and x̂₀ of `den` for `xArr` (n particles) at `level`. */
async function evaluate(den: EpsilonModel, xArr: Float32Array<ArrayBuffer>, n: number, level: NoiseLevel) {
  const dim = den.dim;
  const bytes = xArr.byteLength;
  const mk = (name: string) => createStorageBuffer(gpu.device, `test.${name}`, bytes);
  const [xt, x0, eps] = [mk('xt'), mk('x0'), mk('eps')];
  gpu.device.queue.writeBuffer(xt, 0, xArr);
  const [ge, gx] = await withErrorScopes(gpu.device, 'mlp test', async () => {
    const enc = gpu.device.createCommandEncoder();
    den.encode(enc, { xt, count: n, dim, level, x0, eps });
    const r1 = encodeReadback(enc, pool, eps, bytes);
    const r2 = encodeReadback(enc, pool, x0, bytes);
    gpu.device.queue.submit([enc.finish()]);
    return Promise.all([pool.read(r1, bytes), pool.read(r2, bytes)]);
  });
  [xt, x0, eps].forEach((b) => b.destroy());
  return { eps: new Float32Array(ge!), x0: new Float32Array(gx!) };
}

/** The float64 reference at `t` and the per-output ε̂ bound (file comment) for each particle. */
function reference(model: MlpModel, xArr: Float32Array, n: number, t: number) {
  const dim = model.config.dim;
  const level = noiseLevel(makeSchedule({ kind: 'cosine', T: 1000 }), t);
  const ref = mlpDenoiserCpu(model).predict(xArr, n, dim, level);
  const lambda = modelLambda(level.alphaBar, level.oneMinusAlphaBar);
  const bounds = new Float64Array(n * dim);
  for (let q = 0; q < n; q++)
    bounds.set(epsBound(model, xArr.subarray(dim * q, dim * q + dim), lambda), dim * q);
  return { level, ref, bounds };
}

/** One family's ε̂ and x̂₀ against the reference within the bound; returns its ε̂. */
async function checkFamily(
  den: EpsilonModel & { family: MlpFamily },
  xArr: Float32Array<ArrayBuffer>,
  n: number,
  t: number,
  at: ReturnType<typeof reference>,
) {
  const { level, ref, bounds } = at;
  const got = await evaluate(den, xArr, n, level);
  let worst = 0;
  const r = level.sqrtOneMinusAlphaBar;
  for (let k = 0; k < n * den.dim; k++) {
    const te = bounds[k]!;
    const where = `${den.family}, t ${t}, particle ${Math.floor(k / den.dim)}`;
    worst = Math.max(worst, Math.abs(got.eps[k]! - ref.eps[k]!) / te);
    expect(Math.abs(got.eps[k]! - ref.eps[k]!), `ε̂ ${where}`).toBeLessThanOrEqual(te);
    const tx =
      (r * te + 4 * U * (Math.abs(xArr[k]!) + r * Math.abs(ref.eps[k]!))) /
      Math.max(level.sqrtAlphaBar, 1e-3);
    expect(Math.abs(got.x0[k]! - ref.x0[k]!), `x̂₀ ${where}`).toBeLessThanOrEqual(tx + 1e-6);
  }
  return { eps: got.eps, worst };
}

/**
 * Both families within the bound of the reference, and of each other (|a − b| ≤ 2·bound, the triangle); the
 * batched one with blocks of at most `maxParticles` (small blocks also compile faster on SwiftShader).
 */
async function checkBothFamilies(
  model: MlpModel,
  xArr: Float32Array<ArrayBuffer>,
  n: number,
  ts: number[],
  maxParticles: number,
) {
  const make = (family: MlpFamily) => {
    const den = createMlpDenoiser(gpu.device, model, `test.mlp.${family}`, family, { maxParticles });
    expect(den.family, 'no fallback at the default limits').toBe(family);
    if (den instanceof BatchedMlpDenoiser) expect(den.plan.particles).toBe(maxParticles);
    return den;
  };
  const particle = make('particle');
  const batched = make('batched');
  const c = model.config;
  for (const t of ts) {
    const at = reference(model, xArr, n, t);
    const a = await checkFamily(particle, xArr, n, t, at);
    const b = await checkFamily(batched, xArr, n, t, at);
    let same = 0;
    for (let k = 0; k < a.eps.length; k++) {
      if (a.eps[k] === b.eps[k]) same++;
      const e = `particle vs batched, t ${t}, output ${k}`;
      expect(Math.abs(a.eps[k]! - b.eps[k]!), `ε̂ ${e}`).toBeLessThanOrEqual(2 * at.bounds[k]!);
    }
    console.log(
      `mlp D ${c.dim} H ${c.hidden} blocks ${c.blocks} F ${c.freqs}, n ${n}, t ${t}: worst |Δε̂|/bound ` +
        `particle ${a.worst.toExponential(2)}, batched ${b.worst.toExponential(2)}; ` +
        `${same}/${a.eps.length} ε̂ bit-identical`,
    );
  }
  particle.destroy();
  batched.destroy();
}

describe('MLP denoiser on the GPU', () => {
  it('ε̂ and x̂₀ equal the float64 reference within the propagated f32 bound, both families (1001 particles, several λ)', async () => {
    const model = initMlp({ dim: 2, hidden: 64, blocks: 3, freqs: 8, inputScale: 25 }, 7);
    // Non-zero biases, so every term is exercised.
    const L = parameterLayout(model.config);
    for (let j = 0; j < L.H; j++) model.params[L.bIn + j] = 0.1 * Math.sin(j);
    expect(embeddingSize(model.config)).toBe(48);
    const rng = testRng(4);
    const n = 1001;
    const xArr = Float32Array.from({ length: 2 * n }, () => 1.5 * rng.normal());
    // Blocks of 16: 1001 = 62·16 + 9.
    await checkBothFamilies(model, xArr, n, [1, 300, 1000], 16);
  });

  it('random shapes (seeded): widths not multiples of 4 or 8, counts not multiples of the block, E > H, tiny and huge inputs', async () => {
    const rng = testRng(15);
    // Inputs spanning magnitudes: 0, subnormal-range, tiny, unit, large (the embedding's argument rounding
    // u·|arg| dominates there and is in the bound), both signs.
    const scales = [0, 1e-38, 1e-30, 1e-3, 1, 30, 1e3];
    const shapes = [
      // One partial block of 64; 70 = 2·32 + 6; 133 = 33·4 + 1 with E = 108 > H.
      { config: { dim: 3, hidden: 13, blocks: 2, freqs: 3, inputScale: 5 }, n: 37, t: 1, block: 64 },
      { config: { dim: 1, hidden: 30, blocks: 0, freqs: 5, inputScale: 25 }, n: 70, t: 1000, block: 32 },
      { config: { dim: 8, hidden: 21, blocks: 1, freqs: 6, inputScale: 2 }, n: 133, t: 420, block: 4 },
    ];
    for (const [i, sh] of shapes.entries()) {
      const model = initMlp(sh.config, 100 + i);
      const L = parameterLayout(model.config);
      for (let j = 0; j < L.H; j++) model.params[L.bIn + j] = 0.2 * rng.normal();
      for (const blk of L.blocks) for (let j = 0; j < L.H; j++) model.params[blk.b + j] = 0.2 * rng.normal();
      const d = sh.config.dim;
      const xArr = Float32Array.from({ length: d * sh.n }, () => {
        const s = scales[rng.int(0, scales.length - 1)]!;
        return (rng.next() < 0.5 ? -s : s) * (1 + rng.next());
      });
      await checkBothFamilies(model, xArr, sh.n, [sh.t], sh.block);
    }
  });

  it('the batched block plan fits the workgroup limits and falls back naming the limit', () => {
    const limits = {
      maxComputeWorkgroupStorageSize: 16384,
      maxComputeInvocationsPerWorkgroup: 256,
      maxComputeWorkgroupSizeX: 256,
    };
    const c = { dim: 2, hidden: 128, blocks: 3, freqs: 8, inputScale: 25 };
    // 64 particles × 128 f32 = 32 KiB > 16 KiB: 32 particles (16 KiB, 8 × 16 invocations).
    expect(mlpBlockPlan(c, limits)).toEqual({
      particles: 32,
      invocations: 128,
      hiddenPad: 128,
      inputPad: 48,
      workgroupBytes: 16384,
    });
    expect(mlpBlockPlan(c, { ...limits, maxComputeWorkgroupStorageSize: 32768 })).toMatchObject({
      particles: 64,
    });
    // E = 2·32·9 = 576 features dominate: 4 particles × 576 f32 = 9216 bytes.
    const wide = { dim: 8, hidden: 256, blocks: 1, freqs: 32, inputScale: 1 };
    expect(mlpBlockPlan(wide, limits)).toMatchObject({ particles: 4, workgroupBytes: 9216 });
    expect(mlpBlockPlan(wide, { ...limits, maxComputeWorkgroupStorageSize: 8192 })).toMatch(
      /maxComputeWorkgroupStorageSize \(8192\)/,
    );
    expect(mlpBlockPlan(c, { ...limits, maxComputeInvocationsPerWorkgroup: 64 })).toMatchObject({
      particles: 16,
      invocations: 64,
    });
    // The repack: W_in transposed with padded rows and columns, zero elsewhere.
    const model = initMlp({ dim: 1, hidden: 3, blocks: 0, freqs: 2, inputScale: 1 }, 3);
    const L = parameterLayout(model.config);
    const packed = repackMlpWeights(model, { hiddenPad: 8, inputPad: 12 });
    expect(L.E).toBe(8);
    expect(packed.data.length).toBe(12 * 8 + 8 + 8 + 4);
    for (let k = 0; k < 12; k++)
      for (let j = 0; j < 8; j++)
        expect(packed.data[k * 8 + j]).toBe(j < 3 && k < 8 ? model.params[L.wIn + j * 8 + k]! : 0);
    expect([...packed.data.subarray(96, 104)]).toEqual([
      ...model.params.subarray(L.bIn, L.bIn + 3),
      0,
      0,
      0,
      0,
      0,
    ]);
    expect(packed.data[packed.offsets.bOut]).toBe(model.params[L.bOut]);
  });

  it('the engines run the MLP: GPU and CPU agree after 3 DDIM steps from the data noised to t = 50', async () => {
    // An untrained network with a gentle embedding (input scale 2) and a start away from ᾱ ≈ 0: there an
    // ε-model's x̂₀ = (x − r ε̂)/√ᾱ multiplies ε̂'s error by up to 10³ and a random MLP at input scale 25
    // stretches errors ~12× per step, so the bound below would say nothing (up to 8e-3) — the kernel test
    // above covers the shipped architecture at t = 1, 300, 1000.
    const model = initMlp({ dim: 2, hidden: 16, blocks: 2, freqs: 4, inputScale: 2 }, 1);
    const setup = {
      schedule: makeSchedule({ kind: 'cosine', T: 100 }),
      data: makeDataset2D({ kind: 'rings', n: 50, seed: 1 }),
      dim: 2,
      count: 129,
      seed: 6,
      sampler: { kind: 'ddim', eta: 0 } as const,
      steps: 10,
      denoiser: { kind: 'mlp', model } as const,
      start: { from: 'data', t: 50 } as const,
    };
    const g = new DiffusionEngine(gpu);
    const c = new DiffusionCpuEngine();
    await g.setup(setup);
    await c.setup(setup);
    const fg = await g.jumpToStep(3, { positions: true, x0: true });
    const fc = await c.jumpToStep(3, { positions: true, x0: true });
    expect(fg.t).toBe(20);
    // Error growth per step × steps (tests/gpu/chain-error-bound.ts): each step adds the kernel test's bound
    // (ε̂ within epsBound, x̂₀ within (r·δε̂ + 4u(|x| + r|ε̂|))/max(√ᾱ, 1e-3) + 1e-6, or exact where the
    // clip at ±4 holds it) times the DDIM coefficients plus 4u of the combination, and carries the earlier
    // error through the float64 step map's Jacobian; the start √ᾱ x₀ + √(1−ᾱ) ε carries the forward
    // kernel's 2u(√ᾱ|x₀| + |x_t|) + √(1−ᾱ)·tol_z(ε) (tol_z = 8u(1 + |z|)). The CPU frame rounds its state
    // to f32 (u·|x|).
    const n = setup.count;
    const cpuModel = mlpDenoiserCpu(model);
    const l50 = noiseLevel(setup.schedule, 50);
    const start = forwardReference(setup.data, 50, n, 2, l50, setup.seed);
    const zTol = (z: number) => 8 * U * (1 + Math.abs(z));
    const e0 = Float64Array.from({ length: n }, (_, q) =>
      Math.hypot(
        ...[0, 1].map(
          (d) =>
            2 *
              U *
              (l50.sqrtAlphaBar * Math.abs(setup.data[(q % 50) * 2 + d]!) + Math.abs(start.xt[2 * q + d]!)) +
            l50.sqrtOneMinusAlphaBar * zTol(start.eps[2 * q + d]!) +
            1e-7,
        ),
      ),
    );
    const chain = chainErrorBound({
      schedule: setup.schedule,
      sampler: setup.sampler,
      denoiser: cpuModel,
      path: g.path,
      steps: 3,
      start: start.xt,
      n,
      dim: 2,
      seed: setup.seed,
      e0,
      stepTolerance: (x, level, co) => {
        const out = cpuModel.predict(x, n, 2, level);
        const lambda = modelLambda(level.alphaBar, level.oneMinusAlphaBar);
        const r = level.sqrtOneMinusAlphaBar;
        const tau = new Float64Array(2 * n);
        for (let q = 0; q < n; q++) {
          const te = epsBound(model, x.subarray(2 * q, 2 * q + 2), lambda);
          for (let d = 0; d < 2; d++) {
            const k = 2 * q + d;
            const tx =
              (r * te[d]! + 4 * U * (Math.abs(x[k]!) + r * Math.abs(out.eps[k]!))) /
                Math.max(level.sqrtAlphaBar, 1e-3) +
              1e-6;
            const raw = (x[k]! - r * out.eps[k]!) / Math.max(level.sqrtAlphaBar, 1e-3);
            const clipped = Math.abs(raw) - tx > 4; // both sides clip: x̂₀ = ±4 exactly
            tau[k] =
              Math.abs(co.cx) * U * Math.abs(x[k]!) +
              Math.abs(co.cx0) * (clipped ? 0 : tx) +
              Math.abs(co.ceps) * te[d]! +
              4 *
                U *
                (Math.abs(co.cx * x[k]!) + Math.abs(co.cx0 * out.x0[k]!) + Math.abs(co.ceps * out.eps[k]!)) +
              1e-7;
          }
        }
        return tau;
      },
    });
    let worst = 0;
    let worstRatio = 0;
    for (let k = 0; k < fc.positions!.length; k++) {
      const d = Math.abs(fg.positions![k]! - fc.positions![k]!);
      const tol = chain.bound[Math.floor(k / 2)]! + U * Math.abs(fc.positions![k]!);
      worst = Math.max(worst, d);
      worstRatio = Math.max(worstRatio, d / tol);
      expect(
        Math.abs(fc.positions![k]! - chain.x[k]!),
        'CPU engine vs the float64 chain',
      ).toBeLessThanOrEqual(U * Math.abs(chain.x[k]!) + 1e-12);
      expect(d, `GPU vs CPU after 3 steps, component ${k}`).toBeLessThanOrEqual(tol);
    }
    console.log(
      `MLP, 3 DDIM steps: worst |Δ| ${worst.toExponential(2)}, worst |Δ|/bound ${worstRatio.toExponential(2)}, ` +
        `largest bound ${Math.max(...chain.bound).toExponential(2)}, growth ${chain.growth.map((v) => v.toFixed(2)).join(', ')}`,
    );
    g.destroy();
    c.destroy();
  });

  it('the shipped two-moons MLP (fetched like the page does) samples land on the data (DDIM 50 steps, 512 particles)', async () => {
    const model = await loadShippedMlp('two-moons');
    const data = makeDataset2D({ kind: 'two-moons', n: 4000, seed: 1 });
    const engine = new DiffusionEngine(gpu);
    const n = 512;
    const start = await engine.setup(
      {
        schedule: makeSchedule({ kind: 'cosine', T: 1000 }),
        data,
        dim: 2,
        count: n,
        seed: 11,
        sampler: { kind: 'ddim', eta: 0 },
        steps: 50,
        denoiser: { kind: 'mlp', model },
      },
      { positions: true },
    );
    const end = await engine.jumpToStep(start.totalSteps, { positions: true });
    expect(end.t).toBe(0);
    const nearest = (pts: Float32Array) => {
      const d: number[] = [];
      for (let i = 0; i < n; i++) {
        let best = Infinity;
        for (let j = 0; j < data.length / 2; j++)
          best = Math.min(best, Math.hypot(pts[2 * i]! - data[2 * j]!, pts[2 * i + 1]! - data[2 * j + 1]!));
        d.push(best);
      }
      return d.sort((a, b) => a - b);
    };
    const before = nearest(start.positions!);
    const after = nearest(end.positions!);
    const within = (d: number[], r: number) => d.filter((v) => v <= r).length / d.length;
    console.log(
      `two-moons MLP on the GPU: nearest training point median ${after[n / 2]!.toFixed(4)}, 90th percentile ` +
        `${after[Math.floor(0.9 * n)]!.toFixed(4)}, within 0.1: ${(100 * within(after, 0.1)).toFixed(1)}% ` +
        `(pure noise: median ${before[n / 2]!.toFixed(3)}, within 0.1: ${(100 * within(before, 0.1)).toFixed(1)}%)`,
    );
    expect(after[n / 2]!).toBeLessThan(MLP_MEDIAN_MAX);
    expect(within(after, 0.1)).toBeGreaterThan(MLP_WITHIN_01_MIN);
    expect(after[n / 2]!).toBeLessThan(before[n / 2]! / 5);
    engine.destroy();
  });
});
