/**
 * CpuBatchNormEngine.run: n steps in one call equal n single steps exactly (the same float64 operations in
 * the same order, so no tolerance): every step's loss and accuracy, the last step's report, the held-out
 * evaluation after the step asked for, and the state the next call starts from.
 */
import { describe, expect, it } from 'vitest';
import { CpuBatchNormEngine, type BatchNormLabConfig } from '../../src/engine/batchnorm';

/** A small fixed data set with a held-out split of 2 batches. */
function data(): NonNullable<BatchNormLabConfig['data']> {
  const inDim = 3;
  const x = (n: number, k: number) => Float32Array.from({ length: n * inDim }, (_, i) => Math.sin(i * k));
  const y = (n: number) => Array.from({ length: n }, (_, i) => i % 3);
  return { inputs: x(48, 0.37), labels: y(48), classes: 3, test: { inputs: x(16, 0.71), labels: y(16) } };
}

const config: BatchNormLabConfig = { task: 'spirals', lr: 0.01, batch: 8, depth: 2, width: 6, seed: 3 };

describe('CpuBatchNormEngine.run', () => {
  for (const view of ['train', 'eval'] as const)
    it(`equals single steps (${view} view), on a 2D task`, async () => {
      const a = new CpuBatchNormEngine(config);
      const b = new CpuBatchNormEngine(config);
      const o = { view, layer: 1, unit: 2 } as const;
      for (const n of [1, 5, 3]) {
        const run = await a.run({ ...o, steps: n });
        const singles = [];
        for (let k = 0; k < n; k++) singles.push(await b.step({ ...o, train: true }));
        expect(run.steps).toEqual(singles.map((s) => ({ loss: s.loss, accuracy: s.accuracy })));
        expect(run.last).toEqual(singles.at(-1));
        expect(run.heldOut).toBeUndefined();
        expect(a.steps).toBe(b.steps);
      }
      expect(a.steps).toBe(9);
    });

  it('evaluates the held-out split after the step asked for, as a single step there would', async () => {
    const cfg = { ...config, task: 'digits' as const, data: data() };
    const a = new CpuBatchNormEngine(cfg);
    const b = new CpuBatchNormEngine(cfg);
    const o = { view: 'train', layer: 0, unit: 0 } as const;
    const run = await a.run({ ...o, steps: 6, evaluateAfter: 4 });
    const singles = [];
    for (let k = 1; k <= 6; k++) singles.push(await b.step({ ...o, train: true, evaluate: k === 4 }));
    expect(run.heldOut).toEqual({ step: 4, result: singles[3]!.heldOut });
    expect(run.heldOut!.result.count).toBe(16);
    expect(run.steps.map((s) => s.loss)).toEqual(singles.map((s) => s.loss));
    const { heldOut: _, ...last } = singles[5]!;
    expect(run.last).toEqual(last);
  });

  it('refuses runs outside 1 … maxStepsPerCall and evaluation points outside the run', async () => {
    const e = new CpuBatchNormEngine(config);
    const o = { view: 'train', layer: 0, unit: 0 } as const;
    await expect(e.run({ ...o, steps: 0 })).rejects.toThrow(RangeError);
    await expect(e.run({ ...o, steps: 1.5 })).rejects.toThrow(RangeError);
    await expect(e.run({ ...o, steps: e.maxStepsPerCall + 1 })).rejects.toThrow(RangeError);
    await expect(e.run({ ...o, steps: 3, evaluateAfter: 4 })).rejects.toThrow(/evaluateAfter/);
    expect(e.steps).toBe(0);
  });
});
