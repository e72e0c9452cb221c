import { msg, str } from '@lit/localize';
import { DATASETS_2D } from '../models/datasets2d';
import { SCHEDULE_KINDS, T_MAX, T_MIN } from '../models/schedules';
import { MAX_PARTICLES_GPU } from '../kernels/diffusion/spec';
import { boolParam, enumParam, floatParam, intParam, type Param, type ValuesOf } from './params';

/** Sampler choices as they appear in the URL (the variance / method is part of the name). */
export const DIFFUSION_SAMPLERS = ['ddpm-beta', 'ddpm-beta-tilde', 'ddim', 'ode-euler', 'ode-heun'] as const;
export type DiffusionSamplerChoice = (typeof DIFFUSION_SAMPLERS)[number];

/**
 * Denoisers the page offers. 'exact': the empirical-data posterior mean (attention over the data);
 * 'mlp': the ε-prediction MLP shipped for the dataset (public/models/diffusion/<dataset>.ksmlp);
 * 'trained': the MLP trained in this page by the trainer panel.
 */
const DIFFUSION_DENOISERS = ['exact', 'mlp', 'trained'] as const;
export type DiffusionDenoiserChoice = (typeof DIFFUSION_DENOISERS)[number];

/**
 * Datasets: the 2D toy sets, points the user draws ('draw', held in the `drawing` parameter), and glyph
 * images rendered from the browser's fonts (image mode, `size`×`size` pixels).
 */
export const DIFFUSION_DATASETS = [...DATASETS_2D, 'draw', 'glyphs-digits', 'glyphs-letters'] as const;
export type DiffusionDataset = (typeof DIFFUSION_DATASETS)[number];
export type GlyphDataset = 'glyphs-digits' | 'glyphs-letters';

/** Image side choices of the glyph datasets. */
export const GLYPH_SIZES = ['28', '32'] as const;

export function isImageDataset(d: DiffusionDataset): d is GlyphDataset {
  return d === 'glyphs-digits' || d === 'glyphs-letters';
}

/** What the second pane varies ('off': no comparison pane). */
export const COMPARE_MODES = ['off', 'sampler', 'schedule', 'denoiser'] as const;

// ---------------------------------------------------------------------------------------------------------
// Drawn points in the URL

/** Most points a drawing holds. */
export const MAX_DRAWN_POINTS = 1024;
/** Drawn coordinates are quantised to this step (0.01) … */
const DRAW_QUANTUM = 0.01;
/** … and must lie in [−DRAW_LIMIT, DRAW_LIMIT] (the lab's view is ±3.5). */
const DRAW_LIMIT = 3.5;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function bytesToBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const n = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    if (b1 !== undefined) out += B64[(n >> 6) & 63]!;
    if (b2 !== undefined) out += B64[n & 63]!;
  }
  return out;
}

function base64UrlToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const chunk = text.slice(i, i + 4);
    let n = 0;
    for (let j = 0; j < 4; j++) n = (n << 6) | (j < chunk.length ? B64.indexOf(chunk[j]!) : 0);
    out[o++] = (n >> 16) & 255;
    if (chunk.length > 2) out[o++] = (n >> 8) & 255;
    if (chunk.length > 3) out[o++] = n & 255;
  }
  return out.subarray(0, o);
}

/** Snaps a coordinate to the drawing grid (multiples of DRAW_QUANTUM within ±DRAW_LIMIT). */
export function quantiseDrawn(v: number): number {
  const q = Math.round(Math.max(-DRAW_LIMIT, Math.min(DRAW_LIMIT, v)) / DRAW_QUANTUM);
  return q * DRAW_QUANTUM;
}

/**
 * Encodes drawn points (x, y interleaved) for the URL: each coordinate quantised to 0.01 as an int16
 * (little-endian), the bytes as base64url — 4 bytes, about 5.3 characters, per point.
 */
export function encodeDrawing(points: ArrayLike<number>): string {
  const n = Math.min(Math.floor(points.length / 2), MAX_DRAWN_POINTS);
  const bytes = new Uint8Array(4 * n);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < 2 * n; k++) {
    view.setInt16(2 * k, Math.round(quantiseDrawn(points[k]!) / DRAW_QUANTUM), true);
  }
  return bytesToBase64Url(bytes);
}

/** Decodes `encodeDrawing`'s text; a readable error for anything else. */
export function decodeDrawing(text: string): Float32Array | { error: string } {
  const bytes = base64UrlToBytes(text);
  if (!bytes) return { error: msg('not base64url text') };
  if (bytes.length % 4 !== 0) return { error: msg('not a whole number of (x, y) pairs') };
  const n = bytes.length / 4;
  if (n > MAX_DRAWN_POINTS) return { error: msg(str`${n} points; at most ${MAX_DRAWN_POINTS}`) };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(2 * n);
  const limit = Math.round(DRAW_LIMIT / DRAW_QUANTUM);
  for (let k = 0; k < 2 * n; k++) {
    const q = view.getInt16(2 * k, true);
    if (Math.abs(q) > limit) {
      return { error: msg(str`a coordinate ${q * DRAW_QUANTUM} lies outside ±${DRAW_LIMIT}`) };
    }
    out[k] = q * DRAW_QUANTUM;
  }
  // Canonical form only (so a link has one spelling): re-encoding gives the same text.
  if (bytesToBase64Url(bytes) !== text) return { error: msg('not in canonical base64url form') };
  return out;
}

/**
 * Reads drawn points typed as text, one "x, y" per line (blank lines ignored; x and y separated by a comma
 * and/or spaces). Every error names its line. Coordinates are quantised like clicked points.
 */
export function parseDrawingText(text: string): Float32Array | { error: string } {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const parts = line.split(/\s*,\s*|\s+/);
    const [x, y] = parts.map((v) => (v === '' ? NaN : Number(v)));
    if (parts.length !== 2 || !Number.isFinite(x) || !Number.isFinite(y))
      return { error: msg(str`Line ${i + 1}: “${line}” is not “x, y”.`) };
    if (Math.abs(x!) > DRAW_LIMIT || Math.abs(y!) > DRAW_LIMIT)
      return { error: msg(str`Line ${i + 1}: coordinates must lie within ±${DRAW_LIMIT}.`) };
    out.push(quantiseDrawn(x!), quantiseDrawn(y!));
  }
  if (out.length / 2 > MAX_DRAWN_POINTS)
    return { error: msg(str`${out.length / 2} points; a drawing holds at most ${MAX_DRAWN_POINTS}.`) };
  return Float32Array.from(out);
}

/** Drawn points as text, one "x, y" per line (the inverse of parseDrawingText). */
export function drawingToText(points: ArrayLike<number>): string {
  const lines: string[] = [];
  for (let i = 0; i + 1 < points.length; i += 2)
    lines.push(`${points[i]!.toFixed(2)}, ${points[i + 1]!.toFixed(2)}`);
  return lines.join('\n');
}

function drawingParam(): Param<string> {
  return {
    default: '',
    parse(raw) {
      const v = decodeDrawing(raw);
      return v instanceof Float32Array ? raw : v;
    },
    format: (v) => v,
  };
}

/** Start of the chain: 'off' = pure noise at t = T; a number t = the data noised forward to t. */
function forwardParam(): Param<number | null> {
  const int = intParam({ min: 0, max: T_MAX, default: 0 });
  return {
    default: null,
    parse(raw) {
      if (raw === 'off') return null;
      return int.parse(raw);
    },
    format: (v) => (v === null ? 'off' : String(v)),
  };
}

/**
 * The Diffusion lab's controls as they appear in the URL
 * (#/diffusion?dataset=two-moons&schedule=cosine&T=100&sampler=ddpm-beta-tilde&…). Defaults are small
 * (T = 100, 2000 particles) so the page is quick even on a software WebGPU adapter. `steps` (DDIM / ODE
 * only) is clamped to T by the page with a notice; `particles` to the CPU ceiling on the CPU backend;
 * `forward` (the forward-process scrub) to T.
 */
export const diffusionSchema = {
  dataset: enumParam(DIFFUSION_DATASETS, 'two-moons'),
  points: intParam({ min: 16, max: 8192, default: 1000 }),
  drawing: drawingParam(),
  size: enumParam(GLYPH_SIZES, '28'),
  schedule: enumParam(SCHEDULE_KINDS, 'cosine'),
  T: intParam({ min: T_MIN, max: T_MAX, default: 100 }),
  ztsnr: boolParam(false),
  sampler: enumParam(DIFFUSION_SAMPLERS, 'ddpm-beta-tilde'),
  steps: intParam({ min: 1, max: T_MAX, default: 50 }),
  eta: floatParam({ min: 0, max: 1, default: 0 }),
  denoiser: enumParam(DIFFUSION_DENOISERS, 'exact'),
  particles: intParam({ min: 1, max: MAX_PARTICLES_GPU, default: 2000 }),
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 7 }),
  forward: forwardParam(),
  speed: intParam({ min: 1, max: 60, default: 10 }),
  x0: boolParam(false),
  field: boolParam(true),
  density: boolParam(false),
  trails: boolParam(true),
  compare: enumParam(COMPARE_MODES, 'off'),
  samplerB: enumParam(DIFFUSION_SAMPLERS, 'ddim'),
  scheduleB: enumParam(SCHEDULE_KINDS, 'linear'),
  denoiserB: enumParam(DIFFUSION_DENOISERS, 'mlp'),
};

export type DiffusionState = ValuesOf<typeof diffusionSchema>;
