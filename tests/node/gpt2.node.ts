/**
 * GpuGpt2 on Dawn in Node: loads a small seeded random GPT-2 (2 layers, width 32, 4 heads, vocab 50257) and
 * runs one forward pass of 20 tokens with full attention maps, checked against the float64 reference with
 * the N·2⁻²³ tolerances of the browser test (tests/gpu/gpt2-bound.ts): logits, top-5 ids, every head's
 * weights, masked weights exactly 0; one submit. A second test streams a generated BF16 safetensors file
 * (with the `transformer.` prefix) through openGpt2File into GpuGpt2 and checks the same. Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { GpuGpt2 } from '../../src/engine/gpt2/index';
import type { GpuContext } from '../../src/gpu/device';
import { gpt2Reference, topK } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_VOCAB, memorySource, type Gpt2Config } from '../../src/models/gpt2/types';
import { openGpt2File } from '../../src/models/gpt2/file-source';
import { buildGpt2Safetensors } from '../helpers/gpt2-fixture';
import { gpt2Tolerances } from '../gpu/gpt2-bound';
import { gpuSuite } from './suite';

let gpu: GpuContext;
const CONFIG: Gpt2Config = { nLayer: 2, nHead: 4, nEmbd: 32, vocab: GPT2_VOCAB, nPositions: 96, eps: 1e-5 };

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

export default gpuSuite(
  (g) => {
    gpu = g;
  },
  [
    [
      'load a 2-layer GPT-2 and run forward once: logits, top-5 and every head vs the float64 reference',
      async () => {
        const tensors = randomGpt2Tensors(CONFIG, 21);
        const ids = Array.from({ length: 20 }, (_, i) => (i * 7919 + 13) % GPT2_VOCAB);
        const model = await GpuGpt2.load(gpu.device, memorySource(CONFIG, tensors));
        try {
          const out = await model.forward(Uint32Array.from(ids), { attention: 'full' });
          assert.equal(model.lastSubmits, 1);
          const want = gpt2Reference(tensors, CONFIG, ids, { attention: true });
          const tol = gpt2Tolerances(CONFIG, ids.length, want.attention!);
          const ref = want.logits.get(ids.length - 1)!;
          const d = maxDiff(out.logits, ref);
          assert.ok(d <= tol.logits(ref), `|Δlogit| ${d} > ${tol.logits(ref)}`);
          assert.deepEqual(
            out.top.map((t) => t.id),
            topK(ref, 5).map((t) => t.id),
          );
          const T = ids.length;
          out.attention.forEach((a, l) => {
            const da = maxDiff(a, want.attention![l]!);
            assert.ok(da <= tol.attention[l]!, `layer ${l}: |ΔA| ${da} > ${tol.attention[l]}`);
            for (let row = 0; row < CONFIG.nHead * T; row++)
              for (let j = (row % T) + 1; j < T; j++) assert.equal(a[row * T + j], 0);
          });
          console.log(
            `    gpt2 on Dawn: ${model.lastDispatches} dispatches, |Δlogit| ${d.toExponential(2)} ≤ ${tol.logits(ref).toExponential(2)}`,
          );
        } finally {
          model.destroy();
        }
      },
    ],
    [
      'a BF16 safetensors file through openGpt2File → GpuGpt2: logits and top-5 vs the reference on its values',
      async () => {
        const opts = {
          nLayer: 2,
          nHead: 2,
          nEmbd: 16,
          nPositions: 64,
          dtype: 'BF16',
          prefix: true,
          seed: 9,
          scale: 0.5,
        } as const;
        const file = buildGpt2Safetensors(opts);
        const { source } = await openGpt2File(new Blob([file.bytes]), { n_head: 2 });
        assert.deepEqual(source.config, file.config);
        const ids = [15496, 995, 11, 23748, 995];
        const model = await GpuGpt2.load(gpu.device, source);
        try {
          const out = await model.forward(Uint32Array.from(ids), { attention: 'pooled', poolSize: 3 });
          assert.equal(out.mapSize, 3);
          const want = gpt2Reference(file.tensors, file.config, ids, { attention: true });
          const tol = gpt2Tolerances(file.config, ids.length, want.attention!);
          const ref = want.logits.get(ids.length - 1)!;
          const d = maxDiff(out.logits, ref);
          assert.ok(d <= tol.logits(ref), `|Δlogit| ${d} > ${tol.logits(ref)}`);
          assert.deepEqual(
            out.top.map((t) => t.id),
            topK(ref, 5).map((t) => t.id),
          );
        } finally {
          model.destroy();
        }
      },
    ],
  ],
);
