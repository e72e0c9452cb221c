/**
 * Float64 references of shaders/random/*.wgsl: which Philox block feeds which output value and the four
 * transforms (generate.wgsl), the central sums and their Chan/Pébay merge (moments.wgsl), and the
 * histogram with the GPU's f32 arithmetic emulated (histogram.wgsl). Used by tests and the CPU backend.
 */
import { philox4x32, unitFloat } from './philox.ref';
import type { CentralSums, HistogramSpec, Moments, StreamKey, Transform } from './spec';

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

/** Box–Muller on one pair of words (box_muller in shaders/common/box_muller.wgsl): u1 in (0, 1], θ in [−π, π). */
export function boxMuller(w1: number, w2: number): [number, number] {
  const u1 = 1 - unitFloat(w1);
  const u2 = unitFloat(w2);
  const r = Math.sqrt(-2 * Math.log(u1));
  const theta = TWO_PI * u2 - Math.PI;
  return [r * Math.cos(theta), r * Math.sin(theta)];
}

/** Exact two-pass central sums in float64. */
export function centralSums(values: ArrayLike<number>): CentralSums {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = n ? s / n : 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    comp += d;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  // One correction step for the mean (the first pass's rounding), as in a corrected two-pass algorithm.
  return { n, mean: n ? mean + comp / n : 0, m2: m2 - (n ? (comp * comp) / n : 0), m3, m4 };
}

export function momentsFromSums(s: CentralSums): Moments {
  const variance = s.n ? s.m2 / s.n : NaN;
  return {
    count: s.n,
    mean: s.mean,
    variance,
    skewness: s.m3 / s.n / variance ** 1.5,
    excessKurtosis: s.m4 / s.n / (variance * variance) - 3,
  };
}

export function momentsReference(values: ArrayLike<number>): Moments {
  return momentsFromSums(centralSums(values));
}

/** Pairwise merge of central sums (Chan/Pébay), the same formula as shaders/common/moments.wgsl. */
export function mergeSums(a: CentralSums, b: CentralSums): CentralSums {
  if (b.n === 0) return a;
  if (a.n === 0) return b;
  const n = a.n + b.n;
  const fa = a.n / n;
  const fb = b.n / n;
  const d = b.mean - a.mean;
  const d2 = d * d;
  return {
    n,
    mean: a.mean + d * fb,
    m2: a.m2 + b.m2 + d2 * a.n * fb,
    m3: a.m3 + b.m3 + d2 * d * a.n * fb * (fa - fb) + 3 * d * (fa * b.m2 - fb * a.m2),
    m4:
      a.m4 +
      b.m4 +
      d2 * d2 * a.n * fb * (fa * fa - fa * fb + fb * fb) +
      6 * d2 * (fa * fa * b.m2 + fb * fb * a.m2) +
      4 * d * (fa * b.m3 - fb * a.m3),
  };
}

/** Histogram with the GPU's f32 arithmetic emulated (Math.fround), so counts match exactly. */
export function histogramReference(values: ArrayLike<number>, spec: HistogramSpec): Uint32Array {
  const counts = new Uint32Array(spec.bins + 2);
  const lo = Math.fround(spec.lo);
  const scale = Math.fround(spec.bins / (spec.hi - spec.lo));
  for (let i = 0; i < values.length; i++) {
    const x = Math.fround(values[i]!);
    const pos = Math.floor(Math.fround(Math.fround(x - lo) * scale));
    let bin: number;
    if (pos < 0) bin = spec.bins;
    else if (pos < spec.bins) bin = pos;
    else bin = spec.bins + 1;
    counts[bin]!++;
  }
  return counts;
}
