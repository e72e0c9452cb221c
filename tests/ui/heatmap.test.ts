/**
 * The heatmap render function in real Chromium: it draws the colours the scale says at the cells' pixels
 * (read back from the canvas), masked cells in the masked colour, labels where the layout says, and the
 * SVG export mirrors the canvas.
 */
import { describe, expect, it } from 'vitest';
import * as d3 from 'd3';
import {
  MASKED_COLOR,
  heatmapCellAt,
  heatmapColor,
  heatmapSvg,
  labelIndices,
  renderHeatmap,
  renderHeatmapLegend,
} from '../../src/charts/heatmap';
import { MASKED_SENTINEL } from '../../src/kernels/attention/spec';

function canvas(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  document.body.append(c);
  return c;
}

function pixel(c: HTMLCanvasElement, x: number, y: number): [number, number, number, number] {
  const d = c.getContext('2d')!.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
  return [d[0]!, d[1]!, d[2]!, d[3]!];
}

function rgbOf(css: string): [number, number, number] {
  const c = d3.rgb(css);
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

describe('renderHeatmap', () => {
  it('draws each cell of a 2×3 matrix in its viridis colour and masked cells in grey', () => {
    const c = canvas();
    const values = [0, 0.5, 1, 0.25, MASKED_SENTINEL, 0.75];
    const layout = renderHeatmap(
      c,
      { rows: 2, cols: 3, values },
      {
        width: 120,
        height: 80,
        scale: { kind: 'sequential', min: 0, max: 1 },
        dpr: 1,
        background: '#ffffff',
      },
    );
    expect(c.width).toBe(120);
    expect(c.height).toBe(80);
    // Square cells: limited by the height (80 − margins over 2 rows) and the width (120 − margins over 3).
    expect(layout.cellW).toBe(layout.cellH);
    expect(layout.rowLabelsDrawn).toEqual([]);
    for (let r = 0; r < 2; r++) {
      for (let col = 0; col < 3; col++) {
        const x = layout.plot.x + (col + 0.5) * layout.cellW;
        const y = layout.plot.y + (r + 0.5) * layout.cellH;
        const v = values[r * 3 + col]!;
        const want =
          v === MASKED_SENTINEL
            ? rgbOf(MASKED_COLOR)
            : heatmapColor({ kind: 'sequential', min: 0, max: 1 }, v);
        const got = pixel(c, x, y);
        expect(got.slice(0, 3), `cell ${r},${col}`).toEqual(want);
        expect(got[3]).toBe(255);
        expect(heatmapCellAt(layout, x, y)).toEqual({ row: r, col });
      }
    }
    // The ends of the scale are viridis' ends (within the 256-entry table's rounding).
    expect(heatmapColor({ kind: 'sequential', min: 0, max: 1 }, 0)).toEqual(rgbOf(d3.interpolateViridis(0)));
    expect(heatmapColor({ kind: 'sequential', min: 0, max: 1 }, 1)).toEqual(rgbOf(d3.interpolateViridis(1)));
    // Outside the plot: background, and no cell.
    expect(pixel(c, 119, 79).slice(0, 3)).toEqual([255, 255, 255]);
    expect(heatmapCellAt(layout, 0, 0)).toBeNull();
    c.remove();
  });

  it('uses the diverging scale symmetrically: −max blue, 0 near white, +max red', () => {
    const c = canvas();
    const layout = renderHeatmap(
      c,
      { rows: 1, cols: 3, values: [-2, 0, 2] },
      { width: 90, height: 30, scale: { kind: 'diverging', max: 2 }, dpr: 1 },
    );
    const at = (col: number) =>
      pixel(c, layout.plot.x + (col + 0.5) * layout.cellW, layout.plot.y + 0.5 * layout.cellH);
    const [neg, zero, pos] = [at(0), at(1), at(2)];
    expect(neg[2]).toBeGreaterThan(neg[0]); // blue
    expect(pos[0]).toBeGreaterThan(pos[2]); // red
    expect(Math.min(zero[0], zero[1], zero[2])).toBeGreaterThan(220); // near white
    c.remove();
  });

  it('draws token labels on both axes (every label when cells are large enough), and text pixels appear', () => {
    const c = canvas();
    const tokens = ['the', 'cat', 'sat', 'down'];
    const values = Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const layout = renderHeatmap(
      c,
      { rows: 4, cols: 4, values, rowLabels: tokens, colLabels: tokens },
      {
        width: 200,
        height: 200,
        scale: { kind: 'sequential', min: 0, max: 1 },
        dpr: 1,
        background: '#ffffff',
        textColor: '#000000',
        xLabel: 'keys →',
        yLabel: 'queries ↓',
      },
    );
    expect(layout.rowLabelsDrawn).toEqual([0, 1, 2, 3]);
    expect(layout.colLabelsDrawn).toEqual([0, 1, 2, 3]);
    // Labels take room on the left and on top.
    expect(layout.plot.x).toBeGreaterThan(20);
    expect(layout.plot.y).toBeGreaterThan(20);
    // Some dark text pixels left of the plot in the first row's band, and above the plot in the first column.
    const ctx = c.getContext('2d')!;
    const darkIn = (x: number, y: number, w: number, h: number) => {
      const d = ctx.getImageData(
        Math.floor(x),
        Math.floor(y),
        Math.max(1, Math.floor(w)),
        Math.max(1, Math.floor(h)),
      ).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 100 && d[i + 1]! < 100 && d[i + 2]! < 100) n++;
      return n;
    };
    expect(darkIn(0, layout.plot.y, layout.plot.x - 2, layout.cellH)).toBeGreaterThan(5);
    expect(darkIn(layout.plot.x, 0, layout.cellW, layout.plot.y - 2)).toBeGreaterThan(5);
    c.remove();
  });

  it('thins labels when cells are smaller than the font', () => {
    const c = canvas();
    const n = 64;
    const labels = Array.from({ length: n }, (_, i) => `t${i}`);
    const layout = renderHeatmap(
      c,
      { rows: n, cols: n, values: new Float32Array(n * n), rowLabels: labels, colLabels: labels },
      { width: 200, height: 200, scale: { kind: 'sequential', min: 0, max: 1 }, dpr: 1 },
    );
    expect(layout.rowLabelsDrawn.length).toBeLessThan(n);
    expect(layout.rowLabelsDrawn[0]).toBe(0);
    const step = layout.rowLabelsDrawn[1]! - layout.rowLabelsDrawn[0]!;
    expect(step * layout.cellH).toBeGreaterThanOrEqual(12);
    c.remove();
  });

  it('thins crowded column labels to a 1-2-5 step (an output heatmap of d = 16 dims in a narrow panel)', () => {
    const c = canvas();
    const labels = Array.from({ length: 16 }, (_, j) => String(j));
    const layout = renderHeatmap(
      c,
      { rows: 11, cols: 16, values: new Float32Array(11 * 16), colLabels: labels },
      {
        width: 150,
        height: 150,
        square: false,
        fontSize: 10,
        scale: { kind: 'diverging', max: 1 },
        dpr: 1,
      },
    );
    // About 9 px per column: rotated 10 px labels need 15 px, so every second one is drawn.
    expect(layout.cellW).toBeLessThan(15);
    expect(layout.colLabelsDrawn).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    for (const [cell, need, step] of [
      [10, 15, 2],
      [4, 15, 5],
      [2, 15, 10],
      [0.5, 15, 50],
      [20, 15, 1],
    ] as const) {
      const drawn = labelIndices(100, cell, need);
      expect(drawn[1]! - drawn[0]!, `cell ${cell}`).toBe(step);
    }
    c.remove();
  });

  it('exports SVG with one rect per cell for small matrices and an embedded image for large ones', () => {
    const small = heatmapSvg(
      {
        rows: 2,
        cols: 2,
        values: [0, 1, 0.5, MASKED_SENTINEL],
        rowLabels: ['a', 'b'],
        colLabels: ['a', 'b'],
      },
      { width: 120, height: 120, scale: { kind: 'sequential', min: 0, max: 1 }, title: 'w' },
    );
    const doc = new DOMParser().parseFromString(small, 'image/svg+xml');
    expect(doc.querySelector('parsererror')).toBeNull();
    expect(doc.querySelectorAll('g.cells rect')).toHaveLength(4);
    expect(doc.querySelectorAll('text').length).toBeGreaterThanOrEqual(5);
    const big = heatmapSvg(
      { rows: 100, cols: 100, values: new Float32Array(10000) },
      { width: 200, height: 200, scale: { kind: 'sequential', min: 0, max: 1 } },
    );
    const bigDoc = new DOMParser().parseFromString(big, 'image/svg+xml');
    expect(bigDoc.querySelectorAll('rect')).toHaveLength(0);
    expect(bigDoc.querySelector('image.cells')?.getAttribute('href')).toMatch(/^data:image\/png;base64,/);
  });

  it('the legend names both scales and the masked colour', () => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    document.body.append(svg);
    renderHeatmapLegend(svg, { width: 700, divergingMax: [['QKᵀ', 12.5]] });
    const text = svg.textContent ?? '';
    expect(text).toContain('viridis');
    expect(text).toContain('diverging');
    expect(text).toContain('masked');
    expect(text).toContain('QKᵀ 12.5');
    svg.remove();
  });
});
