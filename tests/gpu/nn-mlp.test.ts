/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups; the references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 * - the MLP's first five training steps against the float64 trainer: derived in the GPU MLP block.
 */
import { describe, expect, it } from 'vitest';
import { GpuMlp } from '../../src/engine/nn';
import { CpuMlp, makeBatch } from '../../src/models/mlp';
import { gpu, read, expectClose, useNnGpu } from './nn-helpers';

useNnGpu();

describe('GPU MLP', () => {
  async function trainSteps(
    mlp: GpuMlp,
    task: 'spirals',
    seed: number,
    from: number,
    steps: number,
    lr: number,
  ) {
    for (let s = from; s < from + steps; s++) {
      mlp.setBatch(makeBatch(task, seed, s, mlp.rows));
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      mlp.encodeStep(pass, { train: true, lr });
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
    }
    return read(mlp.result, 2);
  }

  // Bounds (u = 2⁻²³), first five steps of a depth-2, width-20 net on batches of 50 with Adam (lr 0.01):
  //  - a gradient entry is a length-B sum through the backward chain: relative error δ ≈ (B + depth·width)·u
  //    = 1.1e-5, ×10 for sums that cancel to a tenth of Σ|terms|. Adam's step lr·m̂/(√v̂ + ε) has |m̂/√v̂| ≤ 1
  //    and moves by ≤ 2δ·lr, and f32 rounds each weight (and its initial value) at ≤ u·|w|: after t steps
  //    |Δw| ≤ 2t·lr·δ + (t + 1)·u·|w|;
  //  - loss: the forward's own f32 error (Σ fan-ins + classes + exp/log ≈ 54u ≈ 6e-6 relative) plus the
  //    weights' drift times the loss's sensitivity (ℓ1 norm of ∂L/∂w ≲ 1, so ≤ 2t·lr·δ): rtol 6e-6 + 2t·lr·δ.
  // The BN nets' Linear biases before BN have an exactly-zero true gradient, so δ is unbounded there (see below).
  it('first five training steps follow the CPU float64 trainer for several activations', async () => {
    const [B, depth, width, lr] = [50, 2, 20, 0.01];
    const u = 2 ** -23;
    const delta = 10 * (B + depth * width) * u;
    for (const [batchNorm, activation] of [
      [true, 'relu'],
      [false, 'relu'],
      [true, 'gelu'],
      [false, 'silu'],
      [true, 'sigmoid'],
    ] as const) {
      const shape = { depth, width, batchNorm, activation };
      const mlp = new GpuMlp(gpu.device, shape, B, 3);
      const cpu = new CpuMlp(shape, 3);
      let [worstLoss, worstW] = [0, 0];
      for (let s = 0; s < 5; s++) {
        const r = cpu.step(makeBatch('spirals', 3, s, B), { lr });
        const g = await trainSteps(mlp, 'spirals', 3, s, 1, lr);
        // The loss of step s is computed before its update: with the weights of s steps.
        const tol = 6e-6 + 2 * s * lr * delta;
        const err = Math.abs(g[0]! - r.loss) / r.loss;
        expect(err, `step ${s} bn=${batchNorm} ${activation}`).toBeLessThanOrEqual(tol);
        worstLoss = Math.max(worstLoss, err / tol);
      }
      const saved = await mlp.saveWeights();
      for (const [k, w] of cpu.weights) {
        // Before BN a Linear bias has an exactly-zero true gradient (BN subtracts the batch mean); Adam
        // normalises the f32 vs f64 rounding noise of that zero to ±lr steps, so those biases are not compared.
        if (batchNorm && /^layers\.\d+\.bias$/.test(k)) continue;
        const t = 5;
        const tol = (i: number) => 2 * t * lr * delta + (t + 1) * u * Math.abs(w[i]!);
        worstW = Math.max(worstW, expectClose(Float32Array.from(saved[k]!), w, tol, k));
      }
      console.log(
        `MLP bn=${batchNorm} ${activation}: max loss error/bound ${worstLoss.toFixed(3)}, weights ${worstW.toFixed(3)}`,
      );
      mlp.destroy();
    }
  });

  it('BN net (depth 3, width 32, batch 64, Adam lr 0.01, seed 1) fits spirals: loss < 0.3 within 300 steps', async () => {
    const mlp = new GpuMlp(gpu.device, { depth: 3, width: 32, batchNorm: true }, 64, 1);
    const first = await trainSteps(mlp, 'spirals', 1, 0, 1, 0.01);
    const last = await trainSteps(mlp, 'spirals', 1, 1, 299, 0.01);
    expect(first[0]).toBeGreaterThan(0.5);
    expect(last[0]).toBeLessThan(0.3);
    mlp.destroy();
  }, 120_000);

  it('saved weights load bit-exactly into a fresh model (f32), which then computes the same loss', async () => {
    const shape = { depth: 2, width: 24, batchNorm: true, activation: 'silu' as const };
    const a = new GpuMlp(gpu.device, shape, 40, 3);
    await trainSteps(a, 'spirals', 3, 0, 4, 0.01);
    const saved = await a.saveWeights();
    const b = new GpuMlp(gpu.device, shape, 40, 99);
    const before = await b.saveWeights();
    expect(before['layers.0.weight']).not.toEqual(saved['layers.0.weight']);
    b.loadWeights(saved);
    const loaded = await b.saveWeights();
    expect(Object.keys(loaded).sort()).toEqual(Object.keys(saved).sort());
    for (const [k, w] of Object.entries(saved)) {
      const got = loaded[k]!;
      expect(got.length, k).toBe(w.length);
      for (let i = 0; i < w.length; i++) {
        if (!Object.is(got[i], w[i])) expect.fail(`${k}[${i}]: loaded ${got[i]} saved ${w[i]}`);
      }
    }
    // Same weights and running statistics: the eval-mode forward of one batch gives the same loss bits.
    const evalLoss = async (mlp: GpuMlp) => {
      mlp.setBatch(makeBatch('spirals', 3, 50, 40));
      const enc = gpu.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      mlp.encodeStep(pass, { train: false, lr: 0 });
      pass.end();
      gpu.device.queue.submit([enc.finish()]);
      return (await read(mlp.result, 2))[0]!;
    };
    expect(Object.is(await evalLoss(b), await evalLoss(a))).toBe(true);
    a.destroy();
    b.destroy();
  });

  it('loading weights of another shape fails with a message naming the tensor; nothing is written', async () => {
    const small = new GpuMlp(gpu.device, { depth: 2, width: 16, batchNorm: false }, 8, 1);
    const big = new GpuMlp(gpu.device, { depth: 2, width: 20, batchNorm: false }, 8, 2);
    const bigWeights = await big.saveWeights();
    const before = await small.saveWeights();
    expect(() => small.loadWeights(bigWeights)).toThrow(
      /"layers\.0\.weight" hold 40 values; this model \(depth 2, width 16\) needs 32/,
    );
    expect(() => small.loadWeights({ 'layers.5.weight': [1, 2] })).toThrow(
      /tensor "layers\.5\.weight" that this model .* does not have/,
    );
    expect(await small.saveWeights()).toEqual(before);
    small.destroy();
    big.destroy();
  });
});
