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
import {
  CpuBatchNormEngine,
  GpuBatchNormEngine,
  createBatchNormEngine,
  heldOutRows,
  type BatchNormLabConfig,
} from '../../src/engine/batchnorm';
import { makeDataBatch, type LabData } from '../../src/models/mlp';
import { downsampleImages, renderGlyphs } from '../../src/ui/common/glyphs';
import { nnPipelines, type NnKernelStyle } from '../../src/kernels/nn/pipelines';
import { testGpu } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
});
afterAll(() => gpu?.destroy());

const config: BatchNormLabConfig = { task: 'circles', lr: 0.01, batch: 48, depth: 3, width: 20, seed: 5 };

/** A GPU engine whose kernels are of `style` (recorded at construction); the adapter's default otherwise. */
function gpuEngine(c: BatchNormLabConfig, style?: NnKernelStyle): GpuBatchNormEngine {
  const p = nnPipelines(gpu.device);
  const before = p.style;
  p.style = style ?? before;
  try {
    return new GpuBatchNormEngine(gpu, c);
  } finally {
    p.style = before;
  }
}

describe('BatchNorm lab engine', () => {
  // Both kernel families (src/kernels/nn/pipelines.ts): barrier-free is the default on software adapters,
  // workgroup on GPUs; each must follow the float64 engine.
  for (const style of ['barrier-free', 'workgroup'] as const)
    it(`GPU (${style} kernels) and CPU engines agree step by step (train view, then eval view)`, async () => {
      const g = gpuEngine(config, style);
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
        // Percentiles of the chosen unit's activation input and accuracies, GPU against float64. Train view:
        // y = γx̂ + β (the drifting bias before BN cancels); Adam moves γ, β and the upstream weights apart by
        // ≤ 2·lr·δ per step (δ ≈ 1.1e-4, tests/gpu/nn-mlp.test.ts) and x̂ carries ≈ 1e-5 of f32 error:
        // |Δ| ≤ 1e-5·(1 + step)·(1 + |p|) (measured ≤ 3e-6). Eval view: y = γ(z − r_μ)/√(r_σ² + ε) + β with
        // the bias in z and the running mean r_μ each drifting by ≤ lr per step, |γ| ≤ 1 + lr·step: add
        // 2·lr·step·(1 + lr·step)/√r_σ² (measured ≤ 0.045 at step 5). The plain net has no such drift.
        // Accuracy is a count of rows over the batch: the same count on both (a row would flip only if its
        // two largest logits were within their f32 error, ~1e-6, of each other).
        const unit = o.unit;
        const rv = b.layers[o.layer]!.runningVar[unit]!;
        const drift =
          view === 'eval' ? (2 * config.lr * a.step * (1 + config.lr * a.step)) / Math.sqrt(rv) : 0;
        for (let k = 0; k < 3; k++) {
          const [pa, pb] = [a.percentiles.withBN[k]!, b.percentiles.withBN[k]!];
          expect(Math.abs(pa - pb), `BN percentile ${k}, step ${s}`).toBeLessThanOrEqual(
            1e-5 * (1 + a.step) * (1 + Math.abs(pb)) + drift,
          );
          const [qa, qb] = [a.percentiles.withoutBN[k]!, b.percentiles.withoutBN[k]!];
          expect(Math.abs(qa - qb), `plain percentile ${k}, step ${s}`).toBeLessThanOrEqual(
            1e-5 * (1 + a.step) * (1 + Math.abs(qb)),
          );
        }
        for (const net of ['withBN', 'withoutBN'] as const) {
          expect(Math.round(a.accuracy[net] * config.batch), `${net} accuracy, step ${s}`).toBe(
            Math.round(b.accuracy[net] * config.batch),
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

  /** Digit glyphs from the browser's fonts at 32×32, average-pooled to 16×16 (256 inputs), 10 classes. */
  function glyphData(trainPerClass: number, testPerClass: number): LabData {
    const tr = renderGlyphs({ set: 'digits', size: 32, perClass: trainPerClass, seed: 101 });
    const te = renderGlyphs({ set: 'digits', size: 32, perClass: testPerClass, seed: 202 });
    return {
      inputs: downsampleImages(tr.images, 32, tr.count, 2),
      labels: tr.labels,
      classes: 10,
      test: { inputs: downsampleImages(te.images, 32, te.count, 2), labels: te.labels },
    };
  }

  it('image task: GPU and CPU engines agree on custom data, held-out evaluation included; evaluating changes nothing', async () => {
    const data = glyphData(8, 7); // 80 training, 70 held-out images → 2 held-out batches of 32
    // A tiny learning rate: the Linear bias before BN has a true gradient of exactly 0, and Adam turns the
    // f32-vs-f64 rounding noise of that 0 into ±lr steps. Train-mode BN cancels the bias, but the eval-mode
    // held-out pass does not, so at lr = 0.01 the two backends' held-out BN losses part by several percent
    // after one step. With lr = 1e-5 that drift is negligible while running statistics still update
    // (momentum 0.1 whatever lr), so the comparison checks the plumbing: 1e-3 relative on losses.
    const cfg: BatchNormLabConfig = {
      task: 'digits',
      lr: 1e-5,
      batch: 32,
      depth: 2,
      width: 12,
      seed: 4,
      data,
    };
    expect(heldOutRows(cfg)).toBe(64);
    const g = new GpuBatchNormEngine(gpu, cfg);
    const c = new CpuBatchNormEngine(cfg);
    const quiet = new GpuBatchNormEngine(gpu, cfg);
    // Before any step (running statistics 0 and 1, biases 0) both backends evaluate the same function.
    {
      const o = { train: false, view: 'train', layer: 1, unit: 2, evaluate: true } as const;
      const [a, b] = [await g.step(o), await c.step(o)];
      for (const k of ['withBN', 'withoutBN'] as const) {
        expect(Math.abs(a.heldOut!.loss[k] - b.heldOut!.loss[k])).toBeLessThanOrEqual(
          1e-5 * b.heldOut!.loss[k],
        );
        expect(a.heldOut!.accuracy[k]).toBe(b.heldOut!.accuracy[k]);
      }
    }
    for (let s = 0; s < 4; s++) {
      const o = { train: true, view: 'train', layer: 1, unit: 2, evaluate: true } as const;
      const [a, b, q] = [await g.step(o), await c.step(o), await quiet.step({ ...o, evaluate: false })];
      // Same tolerance as the 2D steps: 1e-3 relative on losses (f32 vs f64 over a few Adam steps).
      expect(Math.abs(a.loss.withBN - b.loss.withBN)).toBeLessThanOrEqual(1e-3 * b.loss.withBN);
      expect(Math.abs(a.loss.withoutBN - b.loss.withoutBN)).toBeLessThanOrEqual(1e-3 * b.loss.withoutBN);
      expect(a.heldOut!.count).toBe(64);
      expect(b.heldOut!.count).toBe(64);
      for (const k of ['withBN', 'withoutBN'] as const) {
        expect(Math.abs(a.heldOut!.loss[k] - b.heldOut!.loss[k])).toBeLessThanOrEqual(
          1e-3 * b.heldOut!.loss[k],
        );
        // Accuracy is a count over 64 rows: a logit tie broken differently in f32 could move it by 1/64.
        expect(Math.abs(a.heldOut!.accuracy[k] - b.heldOut!.accuracy[k])).toBeLessThanOrEqual(1 / 64 + 1e-6);
      }
      // The held-out pass runs after everything read for the step and changes no weights or statistics.
      expect(q.heldOut).toBeUndefined();
      expect(q.loss).toEqual(a.loss);
      expect(q.layers).toEqual(a.layers);
      expect(q.percentiles).toEqual(a.percentiles);
    }
    for (const l of (await g.step({ train: false, view: 'train', layer: 0, unit: 0 })).layers) {
      for (const m of l.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-4);
    }
    // Batches come from the training rows only, identically on both backends.
    const batch = makeDataBatch(data, 4, 0, 32);
    expect(batch.x.length).toBe(32 * 256);
    for (let i = 0; i < 32; i++) expect(batch.labels[i]).toBeLessThan(10);
    g.destroy();
    quiet.destroy();
  });

  it('image task: the BN network reaches ≥ 70% held-out accuracy on 16×16 digit glyphs within 60 steps', async () => {
    // 600 training and 260 held-out images (other jitter draws of the same fonts); 10 classes, chance 10%.
    // Measured on SwiftShader: ≈ 0.89 at step 60 (the plain net ≈ 0.47 at this learning rate).
    const data = glyphData(60, 26);
    const cfg: BatchNormLabConfig = {
      task: 'digits',
      lr: 0.03,
      batch: 32,
      depth: 2,
      width: 16,
      seed: 3,
      data,
    };
    const g = new GpuBatchNormEngine(gpu, cfg);
    const first = await g.step({ train: true, view: 'train', layer: 0, unit: 0, evaluate: true });
    expect(first.heldOut!.count).toBe(256);
    expect(first.heldOut!.accuracy.withBN).toBeLessThan(0.3);
    let r = first;
    for (let s = 1; s < 60; s++)
      r = await g.step({ train: true, view: 'train', layer: 0, unit: 0, evaluate: s === 59 });
    expect(r.step).toBe(60);
    expect(r.heldOut!.accuracy.withBN).toBeGreaterThanOrEqual(0.7);
    expect(r.heldOut!.loss.withBN).toBeLessThan(first.heldOut!.loss.withBN / 2);
    g.destroy();
  });

  /**
   * Counts device.createBuffer, queue.submit and queue.writeBuffer calls, and the bytes copied into mappable
   * (MAP_READ) buffers, while `fn` runs.
   */
  async function counting<T>(fn: () => Promise<T>) {
    const { device } = gpu;
    const n = { buffers: 0, submits: 0, writes: 0, readBytes: 0 };
    const [createBuffer, createCommandEncoder, submit, writeBuffer] = [
      device.createBuffer,
      device.createCommandEncoder,
      device.queue.submit,
      device.queue.writeBuffer,
    ];
    device.createBuffer = (d) => (n.buffers++, createBuffer.call(device, d));
    device.createCommandEncoder = (d) => {
      const enc = createCommandEncoder.call(device, d);
      const copy = enc.copyBufferToBuffer.bind(enc) as (...a: unknown[]) => void;
      enc.copyBufferToBuffer = ((...a: unknown[]) => {
        // The long form (src, srcOffset, dst, dstOffset, size), the one the engine uses.
        if ((a[2] as GPUBuffer).usage & GPUBufferUsage.MAP_READ) n.readBytes += a[4] as number;
        copy(...a);
      }) as GPUCommandEncoder['copyBufferToBuffer'];
      return enc;
    };
    device.queue.submit = (b) => (n.submits++, submit.call(device.queue, b));
    device.queue.writeBuffer = (...a: Parameters<GPUQueue['writeBuffer']>) => (
      n.writes++,
      writeBuffer.apply(device.queue, a)
    );
    try {
      return { result: await fn(), ...n };
    } finally {
      Object.assign(device, { createBuffer, createCommandEncoder });
      Object.assign(device.queue, { submit, writeBuffer });
    }
  }

  // n steps in one command buffer run the same kernels on the same data in the same order as n submits
  // (the batches come from the ring instead of queue writes, Adam's step count from its GPU counter): the
  // results are equal bit for bit, so no tolerance.
  it('run(n): one submit, one queue write and no buffers per call, equal to n single steps bit for bit', async () => {
    const a = new GpuBatchNormEngine(gpu, config);
    const b = new GpuBatchNormEngine(gpu, config);
    const o = { view: 'train', layer: 2, unit: 7 } as const;
    await a.run({ ...o, steps: 3 }); // warm-up: the staging buffer of this size
    for (let k = 0; k < 3; k++) await b.step({ ...o, train: true });
    for (const view of ['train', 'eval'] as const) {
      const counted = await counting(() => a.run({ ...o, view, steps: 3, snapshot: view === 'eval' }));
      const run = counted.result;
      if (view === 'train') {
        expect([counted.buffers, counted.submits, counted.writes]).toEqual([0, 1, 1]);
        // Read back: each step's (loss, accuracy) of both nets, every layer's statistics (the export holds
        // them all) and running statistics, and the chosen unit's column (B rows) in both nets.
        const { batch: B, width: W, depth: D } = config;
        expect(counted.readBytes).toBe(4 * (4 * 3 + 8 * D * W + 2 * B));
      }
      const singles = [];
      for (let k = 0; k < 3; k++)
        singles.push(await b.step({ ...o, view, train: true, snapshot: view === 'eval' && k === 2 }));
      expect(run.steps).toEqual(singles.map((s) => ({ loss: s.loss, accuracy: s.accuracy })));
      expect(run.last).toEqual(singles.at(-1));
      if (view === 'eval') expect(run.last.snapshot!.step).toBe(9);
    }
    expect(a.steps).toBe(9);
    expect(b.steps).toBe(9);
    a.destroy();
    b.destroy();
  });

  // The unit's column is gathered on the GPU with the column in a uniform written only when it changes: a
  // look after each change of layer and unit gives that column's percentiles. Before any step the GPU and
  // float64 engines hold the same weights, so y differs by f32 rounding only: |Δ| ≤ 1e-5·(1 + |p|).
  it('the chosen unit follows every change of layer and unit (GPU column gather vs float64)', async () => {
    const g = new GpuBatchNormEngine(gpu, config);
    const c = new CpuBatchNormEngine(config);
    for (const [layer, unit] of [
      [0, 0],
      [2, 7],
      [2, 19],
      [1, 3],
      [2, 7],
    ] as const) {
      const o = { train: false, view: 'train', layer, unit } as const;
      const [a, b] = [await g.step(o), await c.step(o)];
      for (const net of ['withBN', 'withoutBN'] as const)
        a.percentiles[net].forEach((p, k) =>
          expect(
            Math.abs(p - b.percentiles[net][k]!),
            `${net} layer ${layer} unit ${unit} p${k}`,
          ).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(b.percentiles[net][k]!))),
        );
    }
    g.destroy();
  });

  it('run(n) with a held-out evaluation inside the call equals single steps evaluating there', async () => {
    const data = glyphData(4, 7); // 40 training, 70 held-out images → 4 held-out batches of 16
    const cfg: BatchNormLabConfig = {
      task: 'digits',
      lr: 0.01,
      batch: 16,
      depth: 2,
      width: 12,
      seed: 4,
      data,
    };
    const a = new GpuBatchNormEngine(gpu, cfg);
    const b = new GpuBatchNormEngine(gpu, cfg);
    const o = { view: 'train', layer: 1, unit: 5 } as const;
    for (const at of [2, 4]) {
      const run = await a.run({ ...o, steps: 4, evaluateAfter: at });
      const singles = [];
      for (let k = 1; k <= 4; k++) singles.push(await b.step({ ...o, train: true, evaluate: k === at }));
      expect(run.heldOut).toEqual({ step: b.steps - 4 + at, result: singles[at - 1]!.heldOut });
      expect(run.heldOut!.result.count).toBe(64);
      expect(run.steps.map((s) => s.loss)).toEqual(singles.map((s) => s.loss));
      const { heldOut: _, ...last } = singles[3]!;
      expect(run.last).toEqual(last);
    }
    a.destroy();
    b.destroy();
  });

  it('refuses an image task without images, and malformed data, with clear messages', () => {
    const base: BatchNormLabConfig = { task: 'digits', lr: 0.01, batch: 8, depth: 1, width: 4, seed: 1 };
    expect(() => createBatchNormEngine(gpu, base)).toThrow(/digits task needs its images/);
    expect(() => createBatchNormEngine(null, base)).toThrow(/digits task needs its images/);
    const bad = (data: LabData) => () => createBatchNormEngine(null, { ...base, data });
    expect(bad({ inputs: new Float32Array(7), labels: [0, 1], classes: 2 })).toThrow(
      /not a whole number per row/,
    );
    expect(bad({ inputs: new Float32Array(4), labels: [0, 5], classes: 2 })).toThrow(
      /label 1 is 5, outside the 2 classes/,
    );
    expect(
      bad({
        inputs: new Float32Array(4),
        labels: [0, 1],
        classes: 2,
        test: { inputs: new Float32Array(3), labels: [0] },
      }),
    ).toThrow(/held-out split has 3 input values for 1 labels; expected 2 per row/);
  });
});
