/**
 * Training-core kernels (shaders/nn) on a real WebGPU adapter vs the float64 references, on shapes that are
 * not multiples of the 16×16 tile or the 64-thread workgroups; the references run on the same f32 inputs.
 * Tolerances (|gpu − ref| ≤ bound), from the f32 rules in DESIGN.md:
 * - softmax cross-entropy: loss and accuracy rtol 1e-5, dlogits atol 1e-6 (exp 3 + 2|x| ULP, / 2.5 ULP);
 * - Adam: updated parameter within 1e-6·|p| + 1e-3·lr (sqrt and / of ~1-ULP-accurate moments);
 * - MSE: derived in its block.
 */
import { describe, expect, it } from 'vitest';
import * as ops from '../../src/kernels/nn/ops';
import * as ref from '../../src/kernels/nn/ref';
import {
  gpu,
  res,
  empty,
  run,
  read,
  f32s,
  expectClose,
  U,
  STYLES,
  withStyle,
  upload,
  useNnGpu,
} from './nn-helpers';

useNnGpu();

describe('softmax cross-entropy', () => {
  it('loss, accuracy, dlogits (B=70, K=3)', async () => {
    const [B, K] = [70, 3];
    const logits = f32s(B * K, 14, 3);
    const labels = Array.from({ length: B }, (_, i) => (i * 7) % K);
    const [dl, rows, result] = [empty(B * K), empty(2 * B), empty(4)];
    await run(
      ops.softmaxXent(
        res,
        't.xent',
        { rows: B, classes: K },
        upload(logits),
        upload(labels, true),
        dl,
        rows,
        result,
      ),
    );
    const r = ref.softmaxXent(logits, labels, B, K);
    const out = await read(result, 2);
    expect(Math.abs(out[0]! - r.loss)).toBeLessThanOrEqual(1e-5 * r.loss);
    expect(out[1]).toBeCloseTo(r.accuracy, 6);
    expectClose(await read(dl, B * K), r.dlogits, () => 1e-6, 'dlogits');
  });
});

describe('Adam / AdamW', () => {
  // Decay 0 is plain Adam (the reference without weightDecay); decay 0.1 is AdamW's decoupled decay.
  for (const [style, wd] of STYLES.flatMap((st) => [0, 0.1].map((w) => [st, w] as const))) {
    it(`${style}: five steps on 1000 parameters match the reference (weight decay ${wd})`, async () => {
      const n = 1000;
      const p = f32s(n, 15);
      const lr = 0.01;
      const [bp, m, v] = [upload(p), empty(n), empty(n)];
      const pref = Float64Array.from(p);
      const [mr, vr] = [new Float64Array(n), new Float64Array(n)];
      const values = (t: number) => ({
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        bc1: 1 - 0.9 ** t,
        bc2: 1 - 0.999 ** t,
        weight_decay: wd,
      });
      const params = res.uniform(ops.ADAM, 't.adam', values(1));
      for (let t = 1; t <= 5; t++) {
        const g = f32s(n, 20 + t, 0.1);
        ops.ADAM.write(gpu.device, params, values(t));
        const grad = upload(g);
        await withStyle(style, () => run(ops.adam(res, 't', n, params, grad, bp, m, v)));
        if (wd === 0) ref.adamStep(pref, g, mr, vr, t, { lr });
        else ref.adamStep(pref, g, mr, vr, t, { lr, weightDecay: wd });
      }
      expectClose(await read(bp, n), pref, (i) => 1e-6 * Math.abs(pref[i]!) + 1e-3 * lr, 'param');
      if (wd > 0) {
        // The decay moved the weights measurably: the run without it ends lr·wd·Σ|p|-ish away.
        const noDecay = Float64Array.from(p);
        const [m2, v2] = [new Float64Array(n), new Float64Array(n)];
        for (let t = 1; t <= 5; t++) ref.adamStep(noDecay, f32s(n, 20 + t, 0.1), m2, v2, t, { lr });
        const moved = Math.max(...Array.from(noDecay, (q, i) => Math.abs(q - pref[i]!)));
        expect(moved).toBeGreaterThan(100 * 1e-3 * lr);
      }
    });
  }
});

describe('MSE loss', () => {
  // Tolerances: dpred = 2(p − t)/n has three roundings: |Δ| ≤ 4·2⁻²⁴·|dpred| + 1e-12. The loss sums B·D
  // non-negative terms (per row sequentially, then ⌈B/64⌉ strided sums per thread and a 6-level tree):
  // relative error ≤ (D + ⌈B/64⌉ + 6 + 2)·2⁻²³.
  for (const [B, D] of [
    [37, 3],
    [300, 2],
  ] as const) {
    it(`loss (mean over batch and outputs), dpred, and the running sum (B=${B}, D=${D})`, async () => {
      const pred = f32s(B * D, 30 + B, 1.5);
      const target = f32s(B * D, 31 + B);
      const [dp, rows, result] = [empty(B * D), empty(B), empty(2)];
      const list = ops.mse(
        res,
        't.mse',
        { rows: B, cols: D },
        upload(pred),
        upload(target),
        dp,
        rows,
        result,
      );
      await run(list);
      await run(list);
      const r = ref.mseLoss(pred, target);
      const out = await read(result, 2);
      const tol = (D + Math.ceil(B / 64) + 8) * 2 ** -23 * r.loss;
      expect(Math.abs(out[0]! - r.loss)).toBeLessThanOrEqual(tol);
      // Two runs without clearing: the running sum holds both losses.
      expect(Math.abs(out[1]! - 2 * r.loss)).toBeLessThanOrEqual(2 * tol + 2 ** -23 * 2 * r.loss);
      expectClose(await read(dp, B * D), r.dpred, (i) => 4 * U * Math.abs(r.dpred[i]!) + 1e-12, 'dpred');
    });
  }
});
