/**
 * A hand-built induction circuit run through the whole pipeline (data → float64 forward → scores): layer 0
 * attends to the previous position and writes that token into its own subspace; layer 1 matches the current
 * token against it (key j holds x[j − 1]) and copies x[j]. On held-out data it must pass the bars,
 * and bounds derived from its softmax gaps (β = 20 per stripe, unembed gain g = 12):
 *   previous-token ≥ 1 − 63·e^−β, prefix-matching ≥ 1 − 64·e^−0.99β, second-copy CE ≤ ln(1 + 64·e^−g) + 1e-6.
 */
import { describe, expect, it } from 'vitest';
import { evaluateInduction, heldOutBatch } from '../../src/models/induction';
import { BETA, CONFIG, GAIN, circuit } from './induction-circuit-helpers';

describe('a hand-built induction circuit', () => {
  const params = circuit();
  const data = heldOutBatch(31, 96);
  const s = evaluateInduction(params, data, CONFIG);

  it('scores as a previous-token head in layer 0 and an induction head in layer 1', () => {
    expect(s.previousToken[0]![0]).toBeGreaterThanOrEqual(1 - 63 * Math.exp(-BETA));
    expect(s.prefixMatching[1]![0]).toBeGreaterThanOrEqual(1 - 64 * Math.exp(-0.99 * BETA));
    // The other stripe is absent: layer 1 looks back to the earlier copy, layer 0 never does.
    expect(s.previousToken[1]![0]).toBeLessThan(0.1);
    expect(s.prefixMatching[0]![0]).toBeLessThan(0.1);
  });

  it('predicts the second copy and not the first', () => {
    expect(s.secondCopy.loss).toBeLessThanOrEqual(Math.log1p(64 * Math.exp(-GAIN)) + 1e-6);
    expect(s.secondCopy.top1).toBe(1);
    // No leakage: the first copy is no better than chance over 64 tokens (less 0.15, the bar).
    expect(s.firstCopy.loss).toBeGreaterThan(Math.log(64) - 0.15);
    expect(s.firstCopy.top1).toBeLessThan(0.05);
  });

  it('zeroing either head raises the second-copy loss by ≥ 1.5 nats', () => {
    for (const layer of [0, 1]) {
      const cut = evaluateInduction(params, data, CONFIG, { ablate: [{ layer, head: 0 }] });
      expect(cut.secondCopy.loss - s.secondCopy.loss).toBeGreaterThanOrEqual(1.5);
    }
  }, 60_000);
});
