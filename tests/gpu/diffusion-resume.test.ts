/**
 * DiffusionSetup.resume on the GPU engine (src/engine/diffusion/gpu.ts): the particles of step k, read back
 * from one device, uploaded to another, continue the chain with exactly the uninterrupted chain's numbers
 * (not a tolerance: an f32 copy is exact, the noise is a pure function of seed, particle and step, and the
 * same WGSL on the same adapter rounds alike). Step back from there replays from the start (no snapshots).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { DiffusionEngine, type DiffusionSetup, type SamplerSpec } from '../../src/engine/diffusion';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';
import { testGpu } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});
afterAll(() => gpu.destroy());

const read = { positions: true } as const;
const samplers: SamplerSpec[] = [
  { kind: 'ddim', eta: 0 },
  { kind: 'ddpm', variance: 'beta' },
  { kind: 'ode', method: 'euler' },
];

describe('DiffusionEngine resume', () => {
  for (const sampler of samplers) {
    it(`${JSON.stringify(sampler)}: particles of step 4 from a lost device continue exactly`, async () => {
      const setup: DiffusionSetup = {
        schedule: makeSchedule({ kind: 'linear', T: 16 }),
        data: makeDataset2D({ kind: 'swiss-roll', n: 64, seed: 2 }),
        dim: 2,
        count: 96,
        seed: 11,
        sampler,
        steps: 8,
      };
      const doomed = await testGpu();
      const first = new DiffusionEngine(doomed);
      await first.setup(setup);
      const at4 = await first.jumpToStep(4, read);
      const at3 = await first.jumpToStep(3, read);
      await first.jumpToStep(4);
      doomed.device.destroy();
      await expect(first.step(read)).rejects.toBeDefined();

      const engine = new DiffusionEngine(gpu);
      try {
        const resume = { stepIndex: 4, particles: at4.positions! };
        const r = await engine.setup({ ...setup, resume }, read);
        expect([r.t, r.stepIndex]).toEqual([at4.t, 4]);
        expect(Array.from(r.positions!)).toEqual(Array.from(at4.positions!));
        const ahead = [await engine.step(read), await engine.step(read)];
        const back = await engine.jumpToStep(3, read);
        expect(Array.from(back.positions!)).toEqual(Array.from(at3.positions!));
        // The uninterrupted chain on this device.
        const whole = new DiffusionEngine(gpu);
        await whole.setup(setup);
        await whole.jumpToStep(4);
        for (const f of ahead) {
          expect(Array.from((await whole.step(read)).positions!)).toEqual(Array.from(f.positions!));
        }
        whole.destroy();
        await expect(
          engine.setup({ ...setup, resume: { stepIndex: 2, particles: new Float32Array(5) } }),
        ).rejects.toThrow(/192 particle values/);
      } finally {
        engine.destroy();
      }
    });
  }
});
