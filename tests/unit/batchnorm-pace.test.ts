/** The BatchNorm training loop's pace: steps per call, held-out evaluation points within a call, speed. */
import { describe, expect, it } from 'vitest';
import {
  FRAME_BUDGET_MS,
  SINGLE_STEPS_MS,
  StepPacer,
  callPlan,
  nextEvaluation,
} from '../../src/ui/batchnorm/pace';

describe('held-out evaluation points', () => {
  it('fall after update 1, then every 25 (as single steps evaluate)', () => {
    expect([0, 1, 24, 25, 26, 49].map((s) => nextEvaluation(s, 25))).toEqual([1, 25, 25, 50, 50, 50]);
  });

  it('a call crosses at most one of them and evaluates after exactly that update', () => {
    expect(callPlan(0, 64, 25, true)).toEqual({ n: 24, evaluateAfter: 1 });
    expect(callPlan(1, 64, 25, true)).toEqual({ n: 48, evaluateAfter: 24 });
    expect(callPlan(1, 10, 25, true)).toEqual({ n: 10 });
    expect(callPlan(24, 1, 25, true)).toEqual({ n: 1, evaluateAfter: 1 });
    expect(callPlan(30, 200, 25, true)).toEqual({ n: 44, evaluateAfter: 20 });
    expect(callPlan(0, 64, 25, false)).toEqual({ n: 64 });
    // Whatever the sizes, the evaluations land on the same updates as single steps would.
    for (const wanted of [1, 3, 7, 26, 100]) {
      const at: number[] = [];
      for (let s = 0; s < 300;) {
        const p = callPlan(s, wanted, 25, true);
        if (p.evaluateAfter !== undefined) at.push(s + p.evaluateAfter);
        s += p.n;
      }
      expect(at.slice(0, 6), `wanted ${wanted}`).toEqual([1, 25, 50, 75, 100, 125]);
    }
  });
});

describe('StepPacer', () => {
  it('starts with single steps, then doubles while a call would fit the frame twice, halves when over', () => {
    const p = new StepPacer();
    p.reset(0);
    const perStep = 1.5;
    const sizes: number[] = [];
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const n = p.size;
      total += n;
      p.record(n, n * perStep, total, (i * SINGLE_STEPS_MS) / 4, 64);
      sizes.push(p.size);
    }
    // Single steps for SINGLE_STEPS_MS; then at 1.5 ms a step 4 steps (6 ms) still double, 8 steps (12 ms)
    // fit but not twice.
    expect(sizes).toEqual([1, 1, 1, 1, 2, 4, 8, 8, 8, 8]);
    const now = 10 * SINGLE_STEPS_MS;
    p.record(8, 8 * 3, total + 8, now, 64); // slower: 24 ms > the budget
    expect(p.size).toBe(4);
    p.record(4, 1, total + 12, now + 20, 3); // the cap (engine.maxStepsPerCall)
    expect(p.size).toBe(3);
    p.reset(now);
    expect(p.size).toBe(1);
    // Shrinking is at once, also at the start.
    p.size = 8;
    p.record(8, 40, total + 20, now + 10, 64);
    expect(p.size).toBe(4);
    expect(p.stepsPerSecond).toBeNull();
    expect(FRAME_BUDGET_MS).toBeGreaterThan(0);
  });

  it('a call cut short at an evaluation point counts at the size wanted', () => {
    const p = new StepPacer();
    p.reset(0);
    p.size = 16;
    p.record(2, 2, 2, SINGLE_STEPS_MS, 64); // 1 ms a step: 16 ms at the size wanted, not 2 ms
    expect(p.size).toBe(16);
  });

  it('measures steps per second over at least 20 steps and two calls', () => {
    const p = new StepPacer();
    p.record(1, 10, 1, 0, 1);
    expect(p.stepsPerSecond).toBeNull();
    for (let i = 2; i <= 40; i++) p.record(1, 10, i, (i - 1) * 10, 1);
    expect(p.stepsPerSecond).toBeCloseTo(100, 9);
    // Large calls: the window keeps two calls.
    const q = new StepPacer();
    q.reset(0);
    for (let i = 1; i <= 5; i++) q.record(64, 16, 64 * i, 16 * i, 64);
    expect(q.stepsPerSecond).toBeCloseTo(4000, 9);
  });
});
