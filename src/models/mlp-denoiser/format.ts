/**
 * The "KSMLP1" weight files the app ships (public/models/diffusion/*.ksmlp). Little-endian: 8 bytes magic
 * "KSMLP1\0\0", u32 header length n, n bytes of UTF-8 JSON ({ config, ...MlpMeta }), zero padding to a
 * multiple of 4, then the parameters as f32.
 */
import { msg, str } from '@lit/localize';
import { checkConfig, parameterCount, type MlpConfig, type MlpWeights } from '../../kernels/diffusion/spec';

/** The training record stored in a weight file's header (every field optional; types checked on parse). */
export interface MlpMeta {
  /** Dataset the model was trained on, e.g. "two-moons". */
  dataset?: string;
  /** Training points and the dataset seed. */
  points?: number;
  dataSeed?: number;
  /** The training schedule, e.g. { kind: "cosine", T: 1000 }. */
  schedule?: { kind: string; T: number };
  /** Optimiser steps, batch size, trainer seed, initial learning rate. */
  trainSteps?: number;
  batch?: number;
  seed?: number;
  learningRate?: number;
  /** Mean loss of the last reported chunk of steps (null when none was reported). */
  finalLoss?: number | null;
  /** Who trained it: "typescript-f64" or "webgpu: <adapter>". */
  trainer?: string;
}

export interface MlpModel extends MlpWeights {
  /** The training record (see MlpMeta). */
  meta?: MlpMeta;
}

const MAGIC = 'KSMLP1\0\0';

/** Encodes a model as a "KSMLP1" weight file (format in the module comment). */
export function serializeMlp(model: MlpModel): ArrayBuffer {
  const header = new TextEncoder().encode(JSON.stringify({ config: model.config, ...(model.meta ?? {}) }));
  const headerEnd = 12 + header.length;
  const start = Math.ceil(headerEnd / 4) * 4;
  const buffer = new ArrayBuffer(start + model.params.byteLength);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  new DataView(buffer).setUint32(8, header.length, true);
  bytes.set(header, 12);
  const view = new DataView(buffer, start);
  model.params.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return buffer;
}

const META_TYPES: Record<keyof MlpMeta, (v: unknown) => boolean> = {
  dataset: (v) => typeof v === 'string',
  points: Number.isFinite,
  dataSeed: Number.isFinite,
  schedule: (v) => {
    const o = v as { kind?: unknown; T?: unknown } | null;
    return typeof o === 'object' && o !== null && typeof o.kind === 'string' && Number.isInteger(o.T);
  },
  trainSteps: Number.isInteger,
  batch: Number.isInteger,
  seed: Number.isInteger,
  learningRate: Number.isFinite,
  finalLoss: (v) => v === null || Number.isFinite(v),
  trainer: (v) => typeof v === 'string',
};

/** The MlpMeta fields of a header object; throws when a known field has the wrong type, drops unknown ones. */
function readMeta(header: Record<string, unknown>): MlpMeta {
  const meta: Record<string, unknown> = {};
  for (const key of Object.keys(META_TYPES) as Array<keyof MlpMeta>) {
    if (!(key in header)) continue;
    if (!META_TYPES[key](header[key])) {
      const value = JSON.stringify(header[key]);
      throw new Error(msg(str`Weight file header: "${key}" has the wrong type (${value}).`));
    }
    meta[key] = header[key];
  }
  return meta as MlpMeta;
}

/** Decodes a "KSMLP1" weight file; throws a readable error for anything else. */
export function parseMlp(buffer: ArrayBuffer): MlpModel & { meta: MlpMeta } {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (buffer.byteLength < 12 || magic !== MAGIC) throw new Error(msg('Not a KSMLP1 weight file.'));
  const n = new DataView(buffer).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + n))) as {
    config: MlpConfig;
  } & Record<string, unknown>;
  const config = header.config;
  checkConfig(config);
  const start = Math.ceil((12 + n) / 4) * 4;
  const count = parameterCount(config);
  if (buffer.byteLength !== start + 4 * count) {
    const held = (buffer.byteLength - start) / 4;
    throw new Error(msg(str`Weight file holds ${held} parameters; the config needs ${count}.`));
  }
  const view = new DataView(buffer, start);
  const params = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
  return { config, params, meta: readMeta(header) };
}
