/**
 * The GPU denoiser trainer's CPU snapshot (src/engine/denoiser-train.ts, `snapshot()` / `resume`): a run
 * continued from a snapshot — on the same device or on a fresh one after the first was destroyed — ends with
 * exactly the parameters and Adam moments of the uninterrupted run. Exact, not a tolerance: the batches are
 * a pure function of (seed, step), and the same kernels on the same adapter round the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { GpuDenoiserTrainer, type GpuTrainerOptions } from '../../src/engine/denoiser-train';
import { DEFAULT_MLP_CONFIG, parameterCount } from '../../src/models/mlp-denoiser';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';
import { testGpu } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});
afterAll(() => gpu.destroy());

const options: GpuTrainerOptions = {
  data: makeDataset2D({ kind: 'two-moons', n: 200, seed: 1 }),
  schedule: makeSchedule({ kind: 'cosine', T: 100 }),
  config: { ...DEFAULT_MLP_CONFIG },
  steps: 12,
  batch: 32,
  seed: 5,
};

async function trainTo(trainer: GpuDenoiserTrainer, until: number) {
  await trainer.run({ until, chunk: 4 });
  return trainer.snapshot();
}

describe('GpuDenoiserTrainer snapshots', () => {
  it('a snapshot holds P parameters and both Adam moments at the current step', async () => {
    const trainer = new GpuDenoiserTrainer(gpu.device, options);
    try {
      const s = await trainTo(trainer, 3);
      const P = parameterCount(DEFAULT_MLP_CONFIG);
      expect(s.step).toBe(3);
      expect([s.params.length, s.m.length, s.v.length]).toEqual([P, P, P]);
      expect(Array.from(s.params)).toEqual(Array.from((await trainer.model()).params));
      // After three Adam steps the second moments are positive wherever a gradient was not 0.
      expect(s.v.some((x) => x > 0)).toBe(true);
      expect(s.v.every((x) => x >= 0)).toBe(true);
    } finally {
      trainer.destroy();
    }
  });

  it('resuming from a snapshot on a new device gives the uninterrupted run exactly', async () => {
    const whole = new GpuDenoiserTrainer(gpu.device, options);
    const reference = await trainTo(whole, options.steps);
    whole.destroy();

    const other = await testGpu();
    const first = new GpuDenoiserTrainer(other.device, options);
    const mid = await trainTo(first, 5);
    // Two more steps run on the doomed device and are lost with it.
    first.trainStep();
    first.trainStep();
    other.device.destroy();
    await expect(first.readLoss()).rejects.toBeDefined();

    const resumed = new GpuDenoiserTrainer(gpu.device, { ...options, resume: mid });
    expect(resumed.step).toBe(5);
    const end = await trainTo(resumed, options.steps);
    resumed.destroy();
    expect(end.step).toBe(options.steps);
    expect(Array.from(end.params)).toEqual(Array.from(reference.params));
    expect(Array.from(end.m)).toEqual(Array.from(reference.m));
    expect(Array.from(end.v)).toEqual(Array.from(reference.v));
  });

  it('rejects a snapshot of the wrong size or step', () => {
    const P = parameterCount(DEFAULT_MLP_CONFIG);
    const z = new Float32Array(P);
    expect(
      () => new GpuDenoiserTrainer(gpu.device, { ...options, resume: { step: 99, params: z, m: z, v: z } }),
    ).toThrow(/step/);
    const short = new Float32Array(P - 1);
    expect(
      () =>
        new GpuDenoiserTrainer(gpu.device, { ...options, resume: { step: 1, params: z, m: short, v: z } }),
    ).toThrow(RangeError);
  });
});
