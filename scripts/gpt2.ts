/**
 * `npm run gpt2 -- --model FILE --text "…" [--config config.json] [--top 5] [--adapter NAME]`: runs a GPT-2
 * checkpoint (a Hugging Face model.safetensors) on Dawn with the attention lab's WGSL kernels (GpuGpt2) and
 * prints the top next tokens and every head's summary scores (previous-token, first-token, self, mean
 * distance). Bundled with Vite and run by scripts/gpt2.mjs (scripts/node-dawn.mjs picks the driver).
 */
import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { GpuGpt2 } from '../src/engine/gpt2/index';
import { adapterName } from '../src/gpu/device';
import { requestNodeGpu } from '../src/gpu/node';
import { openGpt2File } from '../src/models/gpt2/file-source';
import { headScores, topK } from '../src/models/gpt2/ref';
import { encodeGpt2, gpt2TokenStrings } from '../src/models/gpt2/tokenizer';

function parseArgs(argv: string[]) {
  const args = [...argv];
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    if (i < 0) return fallback;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value.`);
    args.splice(i, 2);
    return v;
  };
  const model = option('--model', '');
  const text = option('--text', '');
  const config = option('--config', '');
  const top = Number(option('--top', '5'));
  const adapter = option('--adapter', '');
  if (args.length) throw new Error(`Unknown argument ${args[0]}.`);
  if (!model) throw new Error('--model FILE (a GPT-2 model.safetensors) is required.');
  if (!text) throw new Error('--text "…" is required.');
  if (!(Number.isInteger(top) && top >= 1 && top <= 100))
    throw new Error(`--top must be 1 … 100 (got ${top}).`);
  return { model, text, config: config || undefined, top, adapter: adapter || undefined };
}

const show = (s: string) => JSON.stringify(s);

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  let configJson: unknown;
  if (a.config) {
    try {
      configJson = JSON.parse(await readFile(a.config, 'utf8'));
    } catch (e) {
      throw new Error(`${a.config} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const { source, notes } = await openGpt2File(await openAsBlob(a.model), configJson);
  for (const n of notes) console.log(`note: ${n}`);
  const c = source.config;
  console.log(
    `model: ${c.nLayer} layers × ${c.nHead} heads, width ${c.nEmbd}, vocab ${c.vocab}, context ${c.nPositions}`,
  );
  const ids = encodeGpt2(a.text);
  if (ids.length > c.nPositions)
    throw new Error(`The text is ${ids.length} tokens; this model reads at most ${c.nPositions}.`);
  const tokens = gpt2TokenStrings(ids);
  console.log(`tokens (${ids.length}): ${tokens.map(show).join(' ')}`);
  const gpu = await requestNodeGpu({ adapter: a.adapter });
  console.log(`adapter: ${adapterName(gpu.info)}`);
  const t0 = performance.now();
  let last = -1;
  const model = await GpuGpt2.load(gpu.device, source, {
    onProgress: (p) => {
      const pct = Math.floor((100 * p.done) / p.total);
      if (pct < last + 10) return;
      last = pct;
      console.log(`loading ${pct}% (${p.tensor})`);
    },
  });
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  try {
    const t1 = performance.now();
    const out = await model.forward(Uint32Array.from(ids), { attention: 'full' });
    const ms = performance.now() - t1;
    console.log(
      `forward: ${ms.toFixed(1)} ms, ${model.lastDispatches} dispatches, ${model.lastSubmits} submit`,
    );
    const next = topK(out.logits, a.top);
    const names = gpt2TokenStrings(next.map((t) => t.id));
    console.log('\nnext token after the last position:');
    next.forEach((t, i) =>
      console.log(
        `  ${String(i + 1).padStart(3)}. ${show(names[i]!).padEnd(20)} id ${String(t.id).padStart(5)}  p ${t.p.toFixed(4)}`,
      ),
    );
    console.log('\nper-head scores (previous-token, first-token/sink, self, mean distance in tokens):');
    console.log('  layer head   prev  first   self   dist');
    out.attention.forEach((maps, l) => {
      headScores(maps, c.nHead).forEach((s, h) => {
        const f = (v: number) => v.toFixed(3).padStart(6);
        console.log(
          `  ${String(l).padStart(5)} ${String(h).padStart(4)} ${f(s.previous)} ${f(s.first)} ${f(s.self)} ${f(s.distance)}`,
        );
      });
    });
  } finally {
    model.destroy();
    gpu.destroy();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
