/** The schedule plot is a pure function of its data: one path per (quantity, schedule), ᾱ drawn monotone, the
 *  current t marked on every panel. */
import { describe, expect, it } from 'vitest';
import { SCHEDULE_QUANTITIES, renderSchedulePlot } from '../../src/charts/schedule-plot';
import { SCHEDULE_KINDS, makeSchedule } from '../../src/models/schedules';

function svg(): SVGSVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  document.body.append(el);
  return el;
}

/** The (x, y) vertices of an SVG path made of M/L commands (d3.line's output for a linear curve). */
function vertices(d: string): Array<[number, number]> {
  return [...d.matchAll(/[ML]\s*(-?[\d.e+-]+)[ ,](-?[\d.e+-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

describe('renderSchedulePlot', () => {
  const T = 100;
  const series = SCHEDULE_KINDS.map((kind) => {
    const s = makeSchedule({ kind, T });
    return { label: kind, beta: s.beta, alphaBar: s.alphaBar, highlight: kind === 'cosine' };
  });

  it('draws one path per quantity and schedule, ᾱ decreasing, and marks the current t', () => {
    const el = svg();
    renderSchedulePlot(el, { T, series, t: 40 }, { width: 900, title: 'schedules' });
    const panels = [...el.querySelectorAll('g.panel')];
    expect(panels.map((p) => p.getAttribute('data-quantity'))).toEqual([...SCHEDULE_QUANTITIES]);
    expect(el.querySelectorAll('path.series')).toHaveLength(
      SCHEDULE_QUANTITIES.length * SCHEDULE_KINDS.length,
    );
    expect(el.querySelectorAll('path.series.highlight')).toHaveLength(SCHEDULE_QUANTITIES.length);

    // ᾱ_t of every schedule is decreasing in t: x increases and SVG y (down) never decreases.
    const alphaPanel = el.querySelector('g.panel[data-quantity="alphaBar"]')!;
    for (const path of alphaPanel.querySelectorAll('path.series')) {
      const pts = vertices(path.getAttribute('d')!);
      expect(pts).toHaveLength(T);
      for (let i = 1; i < pts.length; i++) {
        expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
        expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1] - 1e-9);
      }
    }

    // The marker sits on the highlighted ᾱ curve at t = 40 (the 40th vertex; d3 rounds paths to 0.001 px).
    const marker = alphaPanel.querySelector('circle.marker')!;
    const rule = alphaPanel.querySelector('line.current-t')!;
    const highlighted = vertices(alphaPanel.querySelector('path.series.highlight')!.getAttribute('d')!);
    expect(Number(marker.getAttribute('cx'))).toBeCloseTo(highlighted[39]![0], 2);
    expect(Number(marker.getAttribute('cy'))).toBeCloseTo(highlighted[39]![1], 2);
    expect(Number(rule.getAttribute('x1'))).toBeCloseTo(highlighted[39]![0], 2);
    expect(el.querySelectorAll('circle.marker')).toHaveLength(SCHEDULE_QUANTITIES.length);
    expect(el.querySelector('.legend')?.textContent).toContain('cosine');
    expect(el.outerHTML).not.toContain('NaN');
    el.remove();
  });

  it('marks nothing at t = 0, clips infinite log-SNR (zero terminal SNR) and re-renders deterministically', () => {
    const el = svg();
    const z = makeSchedule({ kind: 'linear', T: 50, zeroTerminalSnr: true });
    const data = {
      T: 50,
      series: [{ label: 'linear', beta: z.beta, alphaBar: z.alphaBar, highlight: true }],
      t: 0,
    };
    renderSchedulePlot(el, data, { width: 600, title: 't' });
    const first = el.outerHTML;
    expect(el.querySelectorAll('circle.marker')).toHaveLength(0);
    expect(el.querySelectorAll('line.current-t')).toHaveLength(0);
    expect(first).not.toContain('NaN');
    expect(first).not.toContain('Infinity');
    renderSchedulePlot(el, data, { width: 600, title: 't' });
    expect(el.outerHTML).toBe(first);
    el.remove();
  });
});
