#!/usr/bin/env node
/**
 * Trains the Attention lab's induction model (issue 13) on the GPU path in Node on Dawn and writes its KSIND1
 * weights with a metrics manifest: scripts/train-induction.ts bundled with Vite into
 * node_modules/.cache/kernelscope-train/ and run in a child process (SwiftShader when there is no GPU, as for
 * `npm run train:diffusion`).
 *
 *   npm run train:induction -- [--steps N] [--seed S] [--eval-every N] [--target 0.8] [--out DIR] [--adapter NAME]
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { bundleForNode, dawnEnv } from './node-dawn.mjs';

const outDir = resolve('node_modules/.cache/kernelscope-train');
await bundleForNode({ 'train-induction': resolve('scripts/train-induction.ts') }, outDir);
const child = spawnSync(process.execPath, [join(outDir, 'train-induction.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: dawnEnv().env,
});
process.exit(child.status ?? 1);
