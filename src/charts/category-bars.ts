/**
 * Grouped bars per category: the history's category distribution p beside each list's q, with each
 * list's KL(p ‖ q̃) in the legend. An optional swatch under each group shows the category's colour.
 * A pure render function of data.
 *
 * Structure: `g.group[data-category]` holding `rect.bar[data-series]` (with a <title>), `g.legend`.
 */
import * as d3 from 'd3';
import { msg } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';

export interface CategorySeries {
  /** Series id (e.g. "history", "mmr"). */
  key: string;
  label: string;
  color: string;
  /** One share per category (0…1). */
  values: readonly number[];
  /** KL(p ‖ q̃) of this list, printed in the legend. */
  kl?: number;
}

export interface CategoryBarsOptions {
  width: number;
  height: number;
  title: string;
  /** Category names on the x axis (default "C0", "C1", …). */
  names?: readonly string[];
  /** A small swatch of each category's colour under its group. */
  categoryColors?: readonly string[];
  /** Fill opacity per series key (e.g. the history drawn lighter). */
  opacity?: Readonly<Record<string, number>>;
}

const MARGIN = { right: 12, bottom: 44, left: 48 };
const LEGEND_LINE = 16;

/**
 * Positions of legend entries of the given widths, left to right from `left`, wrapping to a new line
 * (16 px down, the first at y = 14) before an entry would pass `right`.
 */
export function wrapLegend(
  widths: readonly number[],
  left: number,
  right: number,
): { x: number; y: number }[] {
  let x = left;
  let y = 14;
  return widths.map((w) => {
    if (x + w > right && x > left) {
      x = left;
      y += LEGEND_LINE;
    }
    const at = { x, y };
    x += w;
    return at;
  });
}

/** "MMR q (KL 0.050)"; a KL that rounds to zero prints as 0.000 (never −0.000: KL ≥ 0, the sign is rounding). */
export function categoryLegendLabel(s: CategorySeries): string {
  if (s.kl === undefined) return s.label;
  const kl = Math.abs(s.kl) < 5e-4 ? 0 : s.kl;
  return `${s.label} (KL ${kl.toFixed(3)})`;
}

export function renderCategoryBars(
  svgEl: SVGSVGElement,
  series: readonly CategorySeries[],
  o: CategoryBarsOptions,
): void {
  const svg = chartRoot(svgEl, o.width, o.height, o.title);
  // The legend wraps; the plot starts below it.
  const labels = series.map(categoryLegendLabel);
  const at = wrapLegend(
    labels.map((l) => 28 + labelWidth(l)),
    MARGIN.left,
    o.width - MARGIN.right,
  );
  const top = (at.at(-1)?.y ?? 14) + 34;
  const k = Math.max(0, ...series.map((s) => s.values.length));
  const names = d3.range(k).map((c) => o.names?.[c] ?? `C${c}`);
  const yMax = Math.max(1e-6, d3.max(series.flatMap((s) => s.values.filter(Number.isFinite))) ?? 0);
  const x = d3
    .scaleBand<number>()
    .domain(d3.range(k))
    .range([MARGIN.left, o.width - MARGIN.right])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const y = d3
    .scaleLinear()
    .domain([0, yMax])
    .nice()
    .range([o.height - MARGIN.bottom, top]);
  drawAxes(svg, {
    x: d3.axisBottom(x).tickFormat((c) => names[c as number] ?? ''),
    y: d3.axisLeft(y).ticks(5, '.0%'),
    bottom: o.height - MARGIN.bottom,
    left: MARGIN.left,
  });
  addText(svg, { x: 4, y: top - 10, size: 11 }, msg('share of the list (history: of its items)'));
  addText(svg, { x: o.width - MARGIN.right, y: o.height - 4, anchor: 'end', size: 11 }, msg('category'));
  const bw = x.bandwidth() / Math.max(1, series.length);
  for (let c = 0; c < k; c++) {
    const g = svg.append('g').attr('class', 'group').attr('data-category', c);
    series.forEach((s, si) => {
      const v = s.values[c] ?? 0;
      const h = Number.isFinite(v) ? Math.max(0, y(0) - y(Math.max(0, v))) : 0;
      g.append('rect')
        .attr('class', 'bar')
        .attr('data-series', s.key)
        .attr('x', x(c)! + si * bw)
        .attr('y', y(0) - h)
        .attr('width', Math.max(0.5, bw - 0.5))
        .attr('height', h)
        .attr('fill', s.color)
        .attr('fill-opacity', o.opacity?.[s.key] ?? null)
        .append('title')
        .text(`${names[c]}: ${s.label} ${(100 * v).toFixed(1)}%`);
    });
    const swatch = o.categoryColors?.[c];
    if (swatch) {
      g.append('rect')
        .attr('class', 'swatch')
        .attr('x', x(c)!)
        .attr('y', o.height - MARGIN.bottom + 20)
        .attr('width', x.bandwidth())
        .attr('height', 4)
        .attr('fill', swatch);
    }
  }
  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  series.forEach((s, i) =>
    legendEntry(legend, { ...at[i]!, label: labels[i]!, color: s.color, swatch: 'box' }),
  );
}
