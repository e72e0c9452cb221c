// `npm run bench [-- --quick] [-- --filter=attention] [-- --time-budget=SECONDS]`: the benchmark in headless
// Chromium.
// 1. Builds bench/index.html + bench/browser-entry.ts with Vite into node_modules/.cache/kernelscope-bench
//    (separate from the app's dist/).
// 2. Serves it on 127.0.0.1 (a secure context, so WebGPU is available) with a tiny static server.
// 3. Drives Chromium (/usr/bin/chromium or CHROMIUM_PATH, benchChromiumArgs from tests/browser-launch.ts:
//    the tests' flags plus unquantised timestamps) with Playwright,
//    relays progress, prints the report and writes bench/results/<YYYY-MM-DD>-<adapter>.json.
// Options also from the environment: BENCH_QUICK=1, BENCH_FILTER=attention.
import { build, runnerImport } from 'vite';
import { createServer } from 'node:http';
import { resultFile } from './result-file.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { URLSearchParams } from 'node:url';
import { chromium } from 'playwright';

const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
/** `--name=value` or `--name value`. */
const option = (name) => {
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  if (eq !== undefined) return eq.slice(name.length + 3);
  const next = args[args.indexOf(`--${name}`) + 1];
  return args.includes(`--${name}`) && next !== undefined && !next.startsWith('--') ? next : undefined;
};
const filter = option('filter') ?? process.env.BENCH_FILTER ?? '';
const budget = option('time-budget') ?? '';
if (budget && !(Number(budget) > 0))
  throw new Error(`--time-budget=SECONDS needs a positive number, got "${budget}"`);
const outDir = resolve('node_modules/.cache/kernelscope-bench');

await build({
  configFile: false,
  root: resolve('bench'),
  base: './',
  logLevel: 'warn',
  // .ksmlp (the diffusion MLP weights) is an asset type, so `?inline` turns it into a data URL.
  assetsInclude: ['**/*.ksmlp'],
  build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
});

const { module: launch } = await runnerImport(resolve('tests/browser-launch.ts'), { configFile: false });
const { chromiumPath, benchChromiumArgs, benchTimestampArgs } = launch;

const types = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]));
  const file = join(outDir, path === '/' ? 'index.html' : path);
  if (!file.startsWith(outDir)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const port = server.address().port;

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: benchChromiumArgs,
  headless: true,
});
let exitCode = 0;
try {
  const page = await browser.newPage();
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.startsWith('bench: ')) console.log(text.slice('bench: '.length));
  });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  const query = new URLSearchParams({
    quick: quick ? '1' : '0',
    filter,
    budget,
    tsflags: `Chromium ${benchTimestampArgs.join(' ')}`,
  });
  console.log(`Benchmark page: http://127.0.0.1:${port}/?${query} (Chromium: ${chromiumPath})`);
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  await page.waitForFunction(() => globalThis.__bench?.done === true, null, { timeout: 0, polling: 1000 });
  const state = await page.evaluate(() => globalThis.__bench);
  if (state.error) {
    console.error(`Benchmark failed in the page:\n${state.error}`);
    exitCode = 1;
  } else {
    console.log(`\n${state.report}`);
    const result = state.result;
    const file = resultFile(result, quick ? '-quick' : '');
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(file, `${JSON.stringify({ ...result, report: state.report }, null, 2)}\n`);
    console.log(`\nWrote ${file}`);
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(exitCode);
