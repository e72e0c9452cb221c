/**
 * The recommendation funnel: one centred bar per stage, its width ∝ log(1 + items) (the stages span three
 * orders of magnitude), the stage's label, item count and measured time. The counts also read as one line
 * ("16,384 → 600 → 100 → 50 → 10"). A pure render function of data.
 *
 * Structure: `text.flow`, `g.stage[data-stage]` with `rect.bar`, `text.stage-label`, `text.stage-count`.
 */
import * as d3 from 'd3';
import { msg, str } from '@lit/localize';
import { formatCount, formatDuration } from '../util/format';
import { addText, chartRoot } from './axes';

export interface FunnelBar {
  name: string;
  label: string;
  /** Items per user leaving the stage. */
  items: number;
  /** Measured time, null when not measured. */
  ms: number | null;
  detail?: string;
}

export interface FunnelOptions {
  width: number;
  title?: string;
  color?: string;
}

const MARGIN = { top: 30, right: 12, bottom: 8, left: 12 };
const ROW = 40;
const BAR = 14;
/** The narrowest bar (a stage of one item still shows). */
const MIN_BAR = 4;

/** "16,384 → 600 → 100 → 50 → 10". */
export function funnelFlow(stages: readonly FunnelBar[]): string {
  return stages.map((s) => formatCount(s.items)).join(' → ');
}

/** Height of the drawing for `n` stages. */
export function funnelHeight(n: number): number {
  return MARGIN.top + n * ROW + MARGIN.bottom;
}

/** Bar width of a stage: ∝ log(1 + items), the largest stage filling `full` (at least MIN_BAR). */
export function funnelBarWidth(items: number, maxItems: number, full: number): number {
  if (!(maxItems > 0) || !(items > 0)) return MIN_BAR;
  return Math.max(MIN_BAR, (full * Math.log1p(items)) / Math.log1p(maxItems));
}

const msText = (ms: number | null) =>
  ms === null || !Number.isFinite(ms) ? msg('not measured') : formatDuration(ms);

export function renderFunnel(svgEl: SVGSVGElement, stages: readonly FunnelBar[], o: FunnelOptions): void {
  const height = funnelHeight(stages.length);
  const flow = funnelFlow(stages);
  const svg = chartRoot(svgEl, o.width, height, o.title ?? msg(str`Items per user at each stage: ${flow}`));
  addText(svg, { x: o.width / 2, y: 18, className: 'flow', anchor: 'middle', size: 13, weight: 600 }, flow);
  const full = o.width - MARGIN.left - MARGIN.right;
  const centre = MARGIN.left + full / 2;
  const maxItems = d3.max(stages, (s) => s.items) ?? 1;
  stages.forEach((s, i) => {
    const top = MARGIN.top + i * ROW;
    const w = funnelBarWidth(s.items, maxItems, full);
    const g = svg.append('g').attr('class', 'stage').attr('data-stage', s.name);
    const ms = msText(s.ms);
    const items = formatCount(s.items);
    g.append('title').text(
      s.detail
        ? msg(str`${s.label}: ${items} items per user, ${ms}. ${s.detail}`)
        : msg(str`${s.label}: ${items} items per user, ${ms}`),
    );
    g.append('rect')
      .attr('class', 'bar')
      .attr('x', centre - w / 2)
      .attr('y', top + 18)
      .attr('width', w)
      .attr('height', BAR)
      .attr('rx', 3)
      .attr('fill', o.color ?? 'var(--ks-bar, #4c78a8)');
    addText(g, { x: MARGIN.left, y: top + 13, className: 'stage-label', size: 12, weight: 600 }, s.label);
    const count = msg(str`${items} items · ${ms}`);
    addText(
      g,
      { x: o.width - MARGIN.right, y: top + 13, className: 'stage-count', anchor: 'end', size: 12 },
      count,
    );
  });
}
