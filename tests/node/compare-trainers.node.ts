/**
 * `npm run train:diffusion -- two-moons --steps 5 --compare` (the command the README cites for the GPU and
 * float64 trainers' agreement) runs on Dawn, writes no file and prints its figures: the GPU parameters
 * within Adam's reach of the float64 ones, and figures consistent with each other. Run by tests/node/run.mjs.
 * Bound: each Adam step moves a parameter by at most lr_t·c_t (tests/node/numerics.ts adamStepBound; lr_t
 * ≤ lr₀ = 2e-3 under the cosine decay), so two trainers that start equal part by at most 2·lr₀·Σ_t c_t.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { adamStepBound } from './numerics';

const steps = 5;
const lr0 = 2e-3;

export default {
  tests: [
    [
      `train:diffusion --compare (${steps} steps): parameters within 2·lr₀·Σc_t, figures consistent`,
      async () => {
        const run = spawnSync(
          process.execPath,
          ['scripts/train-diffusion-mlp.mjs', 'two-moons', '--steps', String(steps), '--compare'],
          { encoding: 'utf8', timeout: 120_000 },
        );
        assert.equal(run.status, 0, `exit ${run.status}\n${run.stdout}\n${run.stderr}`);
        assert.doesNotMatch(run.stdout, /wrote /);
        const line = run.stdout.split('\n').find((l) => l.startsWith('compare: '));
        assert.ok(line, `no compare: line in\n${run.stdout}`);
        const c = JSON.parse(line.slice('compare: '.length)) as Record<string, number | string>;
        assert.equal(c.dataset, 'two-moons');
        assert.equal(c.steps, steps);
        const [gpuLoss, cpuLoss] = [Number(c.gpuLoss), Number(c.cpuLoss)];
        assert.ok(Number.isFinite(gpuLoss) && cpuLoss > 0, `losses ${gpuLoss}, ${cpuLoss}`);
        assert.equal(c.finalLossRel, Math.abs(gpuLoss - cpuLoss) / cpuLoss);
        assert.ok(Number(c.maxLossRel) >= Number(c.finalLossRel));
        let reach = 0;
        for (let t = 1; t <= steps; t++) reach += 2 * lr0 * adamStepBound(t);
        const d = Number(c.maxParamDiff);
        assert.ok(d <= reach, `max |Δθ| ${d} (bound ${reach})`);
        assert.ok(Number(c.maxParam) > 0);
        console.log(
          `    max |Δθ| ${d.toExponential(2)} (bound ${reach.toExponential(2)}), |Δloss|/loss ${Number(c.finalLossRel).toExponential(2)}`,
        );
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
