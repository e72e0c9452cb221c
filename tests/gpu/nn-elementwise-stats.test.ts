/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups; the references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 * - ReLU: exact; other activations: stated in their block;
 * - per-channel mean/variance (Welford + Chan merges, N rows): mean within N·2⁻²³·(|μ| + σ), variance within
 *   N·2⁻²³·(σ² + σ|μ|)·4 (the merge's d² term on an offset of |μ|); at 10^4 + N(0,1) over 250,000 rows,
 *   bounds from the run length and merge depth (stated there).
 */
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/kernels/nn/ops';
import * as ref from '../../src/kernels/nn/ref';
import { ACTIVATIONS } from '../../src/kernels/nn/spec';
import {
  res,
  empty,
  run,
  read,
  f32s,
  expectClose,
  U,
  STYLES,
  withStyle,
  upload,
  useNnGpu,
} from './nn-helpers';

useNnGpu();

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
