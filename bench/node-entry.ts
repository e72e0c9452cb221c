/**
 * The benchmark in Node on Dawn (the `webgpu` package), bundled and started by bench/run-node.mjs:
 *   node node-entry.mjs [--quick] [--filter=attention] [--adapter=NAME] [--time-budget=SECONDS] [--probe] --out=FILE
 * (`--name value` works as well as `--name=value`.)
 * --probe prints the adapter (one JSON line) and exits.
 * Prints progress and the report; writes the result JSON to FILE. No peer library here (tfjs's WebGPU
 * backend is browser-only in this project).
 */
import { writeFileSync } from 'node:fs';
import { adapterName } from '../src/gpu/device';
import { requestNodeGpu } from '../src/gpu/node';
import { formatReport, runSuite, type BenchOptions } from './cases';

const args = process.argv.slice(2);
/** `--name=value` or `--name value`. */
const value = (name: string): string | undefined => {
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  if (eq !== undefined) return eq.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  const next = i >= 0 ? args[i + 1] : undefined;
  return next !== undefined && !next.startsWith('--') ? next : undefined;
};
const options: BenchOptions = {
  quick: args.includes('--quick'),
  filter: value('filter') || null,
  timestamps: !args.includes('--no-timestamps'),
  workDone: !args.includes('--no-workdone'),
  timeBudgetS: value('time-budget') ? Number(value('time-budget')) : null,
};
if (options.timeBudgetS !== null && !(options.timeBudgetS! > 0))
  throw new Error(`--time-budget=SECONDS needs a positive number, got "${value('time-budget')}"`);
const adapter = value('adapter');
const out = value('out');

const gpu = await requestNodeGpu(adapter ? { adapter } : {});
console.log(
  `Dawn adapter: ${adapterName(gpu.info)} — ${gpu.info.description || '(no description)'}` +
    `${adapter ? ` (asked for adapter=${adapter})` : ''}; features: ${gpu.info.features.join(', ')}`,
);
if (args.includes('--probe')) {
  // bench/device/run.sh: check that an adapter is there before the long run.
  console.log(
    `probe: ${JSON.stringify({ name: adapterName(gpu.info), fallback: gpu.info.isFallback, vendor: gpu.info.vendor, architecture: gpu.info.architecture, description: gpu.info.description })}`,
  );
  gpu.destroy();
  process.exit(0);
}
const result = await runSuite(
  {
    gpu,
    runner: 'node',
    host: process.env.BENCH_HOST ?? `Node ${process.version}`,
    attentionPeer: null,
    log: (line) => console.log(line),
  },
  options,
);
result.notes.push('Node runner: no peer library (the TensorFlow.js peer runs in the browser runner only).');
const report = formatReport(result);
console.log(`\n${report}`);
if (out) writeFileSync(out, `${JSON.stringify({ ...result, report }, null, 2)}\n`);
gpu.destroy();
// Dawn's Node addon can keep the process alive after the device is gone.
process.exit(0);
