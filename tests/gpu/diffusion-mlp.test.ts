/**
 * The ε-prediction MLP kernel (shaders/diffusion/mlp.wgsl) against its float64 reference, and the engine
 * running it. Tolerance: a first-order error bound (u = 2⁻²³), each local f32 error times |exact Jacobian|
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
import { MlpDenoiser } from '../../src/kernels/diffusion/mlp';
import {
  embeddingSize,
  frequencies,
  initMlp,
  mlpDenoiserCpu,
  modelLambda,
  parameterLayout,
  type MlpModel,
} from '../../src/models/mlp-denoiser';
import { makeSchedule, noiseLevel } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { DiffusionCpuEngine, DiffusionEngine } from '../../src/engine/diffusion';
import { testGpu, testRng } from './gpu-test-context';

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

/**
 * Per-output first-order bound on |ε̂_gpu − ε̂_ref| for one input (see the file comment): every local
 * rounding error (embedding, each dot product, each silu, each residual add) times the absolute value of
 * the exact Jacobian from that point to the output, summed, times 2 for second-order terms.
 */
function epsBound(model: MlpModel, x: ArrayLike<number>, lambda: number): number[] {
  const c = model.config;
  const L = parameterLayout(c);
  const p = model.params;
  const H = L.H;
  const omega = frequencies(c.freqs);
  const e: number[] = [];
  const de: number[] = [];
  for (let d = 0; d <= c.dim; d++) {
    for (const trig of [Math.sin, Math.cos]) {
      for (let k = 0; k < c.freqs; k++) {
        const arg = omega[k]! * (d < c.dim ? c.inputScale * x[d]! : lambda);
        e.push(trig(arg));
        de.push(Math.abs(arg) * U + 8 * U);
      }
    }
  }
  const sig = (a: number) => 1 / (1 + Math.exp(-a));
  const silu = (a: number) => a * sig(a);
  const dsilu = (a: number) => sig(a) * (1 + a * (1 - sig(a)));
  const siluErr = (a: number) => 0.25 * Math.abs(a) * (3 + 2 * Math.abs(a)) * U + U * Math.abs(silu(a));
  const dot = (w: number, b: number, rows: number, cols: number, input: number[]) => {
    const a: number[] = [];
    const err: number[] = [];
    for (let j = 0; j < rows; j++) {
      let v = p[b + j]!;
      let abs = Math.abs(v);
      for (let k = 0; k < cols; k++) {
        v += p[w + j * cols + k]! * input[k]!;
        abs += Math.abs(p[w + j * cols + k]! * input[k]!);
      }
      a.push(v);
      err.push((cols + 2) * U * abs);
    }
    return { a, err };
  };
  // Forward, keeping what the bound needs.
  const first = dot(L.wIn, L.bIn, H, L.E, e);
  const hs = [first.a.map(silu)];
  const blocks = L.blocks.map((blk, l) => {
    const r = dot(blk.w, blk.b, H, H, hs[l]!);
    hs.push(hs[l]!.map((v, j) => v + silu(r.a[j]!)));
    return r;
  });
  const out = dot(L.wOut, L.bOut, c.dim, H, hs[c.blocks]!);
  const bounds: number[] = [];
  for (let d = 0; d < c.dim; d++) {
    let total = out.err[d]!;
    let G = Array.from({ length: H }, (_, k) => p[L.wOut + d * H + k]!); // ∂ε̂_d/∂h_L
    for (let l = c.blocks - 1; l >= 0; l--) {
      const blk = L.blocks[l]!;
      const a = blocks[l]!.a;
      for (let j = 0; j < H; j++) {
        total += Math.abs(G[j]!) * (U * Math.abs(hs[l + 1]![j]!) + siluErr(a[j]!)); // add and silu
        total += Math.abs(G[j]! * dsilu(a[j]!)) * blocks[l]!.err[j]!; // dot product
      }
      const next = G.slice(); // skip connection
      for (let j = 0; j < H; j++) {
        const g = G[j]! * dsilu(a[j]!);
        for (let k = 0; k < H; k++) next[k] = next[k]! + g * p[blk.w + j * H + k]!;
      }
      G = next;
    }
    const ge = new Array<number>(L.E).fill(0);
    for (let j = 0; j < H; j++) {
      const a = first.a[j]!;
      total += Math.abs(G[j]!) * siluErr(a) + Math.abs(G[j]! * dsilu(a)) * first.err[j]!;
      const g = G[j]! * dsilu(a);
      for (let k = 0; k < L.E; k++) ge[k] = ge[k]! + g * p[L.wIn + j * L.E + k]!;
    }
    for (let k = 0; k < L.E; k++) total += Math.abs(ge[k]!) * de[k]!;
    bounds.push(2 * total);
  }
  return bounds;
}

describe('MLP denoiser on the GPU', () => {
  it('ε̂ and x̂₀ equal the float64 reference within the propagated f32 bound (1001 particles, several λ)', async () => {
    const model = initMlp({ dim: 2, hidden: 64, blocks: 3, freqs: 8, inputScale: 25 }, 7);
    // Non-zero biases, so every term is exercised.
    const L = parameterLayout(model.config);
    for (let j = 0; j < L.H; j++) model.params[L.bIn + j] = 0.1 * Math.sin(j);
    expect(embeddingSize(model.config)).toBe(48);
    const den = new MlpDenoiser(gpu.device, model, 'test.mlp');
    const cpu = mlpDenoiserCpu(model);
    const rng = testRng(4);
    const n = 1001;
    const xArr = Float32Array.from({ length: 2 * n }, () => 1.5 * rng.normal());
    const xt = createStorageBuffer(gpu.device, 'test.xt', xArr.byteLength);
    gpu.device.queue.writeBuffer(xt, 0, xArr);
    const x0 = createStorageBuffer(gpu.device, 'test.x0', xArr.byteLength);
    const eps = createStorageBuffer(gpu.device, 'test.eps', xArr.byteLength);
    const s = makeSchedule({ kind: 'cosine', T: 1000 });
    for (const t of [1, 300, 1000]) {
      const level = noiseLevel(s, t);
      const [ge, gx] = await withErrorScopes(gpu.device, 'mlp test', async () => {
        const enc = gpu.device.createCommandEncoder();
        den.encode(enc, { xt, count: n, dim: 2, level, x0, eps });
        const r1 = encodeReadback(enc, pool, eps, xArr.byteLength);
        const r2 = encodeReadback(enc, pool, x0, xArr.byteLength);
        gpu.device.queue.submit([enc.finish()]);
        return Promise.all([pool.read(r1, xArr.byteLength), pool.read(r2, xArr.byteLength)]);
      });
      const gotE = new Float32Array(ge!);
      const gotX = new Float32Array(gx!);
      const ref = cpu.predict(xArr, n, 2, level);
      const lambda = modelLambda(level.alphaBar, level.oneMinusAlphaBar);
      let worst = 0;
      for (let q = 0; q < n; q++) {
        const bound = epsBound(model, xArr.subarray(2 * q, 2 * q + 2), lambda);
        for (let d = 0; d < 2; d++) {
          const k = 2 * q + d;
          const te = bound[d]!;
          worst = Math.max(worst, Math.abs(gotE[k]! - ref.eps[k]!) / te);
          expect(Math.abs(gotE[k]! - ref.eps[k]!), `ε̂ t ${t} particle ${q}`).toBeLessThanOrEqual(te);
          const r = level.sqrtOneMinusAlphaBar;
          const tx =
            (r * te + 4 * U * (Math.abs(xArr[k]!) + r * Math.abs(ref.eps[k]!))) /
            Math.max(level.sqrtAlphaBar, 1e-3);
          expect(Math.abs(gotX[k]! - ref.x0[k]!), `x̂₀ t ${t} particle ${q}`).toBeLessThanOrEqual(tx + 1e-6);
        }
      }
      console.log(`mlp t=${t}: worst |Δε̂|/bound ${worst.toExponential(2)}`);
    }
    [xt, x0, eps].forEach((b) => b.destroy());
    den.destroy();
  });

  it('the engines run the MLP: GPU and CPU agree after 3 DDIM steps', async () => {
    const model = initMlp({ dim: 2, hidden: 16, blocks: 2, freqs: 4, inputScale: 25 }, 1);
    const setup = {
      schedule: makeSchedule({ kind: 'cosine', T: 100 }),
      data: makeDataset2D({ kind: 'rings', n: 50, seed: 1 }),
      dim: 2,
      count: 129,
      seed: 6,
      sampler: { kind: 'ddim', eta: 0 } as const,
      steps: 10,
      denoiser: { kind: 'mlp', model } as const,
    };
    const g = new DiffusionEngine(gpu);
    const c = new DiffusionCpuEngine();
    await g.setup(setup);
    await c.setup(setup);
    const fg = await g.jumpToStep(3, { positions: true, x0: true });
    const fc = await c.jumpToStep(3, { positions: true, x0: true });
    expect(fg.t).toBe(70);
    let worst = 0;
    for (let k = 0; k < fc.positions!.length; k++)
      worst = Math.max(worst, Math.abs(fg.positions![k]! - fc.positions![k]!));
    // Three steps of the bound above (ε̂ errors ~1e-5 here) through DDIM coefficients ≤ 1.
    expect(worst).toBeLessThan(1e-3);
    g.destroy();
    c.destroy();
  });
});
