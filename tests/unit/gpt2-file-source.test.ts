import { describe, expect, it } from 'vitest';
import { Gpt2ConfigError } from '../../src/models/gpt2/config';
import { openGpt2File, readAllTensors } from '../../src/models/gpt2/file-source';
import { SafetensorsError } from '../../src/models/gpt2/safetensors';
import { gpt2TensorSpecs, type LoadProgress } from '../../src/models/gpt2/types';
import {
  blobOf,
  buildGpt2Blob,
  buildGpt2Safetensors,
  firstBitDifference,
  type FixtureDtype,
  type FixtureOptions,
} from '../helpers/gpt2-fixture';

// Values read from the file must equal the fixture's values rounded to the file's dtype bit for bit
// (tolerance 0: F16 and BF16 → f32 is exact). Byte counts and progress are exact integers.

const TINY: FixtureOptions = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  nPositions: 8,
  dtype: 'F32',
  prefix: false,
  seed: 3,
};

describe('openGpt2File + readAllTensors', () => {
  for (const [dtype, prefix] of [
    ['F32', false],
    ['F16', true],
    ['BF16', true],
  ] as [FixtureDtype, boolean][]) {
    it(`${dtype}${prefix ? ' with "transformer."' : ''}: every tensor, progress monotone to the total`, async () => {
      const extra = [
        { name: 'h.0.attn.bias', dtype, shape: [1, 1, 8, 8], values: new Array<number>(64).fill(1) },
      ];
      const f = buildGpt2Safetensors({ ...TINY, dtype, prefix, extra });
      const opened = await openGpt2File(blobOf(f.bytes), { n_head: 2 });
      expect(opened.prefix).toBe(prefix ? 'transformer.' : '');
      expect(opened.headSource).toBe('config.json');
      expect(opened.source.config).toEqual(f.config);
      expect(opened.notes[0]).toMatch(/^Ignored 1 tensor\(s\) .*\(h\.0\.attn\.bias\)/);

      const progress: LoadProgress[] = [];
      const all = await readAllTensors(opened.source, { onProgress: (p) => progress.push(p) });
      const specs = gpt2TensorSpecs(f.config);
      expect([...all.keys()]).toEqual(specs.map((s) => s.name));
      for (const s of specs)
        expect(firstBitDifference(all.get(s.name)!, f.tensors.get(s.name)!), s.name).toBe(-1);

      const bytesPer = dtype === 'F32' ? 4 : 2;
      const total = specs.reduce((a, s) => a + bytesPer * s.shape.reduce((x, y) => x * y, 1), 0);
      expect(progress).toHaveLength(specs.length + 1);
      expect(progress[0]).toEqual({ done: 0, total, tensor: 'wte.weight' });
      expect(progress.at(-1)).toEqual({ done: total, total, tensor: 'ln_f.bias' });
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]!.done).toBeGreaterThan(progress[i - 1]!.done);
        expect(progress[i]!.total).toBe(total);
      }
    });
  }

  it('aborting stops reading with an AbortError', async () => {
    const f = buildGpt2Safetensors(TINY);
    const { source } = await openGpt2File(blobOf(f.bytes), { n_head: 2 });
    const ac = new AbortController();
    const seen: string[] = [];
    const reading = readAllTensors(source, {
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p.tensor);
        if (seen.length === 3) ac.abort();
      },
    });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toHaveLength(3); // nothing read after the abort
    await expect(source.tensor('wte.weight', ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('a missing tensor is a RangeError; malformed files reject with a named problem', async () => {
    const f = buildGpt2Safetensors(TINY);
    const { source } = await openGpt2File(blobOf(f.bytes), { n_head: 2 });
    await expect(source.tensor('lm_head.weight')).rejects.toThrow(RangeError);
    await expect(openGpt2File(blobOf(f.bytes.slice(0, f.bytes.length - 3)))).rejects.toMatchObject({
      name: 'SafetensorsError',
      problem: 'truncated',
    });
    await expect(openGpt2File(blobOf(f.bytes))).rejects.toThrow(Gpt2ConfigError); // width 16: no standard heads
    await expect(openGpt2File(blobOf(f.bytes.slice(0, 4)))).rejects.toThrow(SafetensorsError);
  });
});

describe('a file larger than 64 MiB, streamed tensor by tensor', () => {
  it('reads wte (77 MB of f32) and every other tensor by slice; spot values match', async () => {
    // vocab 50257 × width 384 f32 = 77.2 MB for wte alone; the Blob is built from 4 MiB parts.
    const o: FixtureOptions = {
      nLayer: 1,
      nHead: 6,
      nEmbd: 384,
      nPositions: 16,
      dtype: 'F32',
      prefix: true,
      seed: 5,
    };
    const { blob, config, valueAt } = buildGpt2Blob(o);
    expect(blob.size).toBeGreaterThan(64 * 2 ** 20);
    const opened = await openGpt2File(blob, { n_head: 6, n_embd: 384 });
    expect(opened.source.config).toEqual(config);
    let bytes = 0;
    for (const spec of gpt2TensorSpecs(config)) {
      const t = await opened.source.tensor(spec.name);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      expect(t.length).toBe(n);
      bytes += opened.source.tensorBytes(spec.name);
      const picks = [
        0,
        1,
        n - 1,
        ...Array.from({ length: 64 }, (_, k) => Math.floor((((k * 2654435761) % 2 ** 32) / 2 ** 32) * n)),
      ];
      for (const i of picks) expect(t[i], `${spec.name}[${i}]`).toBe(valueAt(spec.name, i));
    }
    expect(bytes).toBe(opened.header.dataLength);
  });
});
