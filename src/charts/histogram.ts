/**
 * Histogram with a theoretical density drawn over it. A pure render function: (target, data, options) →
 * drawn SVG; no app state. Colours come from CSS custom properties so themes apply.
 */
import * as d3 from 'd3';
import { msg } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';

export interface HistogramData {
  lo: number;
  hi: number;
  /** Counts of the in-range bins (under/overflow excluded). */
  counts: ArrayLike<number>;
  /** Total number of samples, including those out of range (normalises to a density). */
  total: number;
  /** Theoretical density to overlay, if any. */
  density?: (x: number) => number;
  densityLabel?: string;
}

export interface HistogramOptions {
  width: number;
  height: number;
  title: string;
  xLabel?: string;
}

// The right margin leaves room for half of the last x tick label (centred on the axis end).
const MARGIN = { top: 28, right: 24, bottom: 40, left: 52 };

export function renderHistogram(svgEl: SVGSVGElement, data: HistogramData, options: HistogramOptions): void {
  const { width, height } = options;
  const svg = chartRoot(svgEl, width, height, options.title);

  const bins = data.counts.length;
  const binWidth = (data.hi - data.lo) / bins;
  const densities = Array.from(data.counts, (c) => (data.total > 0 ? c / data.total / binWidth : 0));
  const curve: Array<[number, number]> = [];
  if (data.density) {
    const steps = 400;
    for (let i = 0; i <= steps; i++) {
      const x = data.lo + ((data.hi - data.lo) * i) / steps;
      curve.push([x, data.density(x)]);
    }
  }
  const yMax = Math.max(d3.max(densities) ?? 0, d3.max(curve, (p) => p[1]) ?? 0) * 1.08 || 1;
  const x = d3
    .scaleLinear()
    .domain([data.lo, data.hi])
    .range([MARGIN.left, width - MARGIN.right]);
  const y = d3
    .scaleLinear()
    .domain([0, yMax])
    .nice()
    .range([height - MARGIN.bottom, MARGIN.top]);

  svg
    .append('g')
    .attr('class', 'bars')
    .attr('fill', 'var(--ks-bar, #4c78a8)')
    .selectAll('rect')
    .data(densities)
    .join('rect')
    .attr('x', (_, i) => x(data.lo + i * binWidth))
    .attr('width', (_, i) =>
      Math.max(0, x(data.lo + (i + 1) * binWidth) - x(data.lo + i * binWidth) - (bins <= 128 ? 1 : 0)),
    )
    .attr('y', (d) => y(d))
    .attr('height', (d) => y(0) - y(d));

  if (curve.length) {
    svg
      .append('path')
      .attr('class', 'density')
      .attr('fill', 'none')
      .attr('stroke', 'var(--ks-accent, #e45756)')
      .attr('stroke-width', 2)
      .attr(
        'd',
        d3
          .line<[number, number]>()
          .x((p) => x(p[0]))
          .y((p) => y(p[1]))(curve),
      );
  }

  drawAxes(svg, {
    x: d3.axisBottom(x).ticks(Math.max(2, Math.floor(width / 80))),
    y: d3.axisLeft(y).ticks(5),
    bottom: height - MARGIN.bottom,
    left: MARGIN.left,
  });
  addText(svg, { className: 'y-label', x: MARGIN.left, y: MARGIN.top - 10, size: 12 }, msg('density'));
  if (options.xLabel) {
    const spec = { x: (MARGIN.left + width - MARGIN.right) / 2, y: height - 6, size: 12 };
    addText(svg, { ...spec, className: 'x-label', anchor: 'middle' }, options.xLabel);
  }
  if (data.density && data.densityLabel) {
    const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
    const lx = MARGIN.left + 64;
    const y = MARGIN.top - 9;
    legendEntry(legend, { x: lx, y, color: 'var(--ks-bar, #4c78a8)', label: msg('samples'), swatch: 'box' });
    const density = {
      x: lx + 28 + Math.max(52, labelWidth(msg('samples'))),
      y,
      color: 'var(--ks-accent, #e45756)',
      label: data.densityLabel,
    };
    legendEntry(legend, { ...density, swatch: 'line', strokeWidth: 2 });
  }
}
