/**
 * GpuGpt2 (src/engine/gpt2) on a real WebGPU adapter vs the float64 reference (src/models/gpt2/ref.ts) on a
 * seeded random 2-layer model: C = 24 with 3 heads (dh = 8) and T = 37 (neither a tile nor a workgroup
 * multiple), vocab 50257, in both kernel styles. Tolerances (gpt2-bound.ts gpt2Tolerances, DESIGN.md's
 * N·2⁻²³ rule for chained reductions): |Δlogit| ≤ N·2⁻²³·max|logit| (N = 984 here); each head's weights
 * |ΔA| ≤ N_l·2⁻²³·(1 + score range); masked weights exactly 0; each row's sum within the softmax's own
 * rounding of 1 (γ_T + exp, 1/l: independent of input errors); top-5 ids equal. Pooled maps equal the
 * max-pooling of the full maps exactly (max is exact; same kernels, same inputs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { GpuGpt2 } from '../../src/engine/gpt2/index';
import { nnPipelines, type NnKernelStyle } from '../../src/kernels/nn/pipelines';
import { gpt2Reference, topK } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_VOCAB, memorySource, type Gpt2Config, type LoadProgress } from '../../src/models/gpt2/types';
import { forwardOps, gpt2Tolerances } from './gpt2-bound';
import { testGpu, testRng } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
});
afterAll(() => gpu?.destroy());

const CONFIG: Gpt2Config = { nLayer: 2, nHead: 3, nEmbd: 24, vocab: GPT2_VOCAB, nPositions: 64, eps: 1e-5 };
const T = 37;
const tensors = randomGpt2Tensors(CONFIG, 11);
const r = testRng(12);
const ids = Array.from({ length: T }, () => r.int(0, GPT2_VOCAB - 1));

async function load(style?: NnKernelStyle) {
  const p = nnPipelines(gpu.device);
  const before = p.style;
  if (style) p.style = style;
  const model = await GpuGpt2.load(gpu.device, memorySource(CONFIG, tensors));
  // The graph (and so the kernel style) is recorded at the first forward of a length.
  const full = await model.forward(Uint32Array.from(ids), { attention: 'full' });
  p.style = before;
  return { model, full };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxPool(a: Float32Array, H: number, L: number, S: number): Float32Array {
  const out = new Float32Array(H * S * S);
  const range = (i: number) => [Math.floor((i * L) / S), Math.floor(((i + 1) * L) / S)] as const;
  for (let h = 0; h < H; h++)
    for (let r0 = 0; r0 < S; r0++)
      for (let c0 = 0; c0 < S; c0++) {
        const [ra, rb] = range(r0);
        const [ca, cb] = range(c0);
        let m = -Infinity;
        for (let i = ra; i < rb; i++) for (let j = ca; j < cb; j++) m = Math.max(m, a[(h * L + i) * L + j]!);
        out[(h * S + r0) * S + c0] = m;
      }
  return out;
}

describe('GpuGpt2 forward vs the float64 reference', () => {
  const want = gpt2Reference(tensors, CONFIG, ids, { attention: true, positions: [5] });
  const tol = gpt2Tolerances(CONFIG, T, want.attention!);

  it('the tolerances are what the file comment says, and far below the values compared', () => {
    expect(forwardOps(CONFIG, T, 2, false)).toBe(984);
    const logits = want.logits.get(T - 1)!;
    const max = Math.max(...logits.map(Math.abs));
    expect(tol.logits(logits) / max).toBeLessThan(2e-4);
    for (const t of tol.attention) expect(t).toBeLessThan(5e-3);
  });

  for (const style of ['barrier-free', 'workgroup'] as const) {
    it(`${style}: logits, top-5, every head's weights; one submit; logitsAt; pooled = max-pool of full`, async () => {
      const { model, full } = await load(style);
      try {
        expect(model.lastSubmits).toBe(1);
        // Embedding, 16 per layer (LN, c_attn, 3 splits, scores, softmax, A·V; merge, c_proj, add, LN, c_fc,
        // GELU, c_proj, add), ln_f, unembedding; pooled adds one pool dispatch per layer.
        expect(model.lastDispatches).toBe(1 + 16 * CONFIG.nLayer + 2);
        const refLogits = want.logits.get(T - 1)!;
        const logitTol = tol.logits(refLogits);
        const worstLogit = maxDiff(full.logits, refLogits);
        expect(worstLogit).toBeLessThanOrEqual(logitTol);
        const ref5 = topK(refLogits, 6);
        // The reference's top 6 are separated by more than 2·tolerance, so the order is determined.
        for (let i = 0; i < 5; i++)
          expect(refLogits[ref5[i]!.id]! - refLogits[ref5[i + 1]!.id]!).toBeGreaterThan(2 * logitTol);
        expect(full.top.map((t) => t.id)).toEqual(ref5.slice(0, 5).map((t) => t.id));
        const worstA: string[] = [];
        expect(full.attention.length).toBe(2);
        full.attention.forEach((a, l) => {
          const d = maxDiff(a, want.attention![l]!);
          expect(d, `layer ${l} attention`).toBeLessThanOrEqual(tol.attention[l]!);
          let worstSum = 0;
          for (let row = 0; row < CONFIG.nHead * T; row++) {
            const i = row % T;
            let sum = 0;
            for (let j = 0; j < T; j++) {
              if (j > i) expect(a[row * T + j]).toBe(0);
              sum += a[row * T + j]!;
            }
            worstSum = Math.max(worstSum, Math.abs(sum - 1));
          }
          expect(worstSum).toBeLessThanOrEqual(tol.rowSum[l]!);
          const e = (v: number) => v.toExponential(2);
          worstA.push(
            `layer ${l}: |ΔA| ${e(d)} ≤ ${e(tol.attention[l]!)}, |Σ−1| ${e(worstSum)} ≤ ${e(tol.rowSum[l]!)}`,
          );
        });
        console.info(
          `gpt2 ${style}: |Δlogit| ${worstLogit.toExponential(2)} ≤ ${logitTol.toExponential(2)}; ${worstA.join('; ')}`,
        );
        const at5 = await model.logitsAt(5);
        const ref5Logits = want.logits.get(5)!;
        expect(maxDiff(at5.logits, ref5Logits)).toBeLessThanOrEqual(tol.logits(ref5Logits));
        expect(model.lastSubmits).toBe(1);
        const pooled = await model.forward(Uint32Array.from(ids), { attention: 'pooled', poolSize: 16 });
        expect(pooled.pooled).toBe(true);
        expect(pooled.mapSize).toBe(16);
        expect(model.lastDispatches).toBe(1 + 17 * CONFIG.nLayer + 2);
        expect(pooled.logits).toEqual(full.logits);
        pooled.attention.forEach((p, l) => {
          expect(p).toEqual(maxPool(full.attention[l]!, CONFIG.nHead, T, 16));
        });
        const none = await model.forward(Uint32Array.from(ids), { attention: 'none' });
        expect(none.attention).toEqual([]);
        expect(none.logits).toEqual(full.logits);
      } finally {
        model.destroy();
      }
    });
  }
});

describe('GpuGpt2 load and input checks', () => {
  const small: Gpt2Config = { ...CONFIG, vocab: 40 };
  const smallTensors = randomGpt2Tensors(small, 3);

  it('reports progress per tensor in bytes, and refuses long input, bad ids and logitsAt out of range', async () => {
    const seen: LoadProgress[] = [];
    const model = await GpuGpt2.load(gpu.device, memorySource(small, smallTensors), {
      onProgress: (p) => seen.push(p),
    });
    try {
      expect(seen.length).toBe(2 + 12 * 2 + 2);
      expect(seen.at(-1)!.done).toBe(seen.at(-1)!.total);
      await expect(model.forward(new Uint32Array(65), { attention: 'none' })).rejects.toThrow(
        /65 tokens.*64/,
      );
      await expect(model.forward(Uint32Array.from([1, 40]), { attention: 'none' })).rejects.toThrow(
        /token id 40/,
      );
      await expect(model.logitsAt(0)).rejects.toThrow(/before any forward/);
      const out = await model.forward(Uint32Array.from([1, 2, 3]), { attention: 'full' });
      expect(out.logits.length).toBe(40);
      await expect(model.logitsAt(3)).rejects.toThrow(RangeError);
    } finally {
      model.destroy();
    }
  });

  it('a tensor beyond the device limit is refused by name before anything is allocated; abort and bad tensors too', async () => {
    const huge: Gpt2Config = { ...small, vocab: 1 << 30 };
    let asked = 0;
    const source = { config: huge, tensor: async () => (asked++, new Float32Array(1)) };
    await expect(GpuGpt2.load(gpu.device, source)).rejects.toThrow(
      /“wte\.weight”.*(maxStorageBufferBindingSize|maxBufferSize)/,
    );
    expect(asked).toBe(0);
    const ctl = new AbortController();
    ctl.abort();
    await expect(
      GpuGpt2.load(gpu.device, memorySource(small, smallTensors), { signal: ctl.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const wrong = new Map(smallTensors);
    wrong.set('h.1.ln_2.bias', new Float32Array(3));
    await expect(GpuGpt2.load(gpu.device, memorySource(small, wrong))).rejects.toThrow(
      /“h\.1\.ln_2\.bias” has 3 values/,
    );
  });
});
