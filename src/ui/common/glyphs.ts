import { mulberry32 } from '../../util/rng';
/**
 * Glyph images (digits or capital letters) rendered from the browser's own fonts into a canvas — an image
 * data set that needs no download. Used by the Diffusion lab's image mode and the BatchNorm lab's image
 * task. DOM code (canvas text), so it lives in src/ui; the engines get the resulting Float32Array.
 *
 * Each image is fitted MNIST-style: the glyph's ink box (from measureText) is scaled to fit a box of
 * FIT·size pixels, keeping its aspect ratio, and centred. With `jitter` a seeded generator adds a small
 * rotation, scale, shear, aspect change, shift and stroke weight per image, so images of one class differ.
 * Fonts: the generic families serif, sans-serif and monospace plus any of NAMED_FONTS the browser has
 * (a named font whose pixels equal an earlier font's — e.g. an alias — is dropped). Images cycle through
 * the fonts within a class, so every font appears in every class.
 *
 * Deterministic for a seed within one browser (font rasterisation differs between browsers and systems).
 */

export type GlyphSet = 'digits' | 'letters';

export interface GlyphImages {
  size: number;
  count: number;
  /** count·size·size values, row-major per image, in [-1, 1]; -1 is background, +1 full ink. */
  images: Float32Array;
  /** Class index per image. */
  labels: Int32Array;
  /** Class names, e.g. '0'…'9'. */
  classes: string[];
  /** The font families used (CSS font-family strings). */
  fonts: string[];
}

export interface GlyphOptions {
  set: GlyphSet;
  size: 28 | 32;
  /** Images per class (default 16, at most MAX_PER_CLASS). */
  perClass?: number;
  /** Seed of the font/jitter choices (default 1). */
  seed?: number;
  /** Random small affine changes and stroke weight per image (default true). */
  jitter?: boolean;
}

const GENERIC_FONTS = ['serif', 'sans-serif', 'monospace'] as const;
/** Named fonts used when present (checked by rendering, never downloaded). */
const NAMED_FONTS = [
  'Georgia',
  'Times New Roman',
  'Courier New',
  'Arial',
  'Verdana',
  'Trebuchet MS',
  'DejaVu Sans',
  'DejaVu Serif',
  'DejaVu Sans Mono',
  'Liberation Serif',
  'Liberation Sans',
  'Liberation Mono',
  'Noto Sans',
  'Noto Serif',
] as const;
const MAX_FONTS = 8;
const MAX_PER_CLASS = 2000;
/** The ink box fits in FIT·size pixels (MNIST: 20 of 28). */
const FIT = 0.72;

const DIGITS = '0123456789'.split('');
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

function glyphClasses(set: GlyphSet): string[] {
  return set === 'digits' ? [...DIGITS] : [...LETTERS];
}

type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

function makeCanvas(w: number, h: number): { ctx: Ctx2D } {
  if (typeof OffscreenCanvas !== 'undefined') {
    const c = new OffscreenCanvas(w, h);
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (ctx) return { ctx };
  }
  if (typeof document === 'undefined')
    throw new Error('renderGlyphs needs a canvas (a browser page or worker).');
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('renderGlyphs: this browser gave no 2D canvas context.');
  return { ctx };
}

const rng = (seed: number) => mulberry32(seed ^ 0x9e3779b9);

function cssFamily(f: string): string {
  return (GENERIC_FONTS as readonly string[]).includes(f) ? f : `"${f}"`;
}

let fontCache: string[] | null = null;

/** The fonts renderGlyphs uses in this browser: generic families first, then distinct named fonts present. */
export function availableGlyphFonts(): string[] {
  if (fontCache) return [...fontCache];
  const W = 360;
  const H = 40;
  const { ctx } = makeCanvas(W, H);
  const sample = '0123456789 AGQRSW';
  const signature = (font: string): string => {
    ctx.clearRect(0, 0, W, H);
    ctx.font = font;
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = '#000';
    ctx.fillText(sample, 2, 30);
    const d = ctx.getImageData(0, 0, W, H).data;
    // FNV-1a over the alpha channel.
    let h = 0x811c9dc5;
    for (let i = 3; i < d.length; i += 4) h = Math.imul(h ^ d[i]!, 0x01000193) >>> 0;
    return `${h}:${ctx.measureText(sample).width.toFixed(3)}`;
  };
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of GENERIC_FONTS) {
    const s = signature(`28px ${g}`);
    // Keep every generic family even if two coincide: they are what every browser has.
    seen.add(s);
    out.push(g);
  }
  for (const name of NAMED_FONTS) {
    if (out.length >= MAX_FONTS) break;
    // Present if it renders differently from both fallbacks it would otherwise take.
    const a = signature(`28px "${name}", monospace`);
    const b = signature(`28px "${name}", serif`);
    if (a !== b) continue; // fell back to the generic family: not installed
    if (seen.has(a)) continue; // an alias of a font already used
    seen.add(a);
    out.push(name);
  }
  fontCache = out;
  return [...out];
}

function checkOptions(opts: GlyphOptions): { perClass: number; seed: number; jitter: boolean } {
  if (opts.set !== 'digits' && opts.set !== 'letters') {
    throw new Error(`renderGlyphs: set must be 'digits' or 'letters', not ${JSON.stringify(opts.set)}.`);
  }
  if (opts.size !== 28 && opts.size !== 32) {
    throw new Error(`renderGlyphs: size must be 28 or 32, not ${String(opts.size)}.`);
  }
  const perClass = opts.perClass ?? 16;
  if (!Number.isInteger(perClass) || perClass < 1 || perClass > MAX_PER_CLASS) {
    throw new Error(`renderGlyphs: perClass must be an integer from 1 to ${MAX_PER_CLASS}, not ${perClass}.`);
  }
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`renderGlyphs: seed must be an integer from 0 to 2^32 − 1, not ${seed}.`);
  }
  return { perClass, seed, jitter: opts.jitter ?? true };
}

/**
 * Renders perClass images of every class. Image i has class i mod classes.length (classes interleaved, so
 * the first classes.length images show one of each); within a class, images cycle through the fonts.
 */
export function renderGlyphs(opts: GlyphOptions): GlyphImages {
  const { perClass, seed, jitter } = checkOptions(opts);
  const size = opts.size;
  const classes = glyphClasses(opts.set);
  const fonts = availableGlyphFonts();
  const k = classes.length;
  const count = k * perClass;
  const images = new Float32Array(count * size * size);
  const labels = new Int32Array(count);
  const rand = rng(seed);
  const fontPx = 64; // measured at this size, then scaled by the transform
  // Draw in chunks of an atlas (one getImageData per chunk).
  const cols = 32;
  const chunk = cols * 32;
  const { ctx } = makeCanvas(cols * size, (chunk / cols) * size);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, cols * size, (chunk / cols) * size);
    for (let j = 0; j < n; j++) {
      const i = start + j;
      const cls = i % k;
      const within = Math.floor(i / k);
      labels[i] = cls;
      const font = fonts[within % fonts.length]!;
      const ch = classes[cls]!;
      // Random draws happen whether or not jitter is on, so one seed gives the same fonts either way.
      const r = [rand(), rand(), rand(), rand(), rand(), rand(), rand()] as const;
      const rot = jitter ? ((r[0] - 0.5) * 2 * (12 * Math.PI)) / 180 : 0;
      const scale = jitter ? 0.82 + 0.22 * r[1] : 1;
      const shear = jitter ? (r[2] - 0.5) * 0.3 : 0;
      const aspect = jitter ? 0.85 + 0.3 * r[3] : 1;
      const dx = jitter ? (r[4] - 0.5) * 0.12 * size : 0;
      const dy = jitter ? (r[5] - 0.5) * 0.12 * size : 0;
      const weight = jitter ? r[6] * 0.06 * size : 0; // extra stroke width in output pixels
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.font = `${fontPx}px ${cssFamily(font)}`;
      const m = ctx.measureText(ch);
      const inkW = Math.max(1, m.actualBoundingBoxLeft + m.actualBoundingBoxRight);
      const inkH = Math.max(1, m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
      const fit = (FIT * size) / Math.max(inkW * aspect, inkH);
      const sx = fit * scale * aspect;
      const sy = fit * scale;
      // Centre of the ink box in font units, relative to the text origin.
      const cx = (m.actualBoundingBoxRight - m.actualBoundingBoxLeft) / 2;
      const cy = (m.actualBoundingBoxDescent - m.actualBoundingBoxAscent) / 2;
      const ox = (j % cols) * size;
      const oy = Math.floor(j / cols) * size;
      ctx.save();
      ctx.beginPath();
      ctx.rect(ox, oy, size, size);
      ctx.clip();
      // Cell centre + shift, then rotate, shear, scale, and move the ink centre to the origin.
      const cos = Math.cos(rot);
      const sin = Math.sin(rot);
      // M = T(centre) · R(rot) · Shear(shear) · S(sx, sy) · T(−cx, −cy)
      const a = cos * sx;
      const b = sin * sx;
      const c = (cos * shear - sin) * sy;
      const d = (sin * shear + cos) * sy;
      const e = ox + size / 2 + dx - (a * cx + c * cy);
      const f = oy + size / 2 + dy - (b * cx + d * cy);
      ctx.setTransform(a, b, c, d, e, f);
      ctx.fillStyle = '#000';
      ctx.fillText(ch, 0, 0);
      if (weight > 0.05) {
        ctx.lineJoin = 'round';
        ctx.strokeStyle = '#000';
        ctx.lineWidth = weight / Math.sqrt(Math.abs(a * d - b * c));
        ctx.strokeText(ch, 0, 0);
      }
      ctx.restore();
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const rows = Math.ceil(n / cols);
    const px = ctx.getImageData(0, 0, cols * size, rows * size).data;
    const stride = cols * size;
    for (let j = 0; j < n; j++) {
      const ox = (j % cols) * size;
      const oy = Math.floor(j / cols) * size;
      const base = (start + j) * size * size;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const alpha = px[((oy + y) * stride + ox + x) * 4 + 3]!;
          images[base + y * size + x] = (alpha / 255) * 2 - 1;
        }
      }
    }
  }
  return { size, count, images, labels, classes, fonts };
}

/**
 * Average-pools each size×size image by factor×factor blocks (size divisible by factor), e.g. 32 → 16.
 * Returns count·(size/factor)² values.
 */
export function downsampleImages(
  images: Float32Array,
  size: number,
  count: number,
  factor: number,
): Float32Array {
  if (!Number.isInteger(factor) || factor < 1 || size % factor !== 0) {
    throw new Error(`downsampleImages: factor ${factor} must be a positive integer dividing size ${size}.`);
  }
  if (images.length !== count * size * size) {
    throw new Error(
      `downsampleImages: expected ${count}·${size}² = ${count * size * size} values, got ${images.length}.`,
    );
  }
  const s = size / factor;
  const out = new Float32Array(count * s * s);
  const inv = 1 / (factor * factor);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        let acc = 0;
        for (let v = 0; v < factor; v++) {
          const row = i * size * size + (y * factor + v) * size + x * factor;
          for (let u = 0; u < factor; u++) acc += images[row + u]!;
        }
        out[i * s * s + y * s + x] = acc * inv;
      }
    }
  }
  return out;
}

const glyphCache = new Map<string, GlyphImages>();
const GLYPH_CACHE_SIZE = 8;

/**
 * renderGlyphs, cached per option set (rendering thousands of glyphs takes a moment): the one glyph data-set
 * cache of the app. The newest GLYPH_CACHE_SIZE sets are kept; callers must not modify the arrays.
 */
export function cachedGlyphs(opts: GlyphOptions): GlyphImages {
  const key = JSON.stringify([opts.set, opts.size, opts.perClass, opts.seed, opts.jitter]);
  let g = glyphCache.get(key);
  if (g) {
    glyphCache.delete(key);
  } else {
    g = renderGlyphs(opts);
    if (glyphCache.size >= GLYPH_CACHE_SIZE) glyphCache.delete(glyphCache.keys().next().value!);
  }
  glyphCache.set(key, g);
  return g;
}
