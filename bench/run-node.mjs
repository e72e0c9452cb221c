// `npm run bench:node [-- --quick] [-- --filter=attention] [-- --adapter=NAME] [-- --swiftshader]`:
// the benchmark cases on Dawn in Node (the `webgpu` package), for machines with a GPU and no browser.
// 1. Bundles bench/node-entry.ts with Vite (TypeScript and `?raw` WGSL) into
//    node_modules/.cache/kernelscope-bench-node/ (the same approach as tests/node/run.mjs).
// 2. Runs the bundle in a fresh Node process and writes bench/results/<YYYY-MM-DD>-<adapter>-node.json.
// --adapter=NAME is passed to the `webgpu` package as create(['adapter=NAME']) (Dawn picks the adapter whose
// name contains NAME); the adapter it got is printed first.
// Vulkan driver: when VK_ICD_FILENAMES is unset and the machine has no NVIDIA device node (/dev/nvidia0), or
// with --swiftshader, Chromium's SwiftShader (/usr/lib/chromium) is used — a software adapter.
// The `GPU` object from the webgpu package must stay reachable while its devices are used: src/gpu/node.ts
// (requestNodeGpu) keeps it alive; without that, garbage collection freed Dawn's instance mid-run.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { resultFile } from './result-file.mjs';
import { SWIFTSHADER_ICD, bundleForNode, dawnEnv } from '../scripts/node-dawn.mjs';

const args = process.argv.slice(2);
const outDir = resolve('node_modules/.cache/kernelscope-bench-node');
await bundleForNode({ 'node-entry': resolve('bench/node-entry.ts') }, outDir, {
  // The bench inlines public/models/diffusion/two-moons.ksmlp (?inline); Vite refuses imports from its
  // public directory, so there is none here.
  publicDir: false,
  // .ksmlp (the diffusion MLP weights) is an asset type, so `?inline` turns it into a data URL.
  assetsInclude: ['**/*.ksmlp'],
});

const { env, swiftshader } = dawnEnv(process.env, { force: args.includes('--swiftshader') });
if (swiftshader)
  console.log(`Vulkan driver: SwiftShader (${SWIFTSHADER_ICD}) — a software adapter, not a GPU.`);
const webgpuVersion = JSON.parse(readFileSync('node_modules/webgpu/package.json', 'utf8')).version;
env.BENCH_HOST = `Node ${process.version}, webgpu ${webgpuVersion} (Dawn)`;

mkdirSync('bench/results', { recursive: true });
const tmp = resolve(`bench/results/node-${process.pid}.json.tmp`);
const childArgs = [`${outDir}/node-entry.mjs`, ...args.filter((a) => a !== '--swiftshader'), `--out=${tmp}`];
const child = spawnSync(process.execPath, childArgs, { env, stdio: 'inherit', killSignal: 'SIGKILL' });
if (child.signal) console.log(`\nThe benchmark process died (signal ${child.signal}).`);
const status = child.status ?? 1;
if (status === 0 && existsSync(tmp)) {
  const result = JSON.parse(readFileSync(tmp, 'utf8'));
  const file = resultFile(result, result.options.quick ? '-node-quick' : '-node');
  renameSync(tmp, file);
  console.log(`\nWrote ${file}`);
}
process.exit(status);
