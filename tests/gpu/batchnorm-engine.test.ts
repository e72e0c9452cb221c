/**
 * BatchNorm lab engine: the GPU engine against the CPU (float64) engine over a few steps in both views,
 * and the invariants the page relies on. Tolerances: losses within 1e-3 relative (a few Adam steps of f32
 * vs f64 arithmetic). The Linear bias before BN has an exactly-zero true gradient; Adam turns the f32-vs-f64
 * rounding noise of that zero into ±lr steps, so pre-BN means and running means may part by up to lr per
 * step (running means, EMAs of those means, as well): means within 1e-3·(1 + |ref|) + lr·step, running means within
 * 1e-5 + lr·step. Variances are shift-invariant: train view within 1e-3·(1 + ref), running variances
 * likewise; the eval view normalises with those drifting running means, so deeper layers' pre-BN variances
 * are compared within 5e-2·(1 + ref). Post-BN batch means |μ| < 1e-4 and variances |σ² − 1| < 1e-3 in the
 * train view (x̂ has variance σ²/(σ²+ε)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { CpuBatchNormEngine, GpuBatchNormEngine, type BatchNormLabConfig } from '../../src/engine/batchnorm';
import { testGpu } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu();
});
afterAll(() => gpu?.destroy());

const config: BatchNormLabConfig = { task: 'circles', lr: 0.01, batch: 48, depth: 3, width: 20, seed: 5 };

describe('BatchNorm lab engine', () => {
  it('GPU and CPU engines agree step by step (train view, then eval view)', async () => {
    const g = new GpuBatchNormEngine(gpu, config);
    const c = new CpuBatchNormEngine(config);
    for (let s = 0; s < 6; s++) {
      const view = s < 4 ? 'train' : 'eval';
      const o = { train: true, view, layer: 1, unit: 3 } as const;
      const [a, b] = [await g.step(o), await c.step(o)];
      expect(a.step).toBe(b.step);
      expect(Math.abs(a.loss.withBN - b.loss.withBN)).toBeLessThanOrEqual(1e-3 * b.loss.withBN);
      expect(Math.abs(a.loss.withoutBN - b.loss.withoutBN)).toBeLessThanOrEqual(1e-3 * b.loss.withoutBN);
      for (const [la, lb] of a.layers.map((l, i) => [l, b.layers[i]!] as const)) {
        // Pre-BN means also carry the Linear bias before BN, whose true gradient is exactly 0: Adam turns
        // f32-vs-f64 rounding noise of that zero into ±lr steps, so means may drift apart by lr per step.
        la.preBN.mean.forEach((v, i) =>
          expect(Math.abs(v - lb.preBN.mean[i]!)).toBeLessThan(
            1e-3 * (1 + Math.abs(lb.preBN.mean[i]!)) + config.lr * a.step,
          ),
        );
        la.preBN.var.forEach((v, i) =>
          expect(Math.abs(v - lb.preBN.var[i]!)).toBeLessThan(
            (view === 'train' ? 1e-3 : 5e-2) * (1 + lb.preBN.var[i]!),
          ),
        );
        la.runningMean.forEach((v, i) =>
          expect(Math.abs(v - lb.runningMean[i]!)).toBeLessThan(1e-5 + config.lr * a.step),
        );
        la.runningVar.forEach((v, i) =>
          expect(Math.abs(v - lb.runningVar[i]!)).toBeLessThan(1e-3 * (1 + lb.runningVar[i]!)),
        );
        if (view === 'train') {
          for (const m of la.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-4);
          for (const v of la.postBN.var) expect(Math.abs(v - 1)).toBeLessThan(1e-3);
        }
      }
      for (let k = 0; k < 3; k++) {
        expect(Math.abs(a.percentiles.withoutBN[k]! - b.percentiles.withoutBN[k]!)).toBeLessThan(
          1e-3 * (1 + Math.abs(b.percentiles.withoutBN[k]!)),
        );
      }
    }
    // Looking without learning (train view): nothing changes, x̂ is standardised, both backends agree.
    const look = { train: false, view: 'train', layer: 0, unit: 0 } as const;
    const [a, b] = [await g.step(look), await c.step(look)];
    const again = await g.step(look);
    expect(a.step).toBe(6);
    expect(again.loss.withBN).toBe(a.loss.withBN);
    expect(again.layers[0]!.runningMean).toEqual(a.layers[0]!.runningMean);
    expect(Math.abs(a.loss.withBN - b.loss.withBN)).toBeLessThanOrEqual(1e-3 * b.loss.withBN);
    for (const l of a.layers) {
      for (const m of l.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-4);
      for (const v of l.postBN.var) expect(Math.abs(v - 1)).toBeLessThan(1e-3);
    }
    g.destroy();
  });
});
