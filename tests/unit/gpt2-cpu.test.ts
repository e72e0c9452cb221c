import { describe, expect, it } from 'vitest';
import { GPT2_CPU_MAX_PARAMS, Gpt2CpuModel, gpt2ParamCount } from '../../src/engine/gpt2/cpu';
import { gpt2Reference } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_VOCAB, type Gpt2Config } from '../../src/models/gpt2/types';

describe('GPT-2 on the CPU (src/engine/gpt2/cpu.ts)', () => {
  it('counts parameters: gpt2 has 124 439 808, so the CPU path (≤ 16 M) refuses it', () => {
    const gpt2: Gpt2Config = {
      nLayer: 12,
      nHead: 12,
      nEmbd: 768,
      vocab: GPT2_VOCAB,
      nPositions: 1024,
      eps: 1e-5,
    };
    expect(gpt2ParamCount(gpt2)).toBe(124_439_808);
    expect(gpt2ParamCount(gpt2)).toBeGreaterThan(GPT2_CPU_MAX_PARAMS);
    // A width-64 test model (vocabulary 50257) fits.
    expect(gpt2ParamCount({ ...gpt2, nLayer: 2, nHead: 4, nEmbd: 64, nPositions: 64 })).toBeLessThan(
      GPT2_CPU_MAX_PARAMS,
    );
  });

  it('answers like the reference, rounded to f32, and refuses more than 256 tokens', () => {
    const config: Gpt2Config = {
      nLayer: 2,
      nHead: 2,
      nEmbd: 8,
      vocab: GPT2_VOCAB,
      nPositions: 300,
      eps: 1e-5,
    };
    const tensors = randomGpt2Tensors(config, 5);
    const m = new Gpt2CpuModel(config, tensors);
    const ids = [1, 2, 3, 50256];
    const done: number[] = [];
    const r = m.forward(ids, 0, (l) => done.push(l));
    expect(done).toEqual([0, 1]);
    const ref = gpt2Reference(tensors, config, ids, { attention: true, qkv: true });
    expect(Array.from(r.logits)).toEqual(Array.from(Float32Array.from(ref.logits.get(3)!)));
    expect(Array.from(r.qkv!)).toEqual(Array.from(Float32Array.from(ref.qkv![0]!)));
    expect(r.top[0]!.p).toBeGreaterThan(0);
    expect(() =>
      m.forward(
        Array.from({ length: 257 }, () => 1),
        undefined,
      ),
    ).toThrow(/at most 256/);
    expect(() => m.logitsAt(9)).toThrow(/outside/);
  });
});
