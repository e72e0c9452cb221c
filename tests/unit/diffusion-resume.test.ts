/**
 * DiffusionSetup.resume on the CPU reference (src/engine/diffusion/cpu.ts): its state is float64, so a
 * resumed setup replays to the step instead of taking the f32 particles; the frame and every step after it
 * equal the uninterrupted chain's exactly (same float64 arithmetic, counter-based noise).
 */
import { describe, expect, it } from 'vitest';
import { DiffusionCpuEngine, type DiffusionSetup, type SamplerSpec } from '../../src/engine/diffusion';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';

const samplers: SamplerSpec[] = [
  { kind: 'ddim', eta: 0 },
  { kind: 'ddpm', variance: 'beta-tilde' },
  { kind: 'ode', method: 'heun' },
];

describe('DiffusionCpuEngine resume', () => {
  for (const sampler of samplers) {
    it(`${JSON.stringify(sampler)}: resumed at step 3 = the uninterrupted chain, then 2 more steps`, async () => {
      const setup: DiffusionSetup = {
        schedule: makeSchedule({ kind: 'cosine', T: 20 }),
        data: makeDataset2D({ kind: 'two-moons', n: 50, seed: 1 }),
        dim: 2,
        count: 40,
        seed: 9,
        sampler,
        steps: 10,
      };
      const whole = new DiffusionCpuEngine();
      await whole.setup(setup);
      const at3 = await whole.jumpToStep(3, { positions: true });
      const resumed = new DiffusionCpuEngine();
      // Deliberately wrong particles: the CPU engine replays, it does not take them.
      const r = await resumed.setup(
        { ...setup, resume: { stepIndex: 3, particles: new Float32Array(80) } },
        { positions: true },
      );
      expect([r.t, r.stepIndex]).toEqual([at3.t, 3]);
      expect(Array.from(r.positions!)).toEqual(Array.from(at3.positions!));
      for (let i = 0; i < 2; i++) {
        const a = await whole.step({ positions: true });
        const b = await resumed.step({ positions: true });
        expect(Array.from(b.positions!)).toEqual(Array.from(a.positions!));
      }
      const back = await resumed.stepBack({ positions: true });
      expect(back.stepIndex).toBe(4);
    });
  }
});
