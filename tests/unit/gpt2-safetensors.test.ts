import { describe, expect, it } from 'vitest';
import {
  SafetensorsError,
  halfToFloat,
  readSafetensorsHeader,
  readTensor,
  type SafetensorsProblem,
} from '../../src/models/gpt2/safetensors';
import {
  blobOf,
  buildGpt2Safetensors,
  encodeHeader,
  firstBitDifference,
  headerOf,
  rewriteHeader,
  roundToBF16,
  roundToF16,
  withHeaderLength,
  type FixtureDtype,
  type FixtureOptions,
} from '../helpers/gpt2-fixture';

// Conversions are exact: every F16 and BF16 value is an f32, so values are compared bit for bit or with
// Object.is (tolerance 0); NaN is checked with Number.isNaN. The reader does not care about the vocabulary:
// a small one keeps these tests fast (GPT-2's 50257 is checked by the configuration tests).
const SMALL: FixtureOptions = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  nPositions: 8,
  vocab: 1000,
  dtype: 'F32',
  prefix: false,
  seed: 7,
};
const base = buildGpt2Safetensors(SMALL);

async function problemOf(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<{ problem: SafetensorsProblem; message: string }> {
  try {
    await readSafetensorsHeader(blobOf(bytes));
  } catch (e) {
    if (e instanceof SafetensorsError) return { problem: e.problem, message: e.message };
    throw e;
  }
  throw new Error('the header was accepted');
}

describe('safetensors header: malformed files name their problem', () => {
  it('accepts the fixture and keeps __metadata__', async () => {
    const f = buildGpt2Safetensors({ ...SMALL, metadata: { format: 'pt' } });
    const h = await readSafetensorsHeader(blobOf(f.bytes));
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.dataStart % 8).toBe(0);
    expect(h.tensors.get('wte.weight')).toMatchObject({ dtype: 'F32', shape: [1000, 16], begin: 0 });
    expect(h.dataStart + h.dataLength).toBe(f.bytes.length);
  });

  it('truncated inside the 8-byte length', async () => {
    const r = await problemOf(base.bytes.slice(0, 5));
    expect(r.problem).toBe('truncated');
    expect(r.message).toMatch(/5 bytes, less than the 8-byte header length/);
  });

  it('truncated inside the header', async () => {
    const { dataStart } = headerOf(base.bytes);
    for (const cut of [9, 30, dataStart - 40, dataStart - 8]) {
      const r = await problemOf(base.bytes.slice(0, cut));
      expect(r.problem, `cut at ${cut}`).toBe('truncated');
      expect(r.message).toMatch(/ends inside its \d+-byte header/);
    }
  });

  it('truncated inside a tensor (the last one)', async () => {
    const r = await problemOf(base.bytes.slice(0, base.bytes.length - 10));
    expect(r.problem).toBe('truncated');
    expect(r.message).toMatch(/ends inside tensor “ln_f\.bias”/);
  });

  it('header length past the end', async () => {
    const r = await problemOf(withHeaderLength(base.bytes, base.bytes.length + 100));
    expect(r.problem).toBe('header-length');
    expect(r.message).toMatch(/runs past the end of the file/);
    // A whole header followed by data, even data that reads as text, is not a cut header.
    const ascii = rewriteHeader(base.bytes, () => '{}');
    ascii.fill(0x61, 16);
    expect((await problemOf(withHeaderLength(ascii, ascii.length))).problem).toBe('header-length');
    // Not JSON at all (an arbitrary file whose first 8 bytes happen to be a small number).
    const other = new Uint8Array(64).fill(0x00);
    other[0] = 200;
    expect((await problemOf(other)).problem).toBe('header-length');
  });

  it('header length over 100 MB, and zero', async () => {
    const huge = await problemOf(withHeaderLength(base.bytes, 2n ** 40n));
    expect(huge.problem).toBe('header-length');
    expect(huge.message).toMatch(/over the limit of 100000000/);
    expect((await problemOf(withHeaderLength(base.bytes, 0))).problem).toBe('header-length');
  });

  it('invalid header JSON, and JSON that is not an object', async () => {
    const bad = await problemOf(
      rewriteHeader(base.bytes, () => '{"wte.weight": {"dtype": "F32",'.padEnd(60)),
    );
    expect(bad.problem).toBe('header-json');
    expect(bad.message).toMatch(/^The header is not valid JSON: .* at line 1, column \d+\.$/);
    const comma = await problemOf(rewriteHeader(base.bytes, () => '{"a": {"dtype": "F32",, "shape": []}}'));
    expect(comma.message).toBe(
      'The header is not valid JSON: unexpected "," (expected a property name in double quotes) at line 1, column 23.',
    );
    expect((await problemOf(rewriteHeader(base.bytes, () => '[1, 2]'))).problem).toBe('header-json');
    const utf = new Uint8Array([...encodeHeader('{"a":1}')]);
    utf[9] = 0xff; // invalid UTF-8 inside the header
    expect((await problemOf(utf)).problem).toBe('header-json');
  });

  it('unknown and unsupported dtypes', async () => {
    const i64 = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j['wpe.weight']!.dtype = 'I64';
      }),
    );
    expect(i64).toEqual({
      problem: 'dtype',
      message: 'Tensor “wpe.weight” has dtype I64; only F32, F16 and BF16 are read.',
    });
    const q = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j['wpe.weight']!.dtype = 'Q4_K';
      }),
    );
    expect(q.problem).toBe('dtype');
    expect(q.message).toMatch(/dtype Q4_K/);
  });

  it('bad shapes', async () => {
    for (const shape of [[-1, 16], [1.5], 'x', [16, null]]) {
      const r = await problemOf(
        rewriteHeader(base.bytes, (j) => {
          j['wpe.weight']!.shape = shape;
        }),
      );
      expect(r.problem).toBe('shape');
      expect(r.message).toMatch(/“wpe\.weight” has shape/);
    }
  });

  it('offsets that overlap, leave the data section, disagree with the shape or are malformed', async () => {
    const { json } = headerOf(base.bytes);
    const wpe = (json['wpe.weight'] as { data_offsets: [number, number] }).data_offsets;
    const overlap = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j['wpe.weight']!.data_offsets = [wpe[0] - 4, wpe[1] - 4];
      }),
    );
    expect(overlap.problem).toBe('offsets');
    expect(overlap.message).toMatch(/“wte\.weight” .* and “wpe\.weight” .* overlap/);

    const dataLength = base.bytes.length - headerOf(base.bytes).dataStart;
    const outside = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j['wpe.weight']!.data_offsets = [dataLength + 64, dataLength + 64 + (wpe[1] - wpe[0])];
      }),
    );
    expect(outside.problem).toBe('offsets');
    expect(outside.message).toMatch(/“wpe\.weight” .* outside the data section/);

    const size = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j['wpe.weight']!.data_offsets = [wpe[0], wpe[1] - 4];
      }),
    );
    expect(size.problem).toBe('offsets');
    expect(size.message).toMatch(/needs 512 bytes/);

    const empty = await problemOf(
      rewriteHeader(base.bytes, (j) => {
        j.empty = { dtype: 'F32', shape: [0], data_offsets: [dataLength + 8, dataLength + 8] };
      }),
    );
    expect(empty.problem).toBe('offsets');
    expect(empty.message).toMatch(/“empty” .* outside the data section/);

    for (const offsets of [[10, 2], [0], 'a', [0, -4]]) {
      const r = await problemOf(
        rewriteHeader(base.bytes, (j) => {
          j['wpe.weight']!.data_offsets = offsets;
        }),
      );
      expect(r.problem).toBe('offsets');
    }
  });

  it('reads only the first 8 bytes and the header, never the data', async () => {
    const blob = blobOf(base.bytes);
    const slices: [number, number][] = [];
    const spy = {
      size: blob.size,
      slice: (a?: number, b?: number) => {
        slices.push([a ?? 0, b ?? blob.size]);
        return blob.slice(a, b);
      },
    } as unknown as Blob;
    const h = await readSafetensorsHeader(spy);
    expect(slices).toEqual([
      [0, 8],
      [8, h.dataStart],
    ]);
  });
});

describe('safetensors tensors: exact F32 / F16 / BF16 → f32', () => {
  for (const dtype of ['F32', 'F16', 'BF16'] as FixtureDtype[]) {
    it(`${dtype}: every tensor equals the fixture's rounded values`, async () => {
      const f = buildGpt2Safetensors({ ...SMALL, dtype });
      const blob = blobOf(f.bytes);
      const h = await readSafetensorsHeader(blob);
      for (const [name, expected] of f.tensors) {
        const got = await readTensor(blob, h, name);
        expect(firstBitDifference(got, expected), name).toBe(-1);
      }
      if (dtype !== 'F32') {
        // Rounding really happened: values differ from the f32 ones.
        const f32 = base.tensors.get('h.0.mlp.c_fc.weight')!;
        expect(firstBitDifference(f.tensors.get('h.0.mlp.c_fc.weight')!, f32)).toBeGreaterThanOrEqual(0);
      }
    });
  }

  it('F16 special values: subnormals, ±0, ±inf, NaN, the largest finite', async () => {
    const values = [
      2 ** -24,
      1023 * 2 ** -24,
      2 ** -14,
      -(2 ** -24),
      0,
      -0,
      65504,
      -65504,
      Infinity,
      -Infinity,
      NaN,
    ];
    const f = buildGpt2Safetensors({
      ...SMALL,
      extra: [{ name: 'special', shape: [values.length], dtype: 'F16', values }],
    });
    const blob = blobOf(f.bytes);
    const got = await readTensor(blob, await readSafetensorsHeader(blob), 'special');
    values.forEach((v, i) => {
      if (Number.isNaN(v)) expect(Number.isNaN(got[i])).toBe(true);
      else expect(Object.is(got[i], v), `${i}: ${got[i]} vs ${v}`).toBe(true);
    });
  });

  it('half and bfloat16 bit patterns decode as IEEE says', () => {
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0x7c00)).toBe(Infinity);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Number.isNaN(halfToFloat(0x7e01))).toBe(true);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    // The fixture's independent encoder agrees on the same points.
    expect(roundToF16(1)[0]).toBe(0x3c00);
    expect(roundToF16(65520)[0]).toBe(0x7c00); // halfway above the largest finite rounds to inf
    expect(roundToBF16(1)[0]).toBe(0x3f80);
    expect(roundToBF16(-2)[0]).toBe(0xc000);
  });

  it('BF16 special values and an exhaustive F16 round trip', async () => {
    const bfValues = [1, -1.5, 2 ** -126, 2 ** -133, 3.3895313892515355e38, Infinity, -Infinity, NaN];
    const all = Array.from({ length: 65536 }, (_, h) => halfToFloat(h)).filter((v) => !Number.isNaN(v));
    const f = buildGpt2Safetensors({
      ...SMALL,
      extra: [
        { name: 'bf', shape: [bfValues.length], dtype: 'BF16', values: bfValues },
        { name: 'allHalves', shape: [all.length], dtype: 'F16', values: all },
      ],
    });
    const blob = blobOf(f.bytes);
    const h = await readSafetensorsHeader(blob);
    const bf = await readTensor(blob, h, 'bf');
    bfValues.forEach((v, i) => {
      if (Number.isNaN(v)) expect(Number.isNaN(bf[i])).toBe(true);
      else expect(bf[i]).toBe(v);
    });
    expect(firstBitDifference(await readTensor(blob, h, 'allHalves'), Float32Array.from(all))).toBe(-1);
  });

  it('slices exactly the one tensor asked for', async () => {
    const blob = blobOf(base.bytes);
    const h = await readSafetensorsHeader(blob);
    const slices: [number, number][] = [];
    const spy = {
      size: blob.size,
      slice: (a?: number, b?: number) => {
        slices.push([a ?? 0, b ?? blob.size]);
        return blob.slice(a, b);
      },
    } as unknown as Blob;
    const e = h.tensors.get('h.1.attn.c_proj.weight')!;
    const t = await readTensor(spy, h, 'h.1.attn.c_proj.weight');
    expect(slices).toEqual([[h.dataStart + e.begin, h.dataStart + e.end]]);
    expect(t.length).toBe(16 * 16);
    expect(firstBitDifference(t, base.tensors.get('h.1.attn.c_proj.weight')!)).toBe(-1);
  });

  it('a missing tensor is a RangeError; an aborted read is an AbortError', async () => {
    const blob = blobOf(base.bytes);
    const h = await readSafetensorsHeader(blob);
    await expect(readTensor(blob, h, 'lm_head.weight')).rejects.toThrow(RangeError);
    const ac = new AbortController();
    ac.abort();
    await expect(readTensor(blob, h, 'wte.weight', ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
