/**
 * GpuGpt2.forward's `qkvLayer` read-back (the attention lab's stage views use it): layer 0's fused QKV vs
 * float64 ln_1(wte[id] + wpe[t])·W_attn + b on a seeded random model. Tolerance, per element o:
 * |Δ| ≤ (3C + 8)·2⁻²³·M_o with M_o = |b_o| + Σ_i (|h_i| + |β_i|)·|W_io| (h the LayerNorm output, β its bias):
 * the LayerNorm's two passes and scaling err by ≲ (2C + 6) ULP of |h − β| (DESIGN.md's N·2⁻²³ rule for
 * reductions), the embedding add by 1 ULP, and the C-long dot product by γ_{C+1} of Σ|h·W| + |b|.
 * Asking for QKV changes nothing else: the maps equal those of a forward without it, bit for bit.
 * layerQkv (a layer change in the lab) runs only ln_1 and c_attn on that layer's kept input: the same
 * kernels on the same input as the forward, so its QKV equals the forward's bit for bit (exact, no tolerance).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { GpuGpt2, keepsLayerInputs, layerInputsBytes } from '../../src/engine/gpt2/index';
import { layerNormRows } from '../../src/kernels/gpt2/layernorm.ref';
import { conv1d } from '../../src/models/gpt2/ref';
import { randomGpt2Tensors } from '../../src/models/gpt2/random';
import { GPT2_VOCAB, layerTensorNames, memorySource, type Gpt2Config } from '../../src/models/gpt2/types';
import { testGpu, testRng } from './gpu-test-context';

let gpu: GpuContext;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
});
afterAll(() => gpu?.destroy());

const CONFIG: Gpt2Config = { nLayer: 2, nHead: 3, nEmbd: 24, vocab: GPT2_VOCAB, nPositions: 64, eps: 1e-5 };
const T = 13;
const tensors = randomGpt2Tensors(CONFIG, 21);
const r = testRng(22);
const ids = Array.from({ length: T }, () => r.int(0, GPT2_VOCAB - 1));
const get = (name: string) => tensors.get(name)!;

describe('GpuGpt2 forward with qkvLayer', () => {
  it("reads back layer 0's QKV within the derived bound, and leaves the maps unchanged", async () => {
    const C = CONFIG.nEmbd;
    const model = await GpuGpt2.load(gpu.device, memorySource(CONFIG, tensors));
    try {
      const plain = await model.forward(Uint32Array.from(ids), { attention: 'full' });
      expect(plain.qkv).toBeUndefined();
      const withQkv = await model.forward(Uint32Array.from(ids), { attention: 'full', qkvLayer: 0 });
      const got = withQkv.qkv!;
      expect(got).toHaveLength(T * 3 * C);
      for (let l = 0; l < CONFIG.nLayer; l++)
        expect(Array.from(withQkv.attention[l]!)).toEqual(Array.from(plain.attention[l]!));
      expect(Array.from(withQkv.logits)).toEqual(Array.from(plain.logits));

      const n = layerTensorNames(0);
      const x = new Float64Array(T * C);
      const [wte, wpe] = [get('wte.weight'), get('wpe.weight')];
      for (let t = 0; t < T; t++)
        for (let c = 0; c < C; c++) x[t * C + c] = wte[ids[t]! * C + c]! + wpe[t * C + c]!;
      const beta = get(n.ln1b);
      const h = layerNormRows(x, T, C, get(n.ln1g), beta, CONFIG.eps);
      const W = get(n.attnW);
      const b = get(n.attnB);
      const want = conv1d(h, T, W, b, C, 3 * C);
      const absH = h.map((v, i) => Math.abs(v) + Math.abs(beta[i % C]!));
      const mag = conv1d(absH, T, W.map(Math.abs), b.map(Math.abs), C, 3 * C);
      const k = (3 * C + 8) * 2 ** -23;
      let worstRatio = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(got[i]! - want[i]!);
        worstRatio = Math.max(worstRatio, d / (k * mag[i]!));
      }
      console.log(`qkvLayer 0: max |Δ| / bound = ${worstRatio.toFixed(3)}`);
      expect(worstRatio).toBeLessThanOrEqual(1);

      const last = await model.forward(Uint32Array.from(ids), { attention: 'none', qkvLayer: 1 });
      expect(last.qkv).toHaveLength(T * 3 * C);
      await expect(model.forward(Uint32Array.from(ids), { attention: 'none', qkvLayer: 2 })).rejects.toThrow(
        /layer 2 is outside 0 … 1/,
      );
    } finally {
      model.destroy();
    }
  });

  it("layerQkv: every layer's QKV from its kept input equals the full forward's, in 2 dispatches", async () => {
    const model = await GpuGpt2.load(gpu.device, memorySource(CONFIG, tensors));
    try {
      const input = Uint32Array.from(ids);
      // Without kept inputs there is nothing to start from: null (run a forward), not stale numbers.
      expect(await model.layerQkv(0, input)).toBeNull();
      const want: Float32Array[] = [];
      for (let l = 0; l < CONFIG.nLayer; l++)
        want.push((await model.forward(input, { attention: 'none', qkvLayer: l })).qkv!);
      const first = await model.forward(input, { attention: 'full', qkvLayer: 0, keepLayerInputs: true });
      expect(first.keptLayerInputs).toBe(true);
      expect(Array.from(first.qkv!)).toEqual(Array.from(want[0]!));
      const forwardDispatches = model.lastDispatches;
      // Any order, repeated: each answer comes from that layer's own input.
      for (const l of [1, 0, 1]) {
        const got = (await model.layerQkv(l, input))!;
        expect(Array.from(got)).toEqual(Array.from(want[l]!));
        expect(model.lastDispatches).toBe(2);
        expect(model.lastSubmits).toBe(1);
      }
      expect(forwardDispatches).toBeGreaterThan(10 * model.lastDispatches);
      // The logits of another position still come from the forward (layerQkv leaves the hidden states).
      const at = await model.logitsAt(T - 1);
      expect(Array.from(at.logits)).toEqual(Array.from(first.logits));
      await expect(model.layerQkv(2, input)).rejects.toThrow(/layer 2 is outside 0 … 1/);
      // Another sequence, or a forward that does not keep them, and the kept inputs answer nothing.
      const other = input.map((id) => (id + 1) % GPT2_VOCAB);
      expect(await model.layerQkv(0, other)).toBeNull();
      await model.forward(input, { attention: 'none' });
      expect(await model.layerQkv(0, input)).toBeNull();
    } finally {
      model.destroy();
    }
  });

  it('keeps layer inputs within the 256 MiB budget only', () => {
    const gpt2 = { ...CONFIG, nLayer: 12, nEmbd: 768, nHead: 12 };
    const xl = { ...CONFIG, nLayer: 48, nEmbd: 1600, nHead: 25 };
    expect(layerInputsBytes(gpt2, 1024)).toBe(12 * 1024 * 768 * 4);
    expect(keepsLayerInputs(gpt2, 1024)).toBe(true);
    expect(keepsLayerInputs(xl, 873)).toBe(true);
    expect(keepsLayerInputs(xl, 874)).toBe(false);
  });
});
