/**
 * KSIND1 weight files (src/models/induction/weights.ts): an exact round trip (parameters are stored as f32,
 * so f32 inputs come back bit for bit and float64 ones as Math.fround), and a named InductionWeightsError
 * with the failed check for every kind of malformed file.
 */
import { describe, expect, it } from 'vitest';
import {
  INDUCTION_CONFIG,
  InductionWeightsError,
  inductionMetrics,
  initInduction,
  parameterCount,
  parseInduction,
  serializeInduction,
  type InductionHeader,
  type InductionWeightsProblem,
} from '../../src/models/induction';

const grid = (v: number) => [
  [v, v, v, v],
  [v, v, v, v],
];
const HEADER: Omit<InductionHeader, 'layout'> = {
  config: { ...INDUCTION_CONFIG },
  seed: 13,
  steps: 2400,
  trainer: 'typescript-f64',
  finalLoss: 2.25,
  metrics: {
    heldOut: { seed: 2026, sequences: 512, periods: [25, 30] },
    previousToken: grid(0.25),
    prefixMatching: [
      [0.1, 0.2, 0.3, 0.05],
      [0.9, 0.01, 0.02, 0.03],
    ],
    firstCopy: { loss: 4.16, top1: 0.015 },
    secondCopy: { loss: 0.2, top1: 0.97 },
    ablations: [{ layer: 1, head: 0, secondCopyLoss: 3.9 }],
  },
};

/** A file with the given header object (any JSON text) and `count` f32 values, laid out as the format says. */
function rawFile(header: unknown, count: number, text = JSON.stringify(header)): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(text);
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const bytes = new Uint8Array(start + 4 * count);
  bytes.set(new TextEncoder().encode('KSIND1\0\0'));
  new DataView(bytes.buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  return bytes;
}

function problemOf(bytes: Uint8Array | ArrayBuffer): InductionWeightsProblem | 'none' {
  const buffer = bytes instanceof ArrayBuffer ? bytes : bytes.slice().buffer;
  try {
    parseInduction(buffer, INDUCTION_CONFIG);
  } catch (e) {
    expect(e).toBeInstanceOf(InductionWeightsError);
    expect((e as Error).name).toBe('InductionWeightsError');
    expect((e as Error).message).toMatch(/^Induction weight file: /);
    return (e as InductionWeightsError).problem;
  }
  return 'none';
}

describe('induction weight files', () => {
  const params = initInduction(13);
  const good = new Uint8Array(serializeInduction(HEADER, params));
  const headerOf = () => {
    const n = new DataView(good.buffer).getUint32(8, true);
    return JSON.parse(new TextDecoder().decode(good.subarray(12, 12 + n))) as Record<string, unknown>;
  };
  const count = parameterCount();

  it('round-trips header and parameters (float64 → f32 exactly as Math.fround)', () => {
    const back = parseInduction(good.slice().buffer);
    expect(back.params.length).toBe(count);
    expect(back.params).toEqual(Float32Array.from(params));
    expect(back.params[100]).toBe(Math.fround(params[100]!));
    const { layout, ...rest } = back.header;
    expect(rest).toEqual(HEADER);
    expect(layout[0]).toEqual({ name: 'tokEmbed', shape: [65, 64] });
    expect(layout.at(-1)).toEqual({ name: 'unembed', shape: [64, 65] });
    // f32 in, f32 out: a second round trip is the identity on the bytes.
    expect(new Uint8Array(serializeInduction(HEADER, back.params))).toEqual(good);
    expect(good.length % 4).toBe(0);
  });

  it('wrong magic: "magic"', () => {
    const bad = good.slice();
    bad[3] = 'X'.charCodeAt(0);
    expect(problemOf(bad)).toBe('magic');
    expect(problemOf(new Uint8Array(0))).toBe('magic');
    expect(problemOf(new TextEncoder().encode('KSMLP1\0\0aaaa'))).toBe('magic');
  });

  it('truncated anywhere: "truncated"', () => {
    for (const end of [5, 8, 11, 40, good.length - 4 * count - 1, good.length - 4, good.length - 1])
      expect(problemOf(good.slice(0, end))).toBe('truncated');
  });

  it('bad header JSON or fields: "header", with the JSON position', () => {
    const text = JSON.stringify(headerOf()).replace('"seed":13,', '"seed":13,,');
    expect(() => parseInduction(rawFile(null, count, text).buffer)).toThrow(/line 1, column \d+/);
    expect(problemOf(rawFile(null, count, text))).toBe('header');
    expect(problemOf(rawFile([1, 2], count))).toBe('header');
    expect(problemOf(rawFile({ ...headerOf(), seed: -1 }, count))).toBe('header');
    expect(problemOf(rawFile({ ...headerOf(), steps: 1.5 }, count))).toBe('header');
    expect(problemOf(rawFile({ ...headerOf(), trainer: 7 }, count))).toBe('header');
    const { steps: _, ...noSteps } = headerOf();
    expect(problemOf(rawFile(noSteps, count))).toBe('header');
  });

  it('wrong shapes: "shape"', () => {
    const h = headerOf();
    const layout = structuredClone(h.layout) as Array<{ name: string; shape: number[] }>;
    layout[2]!.shape = [64, 32];
    expect(problemOf(rawFile({ ...h, layout }, count))).toBe('shape');
    expect(problemOf(rawFile({ ...h, layout: layout.slice(1) }, count))).toBe('shape');
    const renamed = structuredClone(h.layout) as Array<{ name: string }>;
    renamed[3]!.name = 'layers.0.wQ';
    expect(problemOf(rawFile({ ...h, layout: renamed }, count))).toBe('shape');
    expect(problemOf(rawFile({ ...h, config: { ...INDUCTION_CONFIG, heads: 0 } }, count))).toBe('shape');
    // A valid config other than the shipped one: parsed without `expect`, refused with it.
    const small = { ...HEADER, config: { ...INDUCTION_CONFIG, layers: 1 } };
    small.metrics = {
      ...HEADER.metrics,
      previousToken: [[0, 0, 0, 0]],
      prefixMatching: [[0, 0, 0, 0]],
      ablations: [],
    };
    const file = serializeInduction(small, new Float32Array(parameterCount(small.config)));
    expect(parseInduction(file).header.config.layers).toBe(1);
    expect(problemOf(file)).toBe('shape');
    // Extra values after the parameters.
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    expect(problemOf(longer)).toBe('shape');
  });

  it('NaN or infinite parameters: "non-finite", naming the tensor and index', () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      const p = Float32Array.from(params);
      p[count - 3] = v;
      const file = serializeInduction(HEADER, p);
      expect(problemOf(file)).toBe('non-finite');
      expect(() => parseInduction(file)).toThrow(/unembed\[4157\]/);
    }
  });

  it('a malformed metrics manifest: "metrics"', () => {
    const h = headerOf();
    const m = h.metrics as Record<string, unknown>;
    const with_ = (patch: Record<string, unknown>) => rawFile({ ...h, metrics: { ...m, ...patch } }, count);
    expect(problemOf(rawFile({ ...h, metrics: 3 }, count))).toBe('metrics');
    expect(problemOf(with_({ prefixMatching: [[0.1, 0.2, 0.3, 0.4]] }))).toBe('metrics');
    expect(problemOf(with_({ previousToken: grid(1.5) }))).toBe('metrics');
    expect(problemOf(with_({ secondCopy: { loss: -1, top1: 0.5 } }))).toBe('metrics');
    expect(problemOf(with_({ firstCopy: { loss: 4 } }))).toBe('metrics');
    expect(problemOf(with_({ heldOut: { seed: 1, sequences: 512 } }))).toBe('metrics');
    expect(problemOf(with_({ ablations: [{ layer: 2, head: 0, secondCopyLoss: 1 }] }))).toBe('metrics');
    expect(problemOf(with_({}))).toBe('none'); // the control: the unpatched header (and zero weights) parse
  });

  it('reloading a file reproduces its manifest exactly when the manifest was measured on the f32 weights', () => {
    const f32 = Float32Array.from(initInduction(4));
    const metrics = inductionMetrics(f32, 2027, { sequences: 12, ablations: true });
    expect(metrics.heldOut).toEqual({ seed: 2027, sequences: 12, periods: [25, 30] });
    expect(metrics.ablations!.map((a) => [a.layer, a.head])).toEqual(
      Array.from({ length: 8 }, (_, i) => [Math.floor(i / 4), i % 4]),
    );
    const file = serializeInduction({ ...HEADER, metrics }, f32);
    const back = parseInduction(file, INDUCTION_CONFIG);
    expect(back.header.metrics).toEqual(metrics); // JSON keeps every float64 digit
    expect(inductionMetrics(back.params, 2027, { sequences: 12, ablations: true })).toEqual(metrics);
  }, 60_000);

  it('serialising checks the header and the parameter count too', () => {
    expect(() => serializeInduction(HEADER, params.subarray(1))).toThrow(RangeError);
    expect(() => serializeInduction({ ...HEADER, steps: -2 }, params)).toThrow(InductionWeightsError);
  });
});
