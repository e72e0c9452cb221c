/**
 * Noise-schedule plots: small multiples of β_t, ᾱ_t, √ᾱ_t, √(1−ᾱ_t) and log-SNR against t, several schedules
 * overlaid (the highlighted one drawn bold), the current step marked by a vertical rule and a dot on each
 * highlighted curve. A pure render function: (svg, data, options) → drawn; no app state.
 *
 * Structure (tests and styles rely on it): one `g.panel[data-quantity]` per quantity, holding one
 * `path.series[data-schedule]` per schedule (class `highlight` on the highlighted one), a `line.current-t`
 * and a `circle.marker` at the current t when `t` is given.
 */
import * as d3 from 'd3';
import { msg, str } from '@lit/localize';
import { addText, chartRoot, drawAxes, labelWidth, legendEntry } from './axes';

export const SCHEDULE_QUANTITIES = [
  'beta',
  'alphaBar',
  'sqrtAlphaBar',
  'sqrtOneMinusAlphaBar',
  'logSNR',
] as const;
export type ScheduleQuantity = (typeof SCHEDULE_QUANTITIES)[number];

const QUANTITY_LABELS: Record<ScheduleQuantity, string> = {
  beta: 'β_t',
  alphaBar: 'ᾱ_t',
  sqrtAlphaBar: '√ᾱ_t',
  sqrtOneMinusAlphaBar: '√(1 − ᾱ_t)',
  logSNR: 'log-SNR = log(ᾱ/(1 − ᾱ))',
};

export interface ScheduleSeries {
  /** Short name for the legend and `data-schedule`, e.g. "cosine". */
  label: string;
  /** Length T + 1, index = timestep (index 0, t = 0, is not drawn). */
  beta: ArrayLike<number>;
  alphaBar: ArrayLike<number>;
  highlight?: boolean;
}

export interface SchedulePlotData {
  T: number;
  series: ScheduleSeries[];
  /** The current step to mark (1…T); nothing marked when undefined or 0. */
  t?: number;
}

export interface SchedulePlotOptions {
  width: number;
  /** Height of one panel row. */
  panelHeight?: number;
  columns?: number;
  title: string;
  quantities?: readonly ScheduleQuantity[];
}

/** log-SNR is clipped to ±LOG_SNR_CLIP for drawing (it is ±∞ at t = 0 and with zero terminal SNR at T). */
const LOG_SNR_CLIP = 20;

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const MARGIN = { top: 22, right: 12, bottom: 30, left: 48 };
const LEGEND_H = 24;

function quantityValue(q: ScheduleQuantity, beta: number, alphaBar: number): number {
  switch (q) {
    case 'beta':
      return beta;
    case 'alphaBar':
      return alphaBar;
    case 'sqrtAlphaBar':
      return Math.sqrt(alphaBar);
    case 'sqrtOneMinusAlphaBar':
      return Math.sqrt(Math.max(0, 1 - alphaBar));
    case 'logSNR': {
      const v = Math.log(alphaBar) - Math.log(1 - alphaBar);
      return Math.max(-LOG_SNR_CLIP, Math.min(LOG_SNR_CLIP, Number.isNaN(v) ? -LOG_SNR_CLIP : v));
    }
  }
}

export function renderSchedulePlot(
  svgEl: SVGSVGElement,
  data: SchedulePlotData,
  options: SchedulePlotOptions,
): void {
  const quantities = options.quantities ?? SCHEDULE_QUANTITIES;
  const columns = Math.max(1, Math.min(options.columns ?? 3, quantities.length));
  const rows = Math.ceil(quantities.length / columns);
  const panelH = options.panelHeight ?? 170;
  const width = options.width;
  const height = LEGEND_H + rows * panelH;
  const panelW = width / columns;
  const svg = chartRoot(svgEl, width, height, options.title);

  // Legend: one swatch per schedule.
  const legend = svg.append('g').attr('class', 'legend').attr('font-size', 12);
  let lx = MARGIN.left;
  data.series.forEach((s, i) => {
    legendEntry(legend, {
      x: lx,
      y: 14,
      color: COLORS[i % COLORS.length]!,
      label: s.label,
      swatch: 'line',
      strokeWidth: s.highlight ? 3 : 1.5,
      dash: s.highlight ? null : '4 2',
      bold: !!s.highlight,
    });
    lx += 28 + labelWidth(s.label, 7);
  });

  const tMark = data.t !== undefined && data.t >= 1 && data.t <= data.T ? data.t : null;
  const ts = d3.range(1, data.T + 1);

  quantities.forEach((q, qi) => {
    const col = qi % columns;
    const row = Math.floor(qi / columns);
    const x0 = col * panelW;
    const y0 = LEGEND_H + row * panelH;
    const panel = svg
      .append('g')
      .attr('class', 'panel')
      .attr('data-quantity', q)
      .attr('transform', `translate(${x0},${y0})`);
    const values = data.series.map((s) => ts.map((t) => quantityValue(q, s.beta[t]!, s.alphaBar[t]!)));
    let lo = d3.min(values, (v) => d3.min(v)) ?? 0;
    let hi = d3.max(values, (v) => d3.max(v)) ?? 1;
    if (q !== 'logSNR') lo = Math.min(0, lo);
    if (!(hi > lo)) hi = lo + 1;
    const x = d3
      .scaleLinear()
      .domain([1, Math.max(2, data.T)])
      .range([MARGIN.left, panelW - MARGIN.right]);
    const y = d3
      .scaleLinear()
      .domain([lo, hi])
      .nice()
      .range([panelH - MARGIN.bottom, MARGIN.top]);
    drawAxes(panel, {
      x: d3.axisBottom(x).ticks(Math.max(2, Math.floor(panelW / 70))),
      y: d3.axisLeft(y).ticks(4),
      bottom: panelH - MARGIN.bottom,
      left: MARGIN.left,
    });
    const title = { className: 'panel-title', x: MARGIN.left, y: MARGIN.top - 8, size: 12, weight: 600 };
    addText(panel, title, QUANTITY_LABELS[q]);
    addText(panel, { x: panelW - MARGIN.right, y: panelH - 4, anchor: 'end', size: 11 }, 't');
    const line = d3
      .line<number>()
      .x((_, i) => x(ts[i]!))
      .y((v) => y(v));
    // Highlighted series last so it is drawn on top.
    const order = data.series
      .map((s, i) => i)
      .sort((a, b) => +!!data.series[a]!.highlight - +!!data.series[b]!.highlight);
    for (const i of order) {
      const s = data.series[i]!;
      panel
        .append('path')
        .attr('class', s.highlight ? 'series highlight' : 'series')
        .attr('data-schedule', s.label)
        .attr('fill', 'none')
        .attr('stroke', COLORS[i % COLORS.length]!)
        .attr('stroke-width', s.highlight ? 2.5 : 1.25)
        .attr('stroke-dasharray', s.highlight ? null : '4 2')
        .attr('d', line(values[i]!));
    }
    if (tMark !== null) {
      panel
        .append('line')
        .attr('class', 'current-t')
        .attr('x1', x(tMark))
        .attr('x2', x(tMark))
        .attr('y1', MARGIN.top)
        .attr('y2', panelH - MARGIN.bottom)
        .attr('stroke', 'currentColor')
        .attr('stroke-opacity', 0.5)
        .attr('stroke-dasharray', '2 2');
      data.series.forEach((s, i) => {
        if (!s.highlight) return;
        panel
          .append('circle')
          .attr('class', 'marker')
          .attr('data-schedule', s.label)
          .attr('cx', x(tMark))
          .attr('cy', y(values[i]![tMark - 1]!))
          .attr('r', 4)
          .attr('fill', COLORS[i % COLORS.length]!)
          .attr('stroke', 'var(--ks-panel, #fff)')
          .attr('stroke-width', 1.5)
          .append('title')
          .text(msg(str`${QUANTITY_LABELS[q]} at t = ${tMark}: ${values[i]![tMark - 1]!.toPrecision(4)}`));
      });
    }
  });
}
