/** The Attention lab page's plain helpers and URL schema (no DOM, no GPU). */
import { describe, expect, it } from 'vitest';
import { initialState } from '../../src/state/store';
import { formatHash, parseHash } from '../../src/state/url';
import { maskMatrix, MASKED_SENTINEL } from '../../src/kernels/attention/spec';
import {
  axisLabels,
  cellLabel,
  clampRect,
  crop,
  fmtValue,
  headOf,
  nest3,
  poolRows,
  prepareInputs,
  weightsCsv,
} from '../../src/ui/attention/model';
import { initInduction } from '../../src/models/induction';
import { demoSequence, formatSequence } from '../../src/models/induction/sequence';

const defaults = () => initialState().labs.attention;

describe('attention URL state', () => {
  it('round-trips every control', () => {
    const hash =
      '#/attention?text=Hello+there%2C+world&tokenizer=characters&mask=window&windowCausal=0&validLength=3' +
      '&window=5&L=64&heads=8&d=32&seed=7&scale=0.5&bias=alibi&path=fused&pool=mean&head=3&row=10&stage=scores&weightRange=max' +
      '&model=induction&layer=0&tokens=AbC-_AbC&period=25&ablate=1.3%2C0.1';
    const s = parseHash(hash, initialState());
    expect(s.notices).toEqual([]);
    expect(s.labs.attention).toEqual({
      text: 'Hello there, world',
      tokenizer: 'characters',
      mask: 'window',
      windowCausal: false,
      validLength: 3,
      window: 5,
      L: 64,
      heads: 8,
      d: 32,
      seed: 7,
      scale: 0.5,
      bias: 'alibi',
      path: 'fused',
      pool: 'mean',
      head: 3,
      row: 10,
      stage: 'scores',
      weightRange: 'max',
      model: 'induction',
      layer: 0,
      tokens: 'AbC-_AbC',
      period: 25,
      // Sorted by layer, then head.
      ablate: '0.1,1.3',
    });
    expect(parseHash(formatHash(s), initialState())).toEqual(s);
  });

  it('names what is wrong with the induction-model controls and keeps the defaults', () => {
    const s = parseHash(
      '#/attention?model=gpt5&layer=48&tokens=ab%21c&period=3&ablate=2.0%2C0.4',
      initialState(),
    );
    expect(s.labs.attention).toEqual(defaults());
    const text = s.notices.join(' ');
    expect(s.notices).toHaveLength(5);
    expect(text).toMatch(/model=gpt5: “gpt5” is not one of random, induction, trained/);
    expect(text).toMatch(/tokens=ab!c: “!” is not a token/);
    expect(text).toMatch(/period=3: 3 is outside 4…30/);
    expect(text).toMatch(/ablate=2.0,0.4: “2.0” is not layer.head with layer < 2 and head < 4/);
  });

  it('falls back to defaults with a notice for invalid values', () => {
    const s = parseHash('#/attention?L=5000&heads=0&d=257&mask=diagonal&path=fast&scale=-1', initialState());
    expect(s.labs.attention).toEqual(defaults());
    expect(s.notices).toHaveLength(6);
    expect(s.notices.join(' ')).toMatch(/L=5000: 5000 is outside 0…4,096/);
    expect(s.notices.join(' ')).toMatch(/mask=diagonal/);
  });
});

describe('prepareInputs', () => {
  it('tokenizes, initialises Q, K, V and builds the mask', async () => {
    const p = await prepareInputs(
      { ...defaults(), text: 'a b c', mask: 'causal', heads: 2, d: 4 },
      { maxL: 4096 },
    );
    expect(p.tokens).toEqual(['a', 'b', 'c']);
    expect(p.inputs.shape).toEqual({ heads: 2, L: 3, d: 4 });
    expect(p.inputs.q).toHaveLength(24);
    expect(p.mask).toEqual({ kind: 'causal' });
    expect(p.scale).toBeUndefined();
    expect(p.notes).toEqual([]);
  });

  it('repeats tokens to reach L, and caps L for the CPU backend with a note', async () => {
    const long = await prepareInputs({ ...defaults(), text: 'x y', L: 5, heads: 1, d: 2 }, { maxL: 4096 });
    expect(long.tokens).toEqual(['x', 'y', 'x', 'y', 'x']);
    expect(long.notes.join(' ')).toMatch(/repeat to fill L = 5/);
    const capped = await prepareInputs(
      { ...defaults(), text: 'x y', L: 300, heads: 1, d: 2 },
      { maxL: 256, maxLReason: 'The CPU reference' },
    );
    expect(capped.tokens).toHaveLength(256);
    expect(capped.notes[0]).toMatch(/The CPU reference runs at most L = 256/);
  });

  it('clamps the padding length to L, defaults the custom mask to causal, passes a scale override', async () => {
    const pad = await prepareInputs(
      { ...defaults(), text: 'a b', mask: 'padding', validLength: 9 },
      { maxL: 99 },
    );
    expect(pad.mask).toEqual({ kind: 'padding', validLength: 2 });
    expect(pad.notes.join(' ')).toMatch(/Valid length 9 is more than L/);
    const custom = await prepareInputs(
      { ...defaults(), text: 'a b c', mask: 'custom', scale: 2 },
      { maxL: 99 },
    );
    expect(custom.mask.kind).toBe('custom');
    expect(custom.mask.kind === 'custom' && Array.from(custom.mask.keep)).toEqual(
      Array.from(maskMatrix({ kind: 'causal' }, 3)),
    );
    expect(custom.scale).toBe(2);
  });

  it('refuses an empty sentence with a readable message', async () => {
    await expect(prepareInputs({ ...defaults(), text: '  ' }, { maxL: 99 })).rejects.toThrow(/no tokens/);
  });
});

describe('view helpers', () => {
  const L = 4;
  const data = Float32Array.from({ length: 2 * L * L }, (_, i) => i);

  it('slices heads, crops windows and labels pooled cells', () => {
    const h1 = headOf(data, 1, L, L);
    expect(h1.data[0]).toBe(16);
    expect(h1.pooled).toBe(false);
    const c = crop(h1, { row0: 1, col0: 2, rows: 2, cols: 2 });
    expect(Array.from(c.data)).toEqual([22, 23, 26, 27]);
    expect(cellLabel(['a', 'b', 'c', 'd'], 1, 2, 0, 4)).toBe('2–3');
    expect(axisLabels(['a', 'b', 'c', 'd'], 4, 0, 4)).toEqual(['a', 'b', 'c', 'd']);
    const many = Array.from({ length: 40 }, (_, i) => `t${i % 3}`);
    expect(cellLabel(many, 5, 40, 0, 40)).toBe('5 t2');
  });

  it('pools rows by max or mean and nests tensors for JSON', () => {
    const m = headOf(Float32Array.from([1, 2, 3, 4, 5, 6]), 0, 3, 2);
    expect(Array.from(poolRows(m, 1, 'max').data)).toEqual([5, 6]);
    expect(Array.from(poolRows(m, 1, 'mean').data)).toEqual([3, 4]);
    expect(nest3(Float32Array.from([1, 2, 3, 4]), 2, 1, 2)).toEqual([[[1, 2]], [[3, 4]]]);
    const csv = weightsCsv(['a', 'b'], Float32Array.from([0.5, 0.5, 1, 0]), 0, 2);
    expect(csv).toEqual([
      ['query \\ key', '0:a', '1:b'],
      ['0:a', 0.5, 0.5],
      ['1:b', 1, 0],
    ]);
  });

  it('keeps zoom windows inside the matrix and prints masked values as −∞', () => {
    expect(clampRect({ row0: -3, col0: 10, rows: 4, cols: 4 }, 8)).toEqual({
      row0: 0,
      col0: 4,
      rows: 4,
      cols: 4,
    });
    expect(fmtValue(MASKED_SENTINEL)).toBe('−∞');
    expect(fmtValue(-0.5)).toBe('−0.5000');
  });
});

describe('prepareInputs with the induction model', () => {
  const model = {
    kind: 'induction' as const,
    params: Float32Array.from(initInduction(1)),
    label: 'seeded init',
    version: 0,
  };
  const base = { ...defaults(), model: 'induction' as const, mask: 'causal' as const };

  it("hands the chosen layer's per-head Q, K, V of the generated sequence to the engine", async () => {
    const p = await prepareInputs(
      { ...base, layer: 0, seed: 9, period: 20 },
      { maxL: 4096, induction: model },
    );
    expect(p.source).toBe('model');
    expect(p.inputs.shape).toEqual({ heads: 4, L: 64, d: 16 });
    expect(p.tokens[0]).toBe('⟨BOS⟩');
    expect(p.tokens.slice(1).join('')).toBe(formatSequence(demoSequence(9, 20).ids));
    const r = p.induction!;
    expect(r.layer).toBe(0);
    expect(r.source).toBe('generated');
    expect(r.analysis.repeat!.period).toBe(20);
    expect(p.inputs.q).toBe(r.analysis.q[0]);
    expect(p.notes).toEqual([]);
    expect(p.mask).toEqual({ kind: 'causal' });
  });

  it('uses a typed sequence, zeroes the listed heads and says what the model ignores', async () => {
    const p = await prepareInputs(
      { ...base, tokens: 'ABCABC', ablate: '0.2,1.0', mask: 'none', L: 12 },
      { maxL: 4096, induction: model },
    );
    expect(p.inputs.shape.L).toBe(7);
    expect(p.induction!.source).toBe('typed');
    expect(p.induction!.ablate).toEqual([
      { layer: 0, head: 2 },
      { layer: 1, head: 0 },
    ]);
    expect(p.notes.join(' ')).toMatch(/trained with the causal mask/);
    expect(p.notes.join(' ')).toMatch(/the L control is not used/);
  });

  it('refuses a bad typed sequence with a message naming the character', async () => {
    await expect(prepareInputs({ ...base, tokens: 'AB?' }, { maxL: 4096, induction: model })).rejects.toThrow(
      /“\?” \(character 3\) is not a token/,
    );
  });
});
