/**
 * The 2D datasets, the grids and the Diffusion CPU engine. Statistical checks use fixed seeds and 4 standard
 * errors; the engine's replays are exact.
 */
import { describe, expect, it } from 'vitest';
import { DATASETS_2D, makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';
import { densityReference, gridPointsReference } from '../../src/kernels/diffusion/ref';
import { DiffusionCpuEngine, chainPath } from '../../src/engine/diffusion';
import { meanCov2, nearestDistances } from './diffusion-helpers';

describe('2D datasets', () => {
  it('are deterministic per seed, roughly unit scale and centred', () => {
    for (const kind of DATASETS_2D) {
      const a = makeDataset2D({ kind, n: 4000, seed: 9 });
      expect(makeDataset2D({ kind, n: 4000, seed: 9 })).toEqual(a);
      expect(makeDataset2D({ kind, n: 4000, seed: 10 })).not.toEqual(a);
      expect(makeDataset2D({ kind, n: 10, seed: 9 })).toEqual(a.slice(0, 20));
      const m = meanCov2(a, 4000);
      expect(Math.abs(m.mx), kind).toBeLessThan(0.1);
      expect(Math.abs(m.my), kind).toBeLessThan(0.1);
      for (const v of [m.sxx, m.syy]) {
        expect(Math.sqrt(v), kind).toBeGreaterThan(0.6);
        expect(Math.sqrt(v), kind).toBeLessThan(1.3);
      }
    }
  });

  it('the Gaussian dataset has the requested mean and covariance (4 SE, 2·10⁴ points)', () => {
    const n = 20_000;
    const g = meanCov2(
      makeDataset2D({
        kind: 'gaussian',
        n,
        seed: 4,
        gaussian: {
          mean: [2, -1],
          cov: [
            [0.5, -0.3],
            [-0.3, 1.5],
          ],
        },
      }),
      n,
    );
    expect(Math.abs(g.mx - 2)).toBeLessThan(4 * Math.sqrt(0.5 / n));
    expect(Math.abs(g.my + 1)).toBeLessThan(4 * Math.sqrt(1.5 / n));
    expect(Math.abs(g.sxx - 0.5)).toBeLessThan(4 * Math.sqrt(0.5 / n));
    expect(Math.abs(g.syy - 1.5)).toBeLessThan(4 * Math.sqrt(4.5 / n));
    expect(Math.abs(g.sxy + 0.3)).toBeLessThan(4 * Math.sqrt((0.75 + 0.09) / n));
    expect(() =>
      makeDataset2D({
        kind: 'gaussian',
        n: 2,
        seed: 1,
        gaussian: {
          mean: [0, 0],
          cov: [
            [1, 2],
            [2, 1],
          ],
        },
      }),
    ).toThrow(RangeError);
  });

  it('two moons without noise lie on their arcs', () => {
    const p = makeDataset2D({ kind: 'two-moons', n: 200, seed: 5, noise: 0 });
    for (let i = 0; i < 200; i++) {
      const x = p[2 * i]! * 0.7 + 0.5;
      const y = p[2 * i + 1]! * 0.7 + 0.25;
      const r = i % 2 === 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5);
      expect(r).toBeCloseTo(1, 5);
    }
  });
});

describe('grids', () => {
  it('grid points are cell centres; density counts add up and bin by cell', () => {
    const spec = { size: 4, xMin: -2, xMax: 2, yMin: -1, yMax: 3 };
    const pts = gridPointsReference(spec);
    expect([pts[0], pts[1]]).toEqual([-1.5, -0.5]);
    expect([pts[2 * 6], pts[2 * 6 + 1]]).toEqual([0.5, 0.5]); // row 1, column 2
    const counts = densityReference(pts, 16, 2, spec);
    expect([...counts]).toEqual([...Array(16).fill(1), 0]);
    const out = densityReference([5, 0, 0, NaN, -2, -1, 1.999, 2.999], 4, 2, spec);
    expect(out[16]).toBe(2);
    expect(out[0]).toBe(1);
    expect(out[15]).toBe(1);
  });
});

describe('CPU engine', () => {
  const data = makeDataset2D({ kind: 'spiral', n: 100, seed: 1 });
  const schedule = makeSchedule({ kind: 'cosine', T: 100 });

  it('steps, steps back through history and through replay to identical states', async () => {
    for (const historyBytes of [undefined, 1]) {
      const engine = new DiffusionCpuEngine();
      const setup = {
        schedule,
        data,
        dim: 2,
        count: 300,
        seed: 5,
        sampler: { kind: 'ddpm', variance: 'beta' } as const,
        steps: 20,
        historyBytes,
      };
      const f0 = await engine.setup(setup, { positions: true });
      expect(f0.t).toBe(100);
      expect(f0.totalSteps).toBe(20);
      const states = [f0.positions!];
      for (let k = 1; k <= 6; k++) states.push((await engine.step({ positions: true })).positions!);
      expect(engine.t).toBe(70);
      for (let k = 5; k >= 2; k--) {
        const f = await engine.stepBack({ positions: true });
        expect(f.stepIndex).toBe(k);
        expect(f.positions).toEqual(states[k]);
      }
      const again = await engine.jumpToStep(6, { positions: true });
      expect(again.positions).toEqual(states[6]);
      expect((await engine.jumpToT(85, { positions: true })).t).toBe(85);
      engine.destroy();
    }
  });

  it('reads x̂₀, density and the field; at t = 0 x̂₀ is the particles and the field is null', async () => {
    const engine = new DiffusionCpuEngine();
    const grid = { size: 8, xMin: -3, xMax: 3, yMin: -3, yMax: 3 };
    const f = await engine.setup(
      { schedule, data, dim: 2, count: 200, seed: 1, sampler: { kind: 'ode', method: 'heun' }, steps: 50 },
      { x0: 50, density: grid, field: grid },
    );
    expect(f.x0).toHaveLength(100);
    expect([...f.density!.counts].reduce((a, b) => a + b, 0) + f.density!.outside).toBe(200);
    expect(f.field!.points).toHaveLength(128);
    const end = await engine.jumpToStep(50, { positions: true, x0: true, field: grid });
    expect(end.t).toBe(0);
    expect(engine.done).toBe(true);
    expect(end.x0).toEqual(end.positions);
    expect(end.field).toBeNull();
    const d = nearestDistances(end.positions!, 200, data);
    expect(d[Math.floor(0.9 * 200)]).toBeLessThan(0.05);
  });

  it('a start from data at t = T with zero terminal SNR equals the pure-noise start', async () => {
    const z = makeSchedule({ kind: 'linear', T: 50, zeroTerminalSnr: true });
    const engine = new DiffusionCpuEngine();
    const base = {
      schedule: z,
      data,
      dim: 2,
      count: 64,
      seed: 3,
      sampler: { kind: 'ddim', eta: 0 } as const,
    };
    const a = await engine.setup(base, { positions: true });
    const b = await engine.restart({ from: 'data', t: 50 }, { positions: true });
    expect(b.positions).toEqual(a.positions);
    const c = await engine.restart({ from: 'data', t: 0 }, { positions: true });
    expect(c.positions).toEqual(data.slice(0, 128));
    expect(c.totalSteps).toBe(0);
    expect(chainPath(z, 10, 'trailing', { from: 'data', t: 33 })).toEqual([33, 30, 25, 20, 15, 10, 5, 0]);
  });
});
