/**
 * The safetensors format read from a Blob without holding it whole: 8-byte little-endian header length, the
 * JSON header (validated entry by entry), then raw tensors, each read on its own with `blob.slice` and
 * converted to f32 exactly (F32, F16 incl. subnormals/inf/NaN, BF16 = the upper 16 bits of an f32).
 */
import { msg, str } from '@lit/localize';
import { findJsonError, lineColumn } from '../json-error';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

/** Bytes per element of each dtype read here. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

/** The reference implementation's limit on the header length (bytes). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range [begin, end) within the data section (which starts at `header.dataStart`). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Length of the JSON header in bytes (the u64 at the start). */
  headerLength: number;
  /** Byte offset of the data section in the file: 8 + headerLength. */
  dataStart: number;
  /** Bytes in the data section. */
  dataLength: number;
  tensors: ReadonlyMap<string, SafetensorsEntry>;
  /** The optional `__metadata__` map (string → string), kept as read. */
  metadata: Readonly<Record<string, string>> | null;
}

export type SafetensorsProblem =
  'truncated' | 'header-length' | 'header-json' | 'dtype' | 'shape' | 'offsets';

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  constructor(
    readonly problem: SafetensorsProblem,
    message: string,
  ) {
    super(message);
  }
}

function fail(problem: SafetensorsProblem, message: string): never {
  throw new SafetensorsError(problem, message);
}

const isDtype = (d: unknown): d is SafetensorsDtype => d === 'F32' || d === 'F16' || d === 'BF16';
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

async function bytesOf(blob: Blob, begin: number, end: number): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(begin, end).arrayBuffer());
}

const lenient = new TextDecoder('utf-8');

/**
 * Whether the bytes after the length field are the start of a JSON header that the file cuts short (the
 * first syntax error is the end of the text), rather than a whole header followed by data.
 */
function isCutHeader(bytes: Uint8Array): boolean {
  const text = lenient.decode(bytes);
  return text.startsWith('{') && findJsonError(text).position >= text.length;
}

function parseEntry(name: string, raw: unknown): SafetensorsEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('header-json', msg(str`The header entry of tensor “${name}” is not an object.`));
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    const shown = typeof dtype === 'string' ? dtype : JSON.stringify(dtype ?? null);
    return fail('dtype', msg(str`Tensor “${name}” has dtype ${shown}; only F32, F16 and BF16 are read.`));
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    const shown = JSON.stringify(shape ?? null);
    return fail(
      'shape',
      msg(str`Tensor “${name}” has shape ${shown}: a shape is a list of non-negative integers.`),
    );
  }
  const dims = shape as number[];
  const elements = dims.reduce((a, b) => a * b, 1);
  const dimsText = dims.join(', ');
  if (!Number.isSafeInteger(elements * DTYPE_BYTES[dtype])) {
    return fail('shape', msg(str`Tensor “${name}” has shape [${dimsText}], too large to address.`));
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    const shown = JSON.stringify(offsets ?? null);
    return fail(
      'offsets',
      msg(str`Tensor “${name}” has data_offsets ${shown}: expected [begin, end], non-negative integers.`),
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    return fail(
      'offsets',
      msg(str`Tensor “${name}” has data_offsets [${begin}, ${end}]: the end is before the begin.`),
    );
  }
  const need = elements * DTYPE_BYTES[dtype];
  const have = end - begin;
  if (have !== need) {
    return fail(
      'offsets',
      msg(
        str`Tensor “${name}” has data_offsets [${begin}, ${end}] (${have} bytes), but shape [${dimsText}] of ${dtype} needs ${need} bytes.`,
      ),
    );
  }
  return { dtype, shape: [...dims], begin, end };
}

/**
 * Checks that the tensors' byte ranges neither overlap nor leave the data section. Ranges that tile the
 * section from 0 but run past its end mean the file was cut short ('truncated'); anything else is 'offsets'.
 */
function checkLayout(tensors: Map<string, SafetensorsEntry>, dataLength: number): void {
  const sorted = [...tensors].filter(([, e]) => e.end > e.begin).sort((a, b) => a[1].begin - b[1].begin);
  let previous: [string, SafetensorsEntry] | null = null;
  let contiguous = true;
  for (const item of sorted) {
    const [name, e] = item;
    const expectedBegin = previous ? previous[1].end : 0;
    if (previous && e.begin < previous[1].end) {
      const [a, { begin: a0, end: a1 }] = previous;
      const { begin: b0, end: b1 } = e;
      fail(
        'offsets',
        msg(str`Tensors “${a}” [${a0}, ${a1}] and “${name}” [${b0}, ${b1}] overlap in the data section.`),
      );
    }
    if (e.begin !== expectedBegin) contiguous = false;
    previous = item;
  }
  const empty = [...tensors].find(([, e]) => e.end === e.begin && e.begin > dataLength);
  if (empty) {
    const [name, { begin, end }] = empty;
    fail('offsets', outsideData(name, begin, end, dataLength));
  }
  const outside = sorted.find(([, e]) => e.end > dataLength);
  if (!outside) return;
  const [name, e] = outside;
  if (contiguous) {
    const last = sorted[sorted.length - 1]![1].end;
    fail(
      'truncated',
      msg(
        str`The file is truncated: its tensors need ${last} bytes of data but only ${dataLength} are there (it ends inside tensor “${name}”).`,
      ),
    );
  }
  fail('offsets', outsideData(name, e.begin, e.end, dataLength));
}

function outsideData(name: string, begin: number, end: number, dataLength: number): string {
  return msg(
    str`Tensor “${name}” has data_offsets [${begin}, ${end}], outside the data section (${dataLength} bytes).`,
  );
}

/** Reads and validates the header: the first 8 bytes, then the header JSON — never the tensor data. */
export async function readSafetensorsHeader(blob: Blob): Promise<SafetensorsHeader> {
  const size = blob.size;
  if (size < 8) {
    fail('truncated', msg(str`The file is truncated: ${size} bytes, less than the 8-byte header length.`));
  }
  const lengthBytes = await bytesOf(blob, 0, 8);
  const length = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    fail(
      'header-length',
      msg(
        str`The header length is ${length} bytes, over the limit of ${MAX_HEADER_BYTES}: this is not a safetensors file.`,
      ),
    );
  }
  const headerLength = Number(length);
  if (headerLength < 2) {
    fail('header-length', msg(str`The header length is ${headerLength} bytes: too short for a JSON header.`));
  }
  const dataStart = 8 + headerLength;
  if (dataStart > blob.size) {
    // Not "{" at the start: no header at all. Otherwise scan what there is of it (under 100 MB).
    const head = await bytesOf(blob, 8, Math.min(blob.size, 9));
    if (head[0] === 0x7b && isCutHeader(await bytesOf(blob, 8, blob.size))) {
      const there = size - 8;
      fail(
        'truncated',
        msg(
          str`The file is truncated: it ends inside its ${headerLength}-byte header (${there} bytes of it are there).`,
        ),
      );
    }
    fail(
      'header-length',
      msg(str`The header length ${headerLength} runs past the end of the file (${size} bytes in all).`),
    );
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await bytesOf(blob, 8, dataStart));
  } catch {
    fail('header-json', msg('The header is not valid UTF-8 text.'));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const { position, problem } = findJsonError(text);
    const where = lineColumn(text, position);
    fail('header-json', msg(str`The header is not valid JSON: ${problem} at ${where}.`));
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail('header-json', msg('The header JSON is not an object of tensors.'));
  }
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const ok =
        typeof raw === 'object' &&
        raw !== null &&
        !Array.isArray(raw) &&
        Object.values(raw).every((v) => typeof v === 'string');
      if (!ok) fail('header-json', msg('The header’s __metadata__ is not a map of strings.'));
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    tensors.set(name, parseEntry(name, raw));
  }
  const dataLength = blob.size - dataStart;
  checkLayout(tensors, dataLength);
  return { headerLength, dataStart, dataLength, tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

let halfTable: Float32Array | null = null;

/** IEEE 754 binary16 bits → value (exact: every half is an f32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

function u16s(buffer: ArrayBuffer): Uint16Array {
  if (LITTLE_ENDIAN) return new Uint16Array(buffer);
  const view = new DataView(buffer);
  const out = new Uint16Array(buffer.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

/** Raw little-endian tensor bytes → f32 (F32 reuses the buffer, no copy). */
export function decodeTensorBytes(buffer: ArrayBuffer, dtype: SafetensorsDtype): Float32Array {
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Float32Array(buffer);
    const view = new DataView(buffer);
    const out = new Float32Array(buffer.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }
  const halves = u16s(buffer);
  const out = new Float32Array(halves.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
    return out;
  }
  const table = halfLookup();
  for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]!]!;
  return out;
}

/** Reads exactly one tensor's bytes with `blob.slice` and converts them to f32. */
export async function readTensor(
  blob: Blob,
  header: SafetensorsHeader,
  name: string,
  signal?: AbortSignal,
): Promise<Float32Array> {
  signal?.throwIfAborted();
  const entry = header.tensors.get(name);
  if (!entry) throw new RangeError(msg(str`The file has no tensor “${name}”.`));
  const begin = header.dataStart + entry.begin;
  const buffer = await blob.slice(begin, header.dataStart + entry.end).arrayBuffer();
  signal?.throwIfAborted();
  if (buffer.byteLength !== entry.end - entry.begin) {
    const need = entry.end - entry.begin;
    const read = buffer.byteLength;
    fail(
      'truncated',
      msg(str`The file is truncated: tensor “${name}” needs ${need} bytes, ${read} were read.`),
    );
  }
  return decodeTensorBytes(buffer, entry.dtype);
}
