#!/usr/bin/env node
/**
 * Trains the Diffusion lab's ε-prediction MLPs (src/models/mlp-denoiser/) and writes one KSMLP1 weight file
 * per 2D dataset: public/models/diffusion/<dataset>.ksmlp (served by Vite at `models/diffusion/<dataset>.ksmlp`;
 * load with parseMlp). Settings (data, schedule, steps, batch, seed): MLP_TRAINING in src/models/mlp-denoiser/datasets.ts.
 *
 *   npm run train:diffusion -- [dataset …] [--steps N] [--out DIR] [--adapter NAME] [--cpu | --compare]
 *
 * By default it trains on the GPU with the same WGSL kernels as the browser's "Train denoiser" button
 * (src/engine/denoiser-train.ts, shaders/nn/): scripts/train-diffusion-gpu.ts is bundled with Vite into
 * node_modules/.cache/kernelscope-train/ and run in a child Node process on Dawn (the `webgpu` package).
 * `--adapter NAME` is passed to Dawn (`adapter=NAME`, e.g. part of the adapter's name). On a machine without
 * a GPU, Dawn uses Chromium's SwiftShader when it is installed (/usr/lib/chromium): the child gets
 * LD_LIBRARY_PATH=/usr/lib/chromium and VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json unless
 * they are set already (or the machine has an NVIDIA device: scripts/node-dawn.mjs). SwiftShader runs the WGSL
 * on the CPU: 20–40 steps/s at batch 256 on a 2-core machine, about as fast as `--cpu`, the float64 TypeScript
 * trainer (trainMlp), loaded through Vite's SSR module loader (no build
 * step). tests/node/denoiser-train.node.ts runs the GPU command for a few steps and loads its file back.
 * Both trainers draw the same batches (trainingBatch) and apply the same Adam update; every file records
 * which trainer made it in its header (`trainer`). `--compare` runs both from the same seed, writes nothing,
 * and prints the final-loss and parameter differences (scripts/compare-trainers.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { bundleForNode, dawnEnv } from './node-dawn.mjs';

const args = process.argv.slice(2);
const cpu = args.includes('--cpu');
if (cpu && args.includes('--compare')) {
  console.error('--compare runs both trainers (GPU and float64); leave out --cpu.');
  process.exit(1);
}

if (!cpu) {
  const outDir = resolve('node_modules/.cache/kernelscope-train');
  await bundleForNode({ 'train-diffusion-gpu': resolve('scripts/train-diffusion-gpu.ts') }, outDir);
  const { env } = dawnEnv();
  const child = spawnSync(process.execPath, [join(outDir, 'train-diffusion-gpu.mjs'), ...args], {
    stdio: 'inherit',
    env,
  });
  process.exit(child.status ?? 1);
}

const option = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
args.splice(args.indexOf('--cpu'), 1);
const steps = option('--steps');
const out = option('--out') ?? 'public/models/diffusion';
if (option('--adapter') !== undefined) console.log('--adapter is ignored with --cpu.');

const { createServer } = await import('vite');
const server = await createServer({
  configFile: false,
  logLevel: 'error',
  server: { middlewareMode: true, hmr: false, watch: null },
  appType: 'custom',
});
try {
  const mlp = await server.ssrLoadModule('/src/models/mlp-denoiser/index.ts');
  const kinds = args.length ? args : mlp.MLP_DATASETS;
  mkdirSync(out, { recursive: true });
  for (const kind of kinds) {
    if (!mlp.MLP_DATASETS.includes(kind))
      throw new Error(`Unknown dataset ${kind}; choose from ${mlp.MLP_DATASETS.join(', ')}.`);
    const start = Date.now();
    const { bytes, losses } = mlp.trainDatasetMlp(kind, {
      steps: steps ? Number(steps) : undefined,
      onProgress: (step, loss) => {
        if (step % 500 === 0) console.log(`${kind}: step ${step}, loss ${loss.toFixed(4)}`);
      },
    });
    const file = join(out, `${kind}.ksmlp`);
    writeFileSync(file, new Uint8Array(bytes));
    console.log(
      `${kind}: wrote ${file} (${bytes.byteLength} bytes), final loss ${losses.at(-1)?.toFixed(4)}, ` +
        `${((Date.now() - start) / 1000).toFixed(0)} s`,
    );
  }
} finally {
  await server.close();
}
