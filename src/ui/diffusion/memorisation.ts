/**
 * The memorisation readout at t = 0: how close the final samples are to the training data, and a verdict
 * that follows the measured fraction. Pure TypeScript (unit-tested in Node).
 */
import { msg, str } from '@lit/localize';

/** A 2D sample "is" a training point when its Euclidean distance is at most this. */
export const MEMO_RADIUS = 0.05;
/** An image "is" a training glyph when its RMS distance per pixel (values in [−1, 1]) is at most this. */
const IMAGE_MEMO_RADIUS = 0.05;
/** Samples measured at most (the first ones); the export lists the same samples. */
const MEMO_SAMPLE = 2_000;
/** At least this fraction within the radius: the chain reproduces its training set. */
export const MEMORISES_AT = 0.9;
/** Below this fraction within the radius: most samples are not copies of training points. */
export const GENERALISES_BELOW = 0.5;

export interface Memorisation {
  /** Fraction of the measured samples within `radius` of a training point. */
  fraction: number;
  median: number;
  radius: number;
  /** Per measured sample: index of the nearest training point and the distance to it. */
  nearest: Int32Array;
  distance: Float64Array;
}

/** Distance of a (squared-sum) difference: Euclidean in 2D, RMS per component for images. */
const distanceOf = (squared: number, dim: number) => Math.sqrt(dim === 2 ? squared : squared / dim);

function median(values: Float64Array): number {
  if (values.length === 0) return 0;
  const sorted = values.slice().sort();
  return sorted[Math.floor(values.length / 2)]!;
}

/**
 * Each of the first MEMO_SAMPLE samples' nearest training point and distance (Euclidean in 2D, RMS per
 * pixel for images, so one radius fits both sizes), the fraction within the radius and the median.
 */
export function memorisation(pos: Float32Array, data: Float32Array, dim: number): Memorisation {
  const n = Math.min(Math.floor(pos.length / dim), MEMO_SAMPLE);
  const m = Math.floor(data.length / dim);
  const radius = dim === 2 ? MEMO_RADIUS : IMAGE_MEMO_RADIUS;
  const distance = new Float64Array(n);
  const nearest = new Int32Array(n);
  let close = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let at = -1;
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const v = pos[i * dim + c]! - data[j * dim + c]!;
        d += v * v;
      }
      if (d < best) {
        best = d;
        at = j;
      }
    }
    distance[i] = distanceOf(best, dim);
    nearest[i] = at;
    if (distance[i]! <= radius) close++;
  }
  return { fraction: n ? close / n : 0, median: median(distance), radius, nearest, distance };
}

const spacings = new WeakMap<Float32Array, number>();

/**
 * The median distance from a training point to its nearest other training point (same metric as
 * `memorisation`; null with fewer than two points). When it is below the radius, a sample anywhere on the
 * data's shape counts as "within the radius" without copying a point.
 */
export function dataSpacing(data: Float32Array, dim: number): number | null {
  const m = Math.floor(data.length / dim);
  if (m < 2) return null;
  const cached = spacings.get(data);
  if (cached !== undefined) return cached;
  // The first MEMO_SAMPLE points, each against all M.
  const out = new Float64Array(Math.min(m, MEMO_SAMPLE));
  for (let i = 0; i < out.length; i++) {
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const v = data[i * dim + c]! - data[j * dim + c]!;
        d += v * v;
      }
      best = Math.min(best, d);
    }
    out[i] = distanceOf(best, dim);
  }
  const spacing = median(out);
  spacings.set(data, spacing);
  return spacing;
}

export type Verdict = 'memorises' | 'partly' | 'generalises';

/** The verdict of a measured fraction: ≥ MEMORISES_AT memorises, < GENERALISES_BELOW generalises. */
export function verdictOf(fraction: number): Verdict {
  if (fraction >= MEMORISES_AT) return 'memorises';
  if (fraction < GENERALISES_BELOW) return 'generalises';
  return 'partly';
}

/** The sentence the pane shows after the measured fraction. */
export function verdictText(m: Memorisation, image: boolean): string {
  const pct = (f: number) => `${Math.round(f * 100)}%`;
  const what = image ? msg('training images') : msg('training points');
  const [hi, lo, r] = [pct(MEMORISES_AT), pct(GENERALISES_BELOW), m.radius];
  switch (verdictOf(m.fraction)) {
    case 'memorises':
      return msg(str`at least ${hi} within ${r}, so the chain reproduces its ${what} (memorisation).`);
    case 'partly':
      return msg(str`between ${lo} and ${hi} within ${r}: partly copies of the ${what}.`);
    case 'generalises':
      return msg(str`under ${lo} within ${r}: most samples are new, not copies of the ${what}.`);
  }
}

/** Memorisation of a final frame, computed once per frame (positions array). */
const memos = new WeakMap<Float32Array, Memorisation>();

export function memoOf(positions: Float32Array, data: Float32Array, dim: number): Memorisation {
  let m = memos.get(positions);
  if (!m) {
    m = memorisation(positions, data, dim);
    memos.set(positions, m);
  }
  return m;
}
