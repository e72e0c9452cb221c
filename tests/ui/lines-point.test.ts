/** renderLines marks series that have a single point (step 0 before training), and draws no marker otherwise. */
import { describe, expect, it } from 'vitest';
import { renderLines } from '../../src/charts/lines';

function svg(): SVGSVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  document.body.append(el);
  return el;
}

describe('renderLines single points', () => {
  it('draws a dot for a one-point line and a lo–hi bar plus dot for a one-point band', () => {
    const el = svg();
    renderLines(
      el,
      {
        lines: [{ label: 'a', color: '#1f77b4', x: [0], y: [0.5] }],
        bands: [{ label: 'b', color: '#d62728', x: [0], lo: [-1], mid: [0], hi: [1] }],
      },
      { width: 300, height: 200, title: 'one point' },
    );
    const dots = [...el.querySelectorAll('circle.point')];
    expect(dots.map((d) => d.getAttribute('data-series')).sort()).toEqual(['a', 'b']);
    const bar = el.querySelector('line.point[data-series="b"]')!;
    // The bar spans lo..hi: its top (hi = 1) is above the dot at mid = 0, its bottom below.
    const dotB = el.querySelector('circle.point[data-series="b"]')!;
    const cy = Number(dotB.getAttribute('cy'));
    expect(Number(bar.getAttribute('y2'))).toBeLessThan(cy);
    expect(Number(bar.getAttribute('y1'))).toBeGreaterThan(cy);
    // The single step is centred with one tick, labelled 0.
    const cx = Number(dotB.getAttribute('cx'));
    expect(Math.abs(cx - (52 + (300 - 14)) / 2)).toBeLessThan(1);
    expect([...el.querySelectorAll('g.x-axis .tick text')].map((t) => t.textContent)).toEqual(['0']);
    el.remove();
  });

  it('draws no markers once a series has two points', () => {
    const el = svg();
    renderLines(
      el,
      {
        lines: [{ label: 'a', color: '#1f77b4', x: [0, 1], y: [0.5, 0.4] }],
        bands: [{ label: 'b', color: '#d62728', x: [0, 1], lo: [-1, -1], mid: [0, 0], hi: [1, 1] }],
      },
      { width: 300, height: 200, title: 'two points' },
    );
    expect(el.querySelectorAll('.point')).toHaveLength(0);
    expect(el.querySelector('path.series')!.getAttribute('d')).toMatch(/^M.*L/);
    el.remove();
  });
});
