/**
 * The induction model's parameter layout and seeded init (src/models/induction/params.ts). Layout and
 * count are exact; sample standard deviations are within 5 standard errors (SE of a Gaussian sample
 * std ≈ σ/√(2n)); init values equal the documented Philox/Box–Muller counter mapping bit for bit.
 */
import { sinusoidalPositions } from '../../src/models/attention-inputs';
import { describe, expect, it } from 'vitest';
import { philox4x32 } from '../../src/kernels/random/philox.ref';
import { boxMuller } from '../../src/kernels/random/ref';
import {
  INDUCTION_CONFIG,
  STREAM_INIT,
  checkInductionConfig,
  initInduction,
  initStd,
  parameterCount,
  parameterLayout,
  tensorSlot,
  tensorView,
} from '../../src/models/induction';

describe('induction parameters', () => {
  it('lists the issue-13 tensors with their shapes, contiguous, 45,184 in all', () => {
    const layout = parameterLayout();
    const shapes = Object.fromEntries(layout.map((s) => [s.name, s.shape]));
    expect(shapes).toEqual({
      tokEmbed: [65, 64],
      posEmbed: [64, 64],
      'layers.0.wQ': [64, 64],
      'layers.0.wK': [64, 64],
      'layers.0.wV': [64, 64],
      'layers.0.wO': [64, 64],
      'layers.1.wQ': [64, 64],
      'layers.1.wK': [64, 64],
      'layers.1.wV': [64, 64],
      'layers.1.wO': [64, 64],
      unembed: [64, 65],
    });
    let offset = 0;
    for (const s of layout) {
      expect(s.offset).toBe(offset);
      expect(s.size).toBe(s.shape[0] * s.shape[1]);
      offset += s.size;
    }
    expect(parameterCount()).toBe(offset);
    expect(offset).toBe(65 * 64 + 64 * 64 + 2 * 4 * 64 * 64 + 64 * 65);
    expect(offset).toBe(45184);
    expect(parameterCount({ ...INDUCTION_CONFIG, layers: 1, heads: 2, dHead: 8 })).toBe(
      parameterLayout({ ...INDUCTION_CONFIG, layers: 1, heads: 2, dHead: 8 }).reduce((a, s) => a + s.size, 0),
    );
  });

  it('rejects malformed configs, naming the field', () => {
    expect(() => checkInductionConfig({ ...INDUCTION_CONFIG, heads: 0 })).toThrow(/"heads"/);
    expect(() => checkInductionConfig({ ...INDUCTION_CONFIG, dModel: 1.5 })).toThrow(/"dModel"/);
    expect(() => checkInductionConfig({ ...INDUCTION_CONFIG, context: NaN })).toThrow(/"context"/);
    expect(() => tensorSlot(parameterLayout(), 'layers.2.wQ')).toThrow(/layers\.2\.wQ/);
  });

  it('init is seeded and follows the documented counter mapping', () => {
    const a = initInduction(7);
    expect(initInduction(7)).toEqual(a);
    expect(initInduction(8)).not.toEqual(a);
    const layout = parameterLayout();
    const k = layout.findIndex((s) => s.name === 'layers.1.wK');
    const slot = layout[k]!;
    for (const e of [0, 3, 4, 1001, slot.size - 1]) {
      const w = philox4x32([Math.floor(e / 4), k, 0, 0], [7, STREAM_INIT]);
      const normals = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
      expect(a[slot.offset + e]).toBe(normals[e % 4]! * initStd('wK'));
    }
  });

  it('every tensor has mean ≈ 0 and its stated standard deviation', () => {
    const params = initInduction(3);
    for (const slot of parameterLayout()) {
      const v = tensorView(params, slot);
      if (slot.kind === 'posEmbed') {
        // Not random: the sinusoidal encoding (sin/cos pairs); sin² + cos² = 1 per pair, so the entries'
        // mean square is exactly ½ (up to float64 rounding).
        expect(Array.from(v)).toEqual(Array.from(sinusoidalPositions(64, 64)));
        const meanSquare = v.reduce((s, x) => s + x * x, 0) / v.length;
        expect(Math.abs(meanSquare - 0.5)).toBeLessThan(1e-12);
        continue;
      }
      const n = v.length;
      const mean = v.reduce((s, x) => s + x, 0) / n;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
      const sigma = initStd(slot.kind);
      expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
      expect(Math.abs(std - sigma)).toBeLessThan((5 * sigma) / Math.sqrt(2 * n));
    }
    expect(initStd('tokEmbed')).toBe(Math.SQRT1_2);
    expect(initStd('wQ')).toBe(1 / 8);
    expect(initStd('wO')).toBe(1 / 16);
    expect(initStd('unembed')).toBe(1 / 64);
  });
});
