/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups; the references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 * - matmul / Linear (length-K dot products): 2·K·2⁻²⁴·(|A|·|B|) + 1e-7 elementwise (|A|·|B| the product of
 *   absolute values — the standard forward error bound of recursive summation); the folded bias gradient
 *   and its dW equal to the unfolded ones;
 * - residual add: exact; sinusoidal embedding: stated in its test.
 */
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/kernels/nn/ops';
import { isSoftwareDevice, nnPipelines } from '../../src/kernels/nn/pipelines';
import { embed, embeddingSize, frequencies } from '../../src/models/mlp-denoiser';
import {
  gpu,
  res,
  empty,
  run,
  read,
  f32s,
  expectClose,
  U,
  STYLES,
  withStyle,
  linearRefs,
  upload,
  useNnGpu,
} from './nn-helpers';

useNnGpu();

describe('kernel style', () => {
  it('follows the adapter: barrier-free kernels on a software adapter, workgroup kernels on a GPU', () => {
    const info = gpu.device.adapterInfo;
    const software =
      info.isFallbackAdapter || /swiftshader/i.test(`${info.architecture} ${info.description}`);
    expect(isSoftwareDevice(gpu.device)).toBe(software);
    expect(nnPipelines(gpu.device).style).toBe(software ? 'barrier-free' : 'workgroup');
  });
});

/**
 * foldBias (db from the dW dispatch's own loads) sums the same terms in the same order as the column sum,
 * and dW is the same product: equal values (=== , so +0 and −0 alike).
 */
async function expectSameBits(got: GPUBuffer, want: GPUBuffer, n: number, what: string) {
  const [a, b] = [await read(got, n), await read(want, n)];
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

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
      const [dw2, db2] = [empty(I * O), empty(O)];
      await withStyle(style, async () => {
        const folded = ops.linearBackward(res, 't.lin', { ...s, foldBias: true }, bx, bw, bdy, dw2, db2);
        expect(folded.length).toBe(1);
        await run([
          ...ops.linearForward(res, 't.lin', s, bx, bw, bb, y),
          ...ops.linearBackward(res, 't.lin', s, bx, bw, bdy, dw, db, dx),
          ...folded,
        ]);
      });
      await expectSameBits(dw2, dw, I * O, 'folded dW');
      await expectSameBits(db2, db, O, 'folded db');
      const { yRef, yAbs, g, gAbs } = linearRefs(x, w, b, dy, B, I, O);
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
        const [dw2, db2] = [empty(O * I), empty(O)];
        await withStyle(style, async () => {
          const fs = { ...s, foldBias: true };
          const folded = ops.linearOutInBackward(res, 't.linoi', fs, bx, bw, bdy, dw2, db2);
          expect(folded.length).toBe(1);
          await run([
            ...ops.linearOutInForward(res, 't.linoi', s, bx, bw, bb, y),
            ...ops.linearOutInBackward(res, 't.linoi', s, bx, bw, bdy, dw, db, dx),
            ...folded,
          ]);
        });
        await expectSameBits(dw2, dw, O * I, 'folded dW');
        await expectSameBits(db2, db, O, 'folded db');
        const { yRef, yAbs, g, gAbs } = linearRefs(x, w, b, dy, B, I, O);
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
