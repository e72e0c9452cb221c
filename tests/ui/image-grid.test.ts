/** renderImageGrid in real Chromium: the canvas pixels read back are the colours of the known input. */
import { describe, expect, it } from 'vitest';
import { GRID_GAP, imageGridColor, imageGridLayout, renderImageGrid } from '../../src/charts/image-grid';

function pixel(c: HTMLCanvasElement, x: number, y: number): number[] {
  return [...c.getContext('2d')!.getImageData(x, y, 1, 1).data];
}

describe('renderImageGrid', () => {
  it('draws 3 images of 2×2 in 2 columns at scale 4: every block its grey, gaps transparent', () => {
    const c = document.createElement('canvas');
    document.body.append(c);
    // Image n pixel p = values below; -1 → black, 1 → white, 0 → mid grey, out of range clamped.
    const values = new Float32Array([-1, 1, 0, 0.5, 1, -1, -3, 3, 0, 0, 0, 0]);
    renderImageGrid(c, values, { size: 2, count: 3, columns: 2, scale: 4 });
    const pitch = 2 * 4 + GRID_GAP;
    expect(c.width).toBe(2 * pitch - GRID_GAP);
    expect(c.height).toBe(2 * pitch - GRID_GAP);
    expect(c.style.imageRendering).toBe('pixelated');
    const grey = (v: number) => Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255);
    for (let n = 0; n < 3; n++) {
      for (let p = 0; p < 4; p++) {
        const ox = (n % 2) * pitch + (p % 2) * 4;
        const oy = Math.floor(n / 2) * pitch + Math.floor(p / 2) * 4;
        const g = grey(values[n * 4 + p]!);
        // All four corners of the 4×4 block.
        for (const [dx, dy] of [
          [0, 0],
          [3, 0],
          [0, 3],
          [3, 3],
        ] as const) {
          expect(pixel(c, ox + dx, oy + dy), `image ${n} pixel ${p}`).toEqual([g, g, g, 255]);
        }
      }
    }
    expect(grey(-1)).toBe(0);
    expect(grey(1)).toBe(255);
    // The gap between images and the empty 4th cell are transparent.
    expect(pixel(c, 8, 0)[3]).toBe(0);
    expect(pixel(c, 0, 8)[3]).toBe(0);
    expect(pixel(c, pitch + 1, pitch + 1)[3]).toBe(0);
    c.remove();
  });

  it('diverging colours: low blue, middle near white, high red; custom range; NaN magenta', () => {
    const c = document.createElement('canvas');
    const values = new Float32Array([0, 5, 10, NaN]);
    renderImageGrid(c, values, { size: 1, count: 4, scale: 1, range: [0, 10], colors: 'diverging' });
    const at = (n: number) => pixel(c, n * (1 + GRID_GAP), 0);
    const [low, mid, high, nan] = [at(0), at(1), at(2), at(3)];
    expect(low[2]!).toBeGreaterThan(low[0]! + 50);
    expect(high[0]!).toBeGreaterThan(high[2]! + 50);
    expect(Math.min(mid[0]!, mid[1]!, mid[2]!)).toBeGreaterThan(220);
    expect(nan.slice(0, 3)).toEqual([255, 0, 255]);
    expect(low.slice(0, 3)).toEqual(imageGridColor(0, [0, 10], 'diverging'));
  });

  it('defaults to min(count, 10) columns and rejects inputs that are too short', () => {
    const L = imageGridLayout(new Float32Array(25 * 4), { size: 2, count: 25 });
    expect(L.columns).toBe(10);
    expect(L.rows).toBe(3);
    const c = document.createElement('canvas');
    expect(() => renderImageGrid(c, new Float32Array(7), { size: 2, count: 2 })).toThrow(
      /need 8 values; got 7/,
    );
    expect(() => renderImageGrid(c, new Float32Array(8), { size: 2, count: 2, range: [1, 1] })).toThrow(
      /increasing/,
    );
  });
});
