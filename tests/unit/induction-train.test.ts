/**
 * The induction model's float64 trainer (src/engine/induction/cpu.ts): a central-difference check of the
 * gradient of EVERY parameter entry on tiny configs, the objective's targets, the warm-up schedule, and
 * Adam on a learnable token source.
 *
 * Gradient-check tolerance: with step h = 1e-5 the central difference (L(θ + h) − L(θ − h))/2h differs from
 * dL/dθ by the truncation h²/6·|L'''| (|L'''| = O(10) for these O(1) losses: ≈ 2e-10) plus the loss's own
 * float64 rounding, ≈ 100 operations·2⁻⁵³·|L| ≈ 3e-14 absolute, divided by 2h: ≈ 3e-9. So
 * |numeric − analytic| ≤ 2e-8 + 1e-6·|analytic| holds with a margin of several times.
 */
import { describe, expect, it } from 'vitest';
import { CpuInductionTrainer, inductionLossAndGradient } from '../../src/engine/induction/cpu';
import { INDUCTION_TRAINING, learningRateAt, splitTargets } from '../../src/engine/induction/training';
import { initInduction, parameterLayout, type InductionConfig } from '../../src/models/induction/params';
import { mulberry32 } from '../../src/util/rng';

const TINY: InductionConfig = { layers: 1, heads: 2, dModel: 8, dHead: 4, vocab: 12, context: 10 };
const TINY2: InductionConfig = { ...TINY, layers: 2 };

/** batch sequences of T tokens: BOS (= vocab) at 0, then uniform ordinary tokens. */
function randomTokens(config: InductionConfig, batch: number, T: number, seed: number): Uint32Array {
  const r = mulberry32(seed);
  const out = new Uint32Array(batch * T);
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < T; t++) out[b * T + t] = t === 0 ? config.vocab : Math.floor(r() * config.vocab);
  return out;
}

describe('inductionLossAndGradient', () => {
  for (const config of [TINY, TINY2]) {
    it(`matches central differences for every entry of every tensor (${config.layers} layer(s))`, () => {
      const batch = 3;
      const T = config.context + 1;
      const tokens = randomTokens(config, batch, T, 7);
      // The model's own init (losses ≈ ln 13; a ×2 init makes 2-layer losses ≈ 10 with |L'''| ~ 10⁶, where
      // h = 1e-5 truncates by 5e-5: measured, h² convergence).
      const params = initInduction(11, config);
      const { grad, loss } = inductionLossAndGradient(params, tokens, batch, config);
      expect(loss).toBeGreaterThan(0);
      const h = 1e-5;
      let worst = 0;
      for (const slot of parameterLayout(config)) {
        let largest = 0;
        for (let i = slot.offset; i < slot.offset + slot.size; i++) {
          const saved = params[i]!;
          params[i] = saved + h;
          const up = inductionLossAndGradient(params, tokens, batch, config).loss;
          params[i] = saved - h;
          const down = inductionLossAndGradient(params, tokens, batch, config).loss;
          params[i] = saved;
          const numeric = (up - down) / (2 * h);
          const err = Math.abs(numeric - grad[i]!);
          const tol = 2e-8 + 1e-6 * Math.abs(grad[i]!);
          if (!(err <= tol))
            expect.fail(`${slot.name}[${i - slot.offset}]: analytic ${grad[i]} numeric ${numeric}`);
          worst = Math.max(worst, err / tol);
          largest = Math.max(largest, Math.abs(grad[i]!));
        }
        // Every tensor carries gradient (a zero-for-zero match would prove nothing).
        expect(largest, slot.name).toBeGreaterThan(1e-4);
      }
      console.log(`gradient check (${config.layers} layers): worst err/tol ${worst.toExponential(2)}`);
    });
  }

  it('position T − 1 (no target) gets no gradient; the BOS row does', () => {
    const config = { ...TINY, context: 12 };
    const tokens = randomTokens(config, 2, 11, 3); // 10 inputs, positions 10 and 11 unused
    const { grad } = inductionLossAndGradient(initInduction(1, config), tokens, 2, config);
    const pos = parameterLayout(config).find((s) => s.name === 'posEmbed')!;
    const tok = parameterLayout(config).find((s) => s.name === 'tokEmbed')!;
    const d = config.dModel;
    expect([...grad.subarray(pos.offset + 10 * d, pos.offset + pos.size)].every((g) => g === 0)).toBe(true);
    const bosRow = grad.subarray(tok.offset + config.vocab * d, tok.offset + (config.vocab + 1) * d);
    expect(Math.max(...bosRow.map(Math.abs))).toBeGreaterThan(0);
  });
});

describe('objective and schedule', () => {
  it('splitTargets: inputs x_0 … x_{T−2}, targets x_1 … x_{T−1}, per sequence', () => {
    const { inputs, targets, len } = splitTargets([12, 1, 2, 3, 12, 4, 5, 6], 2, TINY);
    expect(len).toBe(3);
    expect([...inputs]).toEqual([12, 1, 2, 12, 4, 5]);
    expect([...targets]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => splitTargets(new Uint32Array(2 * 12), 2, TINY)).toThrow(RangeError); // T − 1 > context
    expect(() => splitTargets([12, 13], 1, TINY)).toThrow(/Token 13/);
  });

  it('learning rate: linear warm-up over 100 steps to 3e-3, then constant', () => {
    expect(INDUCTION_TRAINING).toMatchObject({ lr: 3e-3, warmup: 100, beta1: 0.9, beta2: 0.98, batch: 32 });
    expect(learningRateAt(1)).toBeCloseTo(3e-5, 15);
    expect(learningRateAt(50)).toBeCloseTo(1.5e-3, 15);
    expect(learningRateAt(100)).toBe(3e-3);
    expect(learningRateAt(5000)).toBe(3e-3);
  });
});

describe('CpuInductionTrainer', () => {
  it('learns a copy task on a tiny config (second half repeats the first) and counts steps', () => {
    const config: InductionConfig = { layers: 2, heads: 2, dModel: 16, dHead: 8, vocab: 12, context: 12 };
    const tokens = (step: number, batch: number) => {
      const r = mulberry32(1000 + step);
      const out = new Uint32Array(batch * 13);
      for (let b = 0; b < batch; b++) {
        out[b * 13] = config.vocab;
        for (let j = 0; j < 6; j++)
          out[b * 13 + 1 + j] = out[b * 13 + 7 + j] = Math.floor(r() * config.vocab);
      }
      return out;
    };
    const t = new CpuInductionTrainer({
      seed: 3,
      config,
      tokens,
      settings: { batch: 16, lr: 1e-2, warmup: 10 },
    });
    const first = t.trainStep().loss;
    let last = first;
    for (let i = 0; i < 150; i++) last = t.trainStep().loss;
    expect(t.step).toBe(151);
    // ln 13 ≈ 2.56 at init; the 5 predictable targets of 12 can go to ~0, the 7 others stay ≈ ln 12.
    expect(first).toBeGreaterThan(2.3);
    expect(last).toBeLessThan(first - 0.5);
  });

  it('rejects init of the wrong size and data that does not fit the config', () => {
    expect(() => new CpuInductionTrainer({ seed: 1, config: TINY, init: [1, 2] })).toThrow(/needs/);
    expect(() => new CpuInductionTrainer({ seed: 1, config: TINY })).toThrow(/pass a token source/);
  });
});
