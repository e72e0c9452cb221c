/**
 * Bar chart of one attention row: the weights a query gives each key. A pure render function:
 * (svg, data, options) → drawn SVG; no app state. At most `maxBars` bars are drawn: longer rows are
 * max-pooled into equal groups (the caption says so).
 */
import * as d3 from 'd3';
import { msg, str } from '@lit/localize';
import { addText, chartRoot } from './axes';

export interface BarsData {
  /** One label per bar (key tokens). */
  labels: readonly string[];
  values: ArrayLike<number>;
  /** Index of a bar to emphasise (e.g. the query's own position). */
  highlight?: number;
}

export interface BarsOptions {
  width: number;
  height: number;
  title: string;
  yLabel?: string;
  /** Upper end of the y axis (default: the largest value, at least 1e-6). */
  yMax?: number;
  maxBars?: number;
}

const MARGIN = { top: 24, right: 12, bottom: 64, left: 48 };

/** Groups `values` into at most `max` bars by maximum; returns values, labels and the group size. */
function poolBars(
  labels: readonly string[],
  values: ArrayLike<number>,
  max: number,
): { labels: string[]; values: number[]; group: number } {
  const n = values.length;
  if (n <= max) return { labels: [...labels], values: Array.from(values), group: 1 };
  const group = Math.ceil(n / max);
  const out: number[] = [];
  const outLabels: string[] = [];
  for (let i = 0; i < n; i += group) {
    let m = -Infinity;
    for (let j = i; j < Math.min(n, i + group); j++) m = Math.max(m, values[j]!);
    out.push(m);
    outLabels.push(`${i}–${Math.min(n, i + group) - 1}`);
  }
  return { labels: outLabels, values: out, group };
}

export function renderBars(svgEl: SVGSVGElement, data: BarsData, options: BarsOptions): void {
  const { width, height } = options;
  const svg = chartRoot(svgEl, width, height, options.title);
  const pooled = poolBars(data.labels, data.values, options.maxBars ?? 128);
  const n = pooled.values.length;
  const yMax = options.yMax ?? Math.max(1e-6, d3.max(pooled.values) ?? 0);
  const x = d3
    .scaleBand<number>()
    .domain(d3.range(n))
    .range([MARGIN.left, width - MARGIN.right])
    .paddingInner(n > 64 ? 0 : 0.15);
  const y = d3
    .scaleLinear()
    .domain([0, yMax])
    .nice()
    .range([height - MARGIN.bottom, MARGIN.top]);
  const hl = data.highlight !== undefined ? Math.floor(data.highlight / pooled.group) : -1;
  svg
    .append('g')
    .attr('class', 'bars')
    .selectAll('rect')
    .data(pooled.values)
    .join('rect')
    .attr('x', (_, i) => x(i)!)
    .attr('width', Math.max(0.5, x.bandwidth()))
    .attr('y', (v) => y(Math.max(0, v)))
    .attr('height', (v) => y(0) - y(Math.max(0, v)))
    .attr('fill', (_, i) => (i === hl ? 'var(--ks-accent, #d1495b)' : 'var(--ks-bar, #4c78a8)'));

  const fontSize = 11;
  const every = Math.max(1, Math.ceil((fontSize + 2) / Math.max(1e-9, x.bandwidth() / (n > 64 ? 1 : 0.85))));
  const xAxis = d3
    .axisBottom(x)
    .tickValues(d3.range(0, n, every))
    .tickFormat((i) => cut(pooled.labels[i as number] ?? '', 10))
    .tickSizeOuter(0);
  svg
    .append('g')
    .attr('class', 'x-axis')
    .attr('transform', `translate(0,${height - MARGIN.bottom})`)
    .call(xAxis)
    .selectAll('text')
    .attr('text-anchor', 'end')
    .attr('dx', '-0.5em')
    .attr('dy', '-0.3em')
    .attr('transform', 'rotate(-90)');
  svg
    .append('g')
    .attr('class', 'y-axis')
    .attr('transform', `translate(${MARGIN.left},0)`)
    .call(d3.axisLeft(y).ticks(5));
  if (options.yLabel) {
    addText(svg, { x: MARGIN.left, y: MARGIN.top - 10, size: 12 }, options.yLabel);
  }
  if (pooled.group > 1) {
    const spec = { x: width - MARGIN.right, y: MARGIN.top - 10, anchor: 'end', size: 11 } as const;
    addText(svg, spec, msg(str`each bar: max of ${pooled.group} keys`));
  }
}

function cut(label: string, max: number): string {
  const chars = Array.from(label);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : label;
}
