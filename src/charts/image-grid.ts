/**
 * A grid of small images (glyphs, x_t, x̂₀) drawn on a <canvas>: each image value becomes a block of
 * scale×scale canvas pixels (nearest neighbour, so pixels stay sharp), images separated by a transparent
 * gap of GRID_GAP canvas pixels. Pure render function: (canvas, images, options) → drawn.
 *
 * Colours: 'grey' maps range[0] to black and range[1] to white (glyphs: -1 background is black, ink white,
 * as MNIST is usually shown); 'diverging' maps the range onto d3.interpolateRdBu reversed (low blue,
 * middle near white, high red). Values are clamped to the range; NaN is drawn in NAN_COLOR.
 */
import * as d3 from 'd3';

export const GRID_GAP = 2;
const NAN_RGB: readonly [number, number, number] = [255, 0, 255];

export interface ImageGridOptions {
  /** Each image is size×size values, row-major. */
  size: number;
  /** Images drawn (the first count of images). */
  count: number;
  /** Images per row (default min(count, 10)). */
  columns?: number;
  /** Canvas pixels per image pixel (default 3). */
  scale?: number;
  /** Values mapped to the ends of the colour scale (default [-1, 1]). */
  range?: [number, number];
  colors?: 'grey' | 'diverging';
}

export interface ImageGridLayout {
  columns: number;
  rows: number;
  scale: number;
  /** Distance in canvas pixels between the left (top) edges of neighbouring images. */
  pitch: number;
  width: number;
  height: number;
}

function checked(images: ArrayLike<number>, opts: ImageGridOptions): ImageGridLayout {
  const { size, count } = opts;
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`renderImageGrid: size must be a positive integer, not ${size}.`);
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`renderImageGrid: count must be a non-negative integer, not ${count}.`);
  if (images.length < count * size * size) {
    throw new Error(
      `renderImageGrid: ${count} images of ${size}×${size} need ${count * size * size} values; got ${images.length}.`,
    );
  }
  const columns = Math.max(1, Math.min(opts.columns ?? Math.min(count, 10), Math.max(count, 1)));
  if (!Number.isInteger(columns))
    throw new Error(`renderImageGrid: columns must be an integer, not ${opts.columns}.`);
  const scale = opts.scale ?? 3;
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) {
    throw new Error(`renderImageGrid: scale must be an integer from 1 to 64, not ${scale}.`);
  }
  const range = opts.range ?? [-1, 1];
  if (!(range[1] > range[0]))
    throw new Error(`renderImageGrid: range [${range[0]}, ${range[1]}] must be increasing.`);
  const rows = Math.max(1, Math.ceil(count / columns));
  const pitch = size * scale + GRID_GAP;
  return { columns, rows, scale, pitch, width: columns * pitch - GRID_GAP, height: rows * pitch - GRID_GAP };
}

/** The layout renderImageGrid would use (for pointer mapping and tests). */
export function imageGridLayout(images: ArrayLike<number>, opts: ImageGridOptions): ImageGridLayout {
  return checked(images, opts);
}

const LUT_SIZE = 256;
const luts = new Map<string, Uint8Array>();

function lut(colors: 'grey' | 'diverging'): Uint8Array {
  let t = luts.get(colors);
  if (t) return t;
  t = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const u = i / (LUT_SIZE - 1);
    if (colors === 'grey') {
      t[3 * i] = t[3 * i + 1] = t[3 * i + 2] = i;
    } else {
      const c = d3.rgb(d3.interpolateRdBu(1 - u));
      t[3 * i] = Math.round(c.r);
      t[3 * i + 1] = Math.round(c.g);
      t[3 * i + 2] = Math.round(c.b);
    }
  }
  luts.set(colors, t);
  return t;
}

/** The [r, g, b] renderImageGrid draws for value v. */
export function imageGridColor(
  v: number,
  range: [number, number] = [-1, 1],
  colors: 'grey' | 'diverging' = 'grey',
): [number, number, number] {
  if (Number.isNaN(v)) return [...NAN_RGB];
  const u = Math.min(1, Math.max(0, (v - range[0]) / (range[1] - range[0])));
  const i = Math.round(u * (LUT_SIZE - 1));
  const t = lut(colors);
  return [t[3 * i]!, t[3 * i + 1]!, t[3 * i + 2]!];
}

export function renderImageGrid(
  canvas: HTMLCanvasElement,
  images: Float32Array,
  opts: ImageGridOptions,
): void {
  const L = checked(images, opts);
  const { size, count } = opts;
  const range = opts.range ?? [-1, 1];
  const colors = opts.colors ?? 'grey';
  canvas.width = L.width;
  canvas.height = L.height;
  canvas.style.imageRendering = 'pixelated';
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('renderImageGrid: no 2D canvas context.');
  const img = ctx.createImageData(L.width, L.height); // transparent
  const px = img.data;
  const table = lut(colors);
  const lo = range[0];
  const span = range[1] - range[0];
  const s = L.scale;
  for (let n = 0; n < count; n++) {
    const ox = (n % L.columns) * L.pitch;
    const oy = Math.floor(n / L.columns) * L.pitch;
    const base = n * size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = images[base + y * size + x]!;
        let r: number, g: number, b: number;
        if (Number.isNaN(v)) {
          [r, g, b] = NAN_RGB;
        } else {
          const u = Math.min(1, Math.max(0, (v - lo) / span));
          const i = 3 * Math.round(u * (LUT_SIZE - 1));
          r = table[i]!;
          g = table[i + 1]!;
          b = table[i + 2]!;
        }
        for (let v2 = 0; v2 < s; v2++) {
          let o = ((oy + y * s + v2) * L.width + ox + x * s) * 4;
          for (let u2 = 0; u2 < s; u2++, o += 4) {
            px[o] = r;
            px[o + 1] = g;
            px[o + 2] = b;
            px[o + 3] = 255;
          }
        }
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}
