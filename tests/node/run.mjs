// Runs the kernels' Node tests on Dawn (the `webgpu` package).
// Step 1 bundles each tests/node/*.node.ts with Vite (TypeScript and `?raw` WGSL imports) into
// node_modules/.cache/kernelscope-node/. Step 2 runs the bundles in a fresh Node process.
//
// Known driver problem: on CPU-only machines, Dawn's Node addon driving Chromium's SwiftShader sometimes
// aborts ("terminate called after throwing std::system_error: Invalid argument") or hangs inside the
// driver, independent of the kernel (the same kernels never fail in Chromium's SwiftShader). A run that
// dies that way (a signal, or no result line within the time limit) is retried, at most 4 attempts, and
// each crash is printed. A failed assertion is never retried: it fails the run at once.
// Usage: node tests/node/run.mjs [file …]. Prints "Dawn (Node): N passed, N failed".
import { build } from 'vite';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const outDir = resolve('node_modules/.cache/kernelscope-node');

if (process.argv[2] === '--run') {
  let passed = 0;
  let failed = 0;
  for (const bundle of process.argv.slice(3)) {
    const suite = (await import(pathToFileURL(bundle).href)).default;
    await suite.setup?.();
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
await build({
  configFile: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: { input, output: { format: 'es', entryFileNames: '[name].mjs' } },
  },
});
const bundles = Object.keys(input).map((name) => `${outDir}/${name}.mjs`);
const ATTEMPTS = 4;
for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
  const child = spawnSync(process.execPath, [process.argv[1], '--run', ...bundles], {
    encoding: 'utf8',
    timeout: 90_000,
    killSignal: 'SIGKILL',
  });
  process.stdout.write(child.stdout ?? '');
  process.stderr.write(child.stderr ?? '');
  const finished = /Dawn \(Node\): \d+ passed, \d+ failed/.test(child.stdout ?? '');
  if (finished) process.exit(child.status ?? 1);
  const how = child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
  console.log(`\nDawn/SwiftShader driver died (${how}) on attempt ${attempt} of ${ATTEMPTS}.`);
}
console.log('Dawn (Node): 0 passed, 1 failed');
process.exit(1);
