/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups. The references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 *  - matmul / Linear (length-K dot products): 2·K·2⁻²⁴·(|A|·|B|) + 1e-7 elementwise (|A|·|B| the product
 *    of absolute values — the standard forward error bound of recursive summation);
 *  - ReLU: exact;
 *  - per-channel mean/variance (Welford + Chan merges, N rows): mean within N·2⁻²³·(|μ| + σ), variance
 *    within N·2⁻²³·(σ² + σ|μ|)·4 (the merge's d² term on an offset of |μ|); at 10^4 + N(0,1) over 250,000
 *    rows, bounds from the run length and merge depth (stated there);
 *  - BN forward and backward: from the statistics' merge depth, inverseSqrt's 2 ULP and the roundings of
 *    each formula (derived in the BatchNorm1d block);
 *  - softmax cross-entropy: loss and accuracy rtol 1e-5, dlogits atol 1e-6 (exp 3 + 2|x| ULP, / 2.5 ULP);
 *  - Adam: updated parameter within 1e-6·|p| + 1e-3·lr (sqrt and / of ~1-ULP-accurate moments);
 *  - the MLP's first five training steps against the float64 trainer: derived in the GPU MLP block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/compute';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import * as ops from '../../src/kernels/nn/ops';
import {
  encodeDispatches,
  isSoftwareDevice,
  nnPipelines,
  type Dispatch,
  type NnKernelStyle,
} from '../../src/kernels/nn/pipelines';
import * as ref from '../../src/kernels/nn/ref';
import { ACTIVATIONS } from '../../src/kernels/nn/spec';
import { GpuMlp } from '../../src/engine/nn';
import { CpuMlp, makeBatch } from '../../src/models/mlp';
import { testGpu, testRng } from './gpu-test-context';
import { embed, embeddingSize, frequencies } from '../../src/models/mlp-denoiser';

let gpu: GpuContext;
let res: ops.OpResources;
let pool: ReadbackPool;
const temp: GPUBuffer[] = [];
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
  res = new ops.OpResources(gpu.device);
  pool = new ReadbackPool(gpu.device, 'test.nn');
});
afterAll(() => {
  for (const b of temp) b.destroy();
  res?.destroy();
  pool?.destroy();
  gpu?.destroy();
});

function upload(values: ArrayLike<number>, u32 = false): GPUBuffer {
  const b = createStorageBuffer(gpu.device, 'test.nn.buf', values.length * 4);
  gpu.device.queue.writeBuffer(b, 0, u32 ? Uint32Array.from(values) : Float32Array.from(values));
  temp.push(b);
  return b;
}
const empty = (n: number) => upload(new Float32Array(n));
async function run(list: Dispatch[]): Promise<void> {
  const enc = gpu.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodeDispatches(pass, list);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
}
async function read(b: GPUBuffer, n: number): Promise<Float32Array> {
  const enc = gpu.device.createCommandEncoder();
  const dst = encodeReadback(enc, pool, b, n * 4);
  gpu.device.queue.submit([enc.finish()]);
  return new Float32Array(await pool.read(dst, n * 4));
}
/** Random values already rounded to f32. */
function f32s(n: number, seed: number, scale = 1, offset = 0): Float64Array {
  const r = testRng(seed);
  return Float64Array.from(Float32Array.from({ length: n }, () => offset + scale * r.normal()));
}
function expectClose(
  gpuV: Float32Array,
  refV: ArrayLike<number>,
  bound: (i: number) => number,
  what: string,
) {
  let worst = 0;
  for (let i = 0; i < refV.length; i++) {
    const err = Math.abs(gpuV[i]! - refV[i]!);
    const b = bound(i);
    if (!(err <= b)) expect.fail(`${what}[${i}]: gpu ${gpuV[i]} ref ${refV[i]} err ${err} > ${b}`);
    worst = Math.max(worst, err / b);
  }
  return worst;
}
const U = 2 ** -24;
/** Both kernel families are checked whatever the adapter; ops record the style set when they are made. */
const STYLES: NnKernelStyle[] = ['workgroup', 'barrier-free'];
async function withStyle<T>(style: NnKernelStyle, fn: () => Promise<T>): Promise<T> {
  const p = nnPipelines(gpu.device);
  const before = p.style;
  p.style = style;
  try {
    return await fn();
  } finally {
    p.style = before;
  }
}

describe('kernel style', () => {
  it('follows the adapter: barrier-free kernels on a software adapter, workgroup kernels on a GPU', () => {
    const info = gpu.device.adapterInfo;
    const software =
      info.isFallbackAdapter || /swiftshader/i.test(`${info.architecture} ${info.description}`);
    expect(isSoftwareDevice(gpu.device)).toBe(software);
    expect(nnPipelines(gpu.device).style).toBe(software ? 'barrier-free' : 'workgroup');
  });
});

describe('Linear (tiled and 8×8-block matmul) forward and backward', () => {
  for (const [style, [B, I, O]] of STYLES.flatMap((st) =>
    (
      [
        [5, 3, 7],
        [37, 19, 33],
        [64, 2, 32],
        [130, 40, 72],
      ] as const
    ).map((shape) => [st, shape] as const),
  )) {
    it(`${style}: B=${B}, in=${I}, out=${O}: Y, dX, dW, db`, async () => {
      const x = f32s(B * I, 1);
      const w = f32s(I * O, 2);
      const b = f32s(O, 3);
      const dy = f32s(B * O, 4);
      const [bx, bw, bb, bdy] = [upload(x), upload(w), upload(b), upload(dy)];
      const [y, dx, dw, db] = [empty(B * O), empty(B * I), empty(I * O), empty(O)];
      const s = { rows: B, inDim: I, outDim: O };
      await withStyle(style, () =>
        run([
          ...ops.linearForward(res, 't.lin', s, bx, bw, bb, y),
          ...ops.linearBackward(res, 't.lin', s, bx, bw, bdy, dw, db, dx),
        ]),
      );
      const abs = (v: Float64Array) => v.map(Math.abs);
      const yRef = ref.linearForward(x, w, b, B, I, O);
      const yAbs = ref.linearForward(abs(x), abs(w), abs(b), B, I, O);
      const g = ref.linearBackward(x, w, dy, B, I, O);
      const gAbs = ref.linearBackward(abs(x), abs(w), abs(dy), B, I, O);
      expectClose(await read(y, B * O), yRef, (i) => 2 * (I + 1) * U * yAbs[i]! + 1e-7, 'Y');
      expectClose(await read(dx, B * I), g.dx, (i) => 2 * O * U * gAbs.dx[i]! + 1e-7, 'dX');
      expectClose(await read(dw, I * O), g.dw, (i) => 2 * B * U * gAbs.dw[i]! + 1e-7, 'dW');
      expectClose(await read(db, O), g.db, (i) => 2 * B * U * gAbs.db[i]! + 1e-7, 'db');
    });
  }
});

describe('Linear with [out][in] weights (tiled, direct and 8×8-block matmul), residual add, sinusoidal embedding', () => {
  const transpose = (w: Float64Array, rows: number, cols: number) =>
    Float64Array.from({ length: rows * cols }, (_, i) => w[(i % rows) * cols + Math.floor(i / rows)]!);
  // direct = false is the tiled kernel under both styles; true is matmul_direct (workgroup style) or
  // matmul_block4 (barrier-free style).
  for (const [style, direct] of STYLES.flatMap((st) => [false, true].map((d) => [st, d] as const))) {
    for (const [B, I, O] of [
      [5, 3, 7],
      [37, 48, 33],
    ] as const) {
      const kernel = !direct ? 'tiled' : style === 'workgroup' ? 'direct' : '8×8-block';
      it(`${style} style, ${kernel} matmul, B=${B}, in=${I}, out=${O}: Y, dX, dW, db (same bounds as Linear)`, async () => {
        const x = f32s(B * I, 51);
        const wOI = f32s(O * I, 52);
        const b = f32s(O, 53);
        const dy = f32s(B * O, 54);
        const w = transpose(wOI, O, I); // [in][out] for the reference
        const [bx, bw, bb, bdy] = [upload(x), upload(wOI), upload(b), upload(dy)];
        const [y, dx, dw, db] = [empty(B * O), empty(B * I), empty(O * I), empty(O)];
        const s = { rows: B, inDim: I, outDim: O, direct };
        await withStyle(style, () =>
          run([
            ...ops.linearOutInForward(res, 't.linoi', s, bx, bw, bb, y),
            ...ops.linearOutInBackward(res, 't.linoi', s, bx, bw, bdy, dw, db, dx),
          ]),
        );
        const abs = (v: Float64Array) => v.map(Math.abs);
        const yRef = ref.linearForward(x, w, b, B, I, O);
        const yAbs = ref.linearForward(abs(x), abs(w), abs(b), B, I, O);
        const g = ref.linearBackward(x, w, dy, B, I, O);
        const gAbs = ref.linearBackward(abs(x), abs(w), abs(dy), B, I, O);
        const dwRef = transpose(g.dw, I, O);
        const dwAbs = transpose(gAbs.dw, I, O);
        expectClose(await read(y, B * O), yRef, (i) => 2 * (I + 1) * U * yAbs[i]! + 1e-7, 'Y');
        expectClose(await read(dx, B * I), g.dx, (i) => 2 * O * U * gAbs.dx[i]! + 1e-7, 'dX');
        expectClose(await read(dw, O * I), dwRef, (i) => 2 * B * U * dwAbs[i]! + 1e-7, 'dW');
        expectClose(await read(db, O), g.db, (i) => 2 * B * U * gAbs.db[i]! + 1e-7, 'db');
      });
    }
  }

  it('add is exact (one f32 rounding, as the reference rounded to f32; n = 1001)', async () => {
    const a = f32s(1001, 55);
    const b = f32s(1001, 56);
    const out = empty(1001);
    await run(ops.add(res, 't.add', 1001, upload(a), upload(b), out));
    expect(Array.from(await read(out, 1001))).toEqual(Array.from(a, (v, i) => Math.fround(v + b[i]!)));
  });

  it('sinusoidal embedding equals embed() of the ε-MLP (|Δ| ≤ 2⁻²³·|arg| + 8·2⁻²³; 37 rows, D = 2, F = 8)', async () => {
    const config = { dim: 2, hidden: 8, blocks: 1, freqs: 8, inputScale: 25 };
    const B = 37;
    const E = embeddingSize(config);
    const x = f32s(B * 2, 57, 1.5);
    const lambdas = Float64Array.from({ length: B }, (_, i) => Math.fround(-20 + (40 * i) / (B - 1)));
    const omega = frequencies(8);
    const turns = Float32Array.from([
      ...Array.from(omega, (w) => (25 * w) / (2 * Math.PI)),
      ...Array.from(omega, (w) => w / (2 * Math.PI)),
    ]);
    const out = empty(B * E);
    await run(
      ops.sinusoidalEmbed(
        res,
        't.embed',
        { rows: B, dim: 2, freqs: 8 },
        upload(x),
        upload(lambdas),
        upload(turns),
        out,
      ),
    );
    const got = await read(out, B * E);
    const row = new Float64Array(E);
    for (let r = 0; r < B; r++) {
      embed(config, x, 2 * r, lambdas[r]!, row, omega);
      for (let j = 0; j < E; j++) {
        const d = Math.floor(j / 16);
        const arg = omega[j % 8]! * (d < 2 ? 25 * x[2 * r + d]! : lambdas[r]!);
        const bound = 2 ** -23 * (Math.abs(arg) + 8);
        const err = Math.abs(got[r * E + j]! - row[j]!);
        if (!(err <= bound))
          expect.fail(`row ${r} feature ${j}: gpu ${got[r * E + j]} ref ${row[j]} (> ${bound})`);
      }
    }
  });
});

describe('ReLU', () => {
  it('forward and backward are exact (n = 1000)', async () => {
    const x = f32s(1000, 5);
    const dy = f32s(1000, 6);
    const [y, dx] = [empty(1000), empty(1000)];
    const bx = upload(x);
    await run([
      ...ops.reluForward(res, 't.relu', 1000, bx, y),
      ...ops.reluBackward(res, 't.relu', 1000, bx, upload(dy), dx),
    ]);
    expect(Array.from(await read(y, 1000))).toEqual(Array.from(ref.reluForward(x)));
    expect(Array.from(await read(dx, 1000))).toEqual(Array.from(ref.reluBackward(x, dy)));
  });
});

describe('activations (sigmoid, SiLU, GELU-tanh, ReLU)', () => {
  // Tolerance 1e-5·(1 + |ref|) absolute: exp (3 + 2|x| ULP, |x| ≤ 8 here), / (2.5 ULP) and tanh (inherited
  // from its exp form) compose to a few tens of ULP of values of order 1.
  // Both styles: one element per invocation (workgroup) or grid-stride loops over fewer invocations.
  for (const [style, kind] of STYLES.flatMap((st) => ACTIVATIONS.map((k) => [st, k] as const))) {
    it(`${style}: ${kind}: forward and backward vs reference (n = 1001, x in ±8)`, async () => {
      const x = f32s(1001, 40, 3).map((v) => Math.fround(Math.max(-8, Math.min(8, v))));
      const dy = f32s(1001, 41);
      const [y, dx] = [empty(1001), empty(1001)];
      const bx = upload(x);
      await withStyle(style, () =>
        run([
          ...ops.activationOp(res, `t.${kind}`, kind, 1001, bx, y),
          ...ops.activationOp(res, `t.${kind}.b`, kind, 1001, bx, dx, upload(dy)),
        ]),
      );
      const yr = ref.activationForward(kind, x);
      const dr = ref.activationBackward(kind, x, dy);
      expectClose(await read(y, 1001), yr, (i) => 1e-5 * (1 + Math.abs(yr[i]!)), `${kind} y`);
      expectClose(await read(dx, 1001), dr, (i) => 1e-5 * (1 + Math.abs(dr[i]!)), `${kind} dx`);
    });
  }
});

describe('per-channel statistics (Chan/Pébay merge reduction)', () => {
  for (const style of STYLES)
    it(`${style}: mean and biased variance, incl. a channel offset by 1e4 (rows = 1000, channels = 5)`, async () => {
      const [N, C] = [1000, 5];
      const x = f32s(N * C, 7).map((v, i) => Math.fround(v * (1 + (i % C)) + (i % C === 4 ? 1e4 : i % C)));
      const out = empty(2 * C);
      await withStyle(style, () =>
        run(ops.channelStats(res, 't.stats', { rows: N, channels: C }, upload(x), out)),
      );
      const r = ref.channelStats(x, N, C);
      const g = await read(out, 2 * C);
      for (let c = 0; c < C; c++) {
        const mu = Math.abs(r.mean[c]!);
        const sd = Math.sqrt(r.variance[c]!);
        expect(Math.abs(g[2 * c]! - r.mean[c]!)).toBeLessThanOrEqual(N * 2 * U * (mu + sd));
        expect(Math.abs(g[2 * c + 1]! - r.variance[c]!)).toBeLessThanOrEqual(
          4 * N * 2 * U * (sd * sd + sd * mu),
        );
      }
    });
});

describe('per-channel statistics on 10^6 values with a large common offset', () => {
  // Both kernels reduce x − x₀ (x₀ the channel's first row; exact near the offset, Sterbenz) and add x₀ back
  // once. A value passes through R sequential updates (a thread's strided run of ⌈N/64⌉ rows, or a 16-row
  // chunk) and T merges (log₂ of the runs). Bounds (u = 2⁻²³, κ₀ = |x₀ − μ|/σ): the running mean of the
  // shifted values rounds at ≤ u·(|x₀ − μ| + σ) per step and x₀ + mean at ½ ulp(μ), so
  // |Δμ| ≤ ½ulp(μ) + u·(R + T)·(|x₀ − μ| + σ); M2 is a recursive sum of R terms (≤ R·u/2 relative), each
  // merge adds ≤ 2u and the shifted mean's rounding enters each difference at u·κ₀, so
  // |Δσ²|/σ² ≤ u·(R/2 + 2T + 2κ₀ + 4). E[x²] − E[x]² in f32 would lose every digit (10^8 against 1).
  for (const style of STYLES)
    it(`${style}: 10^4 + N(0,1) over 250,000 rows × 4 channels vs float64`, async () => {
      const [N, C] = [250_000, 4];
      const x = f32s(N * C, 30).map((v) => Math.fround(1e4 + v));
      const out = empty(2 * C);
      await withStyle(style, () =>
        run(ops.channelStats(res, 't.stats.big', { rows: N, channels: C }, upload(x), out)),
      );
      const r = ref.channelStats(x, N, C);
      const g = await read(out, 2 * C);
      const u = 2 ** -23;
      const R = style === 'workgroup' ? Math.ceil(N / 64) : 16;
      const T = Math.ceil(Math.log2(style === 'workgroup' ? 64 : Math.ceil(N / 16)));
      const ulp = 2 ** (Math.floor(Math.log2(1e4)) - 23);
      let [wm, wv] = [0, 0];
      for (let c = 0; c < C; c++) {
        const sd = Math.sqrt(r.variance[c]!);
        const k0 = Math.abs(x[c]! - r.mean[c]!) / sd;
        const tolMean = ulp / 2 + u * (R + T) * (k0 + 1) * sd;
        const tolVar = u * (R / 2 + 2 * T + 2 * k0 + 4);
        const em = Math.abs(g[2 * c]! - r.mean[c]!);
        const ev = Math.abs(g[2 * c + 1]! - r.variance[c]!) / r.variance[c]!;
        expect(em, `mean ${c}`).toBeLessThanOrEqual(tolMean);
        expect(ev, `variance ${c}`).toBeLessThanOrEqual(tolVar);
        [wm, wv] = [Math.max(wm, em / tolMean), Math.max(wv, ev / tolVar)];
      }
      console.log(
        `channel stats (${style}, 10^4 offset): max |Δμ|/bound ${wm.toFixed(3)}, |Δσ²|/bound ${wv.toFixed(3)}`,
      );
    }, 60_000);
});

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
  for (const [style, train] of STYLES.flatMap((st) => [true, false].map((t) => [st, t] as const))) {
    it(`${style}: ${train ? 'train' : 'eval'} forward (running-stat update) and backward vs reference (B=37, C=19)`, async () => {
      const [B, C] = [37, 19];
      const x = f32s(B * C, 8).map((v, i) => Math.fround(v * (0.5 + (i % C) / 4) + (i % 7) - 3));
      const gamma = f32s(C, 9, 0.3, 1);
      const beta = f32s(C, 10);
      const rm = f32s(C, 11, 0.5);
      const rv = f32s(C, 12, 0.2, 1.5);
      const dyv = f32s(B * C, 13);
      const bn: ops.BnBuffers = {
        gamma: upload(gamma),
        beta: upload(beta),
        runningMean: upload(rm),
        runningVar: upload(rv),
        xhat: empty(B * C),
        stats: empty(3 * C),
      };
      const [y, dx, dg, db] = [empty(B * C), empty(B * C), empty(C), empty(C)];
      const s = { rows: B, channels: C, train, updateRunning: train, momentum: 0.1, eps: 1e-5 };
      await withStyle(style, () =>
        run([
          ...ops.bnForward(res, 't.bn', s, upload(x), bn, y),
          ...ops.bnBackward(res, 't.bn', s, upload(dyv), bn, dx, dg, db),
        ]),
      );
      const state = { gamma, beta, runningMean: Float64Array.from(rm), runningVar: Float64Array.from(rv) };
      const f = ref.bnForward(x, B, C, state, train);
      const g = ref.bnBackward(dyv, f.xhat, gamma, f.invStd, B, C, train);
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
      const absDy = sums((i) => Math.abs(dyv[i]!));
      const tolDbeta = (c: number) => B * u * absDy[c]!;
      const tolDgamma = sums((i) => B * u * Math.abs(dyv[i]! * f.xhat[i]!) + Math.abs(dyv[i]!) * tolXhat(i));
      check('dβ', await read(db, C), g.dbeta, tolDbeta);
      check('dγ', await read(dg, C), g.dgamma, (c) => tolDgamma[c]!);
      check('dx', await read(dx, B * C), g.dx, (i) => {
        const c = i % C;
        const scale = Math.abs(gamma[c]! * f.invStd[c]!);
        const xh = Math.abs(f.xhat[i]!);
        const dgm = Math.abs(g.dgamma[c]!);
        const inner = train ? (tolDbeta(c) + xh * tolDgamma[c]! + dgm * tolXhat(i)) / B : 0;
        const terms = Math.abs(dyv[i]!) + (train ? (Math.abs(g.dbeta[c]!) + xh * dgm) / B : 0);
        return scale * inner + (2 * L + 8) * u * scale * terms;
      });
      console.log(`BatchNorm1d ${style} ${train ? 'train' : 'eval'}: max |Δ|/bound ${JSON.stringify(worst)}`);
    });
  }
});

describe('softmax cross-entropy', () => {
  it('loss, accuracy, dlogits (B=70, K=3)', async () => {
    const [B, K] = [70, 3];
    const logits = f32s(B * K, 14, 3);
    const labels = Array.from({ length: B }, (_, i) => (i * 7) % K);
    const [dl, rows, result] = [empty(B * K), empty(2 * B), empty(4)];
    await run(
      ops.softmaxXent(
        res,
        't.xent',
        { rows: B, classes: K },
        upload(logits),
        upload(labels, true),
        dl,
        rows,
        result,
      ),
    );
    const r = ref.softmaxXent(logits, labels, B, K);
    const out = await read(result, 2);
    expect(Math.abs(out[0]! - r.loss)).toBeLessThanOrEqual(1e-5 * r.loss);
    expect(out[1]).toBeCloseTo(r.accuracy, 6);
    expectClose(await read(dl, B * K), r.dlogits, () => 1e-6, 'dlogits');
  });
});

describe('Adam / AdamW', () => {
  // Decay 0 is plain Adam (the reference without weightDecay); decay 0.1 is AdamW's decoupled decay.
  for (const [style, wd] of STYLES.flatMap((st) => [0, 0.1].map((w) => [st, w] as const))) {
    it(`${style}: five steps on 1000 parameters match the reference (weight decay ${wd})`, async () => {
      const n = 1000;
      const p = f32s(n, 15);
      const lr = 0.01;
      const [bp, m, v] = [upload(p), empty(n), empty(n)];
      const pref = Float64Array.from(p);
      const [mr, vr] = [new Float64Array(n), new Float64Array(n)];
      const values = (t: number) => ({
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        bc1: 1 - 0.9 ** t,
        bc2: 1 - 0.999 ** t,
        weight_decay: wd,
      });
      const params = res.uniform(ops.ADAM, 't.adam', values(1));
      for (let t = 1; t <= 5; t++) {
        const g = f32s(n, 20 + t, 0.1);
        ops.ADAM.write(gpu.device, params, values(t));
        const grad = upload(g);
        await withStyle(style, () => run(ops.adam(res, 't', n, params, grad, bp, m, v)));
        if (wd === 0) ref.adamStep(pref, g, mr, vr, t, { lr });
        else ref.adamStep(pref, g, mr, vr, t, { lr, weightDecay: wd });
      }
      expectClose(await read(bp, n), pref, (i) => 1e-6 * Math.abs(pref[i]!) + 1e-3 * lr, 'param');
      if (wd > 0) {
        // The decay moved the weights measurably: the run without it ends lr·wd·Σ|p|-ish away.
        const noDecay = Float64Array.from(p);
        const [m2, v2] = [new Float64Array(n), new Float64Array(n)];
        for (let t = 1; t <= 5; t++) ref.adamStep(noDecay, f32s(n, 20 + t, 0.1), m2, v2, t, { lr });
        const moved = Math.max(...Array.from(noDecay, (q, i) => Math.abs(q - pref[i]!)));
        expect(moved).toBeGreaterThan(100 * 1e-3 * lr);
      }
    });
  }
});

describe('MSE loss', () => {
  // Tolerances: dpred = 2(p − t)/n has three roundings: |Δ| ≤ 4·2⁻²⁴·|dpred| + 1e-12. The loss sums B·D
  // non-negative terms (per row sequentially, then ⌈B/64⌉ strided sums per thread and a 6-level tree):
  // relative error ≤ (D + ⌈B/64⌉ + 6 + 2)·2⁻²³.
  for (const [B, D] of [
    [37, 3],
    [300, 2],
  ] as const) {
    it(`loss (mean over batch and outputs), dpred, and the running sum (B=${B}, D=${D})`, async () => {
      const pred = f32s(B * D, 30 + B, 1.5);
      const target = f32s(B * D, 31 + B);
      const [dp, rows, result] = [empty(B * D), empty(B), empty(2)];
      const list = ops.mse(
        res,
        't.mse',
        { rows: B, cols: D },
        upload(pred),
        upload(target),
        dp,
        rows,
        result,
      );
      await run(list);
      await run(list);
      const r = ref.mseLoss(pred, target);
      const out = await read(result, 2);
      const tol = (D + Math.ceil(B / 64) + 8) * 2 ** -23 * r.loss;
      expect(Math.abs(out[0]! - r.loss)).toBeLessThanOrEqual(tol);
      // Two runs without clearing: the running sum holds both losses.
      expect(Math.abs(out[1]! - 2 * r.loss)).toBeLessThanOrEqual(2 * tol + 2 ** -23 * 2 * r.loss);
      expectClose(await read(dp, B * D), r.dpred, (i) => 4 * U * Math.abs(r.dpred[i]!) + 1e-12, 'dpred');
    });
  }
});

describe('GPU MLP', () => {
  async function trainSteps(
    mlp: GpuMlp,
    task: 'spirals',
    seed: number,
    from: number,
    steps: number,
    lr: number,
  ) {
    for (let s = from; s < from + steps; s++) {
      mlp.setBatch(makeBatch(task, seed, s, mlp.rows));
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      mlp.encodeStep(pass, { train: true, lr });
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
    }
    return read(mlp.result, 2);
  }

  // Bounds (u = 2⁻²³), first five steps of a depth-2, width-20 net on batches of 50 with Adam (lr 0.01):
  //  - a gradient entry is a length-B sum through the backward chain: relative error δ ≈ (B + depth·width)·u
  //    = 1.1e-5, ×10 for sums that cancel to a tenth of Σ|terms|. Adam's step lr·m̂/(√v̂ + ε) has |m̂/√v̂| ≤ 1
  //    and moves by ≤ 2δ·lr, and f32 rounds each weight (and its initial value) at ≤ u·|w|: after t steps
  //    |Δw| ≤ 2t·lr·δ + (t + 1)·u·|w|;
  //  - loss: the forward's own f32 error (Σ fan-ins + classes + exp/log ≈ 54u ≈ 6e-6 relative) plus the
  //    weights' drift times the loss's sensitivity (ℓ1 norm of ∂L/∂w ≲ 1, so ≤ 2t·lr·δ): rtol 6e-6 + 2t·lr·δ.
  // The BN nets' Linear biases before BN have an exactly-zero true gradient, so δ is unbounded there (see below).
  it('first five training steps follow the CPU float64 trainer for several activations', async () => {
    const [B, depth, width, lr] = [50, 2, 20, 0.01];
    const u = 2 ** -23;
    const delta = 10 * (B + depth * width) * u;
    for (const [batchNorm, activation] of [
      [true, 'relu'],
      [false, 'relu'],
      [true, 'gelu'],
      [false, 'silu'],
      [true, 'sigmoid'],
    ] as const) {
      const shape = { depth, width, batchNorm, activation };
      const mlp = new GpuMlp(gpu.device, shape, B, 3);
      const cpu = new CpuMlp(shape, 3);
      let [worstLoss, worstW] = [0, 0];
      for (let s = 0; s < 5; s++) {
        const r = cpu.step(makeBatch('spirals', 3, s, B), { lr });
        const g = await trainSteps(mlp, 'spirals', 3, s, 1, lr);
        // The loss of step s is computed before its update: with the weights of s steps.
        const tol = 6e-6 + 2 * s * lr * delta;
        const err = Math.abs(g[0]! - r.loss) / r.loss;
        expect(err, `step ${s} bn=${batchNorm} ${activation}`).toBeLessThanOrEqual(tol);
        worstLoss = Math.max(worstLoss, err / tol);
      }
      const saved = await mlp.saveWeights();
      for (const [k, w] of cpu.weights) {
        // Before BN a Linear bias has an exactly-zero true gradient (BN subtracts the batch mean); Adam
        // normalises the f32 vs f64 rounding noise of that zero to ±lr steps, so those biases are not compared.
        if (batchNorm && /^layers\.\d+\.bias$/.test(k)) continue;
        const t = 5;
        const tol = (i: number) => 2 * t * lr * delta + (t + 1) * u * Math.abs(w[i]!);
        worstW = Math.max(worstW, expectClose(Float32Array.from(saved[k]!), w, tol, k));
      }
      console.log(
        `MLP bn=${batchNorm} ${activation}: max loss error/bound ${worstLoss.toFixed(3)}, weights ${worstW.toFixed(3)}`,
      );
      mlp.destroy();
    }
  });

  it('BN net (depth 3, width 32, batch 64, Adam lr 0.01, seed 1) fits spirals: loss < 0.3 within 300 steps', async () => {
    const mlp = new GpuMlp(gpu.device, { depth: 3, width: 32, batchNorm: true }, 64, 1);
    const first = await trainSteps(mlp, 'spirals', 1, 0, 1, 0.01);
    const last = await trainSteps(mlp, 'spirals', 1, 1, 299, 0.01);
    expect(first[0]).toBeGreaterThan(0.5);
    expect(last[0]).toBeLessThan(0.3);
    mlp.destroy();
  }, 120_000);

  it('saved weights load bit-exactly into a fresh model (f32), which then computes the same loss', async () => {
    const shape = { depth: 2, width: 24, batchNorm: true, activation: 'silu' as const };
    const a = new GpuMlp(gpu.device, shape, 40, 3);
    await trainSteps(a, 'spirals', 3, 0, 4, 0.01);
    const saved = await a.saveWeights();
    const b = new GpuMlp(gpu.device, shape, 40, 99);
    const before = await b.saveWeights();
    expect(before['layers.0.weight']).not.toEqual(saved['layers.0.weight']);
    b.loadWeights(saved);
    const loaded = await b.saveWeights();
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(saved).sort());
    for (const [k, w] of Object.entries(saved)) {
      const got = loaded[k]!;
      expect(got.length, k).toBe(w.length);
      for (let i = 0; i < w.length; i++) {
        if (!Object.is(got[i], w[i])) expect.fail(`${k}[${i}]: loaded ${got[i]} saved ${w[i]}`);
      }
    }
    // Same weights and running statistics: the eval-mode forward of one batch gives the same loss bits.
    const evalLoss = async (mlp: GpuMlp) => {
      mlp.setBatch(makeBatch('spirals', 3, 50, 40));
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      mlp.encodeStep(pass, { train: false, lr: 0 });
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
      return (await read(mlp.result, 2))[0]!;
    };
    expect(Object.is(await evalLoss(b), await evalLoss(a))).toBe(true);
    a.destroy();
    b.destroy();
  });

  it('loading weights of another shape fails with a message naming the tensor; nothing is written', async () => {
    const small = new GpuMlp(gpu.device, { depth: 2, width: 16, batchNorm: false }, 8, 1);
    const big = new GpuMlp(gpu.device, { depth: 2, width: 20, batchNorm: false }, 8, 2);
    const bigWeights = await big.saveWeights();
    const before = await small.saveWeights();
    expect(() => small.loadWeights(bigWeights)).toThrow(
      /"layers\.0\.weight" hold 40 values; this model \(depth 2, width 16\) needs 32/,
    );
    expect(() => small.loadWeights({ 'layers.5.weight': [1, 2] })).toThrow(
      /tensor "layers\.5\.weight" that this model .* does not have/,
    );
    expect(await small.saveWeights()).toEqual(before);
    small.destroy();
    big.destroy();
  });
});
