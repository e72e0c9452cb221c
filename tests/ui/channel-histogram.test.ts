/** Per-channel histograms: shared bins, counts per series, edge cases, and the drawn outlines. */
import { describe, expect, it } from 'vitest';
import { channelHistogramBins, renderChannelHistogram } from '../../src/charts/channel-histogram';

describe('channelHistogramBins', () => {
  it('bins every series on shared bins over the joint range (top edge in the last bin)', () => {
    const h = channelHistogramBins([{ values: [0, 0.5, 1, 1.5, 2] }, { values: [1, 1, 1, NaN] }], 4);
    expect([h.lo, h.hi]).toEqual([0, 2]);
    expect(h.counts).toEqual([
      [1, 1, 1, 2],
      [0, 0, 3, 0],
    ]);
  });

  it('includes the reference in the range and pads a degenerate range', () => {
    expect(channelHistogramBins([{ values: [2, 3] }], 2, 0)).toMatchObject({
      lo: 0,
      hi: 3,
      counts: [[0, 2]],
    });
    expect(channelHistogramBins([{ values: [1, 1, 1] }], 2)).toEqual({ lo: 0.5, hi: 1.5, counts: [[0, 3]] });
    expect(() => channelHistogramBins([], 0)).toThrow(/positive integer/);
  });
});

describe('renderChannelHistogram', () => {
  it('draws one outlined histogram per series, the reference line and the legend', () => {
    const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    document.body.append(el);
    const h = renderChannelHistogram(
      el,
      [
        { label: 'before BN', color: '#ff7f0e', values: [-0.4, -0.1, 0.2, 0.3] },
        { label: 'after BN (x̂)', color: '#1f77b4', values: [0, 0, 0, 0] },
      ],
      { width: 400, height: 200, title: 'means', bins: 8, reference: 0 },
    );
    const paths = [...el.querySelectorAll('path.hist')];
    expect(paths.map((p) => p.getAttribute('data-series'))).toEqual(['before BN', 'after BN (x̂)']);
    expect(paths.map((p) => p.getAttribute('data-counts'))).toEqual(h.counts.map((c) => c.join(',')));
    // All four post-BN means fall in the bin holding 0.
    expect(h.counts[1]!.reduce((a, b) => a + b, 0)).toBe(4);
    expect(Math.max(...h.counts[1]!)).toBe(4);
    expect(el.querySelector('line.reference')).not.toBeNull();
    expect(el.querySelector('g.legend')!.textContent).toContain('after BN (x̂)');
    expect(el.getAttribute('aria-label')).toBe('means');
    el.remove();
  });
});
