// Runs the kernels' Node tests on Dawn (the `webgpu` package).
// Step 1 bundles each tests/node/*.node.ts with Vite (TypeScript and `?raw` WGSL imports) into
// node_modules/.cache/kernelscope-node/. Step 2 runs the bundles in a fresh Node process, started with
// --expose-gc: a full garbage collection runs after setup and after every test, so a GPU object that
// is collected while still needed fails every run instead of some. (That was the cause of the former
// "Dawn/SwiftShader aborts with std::system_error: Invalid argument" crashes: the `GPU` object from
// `create()` was not kept alive; see src/gpu/node.ts.) A crash, hang or signal fails the run; nothing
// is retried.
// Usage: node tests/node/run.mjs [file …]. Prints "Dawn (Node): N passed, N failed".
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleForNode } from '../../scripts/node-dawn.mjs';

const outDir = resolve('node_modules/.cache/kernelscope-node');

if (process.argv[2] === '--run') {
  let passed = 0;
  let failed = 0;
  for (const bundle of process.argv.slice(3)) {
    const suite = (await import(pathToFileURL(bundle).href)).default;
    await suite.setup?.();
    globalThis.gc?.();
    for (const [name, fn] of suite.tests) {
      const start = performance.now();
      try {
        await fn();
        passed++;
        console.log(`  ✓ ${basename(bundle)} > ${name} (${(performance.now() - start).toFixed(0)} ms)`);
      } catch (e) {
        failed++;
        console.log(
          `  ✗ ${basename(bundle)} > ${name}\n    ${String(e?.stack ?? e).replaceAll('\n', '\n    ')}`,
        );
      }
      globalThis.gc?.();
    }
    await suite.teardown?.();
  }
  console.log(`\nDawn (Node): ${passed} passed, ${failed} failed`);
  process.exit(failed || passed === 0 ? 1 : 0);
}

const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : readdirSync('tests/node')
      .filter((f) => f.endsWith('.node.ts'))
      .map((f) => `tests/node/${f}`);
const input = Object.fromEntries(files.map((f) => [basename(f, '.ts'), resolve(f)]));
// Vite (and its native bundler threads) is loaded only here, never in the test process.
await bundleForNode(input, outDir);
const bundles = Object.keys(input).map((name) => `${outDir}/${name}.mjs`);
const child = spawnSync(process.execPath, ['--expose-gc', process.argv[1], '--run', ...bundles], {
  encoding: 'utf8',
  timeout: 90_000,
  killSignal: 'SIGKILL',
});
process.stdout.write(child.stdout ?? '');
process.stderr.write(child.stderr ?? '');
if (/Dawn \(Node\): \d+ passed, \d+ failed/.test(child.stdout ?? '')) process.exit(child.status ?? 1);
const how =
  child.error?.code === 'ETIMEDOUT'
    ? 'timed out'
    : child.signal
      ? `signal ${child.signal}`
      : `exit ${child.status}`;
console.log(`\nThe Dawn test process died (${how}) before reporting.\nDawn (Node): 0 passed, 1 failed`);
process.exit(1);
