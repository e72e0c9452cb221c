/**
 * The attention inputs (src/models/attention-inputs.ts): the tokenizer, the seeded initialisation and the JSON
 * import. Everything is exact except the normals' moments (5 standard errors, stated in the test).
 */
import { describe, expect, it } from 'vitest';
import {
  fnv1a32,
  initAttentionInputs,
  parseAttentionJson,
  repeatTokens,
  seededNormals,
  sinusoidalPositions,
  tokenize,
  type ImportedAttention,
} from '../../src/models/attention-inputs';
import { philox4x32 } from '../../src/kernels/random/philox.ref';
import { boxMuller } from '../../src/kernels/random/ref';

describe('tokenizer', () => {
  it('words: lowercase, punctuation as its own token, apostrophes inside words kept', () => {
    expect(tokenize('Hello, World! The cat’s mat.')).toEqual([
      'hello',
      ',',
      'world',
      '!',
      'the',
      'cat’s',
      'mat',
      '.',
    ]);
    expect(tokenize("Don't   stop -- now")).toEqual(["don't", 'stop', '-', '-', 'now']);
    expect(tokenize('Ünïcode 42x')).toEqual(['ünïcode', '42x']);
    expect(tokenize('   ')).toEqual([]);
  });
  it('characters: one token per character, whitespace runs become one space, trimmed', () => {
    expect(tokenize('  Hi,  Yo ', 'characters')).toEqual(['h', 'i', ',', ' ', 'y', 'o']);
  });
  it('repeatTokens repeats or truncates to L', () => {
    expect(repeatTokens(['a', 'b', 'c'], 5)).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(repeatTokens(['a', 'b', 'c'], 2)).toEqual(['a', 'b']);
  });
});

describe('seeded initialisation', () => {
  const tokens = tokenize('the cat sat on the mat .');

  it('is deterministic: same seed same tensors, another seed different', () => {
    const a = initAttentionInputs({ tokens, heads: 2, d: 8, seed: 7 });
    const b = initAttentionInputs({ tokens, heads: 2, d: 8, seed: 7 });
    const c = initAttentionInputs({ tokens, heads: 2, d: 8, seed: 8 });
    expect(a.shape).toEqual({ heads: 2, L: 7, d: 8 });
    expect([...a.q]).toEqual([...b.q]);
    expect([...a.v]).toEqual([...b.v]);
    expect([...a.q]).not.toEqual([...c.q]);
    expect(a.q.length).toBe(2 * 7 * 8);
  });

  it('follows the documented recipe (recomputed here from Philox, Box–Muller and sinusoids)', () => {
    const seed = 12345;
    const dModel = 6;
    const d = 3;
    const init = initAttentionInputs({ tokens, heads: 2, d, dModel, seed });
    // Embedding of token 4 ("the" again) = e("the") + PE[4]; e("the") from tag 1, id fnv1a("the").
    const w = philox4x32([0, 1, fnv1a32('the'), 0], [seed, 0]);
    const first4 = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
    for (let i = 0; i < 4; i++) {
      expect(init.embeddings[4 * dModel + i]).toBe(
        Math.fround(first4[i]! + sinusoidalPositions(7, dModel)[4 * dModel + i]!),
      );
    }
    // Same token, same embedding apart from the position term.
    const e0 = seededNormals(dModel, seed, 1, fnv1a32('the'));
    expect(init.embeddings[0]).toBe(Math.fround(e0[0]! + 0)); // sin(0) = 0
    // V[h=1][p=2][j=1] = Σ_i x[2][i] · W_v[1][i][1] / √dModel with W_v from tag 4, id 1.
    const wv = seededNormals(dModel * d, seed, 4, 1);
    const pe = sinusoidalPositions(7, dModel);
    const e2 = seededNormals(dModel, seed, 1, fnv1a32(tokens[2]!));
    let s = 0;
    for (let i = 0; i < dModel; i++) s += (e2[i]! + pe[2 * dModel + i]!) * wv[i * d + 1]!;
    expect(Math.abs(init.v[(1 * 7 + 2) * d + 1]! - s / Math.sqrt(dModel))).toBeLessThan(1e-6);
  });

  it('fnv1a32 and the sinusoids match known values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    const pe = sinusoidalPositions(2, 4);
    expect([...pe.slice(0, 4)]).toEqual([0, 1, 0, 1]);
    expect(pe[4]).toBeCloseTo(Math.sin(1), 15);
    expect(pe[7]).toBeCloseTo(Math.cos(1 / 100), 15);
  });

  it('normals have mean ≈ 0 and variance ≈ 1 (20000 draws, 5 standard errors)', () => {
    const x = seededNormals(20000, 1, 9, 9);
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(20000));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / 20000));
  });

  it('refuses bad sizes', () => {
    expect(() => initAttentionInputs({ tokens: [], heads: 1, d: 4, seed: 1 })).toThrow(
      /Need 1 to 4096 tokens/,
    );
    expect(() => initAttentionInputs({ tokens, heads: 17, d: 4, seed: 1 })).toThrow(/heads must be/);
  });
});

describe('JSON import', () => {
  const qkv = (q: unknown, k: unknown = q, v: unknown = q, extra = {}) =>
    JSON.stringify({ q, k, v, ...extra });
  const t = [
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
  ]; // 1 head, L 3, d 2
  const err = (text: string) => {
    const r = parseAttentionJson(text);
    if (r.ok) throw new Error('expected an error');
    return r.error;
  };

  it('parses Q, K, V and tokens into flat f32 tensors', () => {
    const r = parseAttentionJson(
      qkv(t, t, t, { tokens: ['a', 'b', 'c'], scale: 0.5, mask: 'causal', lab: 'attention' }),
    );
    expect(r).toMatchObject({
      ok: true,
      value: {
        kind: 'qkv',
        shape: { heads: 1, L: 3, d: 2 },
        tokens: ['a', 'b', 'c'],
        scale: 0.5,
        mask: 'causal',
      },
    });
    // Asserted above: a successful Q/K/V parse.
    const value = (r as { value: Extract<ImportedAttention, { kind: 'qkv' }> }).value;
    for (const name of ['q', 'k', 'v'] as const) {
      expect(value[name]).toBeInstanceOf(Float32Array);
      expect([...value[name]], name).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('parses a weights-only file', () => {
    const r = parseAttentionJson(
      JSON.stringify({
        weights: [
          [
            [1, 0],
            [0.5, 0.5],
          ],
        ],
      }),
    );
    expect(r.ok && r.value.kind === 'weights' && r.value.shape).toEqual({ heads: 1, L: 2 });
  });

  it('invalid JSON: names the position (and line, column)', () => {
    expect(err('{"q": [1, 2,, 3]}')).toMatch(/^not valid JSON at position 12 \(line 1, column 13\)/);
    expect(err('{"q": [1]\n  "k"')).toBe(
      "not valid JSON at position 12 (line 2, column 3): unexpected \"\\\"\" (expected ',' or '}' after a property value).",
    );
    expect(err('{"q": [1, 2,, 3]}')).toBe(
      'not valid JSON at position 12 (line 1, column 13): unexpected "," (expected a value).',
    );
    expect(err('{"q": [1, 2]')).toBe(
      'not valid JSON at position 12 (line 1, column 13): unexpected end of the file.',
    );
    expect(err("{'q': 1}")).toMatch(/position 1 .*expected a property name in double quotes/);
    expect(err('{"q": NaN}')).toMatch(/position 6 .*unexpected "N" \(expected a value\)/);
  });
  it('empty file and non-object', () => {
    expect(err('  ')).toBe('The file is empty.');
    expect(err('[1,2]')).toBe('expected a JSON object with "q", "k" and "v" (or "weights"), got an array.');
  });
  it('missing tensors', () => {
    expect(err('{}')).toBe('expected "q", "k" and "v" (or "weights"); found none of them.');
    expect(err(JSON.stringify({ q: t, k: t }))).toBe('missing "v" (Q, K and V are all needed).');
  });
  it('head count mismatch', () => {
    expect(err(qkv([...t, ...t, ...t, ...t], [...t, ...t, ...t]))).toBe('"k" has 3 heads but "q" has 4.');
  });
  it('row length mismatch inside a tensor', () => {
    const bad = [
      [
        [1, 2, 3, 4, 5, 6, 7, 8],
        [1, 2, 3, 4, 5, 6, 7, 8],
        [1, 2, 3, 4, 5, 6, 7],
      ],
    ];
    expect(err(qkv(bad))).toBe('q[0][2] has length 7, expected 8.');
  });
  it('rows per head and dims across tensors', () => {
    expect(err(qkv(t, [t[0]!.slice(0, 2)]))).toBe('"k" has 2 rows per head but "q" has 3.');
    expect(err(qkv(t, t, [[[1], [2], [3]]]))).toBe('"v" rows have length 1 but "q" rows have length 2.');
    expect(err(qkv([t[0], t[0]!.slice(0, 1)]))).toBe('q[1] has 1 rows, expected 3.');
  });
  it('non-finite and non-numeric entries', () => {
    expect(err(qkv(t, t, t).replace('"v":[[[1,2]', '"v":[[[1,1e999]'))).toBe(
      'v[0][0][1] is not a finite number (Infinity).',
    );
    expect(err(qkv([[[1, 'x']]]))).toBe('q[0][0][1] is not a number (got a string ("x")).');
    expect(err(qkv([[[1, null]]]))).toBe('q[0][0][1] is not a number (got null).');
    expect(err(qkv([[[1, 1e39]]]))).toBe(
      'q[0][0][1] = 1e+39 does not fit in float32 (largest magnitude ≈ 3.4e38).',
    );
  });
  it('structure errors', () => {
    expect(err(qkv(5))).toBe('"q" must be an array [head][row][dim], got number 5.');
    expect(err(qkv([]))).toBe('"q" has no heads.');
    expect(err(qkv([[]]))).toBe('q[0] has no rows.');
    expect(err(qkv([[[]]]))).toBe('q[0][0] is empty.');
    expect(err(qkv([[1]]))).toBe('q[0][0] must be an array of numbers, got number 1.');
    expect(err(qkv(['x']))).toBe('q[0] must be an array of rows, got a string ("x").');
  });
  it('limits: heads, L, d', () => {
    expect(err(qkv(Array(17).fill([[1]])))).toBe('"q" has 17 heads; at most 16 are supported.');
    expect(err(qkv([[Array(257).fill(0)]]))).toBe('"q" rows have length 257; at most 256 are supported (d).');
  });
  it('tokens, scale and mask fields', () => {
    expect(err(qkv(t, t, t, { tokens: ['a', 'b'] }))).toBe('"tokens" has 2 entries but L is 3.');
    expect(err(qkv(t, t, t, { tokens: ['a', 'b', 3] }))).toBe('tokens[2] is not a string (got number 3).');
    expect(err(qkv(t, t, t, { scale: 'big' }))).toBe(
      '"scale" must be a finite number, got a string ("big").',
    );
    expect(err(qkv(t, t, t, { mask: 'diagonal' }))).toBe(
      '"mask" must be one of none, causal, padding, window, custom, got a string ("diagonal").',
    );
  });
  it('weights-only errors', () => {
    expect(
      err(
        JSON.stringify({
          weights: [
            [
              [1, 0, 0],
              [0, 1, 0],
            ],
          ],
        }),
      ),
    ).toBe('"weights" rows have length 3 but there are 2 queries; expected L×L.');
    expect(
      err(
        JSON.stringify({
          weights: [
            [
              [1, 0],
              [-0.5, 1],
            ],
          ],
        }),
      ),
    ).toBe('weights[0][1][0] is negative (-0.5).');
  });
});
