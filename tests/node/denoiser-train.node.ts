/**
 * The ε-MLP GPU trainer on Dawn in Node (the path of `npm run train:diffusion`): one step equals the float64
 * step (bounds as in tests/gpu/denoiser-train.test.ts), and the command itself trains one dataset for a few
 * steps into a temporary folder, writing a KSMLP1 file that loads back and matches the TypeScript trainer.
 * Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GpuContext } from '../../src/gpu/device';
import { GpuDenoiserTrainer } from '../../src/engine/denoiser-train';
import {
  adamUpdate,
  datasetTraining,
  DEFAULT_MLP_CONFIG,
  initMlp,
  learningRateAt,
  mlpLossAndGradient,
  parameterCount,
  parameterLayout,
  parseMlp,
  trainMlp,
  trainingBatch,
} from '../../src/models/mlp-denoiser';
import { adamRelativeError, gradientBound, lossBound } from '../gpu/mlp-error-bound';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';
import { gpuSuite } from './suite';

let gpu: GpuContext;

export default gpuSuite(
  (g) => (gpu = g),
  [
    [
      'one GPU step on Dawn equals the float64 step (loss, gradients and parameters within the derived f32 bounds)',
      async () => {
        const lr = 2e-3;
        const data = makeDataset2D({ kind: 'two-moons', n: 400, seed: 1 });
        const schedule = makeSchedule({ kind: 'cosine', T: 1000 });
        const trainer = new GpuDenoiserTrainer(gpu.device, {
          data,
          schedule,
          steps: 20,
          batch: 48,
          learningRate: lr,
          seed: 3,
        });
        const P = parameterCount(DEFAULT_MLP_CONFIG);
        const theta = Float64Array.from(initMlp(DEFAULT_MLP_CONFIG, 3).params);
        const b = trainer.batchOf(0);
        const grad = new Float64Array(P);
        const loss = mlpLossAndGradient(
          { config: DEFAULT_MLP_CONFIG, params: theta },
          b.xt,
          b.lambdas,
          b.target,
          48,
          grad,
        );
        adamUpdate(theta, grad, new Float64Array(P), new Float64Array(P), 1, learningRateAt(lr, 0, 20));
        trainer.trainStep();
        const got = await trainer.readLoss();
        // Loss, gradients and θ as in tests/gpu/denoiser-train.test.ts: DESIGN.md's reduction rule for the
        // loss (`lossBound`), the norm-wise gradient bound (`gradientBound`), and Adam's first step moving θ by
        // lr·g/(|g| + ε) with the f32 (1 − β₂) error (`adamRelativeError`), free in sign where |g| ≤ gTol.
        const U = 2 ** -23;
        const theta0 = Float64Array.from(initMlp(DEFAULT_MLP_CONFIG, 3).params);
        const lossTol = lossBound(
          { config: DEFAULT_MLP_CONFIG, params: initMlp(DEFAULT_MLP_CONFIG, 3).params },
          b,
          48,
        );
        assert.ok(Math.abs(got - loss) <= lossTol, `loss ${got} vs ${loss} (bound ${lossTol})`);
        const { gAbs, c } = gradientBound({ config: DEFAULT_MLP_CONFIG, params: theta0 }, b, 48);
        const after = (await trainer.model()).params;
        const adam = adamRelativeError(1);
        for (const t of trainer.tensors) {
          const want = grad.subarray(t.offset, t.offset + t.size);
          const gTol = c * U * Math.max(...Array.from(gAbs.subarray(t.offset, t.offset + t.size)));
          for (let i = 0; i < t.size; i++) {
            const k = t.offset + i;
            const gk = Math.abs(want[i]!);
            const bound =
              gk <= gTol
                ? 2 * lr + U * Math.abs(theta[k]!)
                : lr * (adam + (1e-8 * gTol) / (gk + 1e-8) ** 2) + U * Math.abs(theta[k]!);
            assert.ok(
              Math.abs(after[k]! - theta[k]!) <= bound,
              `${t.name}[${i}]: ${after[k]} vs ${theta[k]} (bound ${bound})`,
            );
          }
        }
        trainer.destroy();
      },
    ],
    [
      'npm run train:diffusion (GPU) trains two-moons for 3 steps into a temp folder; the file loads back',
      async () => {
        const out = mkdtempSync(join(tmpdir(), 'ks-train-'));
        try {
          const run = spawnSync(
            process.execPath,
            ['scripts/train-diffusion-mlp.mjs', 'two-moons', '--steps', '3', '--out', out],
            { encoding: 'utf8', timeout: 120_000 },
          );
          assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
          assert.match(run.stdout, /adapter: /);
          assert.match(run.stdout, /two-moons: wrote .*two-moons\.ksmlp/);
          const model = parseMlp(new Uint8Array(readFileSync(join(out, 'two-moons.ksmlp'))).buffer);
          assert.deepEqual(model.config, DEFAULT_MLP_CONFIG);
          assert.equal(model.params.length, parameterCount(DEFAULT_MLP_CONFIG));
          assert.ok(model.params.every(Number.isFinite));
          assert.equal(model.meta?.dataset, 'two-moons');
          assert.equal(model.meta?.trainSteps, 3);
          assert.match(String(model.meta?.trainer), /^webgpu: /);
          // The TypeScript trainer with the same settings (same batches and update), stepped here so that each
          // step's gradient is at hand. Bounds, first order in the f32 errors (tests/gpu/mlp-error-bound.ts):
          // - gradient tensor T at step s: ‖Δg‖∞ ≤ gTol = c·u·max Σ_b|g_b|/B (`gradientBound`; the GPU
          //   batch is the f32 rounding of this float64 one, hence two input terms);
          // - Adam: Δm̂, Δv̂ follow m, v's recursions from Δg ≤ gTol; the update m̂/(√v̂ + ε) then moves by
          //   ≤ Δm̂/(√v̂ + ε) + |m̂|·Δv̂/(2√v̂(√v̂ + ε)²), plus `adamRelativeError` (f32 1 − β₂, roundings) of |m̂/√v̂| ≤ 1.02; an entry whose
          //   |g| ≤ gTol at some step has a rounding-noise sign from then on: ≤ 2·1.02·lr per step (|m̂|/√v̂ ≤
          //   1.02 in the first three steps, Cauchy–Schwarz on the bias-corrected weights); θ rounds (u·|θ|).
          //   (The gradients at steps 2 and 3 are taken at the float64 parameters; the noisy entries' larger
          //   moves shift the others' gradients too, which this first-order bound leaves out.)
          const U = 2 ** -23;
          const o = datasetTraining('two-moons', 3);
          const D = DEFAULT_MLP_CONFIG.dim;
          const B = o.batch!;
          const P = parameterCount(DEFAULT_MLP_CONFIG);
          const theta = Float64Array.from(initMlp(DEFAULT_MLP_CONFIG, o.seed!).params);
          const [m1, m2, grad] = [new Float64Array(P), new Float64Array(P), new Float64Array(P)];
          const [dm, dv, dTheta] = [new Float64Array(P), new Float64Array(P), new Float64Array(P)];
          const noisy = new Uint8Array(P);
          const tensorOf = new Int32Array(P);
          const layout = parameterLayout(DEFAULT_MLP_CONFIG);
          const starts = [
            layout.wIn,
            layout.bIn,
            ...layout.blocks.flatMap((bl) => [bl.w, bl.b]),
            layout.wOut,
            layout.bOut,
            P,
          ];
          for (let t = 0; t + 1 < starts.length; t++) tensorOf.fill(t, starts[t]!, starts[t + 1]!);
          let lossSum = 0;
          for (let step = 0; step < 3; step++) {
            const batch = {
              xt: new Float64Array(B * D),
              lambdas: new Float64Array(B),
              target: new Float64Array(B * D),
            };
            trainingBatch(o.data, D, o.schedule, o.seed!, step, B, batch);
            grad.fill(0);
            const loss = mlpLossAndGradient(
              { config: DEFAULT_MLP_CONFIG, params: theta },
              batch.xt,
              batch.lambdas,
              batch.target,
              B,
              grad,
            );
            lossSum += loss;
            const { gAbs, c } = gradientBound({ config: DEFAULT_MLP_CONFIG, params: theta }, batch, B, 2);
            const gTol = new Float64Array(starts.length - 1);
            for (let k = 0; k < P; k++) gTol[tensorOf[k]!] = Math.max(gTol[tensorOf[k]!]!, c * U * gAbs[k]!);
            const lr = learningRateAt(2e-3, step, 3);
            adamUpdate(theta, grad, m1, m2, step + 1, lr);
            const bc1 = 1 - 0.9 ** (step + 1);
            const bc2 = 1 - 0.999 ** (step + 1);
            for (let k = 0; k < P; k++) {
              const dg = gTol[tensorOf[k]!]!;
              if (Math.abs(grad[k]!) <= dg) noisy[k] = 1;
              if (noisy[k]) {
                dTheta[k] = dTheta[k]! + 2 * 1.02 * lr;
                continue;
              }
              dm[k] = 0.9 * dm[k]! + 0.1 * dg;
              dv[k] = 0.999 * dv[k]! + 0.001 * (2 * Math.abs(grad[k]!) * dg + dg * dg);
              const mh = Math.abs(m1[k]!) / bc1;
              const sv = Math.sqrt(m2[k]! / bc2);
              const du = dm[k]! / bc1 / (sv + 1e-8) + (mh * dv[k]!) / bc2 / (2 * sv * (sv + 1e-8) ** 2);
              dTheta[k] = dTheta[k]! + lr * Math.min(2 * 1.02, 1.02 * adamRelativeError(step + 1) + du); // |Δu| ≤ |u| + |u′|
            }
          }
          const finalLoss = Number(model.meta?.finalLoss);
          const cpuLoss = lossSum / 3;
          // The recorded mean loss agrees to f32 accuracy (1e-4 relative; measured below).
          assert.ok(Math.abs(finalLoss - cpuLoss) <= 1e-4 * cpuLoss, `loss ${finalLoss} vs ${cpuLoss}`);
          const cpu = trainMlp({ ...o, every: 3 });
          assert.equal(cpu.losses[0], cpuLoss, 'trainMlp takes the same steps as the replay');
          const init = initMlp(DEFAULT_MLP_CONFIG, 0).params;
          let moved = 0;
          let worst = 0;
          let worstNoisy = 0;
          const stableBounds: number[] = [];
          for (let i = 0; i < model.params.length; i++) {
            const d = Math.abs(model.params[i]! - cpu.params[i]!);
            const bound = dTheta[i]! + U * Math.abs(cpu.params[i]!);
            if (noisy[i]) worstNoisy = Math.max(worstNoisy, d / bound);
            else {
              worst = Math.max(worst, d / bound);
              stableBounds.push(bound);
            }
            assert.ok(d <= bound, `param ${i}: ${model.params[i]} vs ${cpu.params[i]} (|Δ| ${d} > ${bound})`);
            if (model.params[i] !== init[i]) moved++;
          }
          console.log(
            `    3 steps: |Δloss|/loss ${(Math.abs(finalLoss - cpuLoss) / cpuLoss).toExponential(2)}; ` +
              `worst |Δθ|/bound ${worst.toExponential(2)} (${P - noisy.reduce((a, v) => a + v, 0)} entries), ` +
              `${worstNoisy.toExponential(2)} (${noisy.reduce((a, v) => a + v, 0)} noisy); bounds of the others: median ` +
              `${stableBounds.sort((x, y) => x - y)[stableBounds.length >> 1]!.toExponential(2)}, max ${stableBounds[stableBounds.length - 1]!.toExponential(2)}`,
          );
          assert.ok(moved > 0.9 * model.params.length, `only ${moved} parameters changed`);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      },
    ],
  ],
);
