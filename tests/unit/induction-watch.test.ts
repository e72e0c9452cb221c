/**
 * The induction trainer's watch (src/ui/attention/induction-watch.ts): which scores it takes, when it says
 * the target passed, how often it evaluates, and the panel's sentences. Pure TypeScript in Node.
 */
import { describe, expect, it } from 'vitest';
import {
  INDUCTION_TARGET,
  InductionWatch,
  WATCH_SEQUENCES,
  bestScores,
  cancelledLine,
  finishedLine,
  lostLine,
  progressLine,
} from '../../src/ui/attention/induction-watch';
import {
  evaluateInduction,
  heldOutBatch,
  initInduction,
  type InductionScores,
} from '../../src/models/induction/index';

/** Scores with layer-1 prefix-matching `prefix` on head 2 and layer-0 previous-token `prev` on head 1. */
function scores(prefix: number, prev: number): InductionScores {
  return {
    previousToken: [
      [0.1, prev, 0.05, 0.2],
      [0.9, 0.95, 0.99, 0.97], // layer 1's previous-token scores must not count
    ],
    prefixMatching: [
      [0.99, 0.98, 0.97, 0.96], // nor layer 0's prefix-matching
      [0.01, 0.02, prefix, 0.03],
    ],
    firstCopy: { loss: 4.1, top1: 0.02, count: 10 },
    secondCopy: { loss: 1.25, top1: 0.6, count: 9 },
  };
}

describe('induction watch', () => {
  it('takes the best layer-1 prefix-matching and the best layer-0 previous-token score', () => {
    expect(bestScores(scores(0.42, 0.77))).toEqual({ prefixMatching: 0.42, previousToken: 0.77 });
    expect(() => bestScores({ ...scores(0, 0), prefixMatching: [[0.5]] })).toThrow(/layer 1/);
  });

  it('records when the induction score first reaches the target; passed follows the latest', () => {
    const w = new InductionWatch(1);
    expect(w.target).toBe(0.8);
    w.record(scores(0.5, 0.7), 100, 0);
    expect([w.passed, w.passedAt]).toEqual([false, null]);
    w.record(scores(0.8, 0.9), 200, 1000); // exactly the target passes (≥)
    expect([w.passed, w.passedAt]).toEqual([true, 200]);
    w.record(scores(0.79, 0.9), 300, 2000);
    expect([w.passed, w.passedAt]).toEqual([false, 200]);
    expect(w.latest).toEqual({ step: 300, prefixMatching: 0.79, previousToken: 0.9, secondCopyLoss: 1.25 });
    w.trim(150);
    expect(w.points.map((p) => p.step)).toEqual([100]);
    expect(w.passedAt).toBeNull();
  });

  it('is due at most once per interval (longer after a costly evaluation), and always at the end', () => {
    const w = new InductionWatch(1, INDUCTION_TARGET, 1000);
    expect(w.due(0, false)).toBe(true);
    w.record(scores(0.1, 0.1), 1, 500);
    expect(w.due(1499, false)).toBe(false);
    expect(w.due(1499, true)).toBe(true);
    expect(w.due(1500, false)).toBe(true);
    // An evaluation that took 600 ms: the next waits 3 × 600 ms, so scoring keeps to ≤ 1/4 of the time.
    w.record(scores(0.1, 0.1), 2, 2000, 600);
    expect(w.due(3799, false)).toBe(false);
    expect(w.due(3800, false)).toBe(true);
  });

  it('evaluates on heldOutBatch(seed + 1000, 32) in float64; the heads at initialisation score low', () => {
    const seed = 7;
    const w = new InductionWatch(seed);
    expect(w.heldOut.size).toBe(WATCH_SEQUENCES);
    expect(Array.from(w.heldOut.tokens)).toEqual(Array.from(heldOutBatch(seed + 1000, 32).tokens));
    const params = Float32Array.from(initInduction(seed));
    const p = w.evaluate(params, 0);
    // Same float64 code on the same inputs: exactly equal.
    const direct = evaluateInduction(params, heldOutBatch(seed + 1000, 32));
    expect(p).toEqual({ step: 0, ...bestScores(direct), secondCopyLoss: direct.secondCopy.loss });
    // Issue 13: prefix-matching ≤ 0.1 at initialisation (attention is near uniform over ~40 keys).
    expect(p.prefixMatching).toBeLessThanOrEqual(0.1);
    expect(p.previousToken).toBeLessThan(0.5);
    expect(p.secondCopyLoss).toBeGreaterThan(3);
  });

  it('writes the status sentences of the brief', () => {
    const w = new InductionWatch(1);
    expect(progressLine(1200, 4000, 2.314, undefined, null)).toBe('Step 1200 of 4000 · loss 2.31');
    w.record(scores(0.421, 0.774), 1200, 0);
    expect(progressLine(1200, 4000, 2.314, w.latest, 31.6)).toBe(
      'Step 1200 of 4000 · loss 2.31 · prefix-matching 0.42 · previous-token 0.77 · 32 steps/s',
    );
    expect(progressLine(3, 30, 4.1, w.latest, 0.93)).toMatch(/· 0\.9 steps\/s$/);
    w.record(scores(0.812, 0.9), 2350, 1000);
    expect(finishedLine(2350, 41.2, w)).toBe(
      'Trained 2350 steps in 41 s; induction score 0.81 passed 0.8 at step 2350',
    );
    const fresh = new InductionWatch(1);
    fresh.record(scores(0.05, 0.2), 30, 0);
    expect(finishedLine(30, 9.46, fresh)).toBe('Trained 30 steps in 9.5 s; induction score 0.05, below 0.8');
    expect(finishedLine(30, 12, fresh, 20)).toMatch(/^Trained 30 steps \(from step 20 after a GPU loss\)/);
    expect(cancelledLine(12, 30, fresh)).toBe(
      'Training cancelled at step 12 of 30. The model from step 30 is kept.',
    );
    expect(cancelledLine(12, 30, new InductionWatch(1), 'the seed changed')).toBe(
      'Training stopped at step 12 of 30: the seed changed. No model was evaluated yet, so none is kept.',
    );
    expect(lostLine(14, fresh)).toBe(
      'The GPU was lost at step 14; the model from step 30 is kept. Train again to continue.',
    );
  });
});
