/**
 * Shared setup and f32 tolerances of the diffusion GPU tests (tests/gpu/diffusion-*.test.ts).
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
import { afterAll, beforeAll, expect } from 'vitest';
import { withErrorScopes, type GpuContext } from '../../src/gpu/device';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { createStorageBuffer } from '../../src/gpu/compute';
import type { NoiseLevel } from '../../src/models/schedules';
import { exactDenoiserReference, particleNoise } from '../../src/kernels/diffusion/ref';
import { STREAM_SAMPLER, type StepCoefficients } from '../../src/kernels/diffusion/spec';
import { testGpu } from './gpu-test-context';

export const U = 2 ** -23;
export const zTol = (z: number) => 8 * U * (1 + Math.abs(z));

/** The device of the current test file, set by `useDiffusionGpu` (a live binding: read it inside tests). */
export let gpu: GpuContext;
let pool: ReadbackPool;

/** Registers the file's beforeAll/afterAll: one device and one readback pool per test file. */
export function useDiffusionGpu(): void {
  beforeAll(async () => {
    gpu = await testGpu();
    pool = new ReadbackPool(gpu.device, 'test.diffusion');
  });
  afterAll(() => {
    pool?.destroy();
    gpu?.destroy();
  });
}

export function upload(values: ArrayLike<number>, label = 'test.in'): GPUBuffer {
  const f = Float32Array.from(values);
  const b = createStorageBuffer(gpu.device, label, Math.max(4, f.byteLength));
  gpu.device.queue.writeBuffer(b, 0, f);
  return b;
}

export function empty(floats: number, label = 'test.out'): GPUBuffer {
  return createStorageBuffer(gpu.device, label, Math.max(4, floats * 4));
}

/** Encodes, submits and reads back inside error scopes (a WGSL or binding error fails the test loudly). */
export function run(
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

export const f32 = (a: ArrayBuffer) => new Float32Array(a);

/** Worst (|gpu − ref| − tol) over all entries must be ≤ 0; returns the worst ratio for messages. */
export function check(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (k: number) => number,
  what: string,
) {
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
export function denoiserTolerance(
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
 * The sampler update's share of a one-step bound at component k: the input's rounding, the coefficients
 * times the denoiser's tolerances (tx0, teps) and the noise's, plus 4u of the combination.
 */
function updateTolerance(
  c: StepCoefficients,
  x: ArrayLike<number>,
  x0: ArrayLike<number>,
  eps: ArrayLike<number>,
  z: ArrayLike<number>,
  k: number,
  tx0: number,
  teps: number,
): number {
  return (
    Math.abs(c.cx) * U * Math.abs(x[k]!) +
    Math.abs(c.cx0) * tx0 +
    Math.abs(c.ceps) * teps +
    Math.abs(c.sigma) * zTol(z[k]!) +
    4 *
      U *
      (Math.abs(c.cx * x[k]!) +
        Math.abs(c.cx0 * x0[k]!) +
        Math.abs(c.ceps * eps[k]!) +
        Math.abs(c.sigma * z[k]!))
  );
}

/**
 * One sampler step's f32 bound per component from state x (the "one GPU step" tests): the update's bound
 * with the exact denoiser's tolerances.
 */
export function exactStepTolerance(
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
    (_, k) => updateTolerance(c, x, ref.x0, ref.eps, z, k, tol.tolX0[k]!, tol.tolEps[k]!) + 1e-7,
  );
}

/** The one-step bound of the engine test: the denoiser held to DESIGN.md's length-M reduction rule. */
export function reductionStepTolerance(
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
    return updateTolerance(c, x, ref.x0, ref.eps, z, k, tx, te);
  });
}
