/** The Diffusion lab's CSV tables (src/ui/diffusion/exports.ts): headers, shapes and values. */
import { describe, expect, it } from 'vitest';
import { makeSchedule } from '../../src/models/schedules';
import {
  densityRows,
  fieldRows,
  memorisationRows,
  scheduleRows,
  vectorRows,
} from '../../src/ui/diffusion/exports';

describe('diffusion export tables', () => {
  it('schedule: one row per t = 1…T with the plotted quantities', () => {
    const s = makeSchedule({ kind: 'cosine', T: 20 });
    const rows = scheduleRows(s);
    expect(rows[0]).toEqual(['t', 'beta', 'alphaBar', 'sqrtAlphaBar', 'sqrtOneMinusAlphaBar', 'logSNR']);
    expect(rows).toHaveLength(21);
    expect(rows[7]).toEqual([
      7,
      s.beta[7],
      s.alphaBar[7],
      s.sqrtAlphaBar[7],
      s.sqrtOneMinusAlphaBar[7],
      s.logSNR[7],
    ]);
    expect(rows[20]![0]).toBe(20);
  });

  it('vectors: (x, y) in 2D, c0… for images, one row per particle', () => {
    expect(vectorRows([1, 2, 3, 4], 2)).toEqual([
      ['particle', 'x', 'y'],
      [0, 1, 2],
      [1, 3, 4],
    ]);
    const img = vectorRows(
      Float32Array.from({ length: 8 }, (_, k) => k),
      4,
    );
    expect(img[0]).toEqual(['particle', 'c0', 'c1', 'c2', 'c3']);
    expect(img[2]).toEqual([1, 4, 5, 6, 7]);
    expect(vectorRows([1, 2, 3], 2)).toHaveLength(2); // a trailing partial vector is not a row
  });

  it('memorisation: nearest index and distance per sample', () => {
    expect(memorisationRows([3, 0], [0.01, 0.2])).toEqual([
      ['sample', 'nearestTrainingIndex', 'distance'],
      [0, 3, 0.01],
      [1, 0, 0.2],
    ]);
  });

  it('field and density grids: one row per cell, row-major, row 0 at yMin, cell centres', () => {
    const spec = { size: 2, xMin: -1, xMax: 1, yMin: -2, yMax: 2 };
    const field = {
      spec,
      t: 5,
      points: Float32Array.from([-0.5, -1, 0.5, -1, -0.5, 1, 0.5, 1]),
      x0: Float32Array.from({ length: 8 }, (_, k) => k / 10),
      eps: Float32Array.from({ length: 8 }, (_, k) => -k),
    };
    const f = fieldRows(field);
    expect(f[0]).toEqual(['row', 'col', 'x', 'y', 'x0_x', 'x0_y', 'eps_x', 'eps_y']);
    expect(f).toHaveLength(5);
    expect(f[2]).toEqual([0, 1, 0.5, -1, field.x0[2], field.x0[3], -2, -3]);
    const d = densityRows({ spec, counts: Uint32Array.from([1, 2, 3, 4]), outside: 0 });
    expect(d).toEqual([
      ['row', 'col', 'x', 'y', 'count'],
      [0, 0, -0.5, -1, 1],
      [0, 1, 0.5, -1, 2],
      [1, 0, -0.5, 1, 3],
      [1, 1, 0.5, 1, 4],
    ]);
  });
});
