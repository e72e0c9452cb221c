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
import { requestNodeGpu } from '../../src/gpu/node';
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
  parseMlp,
  trainMlp,
} from '../../src/models/mlp-denoiser';
import { makeDataset2D } from '../../src/models/datasets2d';
import { makeSchedule } from '../../src/models/schedules';

let gpu: GpuContext;

export default {
  async setup() {
    gpu = await requestNodeGpu();
  },
  teardown() {
    gpu.destroy();
  },
  tests: [
    [
      'one GPU step on Dawn equals the float64 step (loss 1e-4 relative, gradients 1e-3 of each tensor’s max)',
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
        assert.ok(Math.abs(got - loss) <= 1e-4 * loss, `loss ${got} vs ${loss}`);
        const after = (await trainer.model()).params;
        for (const t of trainer.tensors) {
          const want = grad.subarray(t.offset, t.offset + t.size);
          const scale = Math.max(...Array.from(want, Math.abs));
          for (let i = 0; i < t.size; i++) {
            const k = t.offset + i;
            const noisy = Math.abs(want[i]!) <= 1e-3 * scale;
            const bound = (noisy ? 2 * lr : 1e-3 * lr) + 1e-6 * Math.abs(theta[k]!);
            assert.ok(
              Math.abs(after[k]! - theta[k]!) <= bound,
              `${t.name}[${i}]: ${after[k]} vs ${theta[k]}`,
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
          // The TypeScript trainer with the same settings: same batches and update, so the recorded mean
          // loss agrees to f32 accuracy and each weight within Adam's 3·lr of three sign-like steps.
          const cpu = trainMlp({ ...datasetTraining('two-moons', 3), every: 3 });
          const finalLoss = Number(model.meta?.finalLoss);
          assert.ok(
            Math.abs(finalLoss - cpu.losses[0]!) <= 1e-4 * cpu.losses[0]!,
            `${finalLoss} vs ${cpu.losses[0]}`,
          );
          const init = initMlp(DEFAULT_MLP_CONFIG, 0).params;
          let moved = 0;
          for (let i = 0; i < model.params.length; i++) {
            assert.ok(Math.abs(model.params[i]! - cpu.params[i]!) <= 3 * 2e-3 + 1e-6, `param ${i}`);
            if (model.params[i] !== init[i]) moved++;
          }
          assert.ok(moved > 0.9 * model.params.length, `only ${moved} parameters changed`);
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
