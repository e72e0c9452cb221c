/**
 * The diffusion engine on a real WebGPU adapter: sampling to t = 0, history snapshots and replay, forward
 * scrub, buffer reuse, size errors. Tolerances: tests/gpu/diffusion-helpers.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeSchedule, noiseLevel } from '../../src/models/schedules';
import { makeDataset2D } from '../../src/models/datasets2d';
import { forwardReference } from '../../src/kernels/diffusion/ref';
import { DiffusionCpuEngine, DiffusionEngine } from '../../src/engine/diffusion';
import { U, check, gpu, useDiffusionGpu, zTol } from './diffusion-helpers';

useDiffusionGpu();

describe('engine', () => {
  it('exact denoiser on two moons, DDPM (σ² = β̃) from noise to t = 0 on the GPU: ≥ 99% of samples within 0.05 of a training point', async () => {
    const engine = new DiffusionEngine(gpu);
    const data = makeDataset2D({ kind: 'two-moons', n: 200, seed: 1 });
    const f0 = await engine.setup(
      {
        // T = 200: at T = 100 the last step's softmax (σ₁ = 0.025) still blends neighbours often enough
        // to leave ~1.1% of samples between two training points.
        schedule: makeSchedule({ kind: 'cosine', T: 200 }),
        data,
        dim: 2,
        count: 2001,
        seed: 11,
        // σ² = β would add √β₁·z in the last step: only ~86% within 0.05.
        sampler: { kind: 'ddpm', variance: 'beta-tilde' },
      },
      { positions: 10 },
    );
    expect(f0.t).toBe(200);
    expect(f0.positions).toHaveLength(20);
    const end = await engine.jumpToStep(f0.totalSteps, {
      positions: true,
      density: { size: 32, xMin: -3, xMax: 3, yMin: -3, yMax: 3 },
    });
    expect(end.t).toBe(0);
    const pts = end.positions!;
    let close = 0;
    for (let i = 0; i < 2001; i++) {
      let best = Infinity;
      for (let j = 0; j < 200; j++)
        best = Math.min(best, Math.hypot(pts[2 * i]! - data[2 * j]!, pts[2 * i + 1]! - data[2 * j + 1]!));
      if (best < 0.05) close++;
    }
    expect(close / 2001).toBeGreaterThanOrEqual(0.99);
    expect([...end.density!.counts].reduce((a, b) => a + b, 0) + end.density!.outside).toBe(2001);
    engine.destroy();
  });

  it('step back restores snapshots bit-exactly, and replay past an evicted snapshot reproduces the chain', async () => {
    const data = makeDataset2D({ kind: 'eight-gaussians', n: 64, seed: 2 });
    const setup = {
      schedule: makeSchedule({ kind: 'linear', T: 50 }),
      data,
      dim: 2,
      count: 513,
      seed: 3,
      sampler: { kind: 'ddim', eta: 1 } as const,
      steps: 10,
    };
    for (const historyBytes of [undefined, 513 * 8 * 2]) {
      const engine = new DiffusionEngine(gpu);
      const states = [(await engine.setup({ ...setup, historyBytes }, { positions: true })).positions!];
      for (let k = 1; k <= 5; k++) states.push((await engine.step({ positions: true, x0: true })).positions!);
      for (let k = 4; k >= 0; k--) {
        const f = await engine.stepBack({ positions: true });
        expect(f.stepIndex).toBe(k);
        expect(f.positions, `history ${historyBytes} step ${k}`).toEqual(states[k]);
      }
      expect((await engine.jumpToStep(5, { positions: true })).positions).toEqual(states[5]);
      engine.destroy();
    }
  });

  it('forward scrub: restart({ from: data, t }) puts every particle at √ᾱ_t x₀ + √(1−ᾱ_t) ε (the reference), and the reverse chain steps on from there', async () => {
    const m = 77;
    const data = makeDataset2D({ kind: 'two-moons', n: m, seed: 1 });
    const schedule = makeSchedule({ kind: 'cosine', T: 100 });
    const n = 1000;
    const engine = new DiffusionEngine(gpu);
    const cpu = new DiffusionCpuEngine();
    const setup = {
      schedule,
      data,
      dim: 2,
      count: n,
      seed: 5,
      sampler: { kind: 'ddpm', variance: 'beta-tilde' } as const,
    };
    await engine.setup(setup);
    await cpu.setup(setup);
    for (const t of [0, 1, 37, 100]) {
      const f = await engine.restart({ from: 'data', t }, { positions: true });
      expect(f.t).toBe(t);
      expect(f.stepIndex).toBe(0);
      expect(f.totalSteps).toBe(t);
      const level = noiseLevel(schedule, t);
      const ref = forwardReference(data, m, n, 2, level, 5);
      // Same tolerance as the forward kernel test: two roundings of the sum plus the Box–Muller normal's.
      check(
        f.positions!,
        ref.xt,
        (k) =>
          2 *
            U *
            (level.sqrtAlphaBar * Math.abs(data[(Math.floor(k / 2) % m) * 2 + (k % 2)]!) +
              Math.abs(ref.xt[k]!)) +
          level.sqrtOneMinusAlphaBar * zTol(ref.eps[k]!) +
          1e-7,
        `scrub to t = ${t}`,
      );
      if (t === 0)
        expect(f.positions).toEqual(
          Float32Array.from({ length: 2 * n }, (_, k) => data[(Math.floor(k / 2) % m) * 2 + (k % 2)]!),
        );
    }
    // From t = 37 the reverse chain runs: 3 steps on the GPU equal the CPU engine's (same start, same noise).
    // Tolerance: the start agrees to the forward bound above (~1e-6); each DDPM step adds a few f32 roundings
    // of values |x| ≲ 3 (~1e-6) plus the exact denoiser's error at ᾱ ≈ 0.7 (same order, see "one GPU step");
    // 1e-5 absolute leaves ~3× that per step. Measured worst: 7.2e-7.
    await engine.restart({ from: 'data', t: 37 });
    await cpu.restart({ from: 'data', t: 37 });
    const g = await engine.jumpToStep(3, { positions: true });
    const c = await cpu.jumpToStep(3, { positions: true });
    expect(g.t).toBe(34);
    check(g.positions!, c.positions!, () => 1e-5, 'three steps from the scrubbed start');
    engine.destroy();
    cpu.destroy();
  });

  it('history snapshots reuse one buffer: after warm-up, 20 steps, 5 back and 5 forward create no GPU buffers', async () => {
    let created = 0;
    const labels: string[] = [];
    const real = gpu.device;
    const device = new Proxy(real, {
      get(target, prop) {
        if (prop === 'createBuffer')
          return (d: GPUBufferDescriptor) => {
            created++;
            labels.push(d.label ?? '?');
            return target.createBuffer(d);
          };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const engine = new DiffusionEngine({ device, info: gpu.info });
    const data = makeDataset2D({ kind: 'rings', n: 100, seed: 2 });
    const setup = {
      schedule: makeSchedule({ kind: 'cosine', T: 60 }),
      data,
      dim: 2,
      count: 777,
      seed: 4,
      sampler: { kind: 'ddpm', variance: 'beta' } as const,
    };
    const read = { positions: 64, x0: 64, density: { size: 16, xMin: -3, xMax: 3, yMin: -3, yMax: 3 } };
    const session = async () => {
      const states: Float32Array[] = [];
      for (let i = 0; i < 20; i++) states.push((await engine.step(read)).positions!);
      for (let i = 0; i < 5; i++) {
        const f = await engine.stepBack(read);
        expect(f.positions).toEqual(states[18 - i]); // snapshots hold exactly what was there
      }
      for (let i = 0; i < 5; i++) await engine.step(read);
      return states;
    };
    await engine.setup(setup, read);
    await session(); // warm-up: pipelines, parameter rings, readback pool, the history buffer
    await engine.restart({ from: 'noise' }, read); // back to t = T (its parameter buffer is warm-up too)
    const warm = created;
    expect(labels.filter((l) => l === 'diffusion.history')).toHaveLength(1);
    const again = await session();
    expect(created - warm, `buffers created in steady state: ${labels.slice(warm).join(', ')}`).toBe(0);
    // Running on to t = 0 and jumping back to a snapshot create none either.
    expect(again).toHaveLength(20);
    expect((await engine.jumpToStep(60, read)).t).toBe(0);
    expect((await engine.jumpToStep(3, read)).stepIndex).toBe(3);
    expect(created - warm).toBe(0);
    // A second setup of the same size reuses the history buffer as well.
    await engine.setup({ ...setup, seed: 5 }, read);
    const afterSetup = labels.slice(warm);
    expect(afterSetup).not.toContain('diffusion.history');
    engine.destroy();
  });

  it('reports readable errors for bad sizes', async () => {
    const engine = new DiffusionEngine(gpu);
    await expect(
      engine.setup({
        schedule: makeSchedule({ kind: 'cosine', T: 100 }),
        data: new Float32Array(3),
        dim: 2,
        count: 10,
        seed: 1,
        sampler: { kind: 'ddim', eta: 0 },
      }),
    ).rejects.toThrow(/multiple of the dimension/);
    engine.destroy();
  });
});
