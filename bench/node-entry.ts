/**
 * The benchmark in Node on Dawn (the `webgpu` package), bundled and started by bench/run-node.mjs:
 *   node node-entry.mjs [--quick] [--filter=attention] [--adapter=NAME] [--time-budget=SECONDS] [--probe] --out=FILE
 * (`--name value` works as well as `--name=value`.)
 * --probe prints the adapter (one JSON line) and exits; --no-peer leaves the TensorFlow.js peer out.
 * Prints progress and the report; writes the result JSON to FILE. Dawn's timestamp quantisation is turned off
 * (DAWN_FLAGS); the TensorFlow.js peer runs on the same Dawn GPU object (navigator.gpu).
 */
import { writeFileSync } from 'node:fs';
import { adapterName, requestGpu } from '../src/gpu/device';
import { formatReport, runSuite, type AttentionPeer, type BenchOptions } from './cases';
import { createTfjsPeer } from './tfjs-peer';

/** Dawn toggles for the `webgpu` package's create(): unquantised GPU timestamps. */
const DAWN_FLAGS = ['disable-dawn-features=timestamp_quantization'];

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

const flags = [...DAWN_FLAGS, ...(adapter ? [`adapter=${adapter}`] : [])];
const webgpu = (await import('webgpu')) as unknown as {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
};
Object.assign(globalThis, webgpu.globals);
// Module scope: Dawn's instance lives exactly as long as this GPU object (src/gpu/node.ts explains why it
// must stay reachable while its devices are used); here that is the whole process.
const dawn = webgpu.create(flags);
const gpu = await requestGpu({ gpu: dawn, label: 'node' });
console.log(
  `Dawn adapter: ${adapterName(gpu.info)} — ${gpu.info.description || '(no description)'}` +
    `${adapter ? ` (asked for adapter=${adapter})` : ''}; features: ${gpu.info.features.join(', ')}`,
);
if (args.includes('--probe')) {
  // bench/device/run.sh: check that an adapter is there before the long run.
  console.log(
    `probe: ${JSON.stringify({ name: adapterName(gpu.info), fallback: gpu.info.isFallback, vendor: gpu.info.vendor, architecture: gpu.info.architecture, device: gpu.info.device, description: gpu.info.description })}`,
  );
  gpu.destroy();
  process.exit(0);
}
let peer: AttentionPeer | null = null;
if (!args.includes('--no-peer') && (!options.filter || 'attention'.includes(options.filter))) {
  try {
    peer = await createTfjsPeer(dawn);
  } catch (e) {
    console.log(`tfjs peer unavailable: ${String(e)}`);
  }
}
const result = await runSuite(
  {
    gpu,
    runner: 'node',
    host: process.env.BENCH_HOST ?? `Node ${process.version}`,
    attentionPeer: peer,
    timestampRequest: `webgpu create(${JSON.stringify(flags)})`,
    log: (line) => console.log(line),
  },
  options,
);
peer?.dispose();
if (peer)
  result.notes.push(
    'Node runner: the TensorFlow.js peer ran on its own device from the same Dawn GPU object (navigator.gpu).',
  );
const report = formatReport(result);
console.log(`\n${report}`);
if (out) writeFileSync(out, `${JSON.stringify({ ...result, report }, null, 2)}\n`);
gpu.destroy();
// Dawn's Node addon can keep the process alive after the device is gone.
process.exit(0);
