/**
 * Pareto chart of the re-rankers: NDCG@10 against a diversity measure (intra-list diversity or category
 * coverage), one line with markers per method as its parameter sweeps, the relevance-only baseline and the
 * current setting ringed. A pure render function of data; every point has a <title> tooltip.
 *
 * Structure: `path.curve[data-method]`, `circle.point[data-method][data-value]`, `rect.baseline`,
 * `circle.current`, `text.end-label`, `g.legend`.
 */
import * as d3 from 'd3';
import { msg, str } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';
import { wrapLegend } from './category-bars';

export interface ParetoMetrics {
  ndcg10: number;
  ild: number;
  coverage: number;
  kl: number;
}

export interface ParetoCurve {
  method: string;
  param: 'lambda' | 'theta';
  points: readonly { value: number; metrics: ParetoMetrics }[];
}

export type ParetoX = 'ild' | 'coverage';

export interface ParetoOptions {
  curves: readonly ParetoCurve[];
  baseline: ParetoMetrics;
  /** The lab's setting: ringed on its curve (on the baseline for method "relevance"). */
  current?: { method: string; value: number };
  x: ParetoX;
  y: 'ndcg10';
  width: number;
  height: number;
  /** Colour per method (and "relevance" for the baseline). */
  colors: Readonly<Record<string, string>>;
  /** Printed names per method (default: upper-case method id). */
  labels?: Readonly<Record<string, string>>;
  title?: string;
}

const MARGIN = { top: 40, right: 18, bottom: 40, left: 56 };

/** The axis titles, in the interface language. */
export function paretoAxisLabels(): Record<ParetoX | 'ndcg10', string> {
  return {
    ndcg10: msg('NDCG@10 (held-out clicks, 0–1)'),
    ild: msg('Intra-list diversity (mean 1 − cos, 0–2)'),
    coverage: msg('Category coverage (distinct categories)'),
  };
}

/** The x measure's short name in tooltips. */
const short = (x: ParetoX) => (x === 'ild' ? 'ILD' : msg('coverage'));

const symbol = (param: 'lambda' | 'theta') => (param === 'theta' ? 'θ' : 'λ');

/** The printed x value: ILD with 2 decimals, coverage with 1 (a mean over users). */
function fmtX(x: ParetoX, v: number): string {
  return x === 'ild' ? v.toFixed(2) : msg(str`${v.toFixed(1)} categories`);
}

/** "MMR λ = 0.3: NDCG@10 0.412, ILD 0.61". */
export function paretoPointTitle(
  name: string,
  param: 'lambda' | 'theta',
  value: number,
  m: ParetoMetrics,
  x: ParetoX,
): string {
  return `${name} ${symbol(param)} = ${d3.format('~g')(value)}: NDCG@10 ${m.ndcg10.toFixed(3)}, ${short(x)} ${fmtX(x, m[x])}`;
}

/** The sweep point nearest `value` on `curve` (lowest index on ties). */
function nearest(curve: ParetoCurve, value: number): number {
  let best = 0;
  curve.points.forEach((p, i) => {
    if (Math.abs(p.value - value) < Math.abs(curve.points[best]!.value - value)) best = i;
  });
  return best;
}

export function renderPareto(svgEl: SVGSVGElement, o: ParetoOptions): void {
  const name = (m: string) => o.labels?.[m] ?? m.toUpperCase();
  const axis = paretoAxisLabels();
  const title = o.title ?? msg(str`${axis.ndcg10} against ${axis[o.x]}, one curve per re-ranker`);
  const svg = chartRoot(svgEl, o.width, o.height, title);
  const baseColor = o.colors.relevance ?? 'currentColor';
  // The legend (wrapping onto more lines when narrow) sits above the plot.
  const entries = [
    ...o.curves.map((c) => ({
      label: `${name(c.method)} (${symbol(c.param)} 0 → 1)`,
      color: o.colors[c.method] ?? 'currentColor',
      swatch: 'line' as const,
    })),
    { label: name('relevance'), color: baseColor, swatch: 'box' as const },
  ];
  const at = wrapLegend(
    entries.map((e) => (e.swatch === 'line' ? 30 : 26) + labelWidth(e.label)),
    MARGIN.left,
    o.width - MARGIN.right,
  );
  const top = (at.at(-1)?.y ?? 14) + MARGIN.top - 14;
  const xs = [o.baseline[o.x], ...o.curves.flatMap((c) => c.points.map((p) => p.metrics[o.x]))];
  const ys = [o.baseline.ndcg10, ...o.curves.flatMap((c) => c.points.map((p) => p.metrics.ndcg10))];
  const extent = (v: number[]): [number, number] => {
    const f = v.filter(Number.isFinite);
    let [lo, hi] = [d3.min(f) ?? 0, d3.max(f) ?? 1];
    if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
    const pad = (hi - lo) * 0.05;
    return [lo - pad, hi + pad];
  };
  const x = d3
    .scaleLinear()
    .domain(extent(xs))
    .nice()
    .range([MARGIN.left, o.width - MARGIN.right]);
  const y = d3
    .scaleLinear()
    .domain(extent(ys))
    .nice()
    .range([o.height - MARGIN.bottom, top]);
  drawAxes(svg, {
    x: d3.axisBottom(x).ticks(Math.max(2, Math.floor(o.width / 90))),
    y: d3.axisLeft(y).ticks(5),
    bottom: o.height - MARGIN.bottom,
    left: MARGIN.left,
  });
  addText(svg, { x: o.width - MARGIN.right, y: o.height - 6, anchor: 'end', size: 11 }, axis[o.x]);
  addText(svg, { x: 4, y: top - 10, size: 11 }, axis.ndcg10);

  const ok = (p: { metrics: ParetoMetrics }) =>
    Number.isFinite(p.metrics[o.x]) && Number.isFinite(p.metrics.ndcg10);
  for (const c of o.curves) {
    const color = o.colors[c.method] ?? 'currentColor';
    const pts = c.points.filter(ok);
    const line = d3
      .line<{ metrics: ParetoMetrics }>()
      .x((p) => x(p.metrics[o.x]))
      .y((p) => y(p.metrics.ndcg10));
    svg
      .append('path')
      .attr('class', 'curve')
      .attr('data-method', c.method)
      .attr('fill', 'none')
      .attr('stroke', color)
      .attr('stroke-width', 1.75)
      .attr('d', line(pts));
    const g = svg.append('g').attr('class', 'points').attr('data-method', c.method);
    for (const p of pts) {
      g.append('circle')
        .attr('class', 'point')
        .attr('data-method', c.method)
        .attr('data-value', p.value)
        .attr('cx', x(p.metrics[o.x]))
        .attr('cy', y(p.metrics.ndcg10))
        .attr('r', 3.5)
        .attr('fill', color)
        .append('title')
        .text(paretoPointTitle(name(c.method), c.param, p.value, p.metrics, o.x));
    }
    // The two ends of the sweep, so the direction of the parameter reads off the chart.
    for (const p of [pts[0], pts.at(-1)]) {
      if (!p || pts.length < 2) continue;
      const spec = { x: x(p.metrics[o.x]) + 5, y: y(p.metrics.ndcg10) - 5, className: 'end-label', size: 10 };
      addText(svg, spec, `${symbol(c.param)} ${d3.format('~g')(p.value)}`);
    }
  }
  const b = o.baseline;
  const bx = x(b[o.x]);
  const by = y(b.ndcg10);
  svg
    .append('rect')
    .attr('class', 'baseline')
    .attr('x', bx - 5)
    .attr('y', by - 5)
    .attr('width', 10)
    .attr('height', 10)
    .attr('fill', baseColor)
    .attr('stroke', 'currentColor')
    .append('title')
    .text(`${name('relevance')}: NDCG@10 ${b.ndcg10.toFixed(3)}, ${short(o.x)} ${fmtX(o.x, b[o.x])}`);
  drawCurrent(svg, o, x, y, name);

  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  entries.forEach((e, i) => legendEntry(legend, { ...e, ...at[i]! }));
}

/** A ring around the current setting: its sweep point (the nearest one), or the baseline. */
function drawCurrent(
  svg: ReturnType<typeof chartRoot>,
  o: ParetoOptions,
  x: d3.ScaleLinear<number, number>,
  y: d3.ScaleLinear<number, number>,
  name: (m: string) => string,
): void {
  if (!o.current) return;
  const { method, value } = o.current;
  let at: { metrics: ParetoMetrics } = { metrics: o.baseline };
  let text = msg(str`Current setting: ${name('relevance')}`);
  if (method !== 'relevance') {
    const curve = o.curves.find((c) => c.method === method);
    if (!curve || curve.points.length === 0) return;
    const p = curve.points[nearest(curve, value)]!;
    at = p;
    const s = symbol(curve.param);
    const f = d3.format('~g');
    text =
      Math.abs(p.value - value) > 1e-9
        ? msg(
            str`Current setting: ${name(method)} ${s} = ${f(value)} (nearest sweep point ${s} = ${f(p.value)})`,
          )
        : msg(str`Current setting: ${name(method)} ${s} = ${f(value)}`);
  }
  if (!Number.isFinite(at.metrics[o.x]) || !Number.isFinite(at.metrics.ndcg10)) return;
  svg
    .append('circle')
    .attr('class', 'current')
    .attr('data-method', method)
    .attr('cx', x(at.metrics[o.x]))
    .attr('cy', y(at.metrics.ndcg10))
    .attr('r', 9)
    .attr('fill', 'none')
    .attr('stroke', 'currentColor')
    .attr('stroke-width', 2)
    .append('title')
    .text(text);
}
