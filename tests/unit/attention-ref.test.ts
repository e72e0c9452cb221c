/**
 * The float64 attention reference against hand computations and the mask semantics of DESIGN.md; pooling,
 * windows and the CPU backend (the tokenizer, seeded initialisation and JSON import: attention-inputs.test.ts).
 * Tolerances: hand computations agree to 1e-12 (float64 rounding of a few operations); everything else is exact
 * unless a test states its bound.
 */
import { describe, expect, it } from 'vitest';
import {
  MASKED_SENTINEL,
  fullyMaskedRows,
  isMaskedValue,
  maskMatrix,
  poolCellRange,
  validateAttention,
  type AttentionInputs,
  type AttentionMask,
} from '../../src/kernels/attention/spec';
import {
  attentionReference,
  literalMaskedSoftmaxRow,
  poolReference,
  windowReference,
} from '../../src/kernels/attention/ref';
import { packCustomMask } from '../../src/kernels/attention/common';
import { attentionNumerics, countFullyMaskedRows, runAttentionCpu } from '../../src/engine/attention';
import { attentionMagnitudes } from '../../src/kernels/attention/bounds';
import { mulberry32 } from '../../src/util/rng';

const EPS = 1e-12;

function inputs(heads: number, L: number, d: number, q: number[], k: number[], v: number[]): AttentionInputs {
  return {
    shape: { heads, L, d },
    q: Float64Array.from(q),
    k: Float64Array.from(k),
    v: Float64Array.from(v),
  };
}

const rng = mulberry32;

function randomInputs(heads: number, L: number, d: number, seed: number): AttentionInputs {
  const r = rng(seed);
  const make = () => Float32Array.from({ length: heads * L * d }, () => 2 * r() - 1);
  return { shape: { heads, L, d }, q: make(), k: make(), v: make() };
}

// Q = [[1,0],[0,1]], K = [[1,0],[1,1]], V = [[1,2],[3,4]], d = 2.
const HAND = inputs(1, 2, 2, [1, 0, 0, 1], [1, 0, 1, 1], [1, 2, 3, 4]);

describe('attention reference: hand computations', () => {
  it('computes every stage of a 2×2 example by hand (no mask, scale 1/√2)', () => {
    const ref = attentionReference(HAND);
    const a = Math.SQRT1_2;
    expect([...ref.scores]).toEqual([1, 1, 0, 1]);
    expect(ref.scale).toBeCloseTo(a, 15);
    const scaled = [a, a, 0, a];
    ref.scaled.forEach((x, i) => expect(Math.abs(x - scaled[i]!)).toBeLessThan(EPS));
    expect([...ref.masked]).toEqual([...ref.scaled]);
    // Row 0: equal logits → ½, ½. Row 1: logits 0, a → 1/(1+eᵃ), eᵃ/(1+eᵃ).
    const w1 = [1 / (1 + Math.exp(a)), Math.exp(a) / (1 + Math.exp(a))];
    const weights = [0.5, 0.5, ...w1];
    ref.weights.forEach((x, i) => expect(Math.abs(x - weights[i]!)).toBeLessThan(EPS));
    const out = [2, 3, w1[0]! * 1 + w1[1]! * 3, w1[0]! * 2 + w1[1]! * 4];
    ref.output.forEach((x, i) => expect(Math.abs(x - out[i]!)).toBeLessThan(EPS));
    expect(ref.stats.fullyMaskedCount).toBe(0);
    expect(ref.stats.max[1]).toBeCloseTo(a, 15);
    expect(Math.abs(ref.stats.sum[1]! - (1 + Math.exp(-a)))).toBeLessThan(EPS);
  });

  it('causal mask: row 0 keeps only key 0 (weight exactly 1, output = V[0]); masked entry is −∞', () => {
    const ref = attentionReference(HAND, { mask: { kind: 'causal' } });
    expect(ref.masked[1]).toBe(-Infinity);
    expect(ref.scaled[1]).toBeCloseTo(Math.SQRT1_2, 15); // scaled stage is before masking
    expect([ref.weights[0], ref.weights[1]]).toEqual([1, 0]);
    expect([ref.output[0], ref.output[1]]).toEqual([1, 2]);
  });

  it('scale override and bias: scaled = scores·scale + bias, bias before masking, per-head bias', () => {
    const two = inputs(2, 2, 2, [1, 0, 0, 1, 1, 0, 0, 1], [1, 0, 1, 1, 1, 0, 1, 1], [1, 2, 3, 4, 1, 2, 3, 4]);
    const shared = Float64Array.from([0.5, -1, 2, 0]);
    const ref = attentionReference(two, { scale: 3, bias: shared, mask: { kind: 'causal' } });
    expect([...ref.scaled.slice(0, 4)]).toEqual([3.5, 2, 2, 3]);
    expect([...ref.scaled.slice(4, 8)]).toEqual([3.5, 2, 2, 3]);
    expect(ref.masked[1]).toBe(-Infinity);
    const perHead = Float64Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
    const ref2 = attentionReference(two, { scale: 1, bias: perHead });
    expect([...ref2.scaled]).toEqual([1, 1, 0, 1, 2, 2, 1, 2]);
    // A per-row constant bias does not change the weights (softmax is shift-invariant).
    ref2.weights.slice(0, 4).forEach((w, i) => expect(Math.abs(w - ref2.weights[4 + i]!)).toBeLessThan(EPS));
  });

  it('logits near ±1e4 do not overflow: max subtraction keeps weights finite, rows sum to 1', () => {
    const x = inputs(1, 3, 1, [1, -1, 0.5], [1, -1, 0.999], [1, 2, 3]);
    const ref = attentionReference(x, { scale: 1e4 });
    for (const w of ref.weights) expect(Number.isFinite(w)).toBe(true);
    for (let r = 0; r < 3; r++) {
      const s = ref.weights[r * 3]! + ref.weights[r * 3 + 1]! + ref.weights[r * 3 + 2]!;
      expect(Math.abs(s - 1)).toBeLessThan(EPS);
    }
    // Row 0: logits 1e4, −1e4, 9990 → weights 1/(1+e^−10), 0, e^−10/(1+e^−10).
    expect(Math.abs(ref.weights[0]! - 1 / (1 + Math.exp(-10)))).toBeLessThan(1e-9);
    expect(ref.weights[1]).toBe(0);
  });
});

describe('mask semantics', () => {
  const L = 5;
  const rows = (m: Uint8Array) =>
    Array.from({ length: L }, (_, q) => [...m.slice(q * L, q * L + L)].join(''));

  it('causal keeps key ≤ query', () => {
    expect(rows(maskMatrix({ kind: 'causal' }, L))).toEqual(['10000', '11000', '11100', '11110', '11111']);
  });
  it('padding keeps key < validLength', () => {
    expect(rows(maskMatrix({ kind: 'padding', validLength: 3 }, L))).toEqual(Array(5).fill('11100'));
  });
  it('causal window of width 2 keeps query − 2 < key ≤ query', () => {
    expect(rows(maskMatrix({ kind: 'window', width: 2, causal: true }, L))).toEqual([
      '10000',
      '11000',
      '01100',
      '00110',
      '00011',
    ]);
  });
  it('symmetric window of width 2 keeps |query − key| < 2', () => {
    expect(rows(maskMatrix({ kind: 'window', width: 2, causal: false }, L))).toEqual([
      '11000',
      '11100',
      '01110',
      '00111',
      '00011',
    ]);
  });
  it('custom uses the keep flags as given; none keeps everything', () => {
    const keep = Uint8Array.from({ length: L * L }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expect([...maskMatrix({ kind: 'custom', keep }, L)]).toEqual([...keep]);
    expect(maskMatrix({ kind: 'none' }, L).every((x) => x === 1)).toBe(true);
  });
  it('packs custom masks as ⌈L/32⌉ words per row, bit k % 32', () => {
    const L2 = 40;
    const keep = new Uint8Array(L2 * L2);
    keep[0 * L2 + 0] = 1;
    keep[0 * L2 + 33] = 1;
    keep[1 * L2 + 31] = 1;
    const bits = packCustomMask(keep, L2);
    expect(bits.length).toBe(L2 * 2);
    expect([bits[0], bits[1], bits[2], bits[3]]).toEqual([1, 2, 0x80000000, 0]);
  });
});

describe('fully-masked rows', () => {
  it('padding validLength 0: every row zero weights and zero output, never NaN; stats flag them', () => {
    const x = randomInputs(2, 4, 3, 1);
    const ref = attentionReference(x, { mask: { kind: 'padding', validLength: 0 } });
    expect(ref.weights.every((w) => w === 0)).toBe(true);
    expect(ref.output.every((o) => o === 0)).toBe(true);
    expect(ref.stats.fullyMaskedCount).toBe(8);
    expect(ref.masked.every((m) => m === -Infinity)).toBe(true);
  });

  it('custom mask with an empty row: only that row is zero, the others sum to 1', () => {
    const L = 4;
    const keep = new Uint8Array(L * L).fill(1);
    keep.fill(0, 2 * L, 3 * L); // row 2 empty
    const mask: AttentionMask = { kind: 'custom', keep };
    const ref = attentionReference(randomInputs(1, L, 3, 2), { mask });
    expect([...fullyMaskedRows(mask, L)]).toEqual([0, 0, 1, 0]);
    expect([...ref.stats.fullyMasked]).toEqual([0, 0, 1, 0]);
    for (let q = 0; q < L; q++) {
      const s = ref.weights.slice(q * L, q * L + L).reduce((a, b) => a + b, 0);
      expect(Math.abs(s - (q === 2 ? 0 : 1))).toBeLessThan(EPS);
    }
    expect([...ref.output.slice(6, 9)]).toEqual([0, 0, 0]);
    expect(countFullyMaskedRows(mask, { heads: 3, L, d: 3 })).toBe(3);
  });

  it('window width 0 masks everything; the literal masked_fill(−inf) + softmax gives NaN there', () => {
    const ref = attentionReference(randomInputs(1, 3, 2, 3), {
      mask: { kind: 'window', width: 0, causal: true },
    });
    expect(ref.stats.fullyMaskedCount).toBe(3);
    expect(ref.output.every((o) => o === 0)).toBe(true);
    expect(literalMaskedSoftmaxRow([-Infinity, -Infinity]).every(Number.isNaN)).toBe(true);
    const ok = literalMaskedSoftmaxRow([0, -Infinity]);
    expect([...ok]).toEqual([1, 0]);
  });

  it('isMaskedValue recognises −∞ and the GPU sentinel (−3e38 as f32) only', () => {
    expect(isMaskedValue(-Infinity)).toBe(true);
    expect(isMaskedValue(MASKED_SENTINEL)).toBe(true);
    expect(MASKED_SENTINEL).toBe(Math.fround(-3e38));
    expect(isMaskedValue(-1e38)).toBe(false);
    expect(isMaskedValue(-1e4)).toBe(false);
  });
});

describe('validation', () => {
  const x = randomInputs(1, 3, 2, 4);
  it.each([
    ['bad heads', { ...x, shape: { heads: 17, L: 3, d: 2 } }, {}, /heads must be an integer from 1 to 16/],
    ['bad L', { ...x, shape: { heads: 1, L: 0, d: 2 } }, {}, /L must be an integer from 1 to 4096/],
    ['bad d', { ...x, shape: { heads: 1, L: 3, d: 257 } }, {}, /d must be an integer from 1 to 256/],
    ['short q', { ...x, q: new Float32Array(5) }, {}, /q has 5 values, expected heads·L·d = 1·3·2 = 6/],
    ['NaN in v', { ...x, v: Float32Array.from([0, 0, 0, NaN, 0, 0]) }, {}, /v\[3\] is not finite/],
    ['bias size', x, { bias: new Float32Array(4) }, /bias has 4 values, expected L·L = 9/],
    [
      '−∞ bias',
      x,
      { bias: new Float32Array(9).fill(-Infinity) },
      /bias\[0\] is not finite.*use a mask|mask instead/,
    ],
    [
      'padding',
      x,
      { mask: { kind: 'padding', validLength: 4 } },
      /padding validLength must be an integer from 0 to 3/,
    ],
    [
      'custom size',
      x,
      { mask: { kind: 'custom', keep: new Uint8Array(4) } },
      /custom mask has 4 flags, expected L·L = 9/,
    ],
    ['scale', x, { scale: Infinity }, /scale must be finite/],
  ] as const)('%s', (_name, inp, opts, message) => {
    expect(() => validateAttention(inp as AttentionInputs, opts as object)).toThrow(message);
  });
});

describe('pool and window references', () => {
  // One head, L = 4: values 0..15 row-major.
  const m = Float64Array.from({ length: 16 }, (_, i) => i);
  const shape = { heads: 1, L: 4 };

  it('cell ranges cover the rectangle without gaps or overlaps', () => {
    for (const [n, out] of [
      [7, 3],
      [10, 10],
      [4096, 500],
      [5, 1],
    ]) {
      let next = 2;
      for (let r = 0; r < out!; r++) {
        const [a, b] = poolCellRange(r, out!, 2, n!);
        expect(a).toBe(next);
        expect(b).toBeGreaterThan(a);
        next = b;
      }
      expect(next).toBe(2 + n!);
    }
  });

  it('max and mean of 2×2 cells', () => {
    expect([...poolReference(m, shape, 2, 2, 'max')]).toEqual([5, 7, 13, 15]);
    expect([...poolReference(m, shape, 2, 2, 'mean')]).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect([...poolReference(m, shape, 1, 1, 'mean')]).toEqual([7.5]);
  });

  it('pools a rectangle, uneven cells (3 rows → 2: rows {1}, {2,3})', () => {
    const rect = { row0: 1, col0: 0, rows: 3, cols: 4 };
    expect([...poolReference(m, shape, 2, 1, 'max', rect)]).toEqual([7, 15]);
    expect([...poolReference(m, shape, 2, 1, 'mean', rect)]).toEqual([5.5, 11.5]);
  });

  it('mean skips masked entries; an all-masked cell gives −∞', () => {
    const x = Float64Array.from([1, -Infinity, 3, -Infinity]);
    expect([...poolReference(x, { heads: 1, L: 2 }, 1, 2, 'mean')]).toEqual([2, -Infinity]);
    expect([...poolReference(x, { heads: 1, L: 2 }, 1, 2, 'max')]).toEqual([3, -Infinity]);
  });

  it('window copies the rectangle; bad rectangles are refused', () => {
    expect([...windowReference(m, shape, { row0: 1, col0: 2, rows: 2, cols: 2 })]).toEqual([6, 7, 10, 11]);
    expect(() => windowReference(m, shape, { row0: 3, col0: 0, rows: 2, cols: 1 })).toThrow(
      /not inside the 4×4/,
    );
    expect(() => poolReference(m, shape, 5, 1, 'max')).toThrow(/pooled size 5×1 must be from 1×1 up to/);
  });
});

describe('CPU backend and numerics', () => {
  it('runAttentionCpu returns the reference as f32 with −∞ as the GPU sentinel, and pooled views', () => {
    const x = randomInputs(2, 5, 3, 9);
    const run = runAttentionCpu(x, {
      mask: { kind: 'causal' },
      stages: ['masked', 'weights', 'output'],
      pool: { rows: 2, cols: 2, mode: 'max' },
      window: { rect: { row0: 1, col0: 1, rows: 2, cols: 3 } },
    });
    expect(run.path).toBe('cpu');
    expect(run.stages.masked![1]).toBe(MASKED_SENTINEL);
    expect(run.stages.weights![1]).toBe(0);
    expect(run.pooled!.data.length).toBe(2 * 2 * 2);
    expect(run.window!.data.length).toBe(2 * 2 * 3);
    const numerics = attentionNumerics(run, run.reference, attentionMagnitudes(x));
    // The CPU run is the reference rounded to f32 once: within 2⁻²⁴·|x| per entry (round to nearest).
    const maxAbsOf = (a: Float64Array) =>
      a.reduce((m, v) => (v === -Infinity ? m : Math.max(m, Math.abs(v))), 0);
    for (const s of ['masked', 'weights', 'output'] as const) {
      expect(numerics.maxAbsDiff[s]!, s).toBeLessThanOrEqual(2 ** -24 * maxAbsOf(run.reference[s]));
    }
    // Each row sum: L = 5 roundings of weights ≤ 1 (2⁻²⁴ each) plus the float64 sum.
    expect(numerics.maxRowSumError!).toBeLessThanOrEqual(5 * 2 ** -24);
    expect(numerics.flagged).toEqual([]);
    expect(numerics.fullyMaskedRows).toBe(0);
  });
});
