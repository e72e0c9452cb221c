/**
 * Float64 reference of shaders/random/generate.wgsl: which Philox block feeds which output value, and the
 * four transforms. Used by tests and by the CPU backend.
 */
import { philox4x32, unitFloat } from './philox.ref';

export const TRANSFORMS = ['uniform', 'standardized', 'irwin-hall', 'box-muller'] as const;
export type Transform = (typeof TRANSFORMS)[number];

/** Transform ids shared with the WGSL (0 = raw words). */
export const TRANSFORM_ID: Record<Transform | 'raw', number> = {
  raw: 0,
  uniform: 1,
  standardized: 2,
  'irwin-hall': 3,
  'box-muller': 4,
};

export interface StreamKey {
  seed: number;
  /** Second key word: independent streams for the same seed (the diffusion lab uses it per step). */
  stream?: number;
}

function block(index: number, key: StreamKey) {
  return philox4x32(
    [index >>> 0, Math.floor(index / 2 ** 32) >>> 0, 0, 0],
    [key.seed >>> 0, (key.stream ?? 0) >>> 0],
  );
}

/** Raw 32-bit words: value i is word i % 4 of block floor(i / 4). */
export function rawWords(count: number, key: StreamKey): Uint32Array {
  const out = new Uint32Array(count);
  for (let b = 0; b * 4 < count; b++) {
    const w = block(b, key);
    for (let j = 0; j < 4 && b * 4 + j < count; j++) out[b * 4 + j] = w[j]!;
  }
  return out;
}

const SQRT12 = Math.sqrt(12);
const TWO_PI = 2 * Math.PI;

/**
 * Samples of a transform, in float64. uniform / standardized / box-muller: value i from block i/4;
 * irwin-hall: value i sums the 12 words of blocks 3i, 3i+1, 3i+2.
 */
export function sampleReference(transform: Transform, count: number, key: StreamKey): Float64Array {
  const out = new Float64Array(count);
  if (transform === 'irwin-hall') {
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let b = 0; b < 3; b++) {
        const w = block(3 * i + b, key);
        s += unitFloat(w[0]) + unitFloat(w[1]) + unitFloat(w[2]) + unitFloat(w[3]);
      }
      out[i] = s - 6;
    }
    return out;
  }
  for (let b = 0; b * 4 < count; b++) {
    const w = block(b, key);
    let values: number[];
    if (transform === 'uniform') values = w.map(unitFloat);
    else if (transform === 'standardized') values = w.map((x) => (unitFloat(x) - 0.5) * SQRT12);
    else values = [...boxMuller(w[0], w[1]), ...boxMuller(w[2], w[3])];
    for (let j = 0; j < 4 && b * 4 + j < count; j++) out[b * 4 + j] = values[j]!;
  }
  return out;
}

/** Box–Muller on one pair of words; u1 in (0, 1] so the log is finite; angle in [−π, π) where WGSL's cos is accurate. */
export function boxMuller(w1: number, w2: number): [number, number] {
  const u1 = 1 - unitFloat(w1);
  const u2 = unitFloat(w2);
  const r = Math.sqrt(-2 * Math.log(u1));
  const theta = TWO_PI * u2 - Math.PI;
  return [r * Math.cos(theta), r * Math.sin(theta)];
}
