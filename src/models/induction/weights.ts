/**
 * "KSIND1" weight files of the induction model, in the style of the diffusion lab's KSMLP1: little-endian,
 * 8 bytes magic "KSIND1\0\0", u32 header length n, n bytes of UTF-8 JSON (InductionHeader), zero padding
 * to a multiple of 4, then the parameters as f32 in parameterLayout order. Errors: InductionWeightsError.
 */
import { msg, str } from '@lit/localize';
import { findJsonError, lineColumn } from '../json-error';
import { checkInductionConfig, parameterCount, parameterLayout, type InductionConfig } from './params';

/** Metrics of the shipped weights on the held-out set (a manifest that reloading must reproduce). */
export interface InductionMetrics {
  heldOut: { seed: number; sequences: number; periods: [number, number] };
  /** [layer][head] scores in [0, 1]. */
  previousToken: number[][];
  prefixMatching: number[][];
  /** Mean cross-entropy (nats) and top-1 accuracy of the first and second copy. */
  firstCopy: { loss: number; top1: number };
  secondCopy: { loss: number; top1: number };
  /** Second-copy loss with one head zeroed. */
  ablations?: Array<{ layer: number; head: number; secondCopyLoss: number }>;
}

export interface InductionHeader {
  config: InductionConfig;
  /** Tensor names and shapes, checked against parameterLayout(config). */
  layout: Array<{ name: string; shape: [number, number] }>;
  /** Init and data seed, optimiser steps taken, who trained it ("webgpu: <adapter>", "typescript-f64"). */
  seed: number;
  steps: number;
  trainer?: string;
  /** Mean training loss over the last reported steps. */
  finalLoss?: number;
  metrics: InductionMetrics;
}

export interface InductionWeights {
  header: InductionHeader;
  /** f32 parameters, parameterCount(header.config) of them. */
  params: Float32Array;
}

export type InductionWeightsProblem = 'magic' | 'truncated' | 'header' | 'shape' | 'non-finite' | 'metrics';

/** Every malformed file throws this; `problem` says which check failed. */
export class InductionWeightsError extends Error {
  override readonly name = 'InductionWeightsError';

  constructor(
    readonly problem: InductionWeightsProblem,
    message: string,
  ) {
    super(msg(str`Induction weight file: ${message}`));
  }
}

const MAGIC = 'KSIND1\0\0';
const fail = (problem: InductionWeightsProblem, message: string): never => {
  throw new InductionWeightsError(problem, message);
};

/** The header's layout field for a config. */
export function headerLayout(config: InductionConfig): InductionHeader['layout'] {
  return parameterLayout(config).map((s) => ({ name: s.name, shape: [...s.shape] as [number, number] }));
}

/** Encodes weights (rounded to f32) as a KSIND1 file; the header's layout is rewritten from its config. */
export function serializeInduction(
  header: Omit<InductionHeader, 'layout'>,
  params: ArrayLike<number>,
): ArrayBuffer {
  const count = parameterCount(header.config);
  if (params.length !== count) throw new RangeError(`Expected ${count} parameters, got ${params.length}.`);
  const full: InductionHeader = { ...header, layout: headerLayout(header.config) };
  checkHeader(full);
  const json = new TextEncoder().encode(JSON.stringify(full));
  const start = Math.ceil((12 + json.length) / 4) * 4;
  const buffer = new ArrayBuffer(start + 4 * count);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  new DataView(buffer).setUint32(8, json.length, true);
  bytes.set(json, 12);
  const view = new DataView(buffer, start);
  for (let i = 0; i < count; i++) view.setFloat32(4 * i, params[i]!, true);
  return buffer;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isUnit = (v: unknown) => isFinite(v) && v >= 0 && v <= 1;

function checkGrid(name: string, v: unknown, config: InductionConfig): void {
  const { layers, heads } = config;
  const ok =
    Array.isArray(v) &&
    v.length === config.layers &&
    v.every((r) => Array.isArray(r) && r.length === config.heads && r.every(isUnit));
  if (!ok) fail('metrics', msg(str`"metrics.${name}" must be [${layers}][${heads}] numbers in [0, 1].`));
}

function checkMetrics(m: unknown, config: InductionConfig): void {
  if (!isObject(m)) return fail('metrics', msg('"metrics" must be an object.'));
  const h = m.heldOut;
  if (
    !isObject(h) ||
    !isCount(h.seed) ||
    !isCount(h.sequences) ||
    !Array.isArray(h.periods) ||
    h.periods.length !== 2 ||
    !h.periods.every(isCount)
  )
    fail('metrics', msg('"metrics.heldOut" must be { seed, sequences, periods: [min, max] } with integers.'));
  checkGrid('previousToken', m.previousToken, config);
  checkGrid('prefixMatching', m.prefixMatching, config);
  for (const key of ['firstCopy', 'secondCopy'] as const) {
    const c = m[key];
    if (!isObject(c) || !isFinite(c.loss) || c.loss < 0 || !isUnit(c.top1))
      fail('metrics', msg(str`"metrics.${key}" must be { loss ≥ 0, top1 in [0, 1] }.`));
  }
  const abl = m.ablations;
  if (abl === undefined) return;
  const ok =
    Array.isArray(abl) &&
    abl.every(
      (a) =>
        isObject(a) &&
        Number.isInteger(a.layer) &&
        (a.layer as number) >= 0 &&
        (a.layer as number) < config.layers &&
        Number.isInteger(a.head) &&
        (a.head as number) >= 0 &&
        (a.head as number) < config.heads &&
        isFinite(a.secondCopyLoss),
    );
  if (!ok)
    fail('metrics', msg('"metrics.ablations" must be [{ layer, head, secondCopyLoss }] within the config.'));
}

function checkHeader(h: unknown): asserts h is InductionHeader {
  if (!isObject(h)) return fail('header', msg('the header must be a JSON object.'));
  if (!isObject(h.config)) return fail('header', msg('"config" must be an object.'));
  try {
    checkInductionConfig(h.config as unknown as InductionConfig);
  } catch (e) {
    fail('shape', (e as Error).message);
  }
  const config = h.config as unknown as InductionConfig;
  for (const key of ['seed', 'steps'] as const)
    if (!isCount(h[key])) {
      const got = JSON.stringify(h[key]);
      fail('header', msg(str`"${key}" must be an integer in 0 … 2³² − 1, got ${got}.`));
    }
  if (h.trainer !== undefined && typeof h.trainer !== 'string')
    fail('header', msg('"trainer" must be a string.'));
  if (h.finalLoss !== undefined && !isFinite(h.finalLoss))
    fail('header', msg('"finalLoss" must be a finite number.'));
  const want = headerLayout(config);
  const got = h.layout;
  if (!Array.isArray(got) || got.length !== want.length)
    fail('shape', msg(str`"layout" must list ${want.length} tensors for this config.`));
  want.forEach((w, i) => {
    const g = (got as unknown[])[i];
    const shape = isObject(g) && Array.isArray(g.shape) ? g.shape : [];
    if (
      !isObject(g) ||
      g.name !== w.name ||
      shape.length !== 2 ||
      shape[0] !== w.shape[0] ||
      shape[1] !== w.shape[1]
    ) {
      const dims = w.shape.join('][');
      const got = JSON.stringify(g);
      fail('shape', msg(str`tensor ${i} must be ${w.name} [${dims}], got ${got}.`));
    }
  });
  checkMetrics(h.metrics, config);
}

/**
 * Decodes a KSIND1 file. Throws InductionWeightsError: "magic" (not this format), "truncated" (ends inside
 * the header or the parameters), "header" (bad JSON or field), "shape" (config/layout/parameter count differ,
 * or the config is not `expect`), "non-finite" (a NaN or ±∞ parameter), "metrics" (bad manifest).
 */
export function parseInduction(buffer: ArrayBuffer, expect?: InductionConfig): InductionWeights {
  const bytes = new Uint8Array(buffer);
  const head = String.fromCharCode(...bytes.subarray(0, 8));
  if (head !== MAGIC.slice(0, head.length) || head.length === 0)
    fail('magic', msg('not a KSIND1 weight file.'));
  const size = buffer.byteLength;
  if (size < 12) fail('truncated', msg(str`the file ends after ${size} bytes, inside the preamble.`));
  const n = new DataView(buffer).getUint32(8, true);
  if (12 + n > size) {
    const follow = size - 12;
    fail('truncated', msg(str`the header needs ${n} bytes; only ${follow} follow.`));
  }
  const text = new TextDecoder().decode(bytes.subarray(12, 12 + n));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    const { position, problem } = findJsonError(text);
    const where = lineColumn(text, position);
    fail('header', msg(str`header JSON, ${where}: ${problem}.`));
  }
  checkHeader(header);
  const config = header.config;
  if (expect && (Object.keys(expect) as Array<keyof InductionConfig>).some((k) => expect[k] !== config[k])) {
    const [got, want] = [JSON.stringify(config), JSON.stringify(expect)];
    fail('shape', msg(str`config ${got} is not the expected ${want}.`));
  }
  const start = Math.ceil((12 + n) / 4) * 4;
  const count = parameterCount(config);
  const have = buffer.byteLength - start;
  if (have < 4 * count) {
    const held = Math.max(0, have) / 4;
    fail('truncated', msg(str`${count} parameters needed, the file holds ${held}.`));
  }
  if (have > 4 * count) {
    const extra = (have - 4 * count) / 4;
    fail('shape', msg(str`${extra} values follow the ${count} parameters.`));
  }
  const view = new DataView(buffer, start);
  const params = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  const bad = params.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const slot = parameterLayout(config).find((s) => bad < s.offset + s.size)!;
    const [name, index, value] = [slot.name, bad - slot.offset, params[bad]];
    fail('non-finite', msg(str`parameter ${bad} (${name}[${index}]) is ${value}.`));
  }
  return { header, params };
}
