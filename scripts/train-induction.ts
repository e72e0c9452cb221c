/**
 * Trains the shipped induction model (issue 13) with GpuInductionTrainer on Dawn (the `webgpu` package) and
 * writes public/models/induction/induction.ksind (KSIND1, its header holding the metrics manifest) and
 * induction.manifest.json. Every --eval-every steps the float64 forward scores 512 held-out sequences
 * (inductionMetrics); training stops once the best layer-1 prefix-matching score reaches --target.
 * Arguments: [--steps MAX] [--seed N] [--eval-every N] [--target X] [--out DIR] [--adapter NAME].
 * Bundle with Vite and run like scripts/train-diffusion-gpu.ts (scripts/node-dawn.mjs picks the driver).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { adapterName } from '../src/gpu/device';
import { requestNodeGpu } from '../src/gpu/node';
import { GpuInductionTrainer, INDUCTION_TRAINING } from '../src/engine/induction/index';
import { INDUCTION_CONFIG, inductionMetrics, serializeInduction } from '../src/models/induction/index';

/** The held-out set's seed is the training seed + this (a seed never used for training batches). */
const HELD_OUT_OFFSET = 1000;

function parseArgs(argv: string[]) {
  const args = [...argv];
  const option = (name: string, fallback: number | string) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value.`);
    args.splice(i, 2);
    return typeof fallback === 'number' ? Number(v) : v;
  };
  const steps = option('--steps', 20000) as number;
  const seed = option('--seed', 1) as number;
  const evalEvery = option('--eval-every', 250) as number;
  const target = option('--target', 0.8) as number;
  const out = option('--out', 'public/models/induction') as string;
  const adapter = option('--adapter', '') as string;
  if (args.length) throw new Error(`Unknown argument ${args[0]}.`);
  for (const [name, v] of [
    ['--steps', steps],
    ['--seed', seed],
    ['--eval-every', evalEvery],
  ] as const)
    if (!(Number.isInteger(v) && v >= (name === '--seed' ? 0 : 1)))
      throw new Error(`${name} must be a positive integer (got ${v}).`);
  if (!(target > 0 && target <= 1)) throw new Error(`--target must be in (0, 1] (got ${target}).`);
  return { steps, seed, evalEvery, target, out, adapter: adapter || undefined };
}

const best = (grid: number[][], layer: number) => Math.max(...(grid[layer] ?? [NaN]));

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const gpu = await requestNodeGpu({ adapter: a.adapter });
  const adapter = adapterName(gpu.info);
  console.log(`adapter: ${adapter} — ${gpu.info.description}`);
  const trainer = new GpuInductionTrainer(gpu.device, { seed: a.seed });
  const heldOutSeed = a.seed + HELD_OUT_OFFSET;
  const start = performance.now();
  let finalLoss = NaN;
  let trainSeconds = 0;
  try {
    console.log(
      `${trainer.dispatchesPerStep} dispatches and ${trainer.submitsPerStep} submit per step; ` +
        `batch ${INDUCTION_TRAINING.batch}, lr ${INDUCTION_TRAINING.lr}, warm-up ${INDUCTION_TRAINING.warmup}`,
    );
    let passedAt: number | null = null;
    while (trainer.step < a.steps && passedAt === null) {
      const t0 = performance.now();
      await trainer.run({
        until: Math.min(a.steps, trainer.step + a.evalEvery),
        chunk: 50,
        onChunk: (c) => {
          finalLoss = c.loss;
        },
      });
      trainSeconds += (performance.now() - t0) / 1000;
      const m = inductionMetrics(await trainer.weights(), heldOutSeed);
      const score = best(m.prefixMatching, INDUCTION_CONFIG.layers - 1);
      console.log(
        `step ${trainer.step}: loss ${finalLoss.toFixed(4)}, ${(trainer.step / trainSeconds).toFixed(2)} steps/s; ` +
          `held-out prefix-matching ${score.toFixed(3)}, previous-token ${best(m.previousToken, 0).toFixed(3)}, ` +
          `second-copy loss ${m.secondCopy.loss.toFixed(3)} (top-1 ${(100 * m.secondCopy.top1).toFixed(1)} %)`,
      );
      if (score >= a.target) passedAt = trainer.step;
    }
    const params = await trainer.weights();
    const metrics = inductionMetrics(params, heldOutSeed, { ablations: true });
    const header = {
      config: { ...INDUCTION_CONFIG },
      seed: a.seed,
      steps: trainer.step,
      trainer: `webgpu: ${adapter}`,
      finalLoss,
      metrics,
    };
    const bytes = serializeInduction(header, params);
    mkdirSync(a.out, { recursive: true });
    const file = join(a.out, 'induction.ksind');
    writeFileSync(file, new Uint8Array(bytes));
    const manifest = {
      ...header,
      training: { ...INDUCTION_TRAINING, passedTargetAtStep: passedAt, target: a.target, trainSeconds },
    };
    writeFileSync(join(a.out, 'induction.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const total = (performance.now() - start) / 1000;
    console.log(
      `wrote ${file} (${bytes.byteLength} bytes) after ${trainer.step} steps ` +
        `(${passedAt === null ? `target ${a.target} not reached` : `target reached at ${passedAt}`}), ${total.toFixed(0)} s`,
    );
  } finally {
    trainer.destroy();
    gpu.destroy();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
