/**
 * renderGlyphs in real Chromium: the browser's own fonts rasterised into a canvas. Checks the shapes and
 * value range of the contract, determinism for a seed, that classes differ (mean '1' vs mean '8'), that
 * jitter varies images within a class, and clear errors for bad options.
 */
import { describe, expect, it } from 'vitest';
import { availableGlyphFonts, downsampleImages, renderGlyphs } from '../../src/ui/common/glyphs';

function meanImage(images: Float32Array, labels: Int32Array, cls: number, px: number): Float64Array {
  const m = new Float64Array(px);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== cls) continue;
    n++;
    for (let p = 0; p < px; p++) m[p]! += images[i * px + p]!;
  }
  for (let p = 0; p < px; p++) m[p]! /= n;
  return m;
}

function rms(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

describe('renderGlyphs', () => {
  it('returns count·size² values in [-1, 1] with labels, classes and fonts as the contract says', () => {
    const g = renderGlyphs({ set: 'digits', size: 28, perClass: 6, seed: 3 });
    expect(g.size).toBe(28);
    expect(g.count).toBe(60);
    expect(g.images).toBeInstanceOf(Float32Array);
    expect(g.images.length).toBe(60 * 28 * 28);
    expect(g.labels).toBeInstanceOf(Int32Array);
    expect(g.labels.length).toBe(60);
    expect(g.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(g.fonts.slice(0, 3)).toEqual(['serif', 'sans-serif', 'monospace']);
    expect(g.fonts.length).toBeGreaterThanOrEqual(3);
    // Classes interleaved: image i is class i mod 10; every class has perClass images.
    for (let i = 0; i < g.count; i++) expect(g.labels[i]).toBe(i % 10);
    let min = Infinity;
    let max = -Infinity;
    for (const v of g.images) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(-1); // background
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9); // full ink somewhere
    // Every image has ink, mostly background, and the ink is inside the frame (corners are background).
    for (let i = 0; i < g.count; i++) {
      const img = g.images.subarray(i * 784, (i + 1) * 784);
      const ink = img.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
      expect(ink, `image ${i}`).toBeGreaterThan(20);
      expect(ink, `image ${i}`).toBeLessThan(784 / 2);
      expect(img[0]).toBe(-1);
      expect(img[27]).toBe(-1);
      expect(img[783]).toBe(-1);
    }
    const letters = renderGlyphs({ set: 'letters', size: 32, perClass: 1 });
    expect(letters.classes).toHaveLength(26);
    expect(letters.classes[0]).toBe('A');
    expect(letters.images.length).toBe(26 * 32 * 32);
  });

  it('is deterministic for a seed, and another seed gives other images', () => {
    const a = renderGlyphs({ set: 'digits', size: 28, perClass: 4, seed: 11 });
    const b = renderGlyphs({ set: 'digits', size: 28, perClass: 4, seed: 11 });
    expect(b.images).toEqual(a.images);
    expect(b.labels).toEqual(a.labels);
    const c = renderGlyphs({ set: 'digits', size: 28, perClass: 4, seed: 12 });
    expect(rms(c.images, a.images)).toBeGreaterThan(0.05);
  });

  it("distinguishes classes: the mean '1' and mean '8' differ far more than two halves of the '8's", () => {
    const g = renderGlyphs({ set: 'digits', size: 28, perClass: 24, seed: 5 });
    const px = 28 * 28;
    const one = meanImage(g.images, g.labels, 1, px);
    const eight = meanImage(g.images, g.labels, 8, px);
    // Two disjoint halves of the 8s (different seeds) as a within-class baseline.
    const h = renderGlyphs({ set: 'digits', size: 28, perClass: 24, seed: 6 });
    const eight2 = meanImage(h.images, h.labels, 8, px);
    const between = rms(one, eight);
    const within = rms(eight, eight2);
    expect(between).toBeGreaterThan(0.3);
    expect(between).toBeGreaterThan(3 * within);
    // An '8' has more ink than a '1'.
    const ink = (m: Float64Array) => m.reduce((s, v) => s + (v + 1) / 2, 0);
    expect(ink(eight)).toBeGreaterThan(1.15 * ink(one));
  });

  it('jitter varies images of one class and font; without jitter the same class and font repeat exactly', () => {
    const fonts = availableGlyphFonts().length;
    const perClass = 2 * fonts; // each font twice per class
    const px = 28 * 28;
    const img = (g: { images: Float32Array }, i: number) => g.images.subarray(i * px, (i + 1) * px);
    const plain = renderGlyphs({ set: 'digits', size: 28, perClass, seed: 2, jitter: false });
    const jit = renderGlyphs({ set: 'digits', size: 28, perClass, seed: 2, jitter: true });
    // Image i and i + 10·fonts are the same class drawn in the same font.
    for (const cls of [0, 3, 7]) {
      expect(img(plain, cls + 10 * fonts)).toEqual(img(plain, cls));
      expect(rms(img(jit, cls + 10 * fonts), img(jit, cls))).toBeGreaterThan(0.1);
    }
    // Different fonts give different images even without jitter (when the browser has more than one).
    expect(rms(img(plain, 10), img(plain, 0))).toBeGreaterThan(0.05);
  });

  it('rejects bad options with a clear message', () => {
    // @ts-expect-error size must be 28 or 32
    expect(() => renderGlyphs({ set: 'digits', size: 20 })).toThrow(/size must be 28 or 32/);
    // @ts-expect-error unknown set
    expect(() => renderGlyphs({ set: 'greek', size: 28 })).toThrow(/set must be 'digits' or 'letters'/);
    expect(() => renderGlyphs({ set: 'digits', size: 28, perClass: 0 })).toThrow(/perClass/);
    expect(() => renderGlyphs({ set: 'digits', size: 28, seed: -1 })).toThrow(/seed/);
  });

  it('downsampleImages averages blocks (32 → 16)', () => {
    const img = new Float32Array(2 * 4 * 4).map((_, i) => i);
    const out = downsampleImages(img, 4, 2, 2);
    expect([...out]).toEqual([2.5, 4.5, 10.5, 12.5, 18.5, 20.5, 26.5, 28.5]);
    expect(() => downsampleImages(img, 4, 2, 3)).toThrow(/dividing size/);
  });
});
