/**
 * Diffusion lab kernels and engine on a real WebGPU adapter against the float64 references.
 *
 * Tolerances (u = 2⁻²³, one f32 ulp at 1):
 * - Noise z: |z_gpu − z_ref| ≤ 8u·(1 + |z|). shaders/diffusion/noise.wgsl computes log, cos and sin itself to
 *   a few ulps (WGSL's built-ins may be 2⁻¹¹ off, and SwiftShader's are: ~5e-4 on z), and r·(cos, sin) adds
 *   a few more roundings; observed worst ≈ 0.1 of this bound.
 * - Forward noising: 2u·(|√ᾱ x₀| + |√(1−ᾱ) ε|) + √(1−ᾱ)·tol_z.
 * - Exact denoiser, per particle (derived in `denoiserTolerance`): a log-weight error
 *   δ = u·((D + 8)L + 8√D·B·√(L/(2(1−ᾱ))) + 2L + 3 + M), L the largest |logit| with non-negligible weight,
 *   B = max|x_t| + √ᾱ·max|x_i| (the distance terms' magnitude), M data points (online-softmax rescaling);
 *   x̂₀ moves by at most 2δ·R (R = the data's spread), times 2 for safety, plus M·u·max|x_i| of
 *   accumulation; ε̂ inherits √ᾱ/√(1−ᾱ) of that plus 4u(|x_t| + √ᾱ|x̂₀|)/√(1−ᾱ).
 * - Sampler update: 4u·Σ|c_k v_k| + |σ|·tol_z; a full GPU step adds the coefficients times the denoiser
 *   tolerances (Heun also the denoiser's Lipschitz bound √ᾱ(2R)²/(1−ᾱ) times the predictor's tolerance).
 * - Density counts and dataset-independent invariants are exact.
 * - Engine chains, GPU against the float64 CPU engine: per particle, the one-step bound carried through the
 *   float64 step map's Jacobian (tests/gpu/chain-error-bound.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withErrorScopes, type GpuContext } from '../../src/gpu/device';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { createStorageBuffer } from '../../src/gpu/compute';
import { makeSchedule, noiseLevel, type NoiseLevel, type Schedule } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { ForwardKernel } from '../../src/kernels/diffusion/forward';
import { SamplerStepKernel } from '../../src/kernels/diffusion/step';
import { ExactDenoiser } from '../../src/kernels/diffusion/exact';
import { GaussianDenoiser } from '../../src/kernels/diffusion/affine';
import { GridKernel } from '../../src/kernels/diffusion/grid';
import {
  affineDenoiserReference,
  exactDenoiserCpu,
  combineReference,
  densityReference,
  exactDenoiserReference,
  forwardReference,
  gaussianAffine,
  gridPointsReference,
  particleNoise,
} from '../../src/kernels/diffusion/ref';
import {
  STREAM_FORWARD,
  heunCorrection,
  planStep,
  STREAM_SAMPLER,
  type SamplerSpec,
  type StepCoefficients,
} from '../../src/kernels/diffusion/spec';
import { DiffusionCpuEngine, DiffusionEngine } from '../../src/engine/diffusion';
import { testGpu, testRng } from './gpu-test-context';
import { chainErrorBound } from './chain-error-bound';

const U = 2 ** -23;
const zTol = (z: number) => 8 * U * (1 + Math.abs(z));

let gpu: GpuContext;
let pool: ReadbackPool;
beforeAll(async () => {
  gpu = await testGpu();
  pool = new ReadbackPool(gpu.device, 'test.diffusion');
});
afterAll(() => {
  pool?.destroy();
  gpu?.destroy();
});

function upload(values: ArrayLike<number>, label = 'test.in'): GPUBuffer {
  const f = Float32Array.from(values);
  const b = createStorageBuffer(gpu.device, label, Math.max(4, f.byteLength));
  gpu.device.queue.writeBuffer(b, 0, f);
  return b;
}

function empty(floats: number, label = 'test.out'): GPUBuffer {
  return createStorageBuffer(gpu.device, label, Math.max(4, floats * 4));
}

/** Encodes, submits and reads back inside error scopes (a WGSL or binding error fails the test loudly). */
function run(
  encode: (e: GPUCommandEncoder) => void,
  reads: Array<[GPUBuffer, number]>,
): Promise<ArrayBuffer[]> {
  return withErrorScopes(gpu.device, 'test', async () => {
    const enc = gpu.device.createCommandEncoder();
    encode(enc);
    const dsts = reads.map(([b, n]) => encodeReadback(enc, pool, b, n * 4));
    gpu.device.queue.submit([enc.finish()]);
    return Promise.all(dsts.map((d, i) => pool.read(d, reads[i]![1] * 4)));
  });
}

const f32 = (a: ArrayBuffer) => new Float32Array(a);

/** Worst (|gpu − ref| − tol) over all entries must be ≤ 0; returns the worst ratio for messages. */
function check(got: ArrayLike<number>, want: ArrayLike<number>, tol: (k: number) => number, what: string) {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let k = 0; k < want.length; k++) {
    const r = Math.abs(got[k]! - want[k]!) / tol(k);
    if (!(r <= worst)) {
      worst = r;
      at = k;
    }
  }
  expect(
    worst,
    `${what}: worst |Δ|/tol at ${at}: got ${got[at]}, want ${want[at]}, tol ${tol(at)}`,
  ).toBeLessThanOrEqual(1);
  return worst;
}

/** Per-particle tolerances of the exact denoiser (see the file comment). */
function denoiserTolerance(
  xt: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  dim: number,
  level: NoiseLevel,
  maxAbsLogit: Float64Array,
  x0: Float64Array,
) {
  let yMax = 0;
  for (let k = 0; k < data.length; k++) yMax = Math.max(yMax, Math.abs(data[k]!));
  const lo = new Float64Array(dim).fill(Infinity);
  const hi = new Float64Array(dim).fill(-Infinity);
  for (let i = 0; i < m; i++) {
    for (let d = 0; d < dim; d++) {
      lo[d] = Math.min(lo[d]!, data[i * dim + d]!);
      hi[d] = Math.max(hi[d]!, data[i * dim + d]!);
    }
  }
  let spread = 0;
  for (let d = 0; d < dim; d++) spread = Math.max(spread, hi[d]! - lo[d]!);
  const s = level.sqrtAlphaBar;
  const invTwoVar = 1 / (2 * level.oneMinusAlphaBar);
  const tolX0 = new Float64Array(n * dim);
  const tolEps = new Float64Array(n * dim);
  for (let q = 0; q < n; q++) {
    let xMax = 0;
    for (let d = 0; d < dim; d++) xMax = Math.max(xMax, Math.abs(xt[q * dim + d]!));
    const B = xMax + s * yMax;
    const L = maxAbsLogit[q]!;
    const delta = U * ((dim + 8) * L + 8 * Math.sqrt(dim) * B * Math.sqrt(L * invTwoVar) + 2 * L + 3 + m);
    const tx = 4 * delta * spread + m * U * yMax + 1e-7;
    for (let d = 0; d < dim; d++) {
      const k = q * dim + d;
      tolX0[k] = tx;
      tolEps[k] =
        (s * tx + 4 * U * (Math.abs(xt[k]!) + s * Math.abs(x0[k]!))) / level.sqrtOneMinusAlphaBar + 1e-7;
    }
  }
  return { tolX0, tolEps, spread };
}

/**
 * One sampler step's f32 bound per component from state x (the "one GPU step" tests): the input's rounding,
 * the coefficients times the exact denoiser's tolerances and the noise's, plus 4u of the combination.
 */
function exactStepTolerance(
  x: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  dim: number,
  level: NoiseLevel,
  c: StepCoefficients,
  seed: number,
  noiseStep: number,
): Float64Array {
  const ref = exactDenoiserReference(x, n, data, m, dim, level);
  const tol = denoiserTolerance(x, n, data, m, dim, level, ref.maxAbsLogit, ref.x0);
  const z = particleNoise(seed, STREAM_SAMPLER, noiseStep, n, dim);
  return Float64Array.from(
    { length: n * dim },
    (_, k) =>
      Math.abs(c.cx) * U * Math.abs(x[k]!) +
      Math.abs(c.cx0) * tol.tolX0[k]! +
      Math.abs(c.ceps) * tol.tolEps[k]! +
      Math.abs(c.sigma) * zTol(z[k]!) +
      4 *
        U *
        (Math.abs(c.cx * x[k]!) +
          Math.abs(c.cx0 * ref.x0[k]!) +
          Math.abs(c.ceps * ref.eps[k]!) +
          Math.abs(c.sigma * z[k]!)) +
      1e-7,
  );
}

/** The one-step bound of the engine test: the denoiser held to DESIGN.md's length-M reduction rule. */
function reductionStepTolerance(
  x: ArrayLike<number>,
  n: number,
  data: ArrayLike<number>,
  m: number,
  dim: number,
  level: NoiseLevel,
  c: StepCoefficients,
  seed: number,
  noiseStep: number,
): Float64Array {
  const ref = exactDenoiserReference(x, n, data, m, dim, level);
  const z = particleNoise(seed, STREAM_SAMPLER, noiseStep, n, dim);
  const s = level.sqrtAlphaBar;
  const tx = m * U * Math.max(...Array.from(data, Math.abs));
  return Float64Array.from({ length: n * dim }, (_, k) => {
    const te = (s * tx + 4 * U * (Math.abs(x[k]!) + s * Math.abs(ref.x0[k]!))) / level.sqrtOneMinusAlphaBar;
    return (
      Math.abs(c.cx) * U * Math.abs(x[k]!) +
      Math.abs(c.cx0) * tx +
      Math.abs(c.ceps) * te +
      Math.abs(c.sigma) * zTol(z[k]!) +
      4 *
        U *
        (Math.abs(c.cx * x[k]!) +
          Math.abs(c.cx0 * ref.x0[k]!) +
          Math.abs(c.ceps * ref.eps[k]!) +
          Math.abs(c.sigma * z[k]!))
    );
  });
}

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

describe('engine', () => {
  it('exact denoiser on two moons, DDPM (σ² = β̃) from noise to t = 0 on the GPU: ≥ 99% of samples within 0.05 of a training point', async () => {
    const engine = new DiffusionEngine(gpu);
    const data = makeDataset2D({ kind: 'two-moons', n: 200, seed: 1 });
    const f0 = await engine.setup(
      {
        // T = 200: at T = 100 the last step's softmax (σ₁ = 0.025) still blends neighbours often enough
        // to leave ~1.1% of samples between two training points.
        schedule: makeSchedule({ kind: 'cosine', T: 200 }),
        data,
        dim: 2,
        count: 2001,
        seed: 11,
        // σ² = β would add √β₁·z in the last step: only ~86% within 0.05.
        sampler: { kind: 'ddpm', variance: 'beta-tilde' },
      },
      { positions: 10 },
    );
    expect(f0.t).toBe(200);
    expect(f0.positions).toHaveLength(20);
    const end = await engine.jumpToStep(f0.totalSteps, {
      positions: true,
      density: { size: 32, xMin: -3, xMax: 3, yMin: -3, yMax: 3 },
    });
    expect(end.t).toBe(0);
    const pts = end.positions!;
    let close = 0;
    for (let i = 0; i < 2001; i++) {
      let best = Infinity;
      for (let j = 0; j < 200; j++)
        best = Math.min(best, Math.hypot(pts[2 * i]! - data[2 * j]!, pts[2 * i + 1]! - data[2 * j + 1]!));
      if (best < 0.05) close++;
    }
    expect(close / 2001).toBeGreaterThanOrEqual(0.99);
    expect([...end.density!.counts].reduce((a, b) => a + b, 0) + end.density!.outside).toBe(2001);
    engine.destroy();
  });

  it('step back restores snapshots bit-exactly, and replay past an evicted snapshot reproduces the chain', async () => {
    const data = makeDataset2D({ kind: 'eight-gaussians', n: 64, seed: 2 });
    const setup = {
      schedule: makeSchedule({ kind: 'linear', T: 50 }),
      data,
      dim: 2,
      count: 513,
      seed: 3,
      sampler: { kind: 'ddim', eta: 1 } as const,
      steps: 10,
    };
    for (const historyBytes of [undefined, 513 * 8 * 2]) {
      const engine = new DiffusionEngine(gpu);
      const states = [(await engine.setup({ ...setup, historyBytes }, { positions: true })).positions!];
      for (let k = 1; k <= 5; k++) states.push((await engine.step({ positions: true, x0: true })).positions!);
      for (let k = 4; k >= 0; k--) {
        const f = await engine.stepBack({ positions: true });
        expect(f.stepIndex).toBe(k);
        expect(f.positions, `history ${historyBytes} step ${k}`).toEqual(states[k]);
      }
      expect((await engine.jumpToStep(5, { positions: true })).positions).toEqual(states[5]);
      engine.destroy();
    }
  });

  it('forward scrub: restart({ from: data, t }) puts every particle at √ᾱ_t x₀ + √(1−ᾱ_t) ε (the reference), and the reverse chain steps on from there', async () => {
    const m = 77;
    const data = makeDataset2D({ kind: 'two-moons', n: m, seed: 1 });
    const schedule = makeSchedule({ kind: 'cosine', T: 100 });
    const n = 1000;
    const engine = new DiffusionEngine(gpu);
    const cpu = new DiffusionCpuEngine();
    const setup = {
      schedule,
      data,
      dim: 2,
      count: n,
      seed: 5,
      sampler: { kind: 'ddpm', variance: 'beta-tilde' } as const,
    };
    await engine.setup(setup);
    await cpu.setup(setup);
    for (const t of [0, 1, 37, 100]) {
      const f = await engine.restart({ from: 'data', t }, { positions: true });
      expect(f.t).toBe(t);
      expect(f.stepIndex).toBe(0);
      expect(f.totalSteps).toBe(t);
      const level = noiseLevel(schedule, t);
      const ref = forwardReference(data, m, n, 2, level, 5);
      // Same tolerance as the forward kernel test: two roundings of the sum plus the Box–Muller normal's.
      check(
        f.positions!,
        ref.xt,
        (k) =>
          2 *
            U *
            (level.sqrtAlphaBar * Math.abs(data[(Math.floor(k / 2) % m) * 2 + (k % 2)]!) +
              Math.abs(ref.xt[k]!)) +
          level.sqrtOneMinusAlphaBar * zTol(ref.eps[k]!) +
          1e-7,
        `scrub to t = ${t}`,
      );
      if (t === 0)
        expect(f.positions).toEqual(
          Float32Array.from({ length: 2 * n }, (_, k) => data[(Math.floor(k / 2) % m) * 2 + (k % 2)]!),
        );
    }
    // From t = 37 the reverse chain runs: 3 steps on the GPU equal the CPU engine's (same start, same noise).
    // Tolerance: the start agrees to the forward bound above (~1e-6); each DDPM step adds a few f32 roundings
    // of values |x| ≲ 3 (~1e-6) plus the exact denoiser's error at ᾱ ≈ 0.7 (same order, see "one GPU step");
    // 1e-5 absolute leaves ~3× that per step. Measured worst: 7.2e-7.
    await engine.restart({ from: 'data', t: 37 });
    await cpu.restart({ from: 'data', t: 37 });
    const g = await engine.jumpToStep(3, { positions: true });
    const c = await cpu.jumpToStep(3, { positions: true });
    expect(g.t).toBe(34);
    check(g.positions!, c.positions!, () => 1e-5, 'three steps from the scrubbed start');
    engine.destroy();
    cpu.destroy();
  });

  it('history snapshots reuse one buffer: after warm-up, 20 steps, 5 back and 5 forward create no GPU buffers', async () => {
    let created = 0;
    const labels: string[] = [];
    const real = gpu.device;
    const device = new Proxy(real, {
      get(target, prop) {
        if (prop === 'createBuffer')
          return (d: GPUBufferDescriptor) => {
            created++;
            labels.push(d.label ?? '?');
            return target.createBuffer(d);
          };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const engine = new DiffusionEngine({ device, info: gpu.info });
    const data = makeDataset2D({ kind: 'rings', n: 100, seed: 2 });
    const setup = {
      schedule: makeSchedule({ kind: 'cosine', T: 60 }),
      data,
      dim: 2,
      count: 777,
      seed: 4,
      sampler: { kind: 'ddpm', variance: 'beta' } as const,
    };
    const read = { positions: 64, x0: 64, density: { size: 16, xMin: -3, xMax: 3, yMin: -3, yMax: 3 } };
    const session = async () => {
      const states: Float32Array[] = [];
      for (let i = 0; i < 20; i++) states.push((await engine.step(read)).positions!);
      for (let i = 0; i < 5; i++) {
        const f = await engine.stepBack(read);
        expect(f.positions).toEqual(states[18 - i]); // snapshots hold exactly what was there
      }
      for (let i = 0; i < 5; i++) await engine.step(read);
      return states;
    };
    await engine.setup(setup, read);
    await session(); // warm-up: pipelines, parameter rings, readback pool, the history buffer
    await engine.restart({ from: 'noise' }, read); // back to t = T (its parameter buffer is warm-up too)
    const warm = created;
    expect(labels.filter((l) => l === 'diffusion.history')).toHaveLength(1);
    const again = await session();
    expect(created - warm, `buffers created in steady state: ${labels.slice(warm).join(', ')}`).toBe(0);
    // Running on to t = 0 and jumping back to a snapshot create none either.
    expect(again).toHaveLength(20);
    expect((await engine.jumpToStep(60, read)).t).toBe(0);
    expect((await engine.jumpToStep(3, read)).stepIndex).toBe(3);
    expect(created - warm).toBe(0);
    // A second setup of the same size reuses the history buffer as well.
    await engine.setup({ ...setup, seed: 5 }, read);
    const afterSetup = labels.slice(warm);
    expect(afterSetup).not.toContain('diffusion.history');
    engine.destroy();
  });

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

  it('reports readable errors for bad sizes', async () => {
    const engine = new DiffusionEngine(gpu);
    await expect(
      engine.setup({
        schedule: makeSchedule({ kind: 'cosine', T: 100 }),
        data: new Float32Array(3),
        dim: 2,
        count: 10,
        seed: 1,
        sampler: { kind: 'ddim', eta: 0 },
      }),
    ).rejects.toThrow(/multiple of the dimension/);
    engine.destroy();
  });
});
