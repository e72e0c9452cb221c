/**
 * Long GPU runs split into several submits, with progress and cancellation between them (RunControl):
 * - the batched run gives bit-identical results to the one-submit run (same arithmetic per value / head),
 * - aborting rejects with an AbortError and leaves the engine usable (the next run is correct),
 * - a signal aborted before the call rejects at once.
 * Batching is forced at small sizes with a small batchValues / workPerSubmit (SwiftShader is slow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import type { RunProgress } from '../../src/gpu/compute';
import { RandomEngine } from '../../src/engine/random';
import { RandomKernel } from '../../src/kernels/random/random';
import { createStorageBuffer } from '../../src/gpu/compute';
import { TRANSFORMS } from '../../src/kernels/random/spec';
import { AttentionEngine } from '../../src/engine/attention';
import { alibiBias } from '../../src/ui/attention/model';
import type { AttentionInputs } from '../../src/kernels/attention/spec';
import { testGpu, testRng } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
});
afterAll(() => gpu?.destroy());

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to reject');
}

describe('Random engine: batched long runs', () => {
  it('batches write exactly the values of one dispatch: identical moments and histogram', async () => {
    const single = new RandomEngine(gpu);
    const batched = new RandomEngine(gpu, { batchValues: 4096 });
    try {
      for (const transform of TRANSFORMS) {
        const params = { transform, seed: 11, count: 10_001, bins: 32 };
        const progress: RunProgress[] = [];
        const a = await single.run(params);
        const b = await batched.run(params, { onProgress: (p) => progress.push(p) });
        expect(a.submits, transform).toBe(1);
        // Irwin–Hall: one value per thread, 4096 per batch → 3 batches; the others 1024 threads per batch.
        expect(b.submits, transform).toBe(4);
        expect(
          progress.map((p) => p.done),
          transform,
        ).toEqual([0, 1, 2, 3]);
        expect(progress[0]!.message).toMatch(/batch 1 of 3/);
        expect(b.sums, transform).toEqual(a.sums);
        expect(Array.from(b.counts), transform).toEqual(Array.from(a.counts));
      }
    } finally {
      single.destroy();
      batched.destroy();
    }
  });

  it('a generation batch outside the run is refused with a RangeError naming the range', () => {
    const kernel = new RandomKernel(gpu.device, 'test.generate');
    const out = createStorageBuffer(gpu.device, 'test.out', 400);
    const encoder = gpu.device.createCommandEncoder();
    const options = { transform: 'uniform' as const, count: 100, key: { seed: 1 } };
    // 100 uniform values = 25 threads of four values.
    expect(() => kernel.encode(encoder, out, { ...options, threads: { first: 20, count: 10 } })).toThrow(
      /Thread range 20\+10 is outside the run's 25 threads/,
    );
    expect(() => kernel.encode(encoder, out, { ...options, threads: { first: 20, count: 5 } })).not.toThrow();
    kernel.destroy();
    out.destroy();
  });

  it('aborting between batches rejects with an AbortError; the engine then runs correctly', async () => {
    const engine = new RandomEngine(gpu, { batchValues: 4096 });
    try {
      const params = { transform: 'box-muller' as const, seed: 5, count: 40_000, bins: 16 };
      const controller = new AbortController();
      const seen: number[] = [];
      const error = await rejection(
        engine.run(params, {
          signal: controller.signal,
          onProgress: (p) => {
            seen.push(p.done);
            if (p.done === 1) controller.abort();
          },
        }),
      );
      expect((error as Error).name).toBe('AbortError');
      expect(seen).toEqual([0, 1]); // stopped after the batch in flight, before the third
      const again = await engine.run(params);
      const reference = await new RandomEngine(gpu).run(params);
      expect(again.sums).toEqual(reference.sums);
      expect(Array.from(again.counts)).toEqual(Array.from(reference.counts));

      const aborted = new AbortController();
      aborted.abort();
      const early = await rejection(engine.run(params, { signal: aborted.signal }));
      expect((early as Error).name).toBe('AbortError');
    } finally {
      engine.destroy();
    }
  });
});

function inputs(heads: number, L: number, d: number, seed: number): AttentionInputs {
  const rng = testRng(seed);
  const make = () => Float32Array.from({ length: heads * L * d }, () => rng.normal());
  return { shape: { heads, L, d }, q: make(), k: make(), v: make() };
}

describe('Attention engine: fused runs split by heads', () => {
  const x = inputs(5, 37, 12, 3);
  const options = { mask: { kind: 'causal' as const }, bias: alibiBias(5, 37) };

  it('a head-batched fused run equals the one-submit run bit for bit, and pooling still works', async () => {
    const single = new AttentionEngine(gpu);
    // 2 heads per submit: 37²·12 = 16,428 multiply-adds per head.
    const batched = new AttentionEngine(gpu, { workPerSubmit: 2 * 37 * 37 * 12 });
    try {
      const a = await single.runFused(x, options);
      const progress: RunProgress[] = [];
      const b = await batched.runFused(x, options, { onProgress: (p) => progress.push(p) });
      expect(a.submits).toBe(1);
      expect(b.submits).toBe(4); // heads 1–2, 3–4, 5, then views and readback
      expect(progress.map((p) => p.phase)).toEqual(['compile', 'run', 'run', 'run', 'read']);
      expect(progress[1]!.message).toBe('Running 1 of 3 batches (heads 1–2 of 5)…');
      expect(Array.from(b.stages.output!)).toEqual(Array.from(a.stages.output!));
      expect(Array.from(b.stats!.max)).toEqual(Array.from(a.stats!.max));
      expect(Array.from(b.stats!.sum)).toEqual(Array.from(a.stats!.sum));
      const rect = { row0: 0, col0: 0, rows: 37, cols: 37 };
      const wa = await single.window({ rect });
      const wb = await batched.window({ rect });
      expect(Array.from(wb.data)).toEqual(Array.from(wa.data));
    } finally {
      single.destroy();
      batched.destroy();
    }
  });

  it('aborting between head batches rejects with an AbortError; the engine then runs correctly', async () => {
    const engine = new AttentionEngine(gpu, { workPerSubmit: 37 * 37 * 12 });
    const reference = new AttentionEngine(gpu);
    try {
      const controller = new AbortController();
      const error = await rejection(
        engine.runFused(x, options, {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.phase === 'run' && p.done === 1) controller.abort();
          },
        }),
      );
      expect((error as Error).name).toBe('AbortError');
      await expect(engine.pool({ rows: 8, cols: 8, mode: 'max' })).rejects.toThrow(/No attention run yet/);
      const again = await engine.runFused(x, options);
      const want = await reference.runFused(x, options);
      expect(Array.from(again.stages.output!)).toEqual(Array.from(want.stages.output!));
      const aborted = new AbortController();
      aborted.abort();
      const early = await rejection(engine.runStaged(x, options, { signal: aborted.signal }));
      expect((early as Error).name).toBe('AbortError');
    } finally {
      engine.destroy();
      reference.destroy();
    }
  });
});
