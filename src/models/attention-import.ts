/**
 * The attention lab's JSON import: Q, K, V or weights-only files, parsed into flat f32 tensors, with one
 * readable sentence naming the first problem of a bad file.
 */
import { ATTENTION_LIMITS, MASK_KINDS, type AttentionShape, type MaskKind } from '../kernels/attention/spec';
import { msg, str } from '@lit/localize';
import { findJsonError, lineColumn } from './json-error';

/** Result of parsing an imported file: the tensors, or one readable sentence naming the problem. */
type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** The optional fields of an imported file. */
interface ImportExtras {
  tokens?: string[];
  scale?: number;
  mask?: MaskKind;
}

/**
 * An imported file: Q, K, V ({"q","k","v"}, each [head][row][dim]), or attention weights only
 * ({"weights": [head][query][key]}, e.g. from another tool), with optional "tokens" (one string per row),
 * "scale" (finite number) and "mask" (one of none|causal|padding|window|custom, informational). Files the
 * lab exports ("Export weights (JSON)") import as 'qkv'; their other fields are ignored.
 */
export type ImportedAttention =
  | ({
      kind: 'qkv';
      shape: AttentionShape;
      q: Float32Array;
      k: Float32Array;
      v: Float32Array;
    } & ImportExtras)
  | ({
      kind: 'weights';
      shape: Pick<AttentionShape, 'heads' | 'L'>;
      weights: Float32Array;
    } & ImportExtras);

const F32_MAX = 3.4028234663852886e38;

class ImportError extends Error {}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return msg('an array');
  if (typeof x === 'string') {
    const text = JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}…` : x);
    return msg(str`a string (${text})`);
  }
  return typeof x === 'object' ? msg('an object') : `${typeof x} ${String(x)}`;
}

interface Tensor3 {
  heads: number;
  rows: number;
  cols: number;
  data: Float32Array;
}

/** What the axes of a tensor are called in messages: rows 'row' or 'query', cols 'dim' or 'key'. */
interface Axes {
  rows: 'row' | 'query';
  cols: 'dim' | 'key';
}

/** The row axis in the plural, as a message reads it ("rows", or "querys" as the messages have always said). */
function rowsWord(what: Axes): string {
  return what.rows === 'row' ? msg('rows') : msg('querys');
}

/** The number of rows per head, from head 0 (checked against the L limit). */
function firstRows(head: unknown[], name: string, what: Axes): number {
  const rows = head.length;
  const noun = rowsWord(what);
  if (rows === 0) throw new ImportError(msg(str`${name}[0] has no ${noun}.`));
  const max = ATTENTION_LIMITS.maxL;
  if (rows > max) {
    throw new ImportError(
      msg(str`"${name}" has ${rows} ${noun} per head (L); at most ${max} are supported.`),
    );
  }
  return rows;
}

/** The row length, from row [0][0] (checked against the d or L limit). */
function firstCols(row: unknown[], name: string, what: Axes): number {
  const cols = row.length;
  if (cols === 0) throw new ImportError(msg(str`${name}[0][0] is empty.`));
  const isDim = what.cols === 'dim';
  const maxCols = isDim ? ATTENTION_LIMITS.maxD : ATTENTION_LIMITS.maxL;
  if (cols > maxCols) {
    const axis = isDim ? 'd' : 'L';
    throw new ImportError(
      msg(str`"${name}" rows have length ${cols}; at most ${maxCols} are supported (${axis}).`),
    );
  }
  return cols;
}

/** One entry, checked to be a finite number that fits f32. */
function readNumber(x: unknown, at: string): number {
  if (typeof x !== 'number') {
    const got = typeName(x);
    throw new ImportError(msg(str`${at} is not a number (got ${got}).`));
  }
  if (!Number.isFinite(x)) throw new ImportError(msg(str`${at} is not a finite number (${x}).`));
  if (Math.abs(x) > F32_MAX) {
    throw new ImportError(msg(str`${at} = ${x} does not fit in float32 (largest magnitude ≈ 3.4e38).`));
  }
  return x;
}

/** Reads a [heads][rows][cols] array of finite f32 numbers, naming the first problem. */
function readTensor3(value: unknown, name: string, what: Axes): Tensor3 {
  if (!Array.isArray(value)) {
    const layout = `[head][${what.rows}][${what.cols}]`;
    const got = typeName(value);
    throw new ImportError(msg(str`"${name}" must be an array ${layout}, got ${got}.`));
  }
  const heads = value.length;
  if (heads === 0) throw new ImportError(msg(str`"${name}" has no heads.`));
  const maxHeads = ATTENTION_LIMITS.maxHeads;
  if (heads > maxHeads) {
    throw new ImportError(msg(str`"${name}" has ${heads} heads; at most ${maxHeads} are supported.`));
  }
  const noun = rowsWord(what);
  let rows = -1;
  let cols = -1;
  let data = new Float32Array(0);
  for (let h = 0; h < heads; h++) {
    const head: unknown = value[h];
    if (!Array.isArray(head)) {
      const got = typeName(head);
      throw new ImportError(msg(str`${name}[${h}] must be an array of ${noun}, got ${got}.`));
    }
    if (rows < 0) rows = firstRows(head, name, what);
    else if (head.length !== rows) {
      const n = head.length;
      throw new ImportError(msg(str`${name}[${h}] has ${n} ${noun}, expected ${rows}.`));
    }
    for (let i = 0; i < rows; i++) {
      const row: unknown = head[i];
      if (!Array.isArray(row)) {
        const got = typeName(row);
        throw new ImportError(msg(str`${name}[${h}][${i}] must be an array of numbers, got ${got}.`));
      }
      if (cols < 0) {
        cols = firstCols(row, name, what);
        data = new Float32Array(heads * rows * cols);
      } else if (row.length !== cols) {
        const n = row.length;
        throw new ImportError(msg(str`${name}[${h}][${i}] has length ${n}, expected ${cols}.`));
      }
      const o = (h * rows + i) * cols;
      for (let j = 0; j < cols; j++) data[o + j] = readNumber(row[j], `${name}[${h}][${i}][${j}]`);
    }
  }
  return { heads, rows, cols, data };
}

/**
 * Parses an imported JSON file (see ImportedAttention). Never throws: returns {ok: false, error} with one
 * sentence naming the problem, e.g. `not valid JSON at position 12 (line 1, column 13)`,
 * `"k" has 3 heads but "q" has 4`, `q[0][2] has length 7, expected 8`, `v[1][0][3] is not a number (got null)`.
 */
export function parseAttentionJson(text: string): ParseResult<ImportedAttention> {
  try {
    return { ok: true, value: parseOrThrow(text) };
  } catch (e) {
    if (e instanceof ImportError) return { ok: false, error: e.message };
    throw e;
  }
}

function parseObject(text: string): Record<string, unknown> {
  if (text.trim() === '') throw new ImportError(msg('The file is empty.'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const { position, problem } = findJsonError(text);
    const where = lineColumn(text, position);
    throw new ImportError(msg(str`not valid JSON at position ${position} (${where}): ${problem}.`));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    const got = typeName(json);
    throw new ImportError(msg(str`expected a JSON object with "q", "k" and "v" (or "weights"), got ${got}.`));
  }
  return json as Record<string, unknown>;
}

/** "scale", "mask" and (for L rows) "tokens", when present. */
function readExtras(obj: Record<string, unknown>, L: number): ImportExtras {
  const extras: ImportExtras = {};
  if (obj.scale !== undefined) {
    if (typeof obj.scale !== 'number' || !Number.isFinite(obj.scale)) {
      const got = typeName(obj.scale);
      throw new ImportError(msg(str`"scale" must be a finite number, got ${got}.`));
    }
    extras.scale = obj.scale;
  }
  if (obj.mask !== undefined) {
    if (typeof obj.mask !== 'string' || !(MASK_KINDS as readonly string[]).includes(obj.mask)) {
      const kinds = MASK_KINDS.join(', ');
      const got = typeName(obj.mask);
      throw new ImportError(msg(str`"mask" must be one of ${kinds}, got ${got}.`));
    }
    extras.mask = obj.mask as MaskKind;
  }
  const t = obj.tokens;
  if (t !== undefined) {
    if (!Array.isArray(t)) {
      const got = typeName(t);
      throw new ImportError(msg(str`"tokens" must be an array of strings, got ${got}.`));
    }
    const n = t.length;
    if (n !== L) throw new ImportError(msg(str`"tokens" has ${n} entries but L is ${L}.`));
    t.forEach((s: unknown, i) => {
      if (typeof s === 'string') return;
      const got = typeName(s);
      throw new ImportError(msg(str`tokens[${i}] is not a string (got ${got}).`));
    });
    extras.tokens = t as string[];
  }
  return extras;
}

function readWeightsOnly(obj: Record<string, unknown>): Tensor3 {
  const w = readTensor3(obj.weights, 'weights', { rows: 'query', cols: 'key' });
  if (w.cols !== w.rows) {
    const { rows, cols } = w;
    throw new ImportError(
      msg(str`"weights" rows have length ${cols} but there are ${rows} queries; expected L×L.`),
    );
  }
  for (let i = 0; i < w.data.length; i++) {
    if (w.data[i]! < 0) {
      const h = Math.floor(i / (w.rows * w.cols));
      const r = Math.floor(i / w.cols) % w.rows;
      const c = i % w.cols;
      const value = w.data[i];
      throw new ImportError(msg(str`weights[${h}][${r}][${c}] is negative (${value}).`));
    }
  }
  return w;
}

function readQkv(obj: Record<string, unknown>): { q: Tensor3; k: Tensor3; v: Tensor3 } {
  for (const key of ['q', 'k', 'v']) {
    if (obj[key] === undefined)
      throw new ImportError(msg(str`missing "${key}" (Q, K and V are all needed).`));
  }
  const dims: Axes = { rows: 'row', cols: 'dim' };
  const q = readTensor3(obj.q, 'q', dims);
  const k = readTensor3(obj.k, 'k', dims);
  const v = readTensor3(obj.v, 'v', dims);
  for (const [name, t] of [
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.heads !== q.heads) {
      throw new ImportError(msg(str`"${name}" has ${t.heads} heads but "q" has ${q.heads}.`));
    }
    if (t.rows !== q.rows) {
      throw new ImportError(msg(str`"${name}" has ${t.rows} rows per head but "q" has ${q.rows}.`));
    }
    if (t.cols !== q.cols) {
      throw new ImportError(
        msg(str`"${name}" rows have length ${t.cols} but "q" rows have length ${q.cols}.`),
      );
    }
  }
  return { q, k, v };
}

function parseOrThrow(text: string): ImportedAttention {
  const obj = parseObject(text);
  // The extras are checked first (before the tensors), tokens once L is known.
  readExtras({ ...obj, tokens: undefined }, 0);
  if (obj.q === undefined && obj.k === undefined && obj.v === undefined) {
    if (obj.weights === undefined) {
      throw new ImportError(msg('expected "q", "k" and "v" (or "weights"); found none of them.'));
    }
    const w = readWeightsOnly(obj);
    const extras = readExtras(obj, w.rows);
    return { kind: 'weights', shape: { heads: w.heads, L: w.rows }, weights: w.data, ...extras };
  }
  const { q, k, v } = readQkv(obj);
  const extras = readExtras(obj, q.rows);
  const shape = { heads: q.heads, L: q.rows, d: q.cols };
  return { kind: 'qkv', shape, q: q.data, k: k.data, v: v.data, ...extras };
}
