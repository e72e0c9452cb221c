/**
 * GPT-2 without WebGPU (src/ui/attention/gpt2-cpu.ts): a small seeded model read whole with progress, run
 * by the float64 reference in its own worker. The worker runs the same code as gpt2Reference here, in the
 * same JavaScript engine, so its answers equal the reference's rounded to f32 exactly (no tolerance).
 * Cancel during a forward terminates the worker; the next call starts a new one with the weights again.
 */
import { describe, expect, it } from 'vitest';
import { CpuGpt2 } from '../../src/ui/attention/gpt2-cpu';
import { gpt2Reference } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_VOCAB, memorySource, type Gpt2Config } from '../../src/models/gpt2/types';
import { isAbortError } from '../../src/gpu/compute';

const CONFIG: Gpt2Config = { nLayer: 2, nHead: 2, nEmbd: 16, vocab: GPT2_VOCAB, nPositions: 32, eps: 1e-5 };
const tensors = randomGpt2Tensors(CONFIG, 31);
const ids = [464, 3797, 3332, 319, 262, 2603, 13, 50256, 11];
const f32 = (a: ArrayLike<number>) => Array.from(Float32Array.from(a));

describe('CpuGpt2 (the CPU path of the GPT-2 view)', () => {
  it('equals the float64 reference; layerQkv and logitsAt answer from the last forward; Cancel recovers', async () => {
    const loads: number[] = [];
    const model = await CpuGpt2.load(memorySource(CONFIG, tensors), {
      onProgress: (p) => loads.push(p.done),
    });
    try {
      expect(loads.at(-1)).toBeGreaterThan(0);
      const ref = gpt2Reference(tensors, CONFIG, ids, { attention: true, qkv: true, positions: [3] });
      const layers: string[] = [];
      const input = Uint32Array.from(ids);
      const got = await model.forward(
        input,
        { attention: 'full', qkvLayer: 1 },
        { onProgress: (p) => layers.push(`${p.done}/${p.total}`) },
      );
      expect(layers).toEqual(['1/2', '2/2']);
      expect(Array.from(got.logits)).toEqual(f32(ref.logits.get(ids.length - 1)!));
      for (let l = 0; l < 2; l++) expect(Array.from(got.attention[l]!)).toEqual(f32(ref.attention![l]!));
      expect(Array.from(got.qkv!)).toEqual(f32(ref.qkv![1]!));
      expect([got.mapSize, got.pooled, got.keptLayerInputs]).toEqual([ids.length, false, true]);
      expect(Array.from((await model.layerQkv(0, input))!)).toEqual(f32(ref.qkv![0]!));
      expect(
        await model.layerQkv(
          0,
          input.map((x) => x + 1),
        ),
      ).toBeNull();
      expect(Array.from((await model.logitsAt(3)).logits)).toEqual(f32(ref.logits.get(3)!));

      // Cancel after the first layer: an AbortError, and the worker (with the weights) is gone ...
      const abort = new AbortController();
      const cancelled = model.forward(
        input,
        { attention: 'full' },
        { signal: abort.signal, onProgress: () => abort.abort() },
      );
      const e = await cancelled.then(
        () => null,
        (x: unknown) => x,
      );
      expect(isAbortError(e)).toBe(true);
      // ... and the next forward starts a new worker with them: the same numbers.
      const again = await model.forward(input, { attention: 'full', qkvLayer: 0 });
      expect(Array.from(again.logits)).toEqual(Array.from(got.logits));
      await expect(model.forward(input, { attention: 'full', qkvLayer: 2 })).rejects.toThrow(
        /layer 2 is outside/,
      );
    } finally {
      model.destroy();
    }
  });
});
