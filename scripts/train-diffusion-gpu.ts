/**
 * The GPU half of `npm run train:diffusion` (scripts/train-diffusion-mlp.mjs bundles this file with Vite and
 * runs it in Node): trains each dataset's ε-MLP with the WebGPU trainer of src/engine/denoiser-train.ts on
 * Dawn (the `webgpu` package, src/gpu/node.ts) and writes KSMLP1 files, exactly as the browser's trainer
 * would train them. Arguments: [dataset …] [--steps N] [--out DIR] [--adapter NAME] [--compare].
 * --compare trains each dataset with this trainer and the float64 one and prints how far apart they end
 * (scripts/compare-trainers.ts); it writes no weight file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestNodeGpu } from '../src/gpu/node';
import { adapterName } from '../src/gpu/device';
import { trainMlpGpu } from '../src/engine/denoiser-train';
import { compareTrainers, formatComparison } from './compare-trainers';
import { datasetTraining, datasetWeightFile, MLP_DATASETS } from '../src/models/mlp-denoiser';

type Dataset = (typeof MLP_DATASETS)[number];

interface GpuTrainArgs {
  datasets: string[];
  steps?: number;
  out: string;
  adapter?: string;
  compare: boolean;
}

function parseArgs(argv: string[]): GpuTrainArgs {
  const args = [...argv];
  const compare = args.includes('--compare');
  if (compare) args.splice(args.indexOf('--compare'), 1);
  const option = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value.`);
    args.splice(i, 2);
    return v;
  };
  const steps = option('--steps');
  const out = option('--out') ?? 'public/models/diffusion';
  const adapter = option('--adapter');
  const unknown = args.find((a) => a.startsWith('--'));
  if (unknown) throw new Error(`Unknown option ${unknown}.`);
  if (steps !== undefined && !(Number.isInteger(Number(steps)) && Number(steps) >= 1))
    throw new Error(`--steps must be a positive integer (got ${steps}).`);
  const stepCount = steps === undefined ? undefined : Number(steps);
  return { datasets: args, steps: stepCount, out, adapter, compare };
}

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  const kinds = a.datasets.length ? a.datasets : [...MLP_DATASETS];
  for (const kind of kinds) {
    if (!(MLP_DATASETS as readonly string[]).includes(kind))
      throw new Error(`Unknown dataset ${kind}; choose from ${MLP_DATASETS.join(', ')}.`);
  }
  const gpu = await requestNodeGpu({ adapter: a.adapter });
  const adapter = adapterName(gpu.info);
  console.log(`adapter: ${adapter} — ${gpu.info.description}`);
  try {
    if (a.compare) {
      for (const kind of kinds as Dataset[]) {
        const c = await compareTrainers(gpu.device, kind, a.steps, (line) => console.log(line));
        for (const line of formatComparison(kind, adapter, c)) console.log(line);
      }
      return;
    }
    mkdirSync(a.out, { recursive: true });
    for (const kind of kinds as Dataset[]) {
      const options = datasetTraining(kind, a.steps);
      const start = performance.now();
      let last = start;
      const trained = await trainMlpGpu(gpu.device, {
        ...options,
        every: Math.min(100, options.steps),
        onProgress: (step, loss) => {
          const now = performance.now();
          if (step % 500 === 0 || step === options.steps || now - last > 10_000) {
            const rate = step / ((now - start) / 1000);
            console.log(
              `${kind}: step ${step}/${options.steps}, loss ${loss.toFixed(4)}, ${rate.toFixed(1)} steps/s`,
            );
            last = now;
          }
        },
      });
      const { bytes } = datasetWeightFile(kind, trained, options.steps, `webgpu: ${adapter}`);
      const file = join(a.out, `${kind}.ksmlp`);
      writeFileSync(file, new Uint8Array(bytes));
      const seconds = (performance.now() - start) / 1000;
      console.log(
        `${kind}: wrote ${file} (${bytes.byteLength} bytes), final loss ${trained.losses.at(-1)?.toFixed(4)}, ` +
          `${seconds.toFixed(0)} s (${(options.steps / seconds).toFixed(1)} steps/s)`,
      );
    }
  } finally {
    gpu.destroy();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
