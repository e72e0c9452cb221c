import { describe, expect, it } from 'vitest';
import { alibiBias, prepareInputs, MAX_BIAS_VALUES } from '../../src/ui/attention/model';
import { attentionSchema } from '../../src/state/attention';
import { defaults } from '../../src/state/params';
import { attentionReference } from '../../src/kernels/attention/ref';

describe('ALiBi bias in the Attention lab', () => {
  it('is −m_h·|q − k| with geometric head slopes 2^(−8(h+1)/H)', () => {
    const b = alibiBias(2, 3);
    // head 0: slope 2^-4; head 1: slope 2^-8
    expect(Array.from(b.subarray(0, 9))).toEqual([0, -1, -2, -1, 0, -1, -2, -1, 0].map((x) => x / 16));
    expect(b[9 + 2]).toBe(-2 / 256);
  });

  it('prepareInputs passes it to the engine options, and the reference applies it before the softmax', async () => {
    const p = { ...defaults(attentionSchema), text: 'a b c d', bias: 'alibi' as const, heads: 2, d: 4 };
    const prepared = await prepareInputs(p, { maxL: 64 });
    expect(prepared.bias).toHaveLength(2 * 4 * 4);
    const withBias = attentionReference(prepared.inputs, { mask: prepared.mask, bias: prepared.bias });
    const without = attentionReference(prepared.inputs, { mask: prepared.mask });
    expect(withBias.scaled[1]! - without.scaled[1]!).toBeCloseTo(-1 / 16, 12);
    expect(withBias.weights).not.toEqual(without.weights);
  });

  it('is skipped with a note when it would be too large', async () => {
    const p = { ...defaults(attentionSchema), text: 'a', L: 1024, heads: 8, bias: 'alibi' as const, d: 1 };
    expect(8 * 1024 * 1024).toBeGreaterThan(MAX_BIAS_VALUES);
    const prepared = await prepareInputs(p, { maxL: 4096 });
    expect(prepared.bias).toBeUndefined();
    expect(prepared.notes.join(' ')).toMatch(/ALiBi bias needs/);
  });
});
