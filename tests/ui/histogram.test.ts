/** The histogram chart is a pure function of its data: same data → same SVG (snapshot), and the bars are right. */
import { describe, expect, it } from 'vitest';
import { renderHistogram } from '../../src/charts/histogram';

function svg(): SVGSVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  document.body.append(el);
  return el;
}

describe('renderHistogram', () => {
  it('draws one bar per bin with height proportional to density, plus the density curve', () => {
    const el = svg();
    renderHistogram(
      el,
      {
        lo: 0,
        hi: 1,
        counts: [10, 30, 40, 20],
        total: 100,
        density: () => 1,
        densityLabel: 'U[0, 1) density',
      },
      { width: 400, height: 200, title: 'test histogram', xLabel: 'x' },
    );
    const bars = [...el.querySelectorAll('g.bars rect')];
    expect(bars).toHaveLength(4);
    const heights = bars.map((b) => Number(b.getAttribute('height')));
    // densities 0.4, 1.2, 1.6, 0.8: ratios must be preserved exactly by a linear scale from 0.
    expect(heights[1]! / heights[0]!).toBeCloseTo(3, 9);
    expect(heights[2]! / heights[0]!).toBeCloseTo(4, 9);
    expect(el.querySelector('path.density')).not.toBeNull();
    expect(el.getAttribute('aria-label')).toBe('test histogram');
    expect(el.querySelector('.legend')?.textContent).toContain('U[0, 1) density');
    el.remove();
  });

  it('re-rendering replaces the previous drawing and the output is deterministic', () => {
    const el = svg();
    const data = { lo: -5, hi: 5, counts: [1, 2, 3, 4, 3, 2, 1, 0], total: 20 };
    renderHistogram(el, data, { width: 320, height: 160, title: 't' });
    const first = el.outerHTML;
    renderHistogram(el, data, { width: 320, height: 160, title: 't' });
    expect(el.outerHTML).toBe(first);
    expect(el.querySelectorAll('g.bars rect')).toHaveLength(8);
    expect(first).toMatchSnapshot();
    el.remove();
  });

  it('copes with an empty histogram (total 0) without NaN attributes', () => {
    const el = svg();
    renderHistogram(
      el,
      { lo: 0, hi: 1, counts: [0, 0], total: 0 },
      { width: 300, height: 150, title: 'empty' },
    );
    expect(el.outerHTML).not.toContain('NaN');
    el.remove();
  });
});
