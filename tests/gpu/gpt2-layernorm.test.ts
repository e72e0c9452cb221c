/**
 * LayerNorm over rows (shaders/gpt2/layernorm.wgsl) on a real WebGPU adapter vs the float64 reference, in both
 * kernel styles (a workgroup per row; one invocation per row), for widths that are not multiples of the
 * 64-invocation workgroup (C = 24, 200) and 37 rows, including rows with a large mean (two passes keep them
 * accurate). Tolerance per element: layerNormBound in gpt2-bound.ts (exact f32 inputs, so e_x = 0) — the
 * mean's and variance's length-C sums (γ_C, γ_{C+1}), 2.5 ULP divisions, inverseSqrt's 2 ULP and three
 * roundings in y = d·inv·g + b.
 */
import { describe, expect, it } from 'vitest';
import { layerNorm } from '../../src/kernels/gpt2/layernorm';
import { STYLES, empty, f32s, read, res, run, upload, useNnGpu, withStyle } from './nn-helpers';
import { layerNormBound } from './gpt2-bound';
import { checkBound } from './transformer-helpers';

useNnGpu();

describe('gpt2 LayerNorm', () => {
  for (const style of STYLES)
    for (const C of [24, 200]) {
      it(`${style}: 37 rows × ${C}, gain and bias, rows offset by up to 100`, async () => {
        const rows = 37;
        const x = f32s(rows * C, 3 + C, 1.5);
        for (let r = 0; r < rows; r++)
          for (let c = 0; c < C; c++) x[r * C + c] = Math.fround(x[r * C + c]! + (r % 5) * 25);
        const g = f32s(C, 5, 0.2, 1);
        const b = f32s(C, 6, 0.3);
        const y = empty(rows * C);
        const bufs = { x: upload(x), gain: upload(g), bias: upload(b), y };
        await withStyle(style, () => run(layerNorm(res, 'test.ln', { rows, channels: C, eps: 1e-5 }, bufs)));
        const got = await read(y, rows * C);
        const want = layerNormBound({ v: x, e: new Float64Array(x.length) }, rows, C, g, b, 1e-5);
        const worst = checkBound(got, want.v, want.e, `layernorm ${style} C=${C}`);
        console.info(`layernorm ${style} C=${C}: worst |Δ|/bound ${worst.toExponential(2)}`);
        expect(worst).toBeLessThanOrEqual(1);
      });
    }

  it('refuses bad shapes and buffers too small, naming them', () => {
    const bufs = { x: empty(8), gain: empty(4), bias: empty(4), y: empty(8) };
    expect(() => layerNorm(res, 'test.ln', { rows: 0, channels: 4, eps: 1e-5 }, bufs)).toThrow(RangeError);
    expect(() => layerNorm(res, 'test.ln', { rows: 2, channels: 4, eps: 0 }, bufs)).toThrow(/ε/);
    expect(() => layerNorm(res, 'test.ln', { rows: 3, channels: 4, eps: 1e-5 }, bufs)).toThrow(/needs 12/);
  });
});
