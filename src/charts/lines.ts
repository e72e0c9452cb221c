/**
 * Line chart over training steps: several series (lines) and optional shaded bands (lo…hi with a middle
 * line), e.g. loss curves or the 15th/50th/85th percentiles of a unit's input (Ioffe & Szegedy 2015,
 * Fig. 1). A pure render function: (svg, data, options) → drawn; no app state.
 *
 * Structure: `path.series[data-series]` per line, `path.band[data-series]` per band, a legend `g.legend`.
 */
import * as d3 from 'd3';
import { msg } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';

export interface LineSeries {
  label: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
}

export interface BandSeries {
  label: string;
  color: string;
  x: ArrayLike<number>;
  lo: ArrayLike<number>;
  mid: ArrayLike<number>;
  hi: ArrayLike<number>;
}

export interface LinesOptions {
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Fixed y domain; otherwise from the finite data. */
  yDomain?: [number, number];
  logY?: boolean;
}

const MARGIN = { top: 28, right: 14, bottom: 32, left: 52 };

export function renderLines(
  svgEl: SVGSVGElement,
  data: { lines?: LineSeries[]; bands?: BandSeries[] },
  o: LinesOptions,
): void {
  const lines = data.lines ?? [];
  const bands = data.bands ?? [];
  const svg = chartRoot(svgEl, o.width, o.height, o.title);
  const xs: number[] = [];
  const ys: number[] = [];
  const finite = (v: number) => Number.isFinite(v) && (!o.logY || v > 0);
  for (const s of lines) {
    Array.from(s.x).forEach((v) => xs.push(v));
    Array.from(s.y).forEach((v) => finite(v) && ys.push(v));
  }
  for (const b of bands) {
    Array.from(b.x).forEach((v) => xs.push(v));
    for (const arr of [b.lo, b.hi]) Array.from(arr).forEach((v) => finite(v) && ys.push(v));
  }
  // A single x (e.g. step 0 before training): centre it, with one tick, instead of a [0, 1] axis.
  const single = xs.length > 0 && xs.every((v) => v === xs[0]) ? xs[0]! : null;
  const xMax = single !== null ? single + 0.5 : Math.max(1, d3.max(xs) ?? 1);
  const xMin = single !== null ? single - 0.5 : Math.min(xMax - 1, d3.min(xs) ?? 0);
  let [lo, hi] = o.yDomain ?? [d3.min(ys) ?? 0, d3.max(ys) ?? 1];
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const x = d3
    .scaleLinear()
    .domain([xMin, xMax])
    .range([MARGIN.left, o.width - MARGIN.right]);
  const y = (o.logY ? d3.scaleLog() : d3.scaleLinear())
    .domain([lo, hi])
    .nice()
    .range([o.height - MARGIN.bottom, MARGIN.top])
    .clamp(true);
  drawAxes(svg, {
    x:
      single !== null
        ? d3.axisBottom(x).tickValues([single]).tickFormat(d3.format('~g'))
        : d3.axisBottom(x).ticks(Math.max(2, Math.floor(o.width / 80))),
    y: d3.axisLeft(y).ticks(5, o.logY ? '~g' : undefined),
    bottom: o.height - MARGIN.bottom,
    left: MARGIN.left,
  });
  if (o.xLabel) xLabel(svg, o, o.xLabel);
  if (o.yLabel) yLabel(svg, o.yLabel);
  const ok = (v: number) => finite(v);
  for (const b of bands) {
    const idx = d3.range(b.x.length).filter((i) => ok(b.lo[i]!) && ok(b.hi[i]!));
    const area = d3
      .area<number>()
      .x((i) => x(b.x[i]!))
      .y0((i) => y(b.lo[i]!))
      .y1((i) => y(b.hi[i]!));
    svg
      .append('path')
      .attr('class', 'band')
      .attr('data-series', b.label)
      .attr('fill', b.color)
      .attr('fill-opacity', 0.22)
      .attr('d', area(idx));
    const mid = d3
      .line<number>()
      .x((i) => x(b.x[i]!))
      .y((i) => y(b.mid[i]!));
    svg
      .append('path')
      .attr('class', 'band-mid')
      .attr('data-series', b.label)
      .attr('fill', 'none')
      .attr('stroke', b.color)
      .attr('stroke-width', 1.5)
      .attr('d', mid(idx.filter((i) => ok(b.mid[i]!))));
    if (idx.length === 1) {
      // A single step: the band is a vertical bar from lo to hi with a dot at the middle.
      const i = idx[0]!;
      svg
        .append('line')
        .attr('class', 'point')
        .attr('data-series', b.label)
        .attr('x1', x(b.x[i]!))
        .attr('x2', x(b.x[i]!))
        .attr('y1', y(b.lo[i]!))
        .attr('y2', y(b.hi[i]!))
        .attr('stroke', b.color)
        .attr('stroke-opacity', 0.5)
        .attr('stroke-width', 6);
      if (ok(b.mid[i]!)) pointMark(svg, b.label, x(b.x[i]!), y(b.mid[i]!), b.color);
    }
  }
  for (const s of lines) {
    const line = d3
      .line<number>()
      .defined((i) => ok(s.y[i]!))
      .x((i) => x(s.x[i]!))
      .y((i) => y(s.y[i]!));
    svg
      .append('path')
      .attr('class', 'series')
      .attr('data-series', s.label)
      .attr('fill', 'none')
      .attr('stroke', s.color)
      .attr('stroke-width', 1.75)
      .attr('stroke-dasharray', s.dashed ? '5 3' : null)
      .attr('d', line(d3.range(s.x.length)));
    // A series with a single point (e.g. step 0 before training) has no line to draw: mark the point.
    const pts = d3.range(s.x.length).filter((i) => ok(s.y[i]!));
    if (pts.length === 1) pointMark(svg, s.label, x(s.x[pts[0]!]!), y(s.y[pts[0]!]!), s.color);
  }
  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  let lx = MARGIN.left;
  for (const item of [...bands.map((b) => ({ ...b, dashed: false })), ...lines]) {
    const dash = item.dashed ? '5 3' : null;
    legendEntry(legend, { x: lx, y: 14, color: item.color, label: item.label, swatch: 'line', dash });
    lx += 30 + labelWidth(item.label);
  }
}

/** A dot marking a series that has a single point (a line needs two). */
function pointMark(svg: ReturnType<typeof chartRoot>, series: string, cx: number, cy: number, color: string) {
  svg
    .append('circle')
    .attr('class', 'point')
    .attr('data-series', series)
    .attr('cx', cx)
    .attr('cy', cy)
    .attr('r', 3.5)
    .attr('fill', color);
}

/** The x-axis title, right-aligned under the axis. */
function xLabel(svg: ReturnType<typeof chartRoot>, o: LinesOptions, text: string) {
  addText(svg, { x: o.width - MARGIN.right, y: o.height - 4, anchor: 'end', size: 11 }, text);
}

/** The y-axis title, above the axis. */
function yLabel(svg: ReturnType<typeof chartRoot>, text: string) {
  addText(svg, { x: 4, y: MARGIN.top - 14, size: 11 }, text);
}

export interface ChannelSeries {
  label: string;
  color: string;
  values: ArrayLike<number>;
  shape?: 'circle' | 'bar';
}

/**
 * Per-channel values (x = channel index): bars or dots per series, an optional dashed reference line
 * (0 for means, 1 for variances). Structure: `g.channel-series[data-series]`, `line.reference`.
 */
export function renderChannels(
  svgEl: SVGSVGElement,
  series: ChannelSeries[],
  o: LinesOptions & { reference?: number },
): void {
  const svg = chartRoot(svgEl, o.width, o.height, o.title);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => Array.from(s.values).filter(Number.isFinite));
  if (o.reference !== undefined) all.push(o.reference);
  const lo = o.yDomain?.[0] ?? Math.min(0, d3.min(all) ?? 0);
  let hi = o.yDomain?.[1] ?? d3.max(all) ?? 1;
  if (!(hi > lo)) hi = lo + 1;
  const x = d3
    .scaleBand<number>()
    .domain(d3.range(n))
    .range([MARGIN.left, o.width - MARGIN.right])
    .padding(0.15);
  const y = d3
    .scaleLinear()
    .domain([lo, hi])
    .nice()
    .range([o.height - MARGIN.bottom, MARGIN.top])
    .clamp(true);
  const every = Math.ceil(n / 16);
  drawAxes(svg, {
    x: d3.axisBottom(x).tickValues(d3.range(0, n, every)),
    y: d3.axisLeft(y).ticks(5),
    bottom: o.height - MARGIN.bottom,
    left: MARGIN.left,
  });
  xLabel(svg, o, o.xLabel ?? msg('channel'));
  if (o.reference !== undefined) {
    svg
      .append('line')
      .attr('class', 'reference')
      .attr('x1', MARGIN.left)
      .attr('x2', o.width - MARGIN.right)
      .attr('y1', y(o.reference))
      .attr('y2', y(o.reference))
      .attr('stroke', 'currentColor')
      .attr('stroke-opacity', 0.5)
      .attr('stroke-dasharray', '4 3');
  }
  const bw = x.bandwidth() / Math.max(1, series.length);
  series.forEach((s, si) => {
    const g = svg.append('g').attr('class', 'channel-series').attr('data-series', s.label);
    Array.from(s.values).forEach((v, c) => {
      if (!Number.isFinite(v)) return;
      const cx = x(c)! + bw * (si + 0.5);
      if (s.shape === 'circle') {
        g.append('circle')
          .attr('cx', cx)
          .attr('cy', y(v))
          .attr('r', Math.max(2, Math.min(4, bw / 2)))
          .attr('fill', s.color);
      } else {
        const y0 = y(Math.max(lo, Math.min(0, hi)));
        g.append('rect')
          .attr('x', cx - bw / 2)
          .attr('width', Math.max(1, bw - 1))
          .attr('y', Math.min(y0, y(v)))
          .attr('height', Math.abs(y(v) - y0))
          .attr('fill', s.color);
      }
    });
  });
  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  let lx = MARGIN.left;
  for (const s of series) {
    legendEntry(legend, { x: lx, y: 14, color: s.color, label: s.label, swatch: 'box' });
    lx += 28 + labelWidth(s.label);
  }
  if (o.yLabel) yLabel(svg, o.yLabel);
}
