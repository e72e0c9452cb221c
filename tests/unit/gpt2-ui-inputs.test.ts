import { describe, expect, it } from 'vitest';
import {
  GPT2_EXPORT_MAX_VALUES,
  exportRefusal,
  gpt2AttentionJson,
  headRows,
  headTableCsv,
  headWindow,
  nextSort,
  sortHeadRows,
  splitQkv,
  type HeadColumn,
  type HeadRow,
} from '../../src/ui/attention/gpt2-inputs';
import type { Gpt2Config } from '../../src/models/gpt2/types';
import { attentionSchema } from '../../src/state/attention';

const config: Gpt2Config = { nLayer: 2, nHead: 2, nEmbd: 4, vocab: 50257, nPositions: 8, eps: 1e-5 };

describe('splitQkv', () => {
  // T = 2, C = 4, H = 2 (d = 2): qkv[t][c] = 100·t + c, so every value names its source exactly.
  const T = 2;
  const C = 4;
  const qkv = Float32Array.from(
    { length: T * 3 * C },
    (_, i) => 100 * Math.floor(i / (3 * C)) + (i % (3 * C)),
  );

  it('puts head h of q, k, v (columns block·C + h·d …) at [h][t][:]', () => {
    const x = splitQkv(qkv, T, C, 2);
    expect(x.shape).toEqual({ heads: 2, L: 2, d: 2 });
    // q: head 0 = cols 0,1; head 1 = cols 2,3. Layout [h][t][d].
    expect(Array.from(x.q)).toEqual([0, 1, 100, 101, 2, 3, 102, 103]);
    expect(Array.from(x.k)).toEqual([4, 5, 104, 105, 6, 7, 106, 107]);
    expect(Array.from(x.v)).toEqual([8, 9, 108, 109, 10, 11, 110, 111]);
  });

  it('takes a block of heads', () => {
    const x = splitQkv(qkv, T, C, 2, 1, 1);
    expect(x.shape.heads).toBe(1);
    expect(Array.from(x.q)).toEqual([2, 3, 102, 103]);
  });

  it('refuses wrong sizes by name', () => {
    expect(() => splitQkv(qkv.subarray(1), T, C, 2)).toThrow(/QKV has 23 values/);
    expect(() => splitQkv(qkv, T, C, 3)).toThrow(/not a multiple of 3 heads/);
    expect(() => splitQkv(qkv, T, C, 2, 1, 2)).toThrow(/heads 1 … 2 of 2/);
  });
});

describe('head table', () => {
  const rows: HeadRow[] = [
    { layer: 0, head: 0, previous: 0.5, first: 0.1, self: 0.2, distance: 1 },
    { layer: 0, head: 1, previous: 0.9, first: 0.3, self: 0.2, distance: 2 },
    { layer: 1, head: 0, previous: 0.1, first: 0.8, self: 0.1, distance: 3 },
  ];

  it('sorts by a column, ties by layer then head, without changing the input', () => {
    const by = (column: HeadColumn, descending: boolean) =>
      sortHeadRows(rows, { column, descending }).map((r) => `${r.layer}.${r.head}`);
    expect(by('previous', true)).toEqual(['0.1', '0.0', '1.0']);
    expect(by('previous', false)).toEqual(['1.0', '0.0', '0.1']);
    expect(by('self', true)).toEqual(['0.0', '0.1', '1.0']);
    expect(rows[0]!.head).toBe(0);
  });

  it('a header click flips the same column; a new score column starts descending, ids ascending', () => {
    expect(nextSort({ column: 'self', descending: true }, 'self')).toEqual({
      column: 'self',
      descending: false,
    });
    expect(nextSort({ column: 'self', descending: false }, 'first')).toEqual({
      column: 'first',
      descending: true,
    });
    expect(nextSort({ column: 'self', descending: true }, 'layer')).toEqual({
      column: 'layer',
      descending: false,
    });
  });

  it('scores every head of every layer from the maps', () => {
    // Layer 0: head 0 attends to the previous token (row 0 to itself), head 1 to the first token.
    const a0 = Float32Array.from([1, 0, 0, 1, 0, 0, 0, 1, 0, /* h1 */ 1, 0, 0, 1, 0, 0, 1, 0, 0]);
    const out = headRows([a0, a0], 2);
    expect(out.map((r) => [r.layer, r.head])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(out[0]).toMatchObject({ previous: 1, first: 2 / 3, self: 1 / 3, distance: 2 / 3 });
    expect(out[1]).toMatchObject({ previous: 0.5, first: 1, self: 1 / 3, distance: 1 });
    expect(headTableCsv(out.slice(0, 1))).toEqual([
      ['layer', 'head', 'previous_token', 'first_token', 'self', 'mean_distance'],
      [0, 0, 1, 2 / 3, 1 / 3, 2 / 3],
    ]);
  });
});

describe('Export model attention (JSON)', () => {
  it('nests [layer][head][query][key] and keeps the documented keys', () => {
    const maps = [
      Float32Array.from([1, 0, 0.25, 0.75, 1, 0, 0.5, 0.5]),
      Float32Array.from([1, 0, 1, 0, 1, 0, 0, 1]),
    ];
    const doc = gpt2AttentionJson(
      config,
      { ids: [10, 20], tokens: ['a', 'Ġb'], attention: maps },
      [{ id: 1, token: 'x', p: 0.5 }],
      'WebGPU: test',
    );
    expect(Object.keys(doc)).toEqual(['lab', 'model', 'tokens', 'ids', 'attention', 'next', 'backend']);
    expect(doc['model']).toEqual({
      kind: 'gpt2',
      nLayer: 2,
      nHead: 2,
      nEmbd: 4,
      vocab: 50257,
      nPositions: 8,
    });
    const a = doc['attention'] as number[][][][];
    expect(a).toHaveLength(2);
    expect(a[0]).toEqual([
      [
        [1, 0],
        [0.25, 0.75],
      ],
      [
        [1, 0],
        [0.5, 0.5],
      ],
    ]);
    expect(a[1]![1]![1]).toEqual([0, 1]);
  });

  it('refuses pooled maps, long texts and too many numbers, naming the limit', () => {
    expect(exportRefusal(config, 8, false, 256)).toBeNull();
    expect(exportRefusal(config, 300, true, 256)).toMatch(
      /full maps only, up to 256 tokens; this text has 300/,
    );
    const big: Gpt2Config = { ...config, nLayer: 48, nHead: 25 };
    // 48·25·256² = 78,643,200 > the limit.
    expect(48 * 25 * 256 * 256).toBeGreaterThan(GPT2_EXPORT_MAX_VALUES);
    expect(exportRefusal(big, 256, false, 256)).toMatch(/78,643,200 weights/);
  });
});

describe('headWindow (the stage views of a model with more heads than the kernels run)', () => {
  it('gives the block of ≤ 16 heads holding the head, in the model numbering', () => {
    expect(headWindow(0, 12, 16)).toEqual({ first: 0, count: 12 });
    expect(headWindow(15, 20, 16)).toEqual({ first: 0, count: 16 });
    expect(headWindow(16, 20, 16)).toEqual({ first: 16, count: 4 });
    expect(headWindow(19, 20, 16)).toEqual({ first: 16, count: 4 });
    // gpt2-xl: 25 heads in blocks 0 … 15 and 16 … 24.
    expect(headWindow(24, 25, 16)).toEqual({ first: 16, count: 9 });
    expect(headWindow(40, 64, 16)).toEqual({ first: 32, count: 16 });
  });

  it('clamps a head beyond the model to its last one', () => {
    expect(headWindow(30, 20, 16)).toEqual({ first: 16, count: 4 });
    expect(headWindow(-1, 20, 16)).toEqual({ first: 0, count: 16 });
  });

  it('the block and splitQkv give the model heads first … first + count − 1', () => {
    // T = 1, C = 20 heads of d = 1: qkv[c] = c, so q of head h is h.
    const qkv = Float32Array.from({ length: 60 }, (_, i) => i);
    const w = headWindow(17, 20, 16);
    const x = splitQkv(qkv, 1, 20, 20, w.first, w.count);
    expect(Array.from(x.q)).toEqual([16, 17, 18, 19]);
    expect(Array.from(x.v)).toEqual([56, 57, 58, 59]);
  });

  it('the URL head accepts a GPT-2 head up to 63 (the transformer kernels take 64 heads)', () => {
    expect(attentionSchema.head.parse('24')).toBe(24);
    expect(attentionSchema.head.parse('63')).toBe(63);
    expect(attentionSchema.head.parse('64')).toHaveProperty('error');
  });
});
