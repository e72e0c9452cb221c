/** TrainingHistory.truncate: a resume after a GPU loss keeps the steps up to the snapshot and drops the rest. */
import { describe, expect, it } from 'vitest';
import type { BatchNormStep } from '../../src/engine/batchnorm';
import { TrainingHistory } from '../../src/ui/batchnorm/history';

const step = (n: number, loss: number): BatchNormStep => ({
  step: n,
  view: 'train',
  loss: { withBN: loss, withoutBN: 2 * loss },
  accuracy: { withBN: 0.5, withoutBN: 0.25 },
  layers: [],
  percentiles: { layer: 0, unit: 0, withBN: [-1, 0, 1], withoutBN: [-2, 0, 2] },
  backend: 'gpu',
});
const heldOut = { count: 8, loss: { withBN: 1, withoutBN: 1 }, accuracy: { withBN: 0.5, withoutBN: 0.5 } };

describe('TrainingHistory.truncate', () => {
  it('keeps steps 0 … s − 1 and the held-out looks after at most s updates, then records step s + 1 on', () => {
    const h = new TrainingHistory();
    for (let i = 1; i <= 100; i++) h.recordStep(step(i, 1 / i), i <= 40 ? '0:0:train' : '0:1:train');
    for (const at of [0, 25, 50, 75, 100]) h.recordHeldOut(at, heldOut);
    h.truncate(60);
    expect(h.steps).toBe(60);
    expect(h.loss.withBN.at(59)).toBe(1 / 60);
    expect(h.loss.withBN.at(60)).toBeUndefined();
    expect(h.accuracy.withoutBN.values).toHaveLength(60);
    // Percentiles restarted at step 40 (unit change): 20 of them are kept.
    expect(h.pStart).toBe(40);
    expect(h.pBN.map((c) => c.length)).toEqual([20, 20, 20]);
    expect(h.pPlain[0].length).toBe(20);
    expect(h.held.step).toEqual([0, 25, 50]);
    expect(h.held.withBN).toHaveLength(3);
    expect(h.held.withoutBN).toHaveLength(3);
    // The resumed run records step 61 next (its x is 60), in the same unit.
    h.recordStep(step(61, 0.5), '0:1:train');
    expect(h.steps).toBe(61);
    expect(h.loss.withBN.at(60)).toBe(0.5);
    expect(h.pBN[1].length).toBe(21);
  });

  it('before the percentiles started: they start again at the kept length', () => {
    const h = new TrainingHistory();
    for (let i = 1; i <= 50; i++) h.recordStep(step(i, 1), i <= 30 ? '0:0:train' : '0:1:train');
    h.truncate(10);
    expect(h.steps).toBe(10);
    expect(h.pStart).toBe(10);
    expect(h.pBN[0].length).toBe(0);
    h.recordStep(step(11, 1), '0:1:train');
    expect(h.pStart).toBe(10);
    expect(h.pBN[0].length).toBe(1);
  });
});
