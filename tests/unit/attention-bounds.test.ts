/**
 * The f32 error bounds the numerics panel flags against (src/kernels/attention/bounds.ts):
 * - the formulas at hand-checkable points;
 * - they hold for attention computed in simulated f32 (Math.fround after every operation, sums in a
 *   fixed order) on random shapes, masks and biases — measured error ≤ bound is the real check;
 * - attentionNumerics flags a stage exactly when its difference exceeds the bound (and on masks that
 *   differ or NaN), and flags nothing for the CPU backend's f32 copies of the reference;
 * - for the lab's default inputs the bounds sit near 1e-6 relative to the row scale, far below the old
 *   fixed 1e-3 flag.
 */
import { describe, expect, it } from 'vitest';
import { attentionNumerics, runAttentionCpu, type AttentionRunResult } from '../../src/engine/attention';
import { attentionErrorBounds, attentionMagnitudes, rowSumBound } from '../../src/kernels/attention/bounds';
import { attentionReference } from '../../src/kernels/attention/ref';
import {
  MASKED_SENTINEL,
  biasAt,
  maskMatrix,
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
} from '../../src/kernels/attention/spec';
import { initAttentionInputs, tokenize } from '../../src/models/attention-inputs';
import { mulberry32 } from '../../src/util/rng';

const U = 2 ** -23;
const f = Math.fround;

const rng = mulberry32;

/** Staged attention with every operation rounded to f32 (what a GPU may compute, in one summation order). */
function attentionF32(x: AttentionInputs, o: AttentionOptions): Pick<AttentionRunResult, 'stages'> {
  const { heads, L, d } = x.shape;
  const scale = f(o.scale ?? 1 / Math.sqrt(d));
  const keep = maskMatrix(o.mask ?? { kind: 'none' }, L);
  const n2 = heads * L * L;
  const scores = new Float32Array(n2);
  const scaled = new Float32Array(n2);
  const masked = new Float32Array(n2);
  const weights = new Float32Array(n2);
  const output = new Float32Array(heads * L * d);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < L; i++) {
      const row = (h * L + i) * L;
      let m = -Infinity;
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s = f(s + f(x.q[(h * L + i) * d + c]! * x.k[(h * L + j) * d + c]!));
        scores[row + j] = s;
        scaled[row + j] = f(f(s * scale) + f(biasAt(o.bias, L, h, i, j)));
        masked[row + j] = keep[i * L + j] ? scaled[row + j]! : MASKED_SENTINEL;
        if (keep[i * L + j]) m = Math.max(m, scaled[row + j]!);
      }
      let l = 0;
      for (let j = 0; j < L; j++) if (keep[i * L + j]) l = f(l + f(Math.exp(f(scaled[row + j]! - m))));
      const inv = l > 0 ? f(1 / l) : 0;
      for (let j = 0; j < L; j++) {
        weights[row + j] = keep[i * L + j] && l > 0 ? f(f(Math.exp(f(scaled[row + j]! - m))) * inv) : 0;
      }
      for (let c = 0; c < d; c++) {
        let acc = 0;
        for (let j = 0; j < L; j++) acc = f(acc + f(weights[row + j]! * x.v[(h * L + j) * d + c]!));
        output[(h * L + i) * d + c] = acc;
      }
    }
  }
  return { stages: { scores, scaled, masked, weights, output } };
}

function randomCase(seed: number): { inputs: AttentionInputs; options: AttentionOptions } {
  const r = rng(seed);
  const heads = 1 + Math.floor(r() * 3);
  const L = 1 + Math.floor(r() * 48);
  const d = 1 + Math.floor(r() * 32);
  const spread = 0.5 + 3 * r();
  const make = () => Float32Array.from({ length: heads * L * d }, () => f(spread * (2 * r() - 1)));
  const masks: AttentionMask[] = [
    { kind: 'none' },
    { kind: 'causal' },
    { kind: 'padding', validLength: Math.floor(r() * (L + 1)) },
    { kind: 'window', width: 1 + Math.floor(r() * 4), causal: r() < 0.5 },
  ];
  const options: AttentionOptions = { mask: masks[seed % masks.length]! };
  if (seed % 3 === 0) options.bias = Float32Array.from({ length: L * L }, () => f(r() - 0.5));
  if (seed % 5 === 0) options.scale = f(0.1 + r());
  return { inputs: { shape: { heads, L, d }, q: make(), k: make(), v: make() }, options };
}

describe('attention f32 error bounds', () => {
  it('formulas at a hand-checkable point', () => {
    // One head, L 2, d 2: ‖q‖ max = 5 (3,4), ‖k‖ max = 1 → qk = 5; |v| max = 2; no bias.
    const inputs: AttentionInputs = {
      shape: { heads: 1, L: 2, d: 2 },
      q: Float32Array.from([3, 4, 0, 1]),
      k: Float32Array.from([1, 0, 0, 1]),
      v: Float32Array.from([1, -2, 0.5, 1]),
    };
    const m = attentionMagnitudes(inputs);
    expect(m).toEqual({ qk: 5, bias: 0, v: 2 });
    const b = attentionErrorBounds(inputs.shape, 0.5, 'staged', m);
    const E = 8 * U * 2.5; // (d + 6)·u·(|scale|·qk + bias)
    expect(b.scores).toBeCloseTo(4 * U * 5, 40);
    expect(b.scaled).toBeCloseTo(E, 40);
    expect(b.masked).toBe(b.scaled);
    expect(b.weights).toBeCloseTo(Math.expm1(2 * E) + Math.exp(2 * E) * 94 * U, 40);
    const fused = attentionErrorBounds(inputs.shape, 0.5, 'fused', m);
    expect(fused.output).toBeGreaterThan(b.output);
    expect(fused.weights).toBe(b.weights);
    expect(rowSumBound(300)).toBe(304 * U);
  });

  it('hold for attention computed in f32 (40 random shapes, masks, scales and biases)', () => {
    const worst: Record<string, number> = {};
    for (let seed = 1; seed <= 40; seed++) {
      const { inputs, options } = randomCase(seed);
      const run = {
        ...runAttentionCpu(inputs, { ...options, stages: [] }),
        ...attentionF32(inputs, options),
      };
      const n = attentionNumerics(
        run,
        attentionReference(inputs, options),
        attentionMagnitudes(inputs, options.bias),
      );
      expect(
        n.flagged,
        `seed ${seed}: ${JSON.stringify(n.maxAbsDiff)} vs ${JSON.stringify(n.bound)}`,
      ).toEqual([]);
      expect(n.maxRowSumError!).toBeLessThanOrEqual(n.rowSumBound!);
      for (const [s, v] of Object.entries(n.maxAbsDiff))
        worst[s] = Math.max(worst[s] ?? 0, v / n.bound[s as 'scores']!);
    }
    // Not vacuous: the f32 errors use a visible part of each bound (worst ratio measured: scores, scaled ≈ 0.1; weights, output ≈ 0.005).
    for (const s of ['scores', 'scaled', 'weights', 'output']) expect(worst[s], s).toBeGreaterThan(1e-3);
  });

  it('attentionNumerics flags a stage exactly when it exceeds its bound', () => {
    const { inputs, options } = randomCase(7);
    const ref = attentionReference(inputs, options);
    const mags = attentionMagnitudes(inputs, options.bias);
    const cpu = runAttentionCpu(inputs, { ...options, stages: ['masked', 'weights', 'output'] });
    const clean = attentionNumerics(cpu, ref, mags);
    expect(clean.flagged).toEqual([]);
    const bound = clean.bound.weights!;
    const nudged = (delta: number): AttentionRunResult => {
      const weights = Float32Array.from(cpu.stages.weights!);
      const i = weights.findIndex((w) => w > 0.1);
      weights[i] = f(ref.weights[i]! + delta);
      return { ...cpu, stages: { ...cpu.stages, weights } };
    };
    expect(attentionNumerics(nudged(bound / 2), ref, mags).flagged).toEqual([]);
    expect(attentionNumerics(nudged(4 * bound), ref, mags).flagged).toEqual(['weights']);
    // A masked entry that is not masked in the run, and a NaN: always flagged.
    const masked = Float32Array.from(cpu.stages.masked!);
    const at = masked.indexOf(MASKED_SENTINEL);
    expect(at).toBeGreaterThanOrEqual(0);
    masked[at] = 0;
    const output = Float32Array.from(cpu.stages.output!);
    output[0] = NaN;
    const broken = attentionNumerics({ ...cpu, stages: { ...cpu.stages, masked, output } }, ref, mags);
    expect(broken.maxAbsDiff.masked).toBe(Infinity);
    expect(broken.flagged).toEqual(['masked', 'output']);
  });

  it('for the lab default (10 tokens, 4 heads, d 16) the bounds are ~1e-6 of the row scale, not 1e-3', () => {
    const init = initAttentionInputs({
      tokens: tokenize('The cat sat on the mat because it was tired.'),
      heads: 4,
      d: 16,
      seed: 42,
    });
    const m = attentionMagnitudes(init);
    const b = attentionErrorBounds(init.shape, 1 / 4, 'staged', m);
    const rowScale = m.qk / 4;
    expect(b.scaled / rowScale).toBeLessThan(3e-6); // (d + 6)·2⁻²³ = 2.6e-6
    expect(b.weights).toBeLessThan(1e-3);
    expect(b.output / m.v).toBeLessThan(1e-3);
    // The CPU backend's f32 copies of the reference are far inside every bound.
    const cpu = runAttentionCpu(init, { stages: ['scores', 'scaled', 'masked', 'weights', 'output'] });
    expect(attentionNumerics(cpu, cpu.reference, m).flagged).toEqual([]);
  });
});
