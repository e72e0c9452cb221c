/**
 * Attention on the GPU vs the float64 reference: property-based random shapes and every mask kind, fixed edge
 * shapes, and logits near ±1e4. Tolerances are derived and listed (with measured ratios) in
 * attention-helpers.ts; checkCase (attention-check.ts) applies them.
 */
import { describe, expect, it } from 'vitest';
import {
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
} from '../../src/kernels/attention/spec';
import { testRng } from './gpu-test-context';
import { type Case, randomTensor, makeCase, randomMask, useAttentionGpu } from './attention-helpers';
import { checkCase } from './attention-check';

useAttentionGpu();

describe('attention on the GPU vs the float64 reference', () => {
  const kinds = ['none', 'causal', 'padding', 'window', 'window-sym', 'custom'] as const;
  // Property-based: fixed seeds, random shapes within L 1…300, d 1…128, heads 1…8, every mask kind; shapes
  // are shrunk to heads·L²·d ≤ 2M multiply-adds so SwiftShader stays fast.
  const rng = testRng(20241129);
  const cases: Case[] = [];
  for (let n = 0; n < 20; n++) {
    let heads = rng.int(1, 8);
    let L = rng.int(1, 300);
    let d = rng.int(1, 128);
    while (heads * L * L * d > 2e6) {
      if (heads > 1) heads = Math.ceil(heads / 2);
      else if (d > 4) d = Math.ceil(d / 2);
      else L = Math.ceil(L * 0.8);
    }
    const kind = kinds[n % kinds.length]!;
    const options: AttentionOptions = { mask: randomMask(rng, kind, L) };
    if (n % 4 === 1) options.scale = 0.05 + 2 * rng.next();
    if (n % 3 === 2) {
      const perHead = rng.next() < 0.5;
      options.bias = randomTensor(rng, (perHead ? heads : 1) * L * L, 0.5);
    }
    const name = `#${n} H${heads} L${L} d${d} ${kind}${options.bias ? ' +bias' : ''}${options.scale ? ' scale' : ''}`;
    cases.push(makeCase(name, rng, heads, L, d, options));
  }
  const fixed = testRng(7);
  cases.push(
    makeCase('L 300 (19 tiles, not a multiple of 16) causal', fixed, 1, 300, 3, { mask: { kind: 'causal' } }),
    makeCase('d 128, 2 heads, symmetric window', fixed, 2, 24, 128, {
      mask: { kind: 'window', width: 5, causal: false },
    }),
    makeCase('d 256 (largest tier)', fixed, 1, 9, 256, {}),
    makeCase('8 heads, L 33, d 17, per-head bias', fixed, 8, 33, 17, {
      mask: { kind: 'causal' },
      bias: randomTensor(fixed, 8 * 33 * 33, 1),
    }),
    makeCase('L 1, d 1', fixed, 1, 1, 1, {}),
    makeCase('L 16 (one full tile) causal window', fixed, 2, 16, 16, {
      mask: { kind: 'window', width: 4, causal: true },
    }),
    makeCase('L 17 padding 0: every row fully masked', fixed, 2, 17, 5, {
      mask: { kind: 'padding', validLength: 0 },
    }),
    makeCase('custom mask with an empty row', fixed, 3, 21, 6, { mask: randomMask(fixed, 'custom', 21) }),
  );
  cases.forEach((c, n) => {
    it(c.name, async () => {
      await checkCase(c, n % 2 ? 'mean' : 'max');
    });
  });

  it('logits near ±1e4 (scale override): exact logits, stable softmax, fused = staged', async () => {
    // Small integer Q and K and a power-of-two scale make QKᵀ·scale exact in f32, so every GPU logit equals
    // the reference exactly and the softmax bound is the only tolerance.
    const rng2 = testRng(99);
    const heads = 2;
    const L = 40;
    const d = 32;
    const ints = () => Float32Array.from({ length: heads * L * d }, () => rng2.int(-3, 3));
    const inputs: AttentionInputs = {
      shape: { heads, L, d },
      q: ints(),
      k: ints(),
      v: randomTensor(rng2, heads * L * d),
    };
    for (const mask of [{ kind: 'none' }, { kind: 'causal' }] as AttentionMask[]) {
      const { staged, fused, ref } = await checkCase(
        { name: `±1e4 ${mask.kind}`, inputs, options: { scale: 64, mask } },
        'max',
      );
      let maxLogit = 0;
      for (let i = 0; i < ref.scaled.length; i++) maxLogit = Math.max(maxLogit, Math.abs(ref.scaled[i]!));
      expect(maxLogit).toBeGreaterThan(5e3);
      expect([...staged.stages.scaled!]).toEqual([...ref.scaled]);
      for (const x of [...staged.stages.weights!, ...staged.stages.output!, ...fused.stages.output!]) {
        expect(Number.isFinite(x)).toBe(true);
      }
    }
  });
});
