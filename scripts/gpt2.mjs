#!/usr/bin/env node
/**
 * Runs a GPT-2 checkpoint with the attention lab's WGSL kernels on Dawn (issue 14): scripts/gpt2.ts bundled
 * with Vite into node_modules/.cache/kernelscope-gpt2/ and run in a child process (SwiftShader when there is
 * no GPU, as for `npm run train:induction`).
 *
 *   npm run gpt2 -- --model model.safetensors --text "…" [--config config.json] [--top 5] [--adapter NAME]
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { bundleForNode, dawnEnv } from './node-dawn.mjs';

const outDir = resolve('node_modules/.cache/kernelscope-gpt2');
await bundleForNode({ gpt2: resolve('scripts/gpt2.ts') }, outDir);
const child = spawnSync(process.execPath, [join(outDir, 'gpt2.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: dawnEnv().env,
});
process.exit(child.status ?? 1);
