/**
 * GPT-2-shaped safetensors files with seeded Philox weights, for tests: F32, F16 or BF16, with or without
 * the "transformer." prefix, laid out like the reference writer (header JSON padded with spaces to a
 * multiple of 8, tensors packed from offset 0). `tensors` holds the values after rounding to the dtype,
 * computed here in float64 independently of the reader's conversions. Plus helpers that corrupt a file.
 */
import { philox4x32, unitFloat } from '../../src/kernels/random/philox.ref';
import { GPT2_LN_EPS, GPT2_VOCAB, gpt2TensorSpecs, type Gpt2Config } from '../../src/models/gpt2/types';

export type FixtureDtype = 'F32' | 'F16' | 'BF16';
type Bytes = Uint8Array<ArrayBuffer>;

/** An additional tensor: `values` rounded to `dtype` (F32/F16/BF16), or raw `bytes` under any dtype name. */
export interface ExtraTensor {
  name: string;
  shape: number[];
  dtype?: string;
  values?: ArrayLike<number>;
  bytes?: Bytes;
}

export interface FixtureOptions {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocab?: number;
  dtype: FixtureDtype;
  prefix: boolean;
  seed: number;
  extra?: ExtraTensor[];
  /** Half-width of the uniform weights and biases (default 0.05); LayerNorm gains are 1 ± 0.1. */
  scale?: number;
  /** Canonical names of model tensors to leave out of the file. */
  omit?: string[];
  metadata?: Record<string, string>;
}

export interface Gpt2Fixture {
  bytes: Bytes;
  /** Model tensors by canonical name, extras by their name (when given as values): f32 after rounding. */
  tensors: Map<string, Float32Array>;
  config: Gpt2Config;
}

const STREAM = 0x67707432; // "gpt2"

interface Format {
  mant: number;
  bias: number;
  nan: number;
  inf: number;
}
const HALF: Format = { mant: 10, bias: 15, nan: 0x7e00, inf: 0x7c00 };
const BF16: Format = { mant: 7, bias: 127, nan: 0x7fc0, inf: 0x7f80 };

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** ⌊log2 v⌋ of a positive normal float64, from its exponent bits. */
function floorLog2(v: number): number {
  f64[0] = v;
  return ((f64Words[HIGH]! >>> 20) & 0x7ff) - 1023;
}

function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const d = y - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** x (any float64) rounded to nearest-even in a 16-bit format: [bits, value]. */
export function roundTo16(fmt: Format, x: number): [number, number] {
  if (Number.isNaN(x)) return [fmt.nan, NaN];
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const s = sign ? -1 : 1;
  const a = Math.abs(x);
  const minE = 1 - fmt.bias;
  const maxFinite = (2 - 2 ** -fmt.mant) * 2 ** fmt.bias;
  if (a === 0) return [sign, s * 0];
  if (a === Infinity) return [sign | fmt.inf, s * Infinity];
  const e = Math.max(floorLog2(a), minE);
  const q = 2 ** (e - fmt.mant);
  const v = roundHalfEven(a / q) * q;
  if (v > maxFinite) return [sign | fmt.inf, s * Infinity];
  if (v < 2 ** minE) return [sign | (v / 2 ** (minE - fmt.mant)), s * v];
  const E = floorLog2(v);
  const m = v / 2 ** (E - fmt.mant) - 2 ** fmt.mant;
  return [sign | ((E + fmt.bias) << fmt.mant) | m, s * v];
}

export const roundToF16 = (x: number) => roundTo16(HALF, x);
export const roundToBF16 = (x: number) => roundTo16(BF16, x);

const BYTES: Record<FixtureDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Writes x rounded to `dtype` at byte `offset`; returns the rounded value. */
function put(view: DataView, offset: number, dtype: FixtureDtype, x: number): number {
  if (dtype === 'F32') {
    view.setFloat32(offset, x, true);
    return Math.fround(x);
  }
  const [bits, value] = dtype === 'F16' ? roundToF16(x) : roundToBF16(x);
  view.setUint16(offset, bits, true);
  return value;
}

interface Planned {
  fileName: string;
  key: string;
  dtype: string;
  shape: number[];
  count: number;
  bytes: number;
  /** Value of element i before rounding (random model tensors and valued extras). */
  gen?: (i: number) => number;
  raw?: Bytes;
  begin: number;
}

export function fixtureConfig(o: FixtureOptions): Gpt2Config {
  return {
    nLayer: o.nLayer,
    nHead: o.nHead,
    nEmbd: o.nEmbd,
    vocab: o.vocab ?? GPT2_VOCAB,
    nPositions: o.nPositions,
    eps: GPT2_LN_EPS,
  };
}

/** murmur3's 32-bit finaliser: spreads a Philox word over the elements of its block. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Element i of model tensor number `k`: uniform in ±scale, or 1 ± 0.1 for LayerNorm gains. One Philox
 * call (counter [block, k], key [seed, "gpt2"]) seeds 4 × 256 elements, each word spread by fmix32 — a
 * Philox call per element would take seconds for a 77 MB tensor on this machine.
 */
function randomTensor(seed: number, k: number, name: string, scale: number): (i: number) => number {
  const gain = /ln_(1|2|f)\.weight$/.test(name);
  let block = -1;
  let words: number[] = [];
  return (i) => {
    const b = Math.floor(i / 1024);
    if (b !== block) {
      block = b;
      words = philox4x32([b, k, 0, 0], [seed >>> 0, STREAM]);
    }
    const j = i % 1024;
    const w = fmix32((words[j >>> 8]! + Math.imul(j, 0x9e3779b9)) >>> 0);
    const u = 2 * unitFloat(w) - 1;
    return gain ? 1 + 0.1 * u : scale * u;
  };
}

function plan(o: FixtureOptions): { items: Planned[]; header: Bytes; dataLength: number } {
  const scale = o.scale ?? 0.05;
  const omit = new Set(o.omit ?? []);
  const items: Planned[] = [];
  gpt2TensorSpecs(fixtureConfig(o)).forEach((spec, k) => {
    if (omit.has(spec.name)) return;
    const count = spec.shape.reduce((a, b) => a * b, 1);
    items.push({
      fileName: (o.prefix ? 'transformer.' : '') + spec.name,
      key: spec.name,
      dtype: o.dtype,
      shape: spec.shape,
      count,
      bytes: count * BYTES[o.dtype],
      gen: randomTensor(o.seed, k, spec.name, scale),
      begin: 0,
    });
  });
  for (const x of o.extra ?? []) {
    const count = x.shape.reduce((a, b) => a * b, 1);
    const dtype = x.dtype ?? o.dtype;
    const values = x.values;
    if (!x.bytes && !values) throw new Error(`extra tensor ${x.name}: give values or bytes`);
    items.push({
      fileName: x.name,
      key: x.name,
      dtype,
      shape: x.shape,
      count,
      bytes: x.bytes ? x.bytes.length : count * BYTES[dtype as FixtureDtype],
      ...(x.bytes ? { raw: x.bytes } : { gen: (i: number) => values![i]! }),
      begin: 0,
    });
  }
  let offset = 0;
  const json: Record<string, unknown> = {};
  if (o.metadata) json.__metadata__ = o.metadata;
  for (const it of items) {
    it.begin = offset;
    json[it.fileName] = { dtype: it.dtype, shape: it.shape, data_offsets: [offset, offset + it.bytes] };
    offset += it.bytes;
  }
  return { items, header: encodeHeader(json), dataLength: offset };
}

/** 8-byte length + JSON padded with spaces to a multiple of 8 (as the reference writer does). */
export function encodeHeader(json: unknown): Bytes {
  const text = typeof json === 'string' ? json : JSON.stringify(json);
  let body: Uint8Array = new TextEncoder().encode(text);
  const pad = (8 - (body.length % 8)) % 8;
  if (pad) body = new Uint8Array([...body, ...new Array<number>(pad).fill(0x20)]);
  const out = new Uint8Array(8 + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
  out.set(body, 8);
  return out;
}

/** A whole GPT-2 safetensors file in memory, and the tensors it holds (rounded to its dtype). */
export function buildGpt2Safetensors(o: FixtureOptions): Gpt2Fixture {
  const { items, header, dataLength } = plan(o);
  const bytes = new Uint8Array(header.length + dataLength);
  bytes.set(header);
  const view = new DataView(bytes.buffer);
  const tensors = new Map<string, Float32Array>();
  for (const it of items) {
    const at = header.length + it.begin;
    if (it.raw) {
      bytes.set(it.raw, at);
      continue;
    }
    const values = new Float32Array(it.count);
    const size = BYTES[it.dtype as FixtureDtype];
    for (let i = 0; i < it.count; i++)
      values[i] = put(view, at + i * size, it.dtype as FixtureDtype, it.gen!(i));
    tensors.set(it.key, values);
  }
  return { bytes, tensors, config: fixtureConfig(o) };
}

/**
 * The same file as a Blob built from chunks of at most `chunkBytes` (each turned into a Blob at once), so a
 * file of hundreds of MB is never held twice; `valueAt` recomputes any element's rounded value.
 */
export function buildGpt2Blob(
  o: FixtureOptions,
  chunkBytes = 1 << 22,
): { blob: Blob; config: Gpt2Config; valueAt: (name: string, i: number) => number } {
  const { items, header } = plan(o);
  const parts: Blob[] = [new Blob([header])];
  for (const it of items) {
    if (it.raw) {
      parts.push(new Blob([it.raw]));
      continue;
    }
    const size = BYTES[it.dtype as FixtureDtype];
    const perChunk = Math.max(1, Math.floor(chunkBytes / size));
    for (let start = 0; start < it.count; start += perChunk) {
      const n = Math.min(perChunk, it.count - start);
      const chunk = new Uint8Array(n * size);
      const view = new DataView(chunk.buffer);
      for (let i = 0; i < n; i++) put(view, i * size, it.dtype as FixtureDtype, it.gen!(start + i));
      parts.push(new Blob([chunk]));
    }
  }
  const byKey = new Map(items.map((it) => [it.key, it]));
  const scratch = new DataView(new ArrayBuffer(4));
  const valueAt = (name: string, i: number) => {
    const it = byKey.get(name);
    if (!it?.gen || i < 0 || i >= it.count) throw new RangeError(`no element ${i} of ${name}`);
    return put(scratch, 0, it.dtype as FixtureDtype, it.gen(i));
  };
  return { blob: new Blob(parts), config: fixtureConfig(o), valueAt };
}

// ---- corruption helpers ----

/** The parsed header JSON of a file and where its data section starts. */
export function headerOf(bytes: Uint8Array): { json: Record<string, unknown>; dataStart: number } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  return { json, dataStart: 8 + n };
}

/** A copy with the first 8 bytes (the header length) replaced. */
export function withHeaderLength(bytes: Bytes, length: number | bigint): Bytes {
  const out = bytes.slice();
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  return out;
}

/**
 * A copy whose header is rewritten (re-padded) over the same data section: `edit` mutates the parsed
 * JSON, or returns replacement header text (e.g. invalid JSON).
 */
export function rewriteHeader(
  bytes: Bytes,
  edit: (json: Record<string, Record<string, unknown>>) => string | void,
): Bytes {
  const { json, dataStart } = headerOf(bytes);
  const replaced = edit(json as Record<string, Record<string, unknown>>);
  const header = encodeHeader(typeof replaced === 'string' ? replaced : json);
  const out = new Uint8Array(header.length + bytes.length - dataStart);
  out.set(header);
  out.set(bytes.subarray(dataStart), header.length);
  return out;
}

/** A Blob of the file (Blob exists in Node ≥ 20). */
export const blobOf = (bytes: Bytes) => new Blob([bytes]);

/** Index of the first element whose f32 bits differ (−1 when a and b are bit-identical); fast on big arrays. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
