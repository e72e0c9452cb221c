/** The BatchNorm lab's training history: every step kept, and the thinned curves the charts draw. */
import { describe, expect, it } from 'vitest';
import type { BatchNormStep } from '../../src/engine/batchnorm';
import { Column, TrainingHistory, drawnCurve, strided } from '../../src/ui/batchnorm/history';

const step = (n: number, loss: number): BatchNormStep => ({
  step: n,
  view: 'train',
  loss: { withBN: loss, withoutBN: 2 * loss },
  accuracy: { withBN: 0.5, withoutBN: 0.25 },
  layers: [],
  percentiles: { layer: 0, unit: 0, withBN: [-1, 0, 1], withoutBN: [-2, 0, 2] },
  backend: 'cpu',
});

describe('TrainingHistory', () => {
  it('keeps every step (no thinning) and restarts the percentiles when the unit changes', () => {
    const h = new TrainingHistory();
    const n = 10_000;
    for (let i = 1; i <= n; i++) h.recordStep(step(i, 1 / i), i <= 5000 ? '0:0:train' : '0:1:train');
    expect(h.steps).toBe(n);
    // Float64 columns: the values come back exactly as recorded.
    expect(h.loss.withBN.at(0)).toBe(1);
    expect(h.loss.withBN.at(n - 1)).toBe(1 / n);
    expect(h.loss.withoutBN.at(n - 1)).toBe(2 / n);
    expect(h.pStart).toBe(5000);
    expect(h.pBN[2].length).toBe(5000);
    expect(() => h.recordStep(step(n + 5, 1), '0:1:train')).toThrow(/out of step/);
  });

  it('replaces a held-out evaluation at the same step and ignores older ones', () => {
    const h = new TrainingHistory();
    const ho = (a: number) => ({
      count: 8,
      loss: { withBN: 1, withoutBN: 1 },
      accuracy: { withBN: a, withoutBN: a },
    });
    h.recordHeldOut(0, ho(0.1));
    h.recordHeldOut(25, ho(0.2));
    h.recordHeldOut(25, ho(0.3));
    h.recordHeldOut(3, ho(0.9));
    expect(h.held).toEqual({ step: [0, 25], withBN: [0.1, 0.3], withoutBN: [0.1, 0.3] });
  });
});

describe('drawn curves', () => {
  it('draws every point of a short history', () => {
    expect(drawnCurve([3, 1, 2], 0, 10)).toEqual({ x: [0, 1, 2], y: [3, 1, 2] });
  });

  it('thins a long history to the extremes of each bucket, keeping a spike', () => {
    const y = Array.from({ length: 100_000 }, (_, i) => (i === 12_345 ? 330 : 0.7 + 0.01 * Math.sin(i)));
    const c = drawnCurve(y, 0, 4000);
    expect(c.x.length).toBeLessThanOrEqual(4000);
    expect(c.x.length).toBeGreaterThan(3000);
    expect(c.y).toContain(330);
    expect(c.x[c.y.indexOf(330)]).toBe(12_345);
    // In step order.
    expect(c.x.every((v, i) => i === 0 || v > c.x[i - 1]!)).toBe(true);
  });

  it('strides bands, keeping the last point, with x from the start step', () => {
    const col = new Column();
    for (let i = 0; i < 10; i++) col.push(i);
    const s = strided([col.values, col.values], 100, 4);
    expect(s.x).toEqual([100, 103, 106, 109]);
    expect(s.columns[1]).toEqual([0, 3, 6, 9]);
  });
});

describe('TrainingHistory of multi-step calls', () => {
  const metrics = (loss: number) => ({
    loss: { withBN: loss, withoutBN: 2 * loss },
    accuracy: { withBN: 0.5, withoutBN: 0.25 },
  });

  it('records every step of a call and the last step’s percentiles at its own step', () => {
    const h = new TrainingHistory();
    h.recordSteps([metrics(1)], step(1, 1), '0:0:train');
    h.recordSteps([metrics(0.9), metrics(0.8), metrics(0.7)], step(4, 0.7), '0:0:train');
    h.recordSteps([metrics(0.6), metrics(0.5)], step(6, 0.5), '0:0:train');
    expect(Array.from(h.loss.withBN.values)).toEqual([1, 0.9, 0.8, 0.7, 0.6, 0.5]);
    expect(Array.from(h.pX.values)).toEqual([0, 3, 5]);
    expect(h.pBN[0].length).toBe(3);
    expect(strided([h.pBN[0].values], h.pX.values).x).toEqual([0, 3, 5]);
    // A call that does not follow the history is refused.
    expect(() => h.recordSteps([metrics(1)], step(8, 1), '0:0:train')).toThrow(/out of step/);
    // Truncating keeps the samples of the steps kept.
    h.truncate(4);
    expect(Array.from(h.pX.values)).toEqual([0, 3]);
    expect(h.pPlain.map((c) => c.length)).toEqual([2, 2, 2]);
    h.truncate(3);
    expect(Array.from(h.pX.values)).toEqual([0]);
  });
});
