/**
 * Inputs for the attention lab, in plain TypeScript (no DOM): a tokenizer, a documented seeded
 * initialisation that turns tokens into Q, K, V, and a JSON import parser with readable errors.
 *
 * Seeded initialisation (initAttentionInputs), reproducible from (tokens, heads, d, dModel, seed):
 * - Normal draws come from Philox4x32-10 (src/kernels/random/philox.ref.ts) with key (seed, 0) and counter
 *   (block, tag, id, 0); each block's four words give four N(0, 1) values by Box–Muller on the word pairs
 *   (w0, w1) and (w2, w3) (boxMuller in random.ref.ts: u₁ = 1 − u in (0, 1], angle 2πu₂ − π). A vector of n
 *   values uses blocks 0, 1, … in order.
 * - Token embedding e(t) ∈ ℝ^dModel: tag 1, id = FNV-1a 32-bit hash of the token's UTF-8 bytes, so the same
 *   token always gets the same embedding (for a given seed), wherever it appears.
 * - Sinusoidal positions (Vaswani et al. 2017): PE[p][2i] = sin(p / 10000^(2i/dModel)),
 *   PE[p][2i+1] = cos(p / 10000^(2i/dModel)); x[p] = e(token p) + PE[p].
 * - Per head h: W_q (tag 2), W_k (tag 3), W_v (tag 4), id = h, shaped [dModel][d] row-major, entries
 *   N(0, 1)/√dModel (so q, k, v entries have variance ≈ Var(x) ≈ 1.5).
 * - Q[h] = X W_q[h], K[h] = X W_k[h], V[h] = X W_v[h], computed in float64 and stored as f32,
 *   [heads][L][d] row-major.
 */
import { philox4x32 } from '../kernels/random/philox.ref';
import { boxMuller } from '../kernels/random/random.ref';
import {
  ATTENTION_LIMITS,
  MASK_KINDS,
  type AttentionShape,
  type MaskKind,
} from '../kernels/attention/spec';

// ---------------------------------------------------------------------------------------------------------
// Tokenizer

export type TokenizerMode = 'words' | 'characters';

const WORD = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*|[^\s\p{L}\p{M}\p{N}]/gu;

/**
 * Lowercases `text` and splits it into tokens.
 * - words: runs of letters/digits (an apostrophe between letters stays inside: "don't" is one token);
 *   every other non-space character (punctuation, symbols) is a token of its own; spaces separate.
 *   "Hello, world!" → ["hello", ",", "world", "!"].
 * - characters: every character (Unicode code point) is a token; runs of whitespace become one " " token;
 *   leading and trailing whitespace is dropped. "Hi, yo" → ["h", "i", ",", " ", "y", "o"].
 */
export function tokenize(text: string, mode: TokenizerMode = 'words'): string[] {
  const lower = text.toLowerCase();
  if (mode === 'words') return lower.match(WORD) ?? [];
  return Array.from(lower.trim().replace(/\s+/g, ' '));
}

/** Repeats (or truncates) `tokens` to exactly L tokens, e.g. to try long sequences from a short sentence. */
export function repeatTokens(tokens: readonly string[], L: number): string[] {
  if (tokens.length === 0) throw new RangeError('No tokens to repeat: type some text first.');
  return Array.from({ length: L }, (_, i) => tokens[i % tokens.length]!);
}

// ---------------------------------------------------------------------------------------------------------
// Seeded initialisation

export const INIT_TAG = { embedding: 1, wq: 2, wk: 3, wv: 4 } as const;
export const DEFAULT_D_MODEL = 64;

/** FNV-1a, 32-bit, over the UTF-8 bytes of `s`. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** n N(0, 1) values from Philox blocks 0, 1, … with counter (block, tag, id, 0) and key (seed, 0). */
export function seededNormals(n: number, seed: number, tag: number, id: number): Float64Array {
  const out = new Float64Array(n);
  for (let b = 0; b * 4 < n; b++) {
    const w = philox4x32([b, tag, id, 0], [seed >>> 0, 0]);
    const values = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
    for (let j = 0; j < 4 && b * 4 + j < n; j++) out[b * 4 + j] = values[j]!;
  }
  return out;
}

/** Sinusoidal position encoding, [L][dModel]. */
export function sinusoidalPositions(L: number, dModel: number): Float64Array {
  const out = new Float64Array(L * dModel);
  for (let p = 0; p < L; p++) {
    for (let i = 0; i < dModel; i++) {
      const pair = i - (i % 2);
      const angle = p / Math.pow(10000, pair / dModel);
      out[p * dModel + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

export interface AttentionInitOptions {
  tokens: readonly string[];
  heads: number;
  /** Head dimension. */
  d: number;
  /** Embedding width, default 64 (cost: L·dModel·d·heads·3 multiply-adds in JavaScript). */
  dModel?: number;
  seed: number;
}

export interface AttentionInit {
  shape: AttentionShape;
  tokens: string[];
  dModel: number;
  seed: number;
  /** x = e(token) + PE, [L][dModel]. */
  embeddings: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

/** Q, K, V for a token sequence from the documented seeded initialisation (module comment). */
export function initAttentionInputs(options: AttentionInitOptions): AttentionInit {
  const { tokens, heads, d, seed } = options;
  const dModel = options.dModel ?? DEFAULT_D_MODEL;
  const L = tokens.length;
  const { maxHeads, maxL, maxD } = ATTENTION_LIMITS;
  if (L < 1 || L > maxL) throw new RangeError(`Need 1 to ${maxL} tokens (got ${L}).`);
  if (!Number.isInteger(heads) || heads < 1 || heads > maxHeads) {
    throw new RangeError(`heads must be an integer from 1 to ${maxHeads} (got ${heads}).`);
  }
  if (!Number.isInteger(d) || d < 1 || d > maxD) {
    throw new RangeError(`d must be an integer from 1 to ${maxD} (got ${d}).`);
  }
  if (!Number.isInteger(dModel) || dModel < 1 || dModel > 1024) {
    throw new RangeError(`dModel must be an integer from 1 to 1024 (got ${dModel}).`);
  }
  const pe = sinusoidalPositions(L, dModel);
  const cache = new Map<string, Float64Array>();
  const x = new Float64Array(L * dModel);
  for (let p = 0; p < L; p++) {
    const t = tokens[p]!;
    let e = cache.get(t);
    if (!e) {
      e = seededNormals(dModel, seed, INIT_TAG.embedding, fnv1a32(t));
      cache.set(t, e);
    }
    for (let i = 0; i < dModel; i++) x[p * dModel + i] = e[i]! + pe[p * dModel + i]!;
  }
  const scale = 1 / Math.sqrt(dModel);
  const project = (tag: number) => {
    const out = new Float32Array(heads * L * d);
    const row = new Float64Array(d);
    for (let h = 0; h < heads; h++) {
      const w = seededNormals(dModel * d, seed, tag, h);
      for (let p = 0; p < L; p++) {
        row.fill(0);
        for (let i = 0; i < dModel; i++) {
          const xi = x[p * dModel + i]!;
          const wo = i * d;
          for (let j = 0; j < d; j++) row[j]! += xi * w[wo + j]!;
        }
        for (let j = 0; j < d; j++) out[(h * L + p) * d + j] = row[j]! * scale;
      }
    }
    return out;
  };
  return {
    shape: { heads, L, d },
    tokens: [...tokens],
    dModel,
    seed,
    embeddings: Float32Array.from(x),
    q: project(INIT_TAG.wq),
    k: project(INIT_TAG.wk),
    v: project(INIT_TAG.wv),
  };
}

// ---------------------------------------------------------------------------------------------------------
// JSON import

/** Result of parsing an imported file: the tensors, or one readable sentence naming the problem. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * An imported file: Q, K, V ({"q","k","v"}, each [head][row][dim]), or attention weights only
 * ({"weights": [head][query][key]}, e.g. from another tool), with optional "tokens" (one string per row),
 * "scale" (finite number) and "mask" (one of none|causal|padding|window|custom, informational). Files the
 * lab exports ("Export weights (JSON)") import as 'qkv'; their other fields are ignored.
 */
export type ImportedAttention =
  | {
      kind: 'qkv';
      shape: AttentionShape;
      q: Float32Array;
      k: Float32Array;
      v: Float32Array;
      tokens?: string[];
      scale?: number;
      mask?: MaskKind;
    }
  | {
      kind: 'weights';
      shape: Pick<AttentionShape, 'heads' | 'L'>;
      weights: Float32Array;
      tokens?: string[];
      scale?: number;
      mask?: MaskKind;
    };

const F32_MAX = 3.4028234663852886e38;

class ImportError extends Error {}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return `a string (${JSON.stringify(x.length > 20 ? `${x.slice(0, 20)}…` : x)})`;
  return typeof x === 'object' ? 'an object' : `${typeof x} ${String(x)}`;
}

interface Tensor3 {
  heads: number;
  rows: number;
  cols: number;
  data: Float32Array;
}

/** Reads a [heads][rows][cols] array of finite f32 numbers, naming the first problem. */
function readTensor3(value: unknown, name: string, what: { rows: string; cols: string }): Tensor3 {
  const { maxHeads, maxL, maxD } = ATTENTION_LIMITS;
  if (!Array.isArray(value)) {
    throw new ImportError(
      `"${name}" must be an array [head][${what.rows}][${what.cols}], got ${typeName(value)}.`,
    );
  }
  const heads = value.length;
  if (heads === 0) throw new ImportError(`"${name}" has no heads.`);
  if (heads > maxHeads)
    throw new ImportError(`"${name}" has ${heads} heads; at most ${maxHeads} are supported.`);
  let rows = -1;
  let cols = -1;
  let data = new Float32Array(0);
  for (let h = 0; h < heads; h++) {
    const head: unknown = value[h];
    if (!Array.isArray(head)) {
      throw new ImportError(`${name}[${h}] must be an array of ${what.rows}s, got ${typeName(head)}.`);
    }
    if (rows < 0) {
      rows = head.length;
      if (rows === 0) throw new ImportError(`${name}[0] has no ${what.rows}s.`);
      if (rows > maxL) {
        throw new ImportError(
          `"${name}" has ${rows} ${what.rows}s per head (L); at most ${maxL} are supported.`,
        );
      }
    } else if (head.length !== rows) {
      throw new ImportError(`${name}[${h}] has ${head.length} ${what.rows}s, expected ${rows}.`);
    }
    for (let i = 0; i < rows; i++) {
      const row: unknown = head[i];
      if (!Array.isArray(row)) {
        throw new ImportError(`${name}[${h}][${i}] must be an array of numbers, got ${typeName(row)}.`);
      }
      if (cols < 0) {
        cols = row.length;
        if (cols === 0) throw new ImportError(`${name}[0][0] is empty.`);
        const maxCols = what.cols === 'dim' ? maxD : maxL;
        if (cols > maxCols) {
          throw new ImportError(
            `"${name}" rows have length ${cols}; at most ${maxCols} are supported (${what.cols === 'dim' ? 'd' : 'L'}).`,
          );
        }
        data = new Float32Array(heads * rows * cols);
      } else if (row.length !== cols) {
        throw new ImportError(`${name}[${h}][${i}] has length ${row.length}, expected ${cols}.`);
      }
      for (let j = 0; j < cols; j++) {
        const x: unknown = row[j];
        const at = `${name}[${h}][${i}][${j}]`;
        if (typeof x !== 'number') throw new ImportError(`${at} is not a number (got ${typeName(x)}).`);
        if (!Number.isFinite(x)) throw new ImportError(`${at} is not a finite number (${x}).`);
        if (Math.abs(x) > F32_MAX) {
          throw new ImportError(`${at} = ${x} does not fit in float32 (largest magnitude ≈ 3.4e38).`);
        }
        data[(h * rows + i) * cols + j] = x;
      }
    }
  }
  return { heads, rows, cols, data };
}

/**
 * Finds the first syntax error of a text that JSON.parse refused (engines word and place their messages
 * differently, and recent V8 omits the position): a small JSON scanner returning the offending character
 * position and what was expected there.
 */
export function findJsonError(text: string): { position: number; problem: string } {
  let i = 0;
  const n = text.length;
  class Stop {
    constructor(
      readonly position: number,
      readonly problem: string,
    ) {}
  }
  const stop = (problem: string): never => {
    throw new Stop(i, i >= n ? 'unexpected end of the file' : problem);
  };
  const ch = () => (i < n ? JSON.stringify(text[i]) : 'end of file');
  const ws = () => {
    while (i < n && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) stop(`unexpected ${ch()} (expected "${word}")`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= n) stop('unterminated string');
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) stop('bad \\u escape in a string');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else stop(`bad escape \\${text[i] ?? ''} in a string`);
      } else if (c < ' ') {
        stop('control character inside a string (use \\n, \\t …)');
      } else i++;
    }
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const value = (depth: number): void => {
    if (depth > 64) stop('nested more than 64 levels deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') stop(`unexpected ${ch()} (expected a property name in double quotes)`);
        string();
        ws();
        if (text[i] !== ':') stop(`unexpected ${ch()} (expected ':' after the property name)`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        stop(`unexpected ${ch()} (expected ',' or '}' after a property value)`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ',' || text[i] === ']') stop(`unexpected ${ch()} (expected a value)`);
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        stop(`unexpected ${ch()} (expected ',' or ']' after an array element)`);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) stop(`invalid number`);
      i += m![0].length;
      return;
    }
    stop(`unexpected ${ch()} (expected a value)`);
  };
  try {
    value(0);
    ws();
    if (i < n) stop(`unexpected ${ch()} after the end of the JSON value`);
  } catch (e) {
    if (e instanceof Stop) return { position: e.position, problem: e.problem };
    throw e;
  }
  return { position: n, problem: 'unexpected end of the file' };
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
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

function parseOrThrow(text: string): ImportedAttention {
  if (text.trim() === '') throw new ImportError('The file is empty.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const { position, problem } = findJsonError(text);
    throw new ImportError(
      `not valid JSON at position ${position} (${lineColumn(text, position)}): ${problem}.`,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ImportError(
      `expected a JSON object with "q", "k" and "v" (or "weights"), got ${typeName(json)}.`,
    );
  }
  const obj = json as Record<string, unknown>;
  const has = (key: string) => obj[key] !== undefined;
  const extras: { tokens?: string[]; scale?: number; mask?: MaskKind } = {};
  if (has('scale')) {
    if (typeof obj.scale !== 'number' || !Number.isFinite(obj.scale)) {
      throw new ImportError(`"scale" must be a finite number, got ${typeName(obj.scale)}.`);
    }
    extras.scale = obj.scale;
  }
  if (has('mask')) {
    if (typeof obj.mask !== 'string' || !(MASK_KINDS as readonly string[]).includes(obj.mask)) {
      throw new ImportError(`"mask" must be one of ${MASK_KINDS.join(', ')}, got ${typeName(obj.mask)}.`);
    }
    extras.mask = obj.mask as MaskKind;
  }
  const readTokens = (L: number) => {
    if (!has('tokens')) return;
    const t = obj.tokens;
    if (!Array.isArray(t)) throw new ImportError(`"tokens" must be an array of strings, got ${typeName(t)}.`);
    if (t.length !== L) throw new ImportError(`"tokens" has ${t.length} entries but L is ${L}.`);
    t.forEach((s: unknown, i) => {
      if (typeof s !== 'string') throw new ImportError(`tokens[${i}] is not a string (got ${typeName(s)}).`);
    });
    extras.tokens = t as string[];
  };

  const anyQkv = has('q') || has('k') || has('v');
  if (!anyQkv) {
    if (!has('weights'))
      throw new ImportError('expected "q", "k" and "v" (or "weights"); found none of them.');
    const w = readTensor3(obj.weights, 'weights', { rows: 'query', cols: 'key' });
    if (w.cols !== w.rows) {
      throw new ImportError(
        `"weights" rows have length ${w.cols} but there are ${w.rows} queries; expected L×L.`,
      );
    }
    for (let i = 0; i < w.data.length; i++) {
      if (w.data[i]! < 0) {
        const h = Math.floor(i / (w.rows * w.cols));
        const r = Math.floor(i / w.cols) % w.rows;
        throw new ImportError(`weights[${h}][${r}][${i % w.cols}] is negative (${w.data[i]}).`);
      }
    }
    readTokens(w.rows);
    return { kind: 'weights', shape: { heads: w.heads, L: w.rows }, weights: w.data, ...extras };
  }
  for (const key of ['q', 'k', 'v'])
    if (!has(key)) throw new ImportError(`missing "${key}" (Q, K and V are all needed).`);
  const dims = { rows: 'row', cols: 'dim' };
  const q = readTensor3(obj.q, 'q', dims);
  const k = readTensor3(obj.k, 'k', dims);
  const v = readTensor3(obj.v, 'v', dims);
  for (const [name, t] of [
    ['k', k],
    ['v', v],
  ] as const) {
    if (t.heads !== q.heads) throw new ImportError(`"${name}" has ${t.heads} heads but "q" has ${q.heads}.`);
    if (t.rows !== q.rows) {
      throw new ImportError(`"${name}" has ${t.rows} rows per head but "q" has ${q.rows}.`);
    }
    if (t.cols !== q.cols) {
      throw new ImportError(`"${name}" rows have length ${t.cols} but "q" rows have length ${q.cols}.`);
    }
  }
  readTokens(q.rows);
  return {
    kind: 'qkv',
    shape: { heads: q.heads, L: q.rows, d: q.cols },
    q: q.data,
    k: k.data,
    v: v.data,
    ...extras,
  };
}
