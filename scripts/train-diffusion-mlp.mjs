#!/usr/bin/env node
/**
 * Trains the Diffusion lab's ε-prediction MLPs (src/models/mlp-denoiser.ts, `trainDatasetMlp`) and writes
 * one KSMLP1 weight file per 2D dataset: public/models/diffusion/<dataset>.ksmlp (served by Vite at
 * `models/diffusion/<dataset>.ksmlp`; load with parseMlp). Pure TypeScript on the CPU, deterministic.
 *
 *   node scripts/train-diffusion-mlp.mjs [dataset …] [--steps N] [--out DIR]
 *
 * The TypeScript is loaded through Vite's SSR module loader, so no build step is needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'vite';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const steps = option('--steps');
const out = option('--out') ?? 'public/models/diffusion';

const server = await createServer({
  configFile: false,
  logLevel: 'error',
  server: { middlewareMode: true, hmr: false, watch: null },
  appType: 'custom',
});
try {
  const mlp = await server.ssrLoadModule('/src/models/mlp-denoiser.ts');
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
