/**
 * Histograms of per-channel values (e.g. each channel's batch mean before BN, after BN and in the network
 * without BN), overlaid on shared bins: how the channels are spread, where the per-channel bar chart shows
 * which channel is where. A pure render function: (svg, series, options) → drawn.
 *
 * Bins: `bins` equal bins over [min, max] of all finite values and the reference (padded by ±0.5 when all
 * values coincide); a value equal to the top edge goes in the last bin. Each series is drawn as a step
 * outline with a light fill. Structure: `path.hist[data-series]` per series with `data-counts` (the bin
 * counts, comma-separated), `line.reference`, a legend `g.legend`.
 */
import * as d3 from 'd3';
import { msg } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';

export interface HistogramSeries {
  label: string;
  color: string;
  values: ArrayLike<number>;
  dashed?: boolean;
}

export interface ChannelHistogramOptions {
  width: number;
  height: number;
  title: string;
  /** Number of bins (default 20). */
  bins?: number;
  /** A value marked with a dashed vertical line (0 for means, 1 for variances). */
  reference?: number;
  xLabel?: string;
}

export interface HistogramBins {
  lo: number;
  hi: number;
  /** counts[s][b]: values of series s in bin b. */
  counts: number[][];
}

const MARGIN = { top: 28, right: 14, bottom: 32, left: 40 };

/** Shared bins over all series (and the reference); non-finite values are left out. */
export function channelHistogramBins(
  series: readonly Pick<HistogramSeries, 'values'>[],
  bins = 20,
  reference?: number,
): HistogramBins {
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`Histogram bins must be a positive integer, not ${bins}.`);
  const all = series.flatMap((s) => Array.from(s.values).filter(Number.isFinite));
  if (reference !== undefined) all.push(reference);
  let lo = d3.min(all) ?? 0;
  let hi = d3.max(all) ?? 1;
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const w = (hi - lo) / bins;
  const counts = series.map((s) => {
    const c = new Array<number>(bins).fill(0);
    for (const v of Array.from(s.values)) {
      if (!Number.isFinite(v)) continue;
      c[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / w)))]!++;
    }
    return c;
  });
  return { lo, hi, counts };
}

export function renderChannelHistogram(
  svgEl: SVGSVGElement,
  series: HistogramSeries[],
  o: ChannelHistogramOptions,
): HistogramBins {
  const nb = o.bins ?? 20;
  const h = channelHistogramBins(series, nb, o.reference);
  const svg = chartRoot(svgEl, o.width, o.height, o.title);
  const x = d3
    .scaleLinear()
    .domain([h.lo, h.hi])
    .range([MARGIN.left, o.width - MARGIN.right]);
  const maxCount = Math.max(1, ...h.counts.flat());
  const y = d3
    .scaleLinear()
    .domain([0, maxCount])
    .nice()
    .range([o.height - MARGIN.bottom, MARGIN.top]);
  drawAxes(svg, {
    x: d3.axisBottom(x).ticks(Math.max(2, Math.floor(o.width / 80))),
    y: d3.axisLeft(y).ticks(Math.min(5, maxCount), 'd'),
    bottom: o.height - MARGIN.bottom,
    left: MARGIN.left,
  });
  addText(
    svg,
    { x: o.width - MARGIN.right, y: o.height - 4, anchor: 'end', size: 11 },
    o.xLabel ?? msg('value'),
  );
  addText(svg, { x: 4, y: MARGIN.top - 14, size: 11 }, msg('channels'));
  const w = (h.hi - h.lo) / nb;
  series.forEach((s, si) => {
    const c = h.counts[si]!;
    // Step outline: up and across each bin, back to the baseline at the end.
    const pts: [number, number][] = [[x(h.lo), y(0)]];
    c.forEach((n, b) => {
      pts.push([x(h.lo + b * w), y(n)]);
      pts.push([x(h.lo + (b + 1) * w), y(n)]);
    });
    pts.push([x(h.hi), y(0)]);
    svg
      .append('path')
      .attr('class', 'hist')
      .attr('data-series', s.label)
      .attr('data-counts', c.join(','))
      .attr('d', d3.line()(pts))
      .attr('fill', s.color)
      .attr('fill-opacity', 0.15)
      .attr('stroke', s.color)
      .attr('stroke-width', 1.75)
      .attr('stroke-dasharray', s.dashed ? '5 3' : null);
  });
  if (o.reference !== undefined) {
    svg
      .append('line')
      .attr('class', 'reference')
      .attr('x1', x(o.reference))
      .attr('x2', x(o.reference))
      .attr('y1', MARGIN.top)
      .attr('y2', o.height - MARGIN.bottom)
      .attr('stroke', 'currentColor')
      .attr('stroke-opacity', 0.5)
      .attr('stroke-dasharray', '4 3');
  }
  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  let lx = MARGIN.left + 30; // after the "channels" axis label
  for (const s of series) {
    legendEntry(legend, { x: lx, y: 14, color: s.color, label: s.label, swatch: 'box' });
    lx += 28 + labelWidth(s.label);
  }
  return h;
}
