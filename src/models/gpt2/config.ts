/**
 * A GPT-2 configuration from a safetensors header: sizes from the tensor names and shapes (with or without
 * the "transformer." prefix), the head count from an optional config.json or the standard one for the
 * width; every tensor the forward pass needs checked by name and shape; adapter limits checked by name.
 */
import { msg, str } from '@lit/localize';
import type { SafetensorsHeader } from './safetensors';
import { GPT2_LN_EPS, GPT2_VOCAB, STANDARD_HEADS, gpt2TensorSpecs, type Gpt2Config } from './types';

export type Gpt2ConfigProblem = 'not-gpt2' | 'missing-tensor' | 'shape' | 'vocab' | 'heads' | 'config-json';

/** A checkpoint that does not fit GPT-2 (a RangeError, as Gpt2TensorSource promises for bad tensors). */
export class Gpt2ConfigError extends RangeError {
  override readonly name = 'Gpt2ConfigError';
  constructor(
    readonly problem: Gpt2ConfigProblem,
    message: string,
  ) {
    super(message);
  }
}

function fail(problem: Gpt2ConfigProblem, message: string): never {
  throw new Gpt2ConfigError(problem, message);
}

export interface InferredGpt2 {
  config: Gpt2Config;
  prefix: '' | 'transformer.';
  headSource: 'config.json' | 'standard';
  notes: string[];
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

const LAYER = /^h\.(\d+)\.ln_1\.weight$/;

/** Fields of config.json compared with the tensors, as [key, inferred value, what it is]. */
function checkConfigJson(json: Record<string, unknown>, c: Omit<Gpt2Config, 'nHead' | 'eps'>): void {
  const checks: [string, number][] = [
    ['n_embd', c.nEmbd],
    ['n_layer', c.nLayer],
    ['n_positions', c.nPositions],
    ['vocab_size', c.vocab],
  ];
  for (const [key, found] of checks) {
    if (!(key in json)) continue;
    if (json[key] !== found) {
      const said = JSON.stringify(json[key]);
      fail(
        'config-json',
        msg(
          str`config.json says ${key} = ${said}, but the weights have ${found}: is it the config of another model?`,
        ),
      );
    }
  }
}

function headsFromJson(json: Record<string, unknown>, nEmbd: number): number | null {
  if (!('n_head' in json)) return null;
  const h = json.n_head;
  if (typeof h !== 'number' || !Number.isInteger(h) || h < 1) {
    const said = JSON.stringify(h);
    fail('config-json', msg(str`config.json has n_head = ${said}: expected a positive integer.`));
  }
  if (nEmbd % h !== 0) {
    fail('config-json', msg(str`config.json has n_head = ${h}, which does not divide the width ${nEmbd}.`));
  }
  return h;
}

/**
 * Infers the configuration of a GPT-2 checkpoint and checks that every tensor of `gpt2TensorSpecs` is there
 * with its shape. Throws Gpt2ConfigError naming the problem (a missing tensor, a shape, the vocabulary, …).
 */
export function inferGpt2Config(header: SafetensorsHeader, configJson?: unknown): InferredGpt2 {
  const names = header.tensors;
  const prefix = names.has('wte.weight') ? '' : names.has('transformer.wte.weight') ? 'transformer.' : null;
  if (prefix === null) {
    fail('not-gpt2', msg('The file has no wte.weight (the token embedding): is it a GPT-2 checkpoint?'));
  }
  const shapeOf = (name: string) => names.get(prefix + name)?.shape;
  const wte = shapeOf('wte.weight')!;
  if (wte.length !== 2) {
    const shape = shapeText(wte);
    fail('shape', msg(str`wte.weight has shape ${shape}; expected [vocab, width].`));
  }
  const [vocab, nEmbd] = wte as [number, number];
  if (vocab !== GPT2_VOCAB) {
    fail(
      'vocab',
      msg(str`The vocabulary ${vocab} is not GPT-2's ${GPT2_VOCAB} (this tokenizer only fits GPT-2).`),
    );
  }
  const wpe = shapeOf('wpe.weight');
  if (!wpe) fail('missing-tensor', msg('The file has no wpe.weight (the position embedding).'));
  if (wpe.length !== 2 || wpe[1] !== nEmbd) {
    const shape = shapeText(wpe);
    fail('shape', msg(str`wpe.weight has shape ${shape}; expected [positions, ${nEmbd}].`));
  }
  const nPositions = wpe[0]!;
  let nLayer = 0;
  for (const name of names.keys()) {
    const m = LAYER.exec(name.slice(prefix.length));
    if (name.startsWith(prefix) && m) nLayer = Math.max(nLayer, Number(m[1]) + 1);
  }
  if (nLayer === 0) fail('missing-tensor', msg('The file has no layers (no h.0.ln_1.weight).'));

  const notes: string[] = [];
  let json: Record<string, unknown> | null = null;
  if (configJson !== undefined) {
    if (typeof configJson !== 'object' || configJson === null || Array.isArray(configJson)) {
      fail('config-json', msg('config.json is not a JSON object.'));
    }
    json = configJson as Record<string, unknown>;
    checkConfigJson(json, { nLayer, nEmbd, vocab, nPositions });
  }
  let nHead = json ? headsFromJson(json, nEmbd) : null;
  const headSource = nHead === null ? 'standard' : 'config.json';
  if (nHead === null) {
    const standard = STANDARD_HEADS[nEmbd];
    if (standard === undefined) {
      fail(
        'heads',
        msg(str`Width ${nEmbd} has no standard head count: drop its config.json beside the weights.`),
      );
    }
    nHead = standard;
    notes.push(
      json
        ? msg(str`config.json has no n_head: using the standard ${nHead} heads for width ${nEmbd}.`)
        : msg(str`no config.json: using the standard ${nHead} heads for width ${nEmbd}.`),
    );
  }
  let eps = GPT2_LN_EPS;
  if (json && 'layer_norm_epsilon' in json) {
    const e = json.layer_norm_epsilon;
    if (typeof e !== 'number' || !(e > 0) || !Number.isFinite(e)) {
      const said = JSON.stringify(e);
      fail(
        'config-json',
        msg(str`config.json has layer_norm_epsilon = ${said}: expected a positive number.`),
      );
    }
    eps = e;
    if (e !== GPT2_LN_EPS)
      notes.push(msg(str`config.json sets the LayerNorm ε to ${e} (GPT-2 uses ${GPT2_LN_EPS}).`));
  }
  const config: Gpt2Config = { nLayer, nHead, nEmbd, vocab, nPositions, eps };

  const needed = new Set<string>();
  for (const spec of gpt2TensorSpecs(config)) {
    needed.add(prefix + spec.name);
    const found = shapeOf(spec.name);
    const { name } = spec;
    const expected = shapeText(spec.shape);
    if (!found) {
      fail('missing-tensor', msg(str`The file has no tensor ${name} (expected shape ${expected}).`));
    }
    if (!sameShape(found, spec.shape)) {
      const shape = shapeText(found);
      fail('shape', msg(str`Tensor ${name} has shape ${shape}; expected ${expected}.`));
    }
  }
  const extra = [...names.keys()].filter((n) => !needed.has(n));
  if (extra.length > 0) {
    const shown = extra.slice(0, 3).join(', ') + (extra.length > 3 ? ', …' : '');
    const n = extra.length;
    notes.push(msg(str`Ignored ${n} tensor(s) the forward pass does not use (${shown}).`));
  }
  const dtypes = new Set([...needed].map((n) => names.get(n)!.dtype));
  const stored = [...dtypes].filter((d) => d !== 'F32');
  if (stored.length > 0) notes.push(storedAs([...dtypes]));
  return { config, prefix, headSource, notes };
}

/** "Weights stored as F16: converted to f32 on upload." (one to three dtypes). */
function storedAs(dtypes: string[]): string {
  const [a, b, c] = dtypes;
  if (dtypes.length >= 3)
    return msg(str`Weights stored as ${a} and ${b} and ${c}: converted to f32 on upload.`);
  if (dtypes.length === 2) return msg(str`Weights stored as ${a} and ${b}: converted to f32 on upload.`);
  return msg(str`Weights stored as ${a}: converted to f32 on upload.`);
}

export interface Gpt2Limits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * The buffers a forward pass over `tokens` positions allocates, largest kinds first: every weight tensor,
 * then the activations (residual [T][C], fused QKV [T][3C], MLP hidden [T][4C], one layer's attention
 * weights [nHead][T][T], logits for `logitRows` positions [rows][V]), each as f32.
 */
export function gpt2BufferSizes(
  config: Gpt2Config,
  tokens = config.nPositions,
  logitRows = 1,
): { name: string; bytes: number }[] {
  const f32 = (shape: number[]) => 4 * shape.reduce((a, b) => a * b, 1);
  const C = config.nEmbd;
  const T = tokens;
  const [C3, C4, H, V] = [3 * C, 4 * C, config.nHead, config.vocab];
  return [
    ...gpt2TensorSpecs(config).map((s) => ({ name: s.name, bytes: f32(s.shape) })),
    { name: msg(str`the residual stream [${T}][${C}]`), bytes: f32([T, C]) },
    { name: msg(str`the fused QKV activations [${T}][${C3}]`), bytes: f32([T, 3 * C]) },
    { name: msg(str`the MLP hidden activations [${T}][${C4}]`), bytes: f32([T, 4 * C]) },
    { name: msg(str`one layer's attention weights [${H}][${T}][${T}]`), bytes: f32([H, T, T]) },
    { name: msg(str`the logits [${logitRows}][${V}]`), bytes: f32([logitRows, V]) },
  ];
}

function mib(bytes: number): string {
  const m = bytes / 2 ** 20;
  return Number.isInteger(m) ? `${m} MiB` : `${m.toFixed(1)} MiB`;
}

/** "needs X; limit is Y" with enough digits that X and Y differ when they do. */
function sizes(need: number, limit: number): [string, string] {
  const [a, b] = [mib(need), mib(limit)];
  return a === b ? [msg(str`${need} bytes`), msg(str`${limit} bytes`)] : [a, b];
}

/**
 * The first weight or activation (over `tokens` positions, default nPositions) that does not fit this
 * adapter's limits, named with the limit — e.g. "wte.weight needs 147.2 MiB; this adapter's
 * maxStorageBufferBindingSize is 128 MiB" — or null when everything fits. Call it before allocating.
 */
export function checkGpt2Limits(
  config: Gpt2Config,
  limits: Gpt2Limits,
  tokens = config.nPositions,
  logitRows = 1,
): string | null {
  for (const { name, bytes } of gpt2BufferSizes(config, tokens, logitRows)) {
    for (const key of ['maxStorageBufferBindingSize', 'maxBufferSize'] as const) {
      if (bytes > limits[key]) {
        const [need, limit] = sizes(bytes, limits[key]);
        return msg(str`${name} needs ${need}; this adapter's ${key} is ${limit}.`);
      }
    }
  }
  return null;
}
