/**
 * Heatmap colours (both perceptually ordered and colour-blind safe): sequential d3.interpolateViridis over
 * [min, max] (attention weights), diverging d3.interpolateRdBu reversed over [−max, +max] (blue negative,
 * near-white 0, red positive). Masked entries (≤ MASKED_THRESHOLD: the GPU's −3e38 sentinel or −∞) are
 * drawn in MASKED_COLOR, NaN in NAN_COLOR (it should never appear).
 */
import * as d3 from 'd3';

/** Values at or below this are masked (−∞ in the reference, −3e38 on the GPU). */
const MASKED_THRESHOLD = -1e38;
export const MASKED_COLOR = '#8c8c8c';
const NAN_COLOR = '#ff00ff';

export type HeatmapScale =
  { kind: 'sequential'; min: number; max: number } | { kind: 'diverging'; max: number };

type Rgb = [number, number, number];

function rgb(color: string): Rgb {
  const c = d3.rgb(color);
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

const LUT_SIZE = 256;
const luts = new Map<string, Rgb[]>();

function lut(scale: HeatmapScale): Rgb[] {
  let table = luts.get(scale.kind);
  if (!table) {
    const f = scale.kind === 'sequential' ? d3.interpolateViridis : (t: number) => d3.interpolateRdBu(1 - t);
    table = Array.from({ length: LUT_SIZE }, (_, i) => rgb(f(i / (LUT_SIZE - 1))));
    luts.set(scale.kind, table);
  }
  return table;
}

function lutIndex(scale: HeatmapScale, v: number): number {
  const [lo, hi] = scale.kind === 'sequential' ? [scale.min, scale.max] : [-scale.max, scale.max];
  const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
}

/** The colour of one value as [r, g, b] (0–255). */
export function heatmapColor(scale: HeatmapScale, v: number): Rgb {
  if (Number.isNaN(v)) return rgb(NAN_COLOR);
  if (v <= MASKED_THRESHOLD) return rgb(MASKED_COLOR);
  return lut(scale)[lutIndex(scale, v)]!;
}

/** CSS colour string of a value (legends, SVG export). */
export function heatmapCss(scale: HeatmapScale, v: number): string {
  const [r, g, b] = heatmapColor(scale, v);
  return `rgb(${r},${g},${b})`;
}

/** The largest |value| over entries that are not masked (for a diverging scale); 0 when there are none. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > MASKED_THRESHOLD && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}

/** A rows×cols canvas with one pixel per cell (drawn scaled up with smoothing off, or exported as PNG). */
export function cellsCanvas(
  data: { rows: number; cols: number; values: ArrayLike<number> },
  scale: HeatmapScale,
): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = data.cols;
  c.height = data.rows;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(data.cols, data.rows);
  const px = img.data;
  const table = lut(scale);
  const masked = rgb(MASKED_COLOR);
  const nan = rgb(NAN_COLOR);
  const n = data.rows * data.cols;
  for (let i = 0; i < n; i++) {
    const v = data.values[i]!;
    const [r, g, b] = Number.isNaN(v) ? nan : v <= MASKED_THRESHOLD ? masked : table[lutIndex(scale, v)]!;
    px[4 * i] = r;
    px[4 * i + 1] = g;
    px[4 * i + 2] = b;
    px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}
