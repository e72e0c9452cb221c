import { describe, expect, it } from 'vitest';
import {
  Gpt2ConfigError,
  checkGpt2Limits,
  inferGpt2Config,
  type Gpt2ConfigProblem,
} from '../../src/models/gpt2/config';
import type {
  SafetensorsDtype,
  SafetensorsEntry,
  SafetensorsHeader,
} from '../../src/models/gpt2/safetensors';
import { GPT2_LN_EPS, gpt2TensorSpecs, type Gpt2Config } from '../../src/models/gpt2/types';

// Configuration inference only reads names and shapes, so these tests use headers without data (the
// reader and real files are covered by gpt2-safetensors and gpt2-file-source). Everything here is exact.

const TINY = { nLayer: 2, nEmbd: 16, vocab: 50257, nPositions: 8 };

function header(
  c: { nLayer: number; nEmbd: number; vocab: number; nPositions: number },
  o: {
    prefix?: boolean;
    omit?: string[];
    shapes?: Record<string, number[]>;
    extra?: string[];
    dtype?: SafetensorsDtype;
  } = {},
): SafetensorsHeader {
  const tensors = new Map<string, SafetensorsEntry>();
  const p = o.prefix ? 'transformer.' : '';
  let at = 0;
  const add = (name: string, shape: number[]) => {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    tensors.set(name, { dtype: o.dtype ?? 'F32', shape, begin: at, end: at + bytes });
    at += bytes;
  };
  for (const s of gpt2TensorSpecs(c)) {
    if (!o.omit?.includes(s.name)) add(p + s.name, o.shapes?.[s.name] ?? s.shape);
  }
  for (const name of o.extra ?? []) add(name, [1, 1, c.nPositions, c.nPositions]);
  return { headerLength: 1000, dataStart: 1008, dataLength: at, tensors, metadata: null };
}

function problem(f: () => unknown): { problem: Gpt2ConfigProblem; message: string } {
  try {
    f();
  } catch (e) {
    if (e instanceof Gpt2ConfigError) {
      expect(e).toBeInstanceOf(RangeError);
      return { problem: e.problem, message: e.message };
    }
    throw e;
  }
  throw new Error('accepted');
}

describe('inferGpt2Config', () => {
  it('sizes from names and shapes, heads from config.json', () => {
    const r = inferGpt2Config(header(TINY), {
      n_head: 4,
      n_embd: 16,
      n_layer: 2,
      n_positions: 8,
      vocab_size: 50257,
    });
    expect(r).toEqual({
      config: { nLayer: 2, nHead: 4, nEmbd: 16, vocab: 50257, nPositions: 8, eps: GPT2_LN_EPS },
      prefix: '',
      headSource: 'config.json',
      notes: [],
    });
  });

  it('with the "transformer." prefix', () => {
    const r = inferGpt2Config(header(TINY, { prefix: true }), { n_head: 2 });
    expect(r.prefix).toBe('transformer.');
    expect(r.config).toMatchObject({ nLayer: 2, nHead: 2, nEmbd: 16 });
  });

  it('standard heads for a published width, said in a note', () => {
    const gpt2 = { nLayer: 12, nEmbd: 768, vocab: 50257, nPositions: 1024 };
    const r = inferGpt2Config(header(gpt2));
    expect(r.headSource).toBe('standard');
    expect(r.config).toEqual({ ...gpt2, nHead: 12, eps: 1e-5 });
    expect(r.notes).toContain('no config.json: using the standard 12 heads for width 768.');
    for (const [C, H] of [
      [1024, 16],
      [1280, 20],
      [1600, 25],
    ] as const) {
      expect(inferGpt2Config(header({ nLayer: 1, nEmbd: C, vocab: 50257, nPositions: 4 })).config.nHead).toBe(
        H,
      );
    }
    const noHead = inferGpt2Config(header(gpt2), { n_embd: 768 });
    expect(noHead.headSource).toBe('standard');
    expect(noHead.notes[0]).toMatch(/^config.json has no n_head: using the standard 12 heads/);
  });

  it('a width without a standard head count needs config.json', () => {
    const r = problem(() => inferGpt2Config(header({ ...TINY, nEmbd: 100 })));
    expect(r).toEqual({
      problem: 'heads',
      message: 'Width 100 has no standard head count: drop its config.json beside the weights.',
    });
  });

  it('a vocabulary that is not GPT-2’s', () => {
    const r = problem(() => inferGpt2Config(header({ ...TINY, vocab: 1000 }), { n_head: 2 }));
    expect(r).toEqual({
      problem: 'vocab',
      message: "The vocabulary 1000 is not GPT-2's 50257 (this tokenizer only fits GPT-2).",
    });
  });

  it('a missing tensor, named with its expected shape', () => {
    const r = problem(() => inferGpt2Config(header(TINY, { omit: ['h.1.mlp.c_fc.bias'] }), { n_head: 2 }));
    expect(r).toEqual({
      problem: 'missing-tensor',
      message: 'The file has no tensor h.1.mlp.c_fc.bias (expected shape [64]).',
    });
    expect(problem(() => inferGpt2Config(header(TINY, { omit: ['wte.weight'] }))).problem).toBe('not-gpt2');
    expect(problem(() => inferGpt2Config(header(TINY, { omit: ['wpe.weight'] }))).problem).toBe(
      'missing-tensor',
    );
  });

  it('a misshaped tensor, named with expected and found shapes', () => {
    const shapes = { 'h.0.attn.c_attn.weight': [48, 16] }; // stored [out][in] instead of Conv1D's [in][out]
    const r = problem(() => inferGpt2Config(header(TINY, { shapes }), { n_head: 2 }));
    expect(r).toEqual({
      problem: 'shape',
      message: 'Tensor h.0.attn.c_attn.weight has shape [48, 16]; expected [16, 48].',
    });
    const wpe = problem(() => inferGpt2Config(header(TINY, { shapes: { 'wpe.weight': [8, 32] } })));
    expect(wpe.problem).toBe('shape');
  });

  it('a config.json that disagrees with the weights, or is malformed', () => {
    for (const [json, re] of [
      [{ n_head: 2, n_embd: 32 }, /n_embd = 32, but the weights have 16/],
      [{ n_head: 2, n_layer: 3 }, /n_layer = 3, but the weights have 2/],
      [{ n_head: 2, n_positions: 1024 }, /n_positions = 1024, but the weights have 8/],
      [{ n_head: 2, vocab_size: 50304 }, /vocab_size = 50304, but the weights have 50257/],
      [{ n_head: 3 }, /n_head = 3, which does not divide the width 16/],
      [{ n_head: '2' }, /n_head = "2": expected a positive integer/],
      [{ n_head: 2, layer_norm_epsilon: -1 }, /layer_norm_epsilon = -1/],
      [[1, 2], /not a JSON object/],
    ] as const) {
      const r = problem(() => inferGpt2Config(header(TINY), json));
      expect(r.problem).toBe('config-json');
      expect(r.message).toMatch(re);
    }
    const eps = inferGpt2Config(header(TINY), { n_head: 2, layer_norm_epsilon: 1e-6 });
    expect(eps.config.eps).toBe(1e-6);
    expect(eps.notes).toEqual(['config.json sets the LayerNorm ε to 0.000001 (GPT-2 uses 0.00001).']);
  });

  it('extra tensors are ignored with one note; stored dtypes are noted', () => {
    const extra = ['h.0.attn.bias', 'h.0.attn.masked_bias', 'h.1.attn.bias', 'h.1.attn.masked_bias'];
    const r = inferGpt2Config(header(TINY, { extra, dtype: 'BF16' }), { n_head: 2 });
    expect(r.notes).toEqual([
      'Ignored 4 tensor(s) the forward pass does not use (h.0.attn.bias, h.0.attn.masked_bias, h.1.attn.bias, …).',
      'Weights stored as BF16: converted to f32 on upload.',
    ]);
  });
});

describe('checkGpt2Limits', () => {
  const gpt2: Gpt2Config = { nLayer: 12, nHead: 12, nEmbd: 768, vocab: 50257, nPositions: 1024, eps: 1e-5 };
  const MiB = 2 ** 20;

  it('names the first tensor over a limit, and the limit', () => {
    expect(checkGpt2Limits(gpt2, { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB })).toBe(
      "wte.weight needs 147.2 MiB; this adapter's maxStorageBufferBindingSize is 128 MiB.",
    );
    expect(checkGpt2Limits(gpt2, { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 100 * MiB })).toBe(
      "wte.weight needs 147.2 MiB; this adapter's maxBufferSize is 100 MiB.",
    );
  });

  it('fits on a typical discrete GPU; activations are checked too', () => {
    expect(
      checkGpt2Limits(gpt2, { maxStorageBufferBindingSize: 2 ** 31 - 4, maxBufferSize: 2 ** 31 }),
    ).toBeNull();
    // 12 heads × 1024² f32 = 48 MiB of attention weights per layer: the largest activation here.
    expect(
      checkGpt2Limits(gpt2, { maxStorageBufferBindingSize: 160 * MiB, maxBufferSize: 160 * MiB }),
    ).toBeNull();
    const wide = { ...gpt2, nHead: 64 }; // 64 × 1024² × 4 = 256 MiB
    expect(checkGpt2Limits(wide, { maxStorageBufferBindingSize: 160 * MiB, maxBufferSize: 2 ** 31 })).toBe(
      "one layer's attention weights [64][1024][1024] needs 256 MiB; this adapter's maxStorageBufferBindingSize is 160 MiB.",
    );
    // Fewer tokens, smaller activations.
    expect(
      checkGpt2Limits(wide, { maxStorageBufferBindingSize: 160 * MiB, maxBufferSize: 2 ** 31 }, 512),
    ).toBeNull();
  });

  it('shows bytes when MiB would hide the difference', () => {
    const c = { ...gpt2, vocab: 50257, nEmbd: 768 };
    const need = 50257 * 768 * 4;
    expect(checkGpt2Limits(c, { maxStorageBufferBindingSize: need - 4, maxBufferSize: 2 ** 31 })).toBe(
      `wte.weight needs ${need} bytes; this adapter's maxStorageBufferBindingSize is ${need - 4} bytes.`,
    );
  });
});
