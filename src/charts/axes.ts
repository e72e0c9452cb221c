/**
 * Pieces every SVG chart here draws the same way: the root (size, accessible name, <title>), a pair of
 * axes, text labels and legend swatches. Pure D3 helpers; no app state.
 */
import * as d3 from 'd3';

type Group = d3.Selection<SVGGElement, unknown, null, undefined>;
type Root = d3.Selection<SVGSVGElement, unknown, null, undefined>;
type Container = Group | Root;

/** Clears `svgEl` and sets its size (viewBox, width, height), role="img", aria-label and <title>. */
export function chartRoot(svgEl: SVGSVGElement, width: number, height: number, title: string): Root {
  const svg = d3.select(svgEl);
  svg.selectAll('*').remove();
  svg
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', title);
  svg.append('title').text(title);
  return svg;
}

/**
 * A bottom axis (`g.x-axis`) at y = `bottom` and a left axis (`g.y-axis`) at x = `left`. `x` and `y` are
 * the d3 axes to draw, e.g. d3.axisBottom(scale).ticks(5).
 */
export function drawAxes<X extends d3.AxisDomain, Y extends d3.AxisDomain>(
  target: Container,
  axes: { x: d3.Axis<X>; y: d3.Axis<Y>; bottom: number; left: number },
): void {
  target.append('g').attr('class', 'x-axis').attr('transform', `translate(0,${axes.bottom})`).call(axes.x);
  target.append('g').attr('class', 'y-axis').attr('transform', `translate(${axes.left},0)`).call(axes.y);
}

export interface TextSpec {
  x: number;
  y: number;
  /** Class name, e.g. "y-label". */
  className?: string;
  anchor?: 'start' | 'middle' | 'end';
  size: number;
  weight?: number;
}

/** A label in the current text colour (attributes in a fixed order, so drawings are deterministic). */
export function addText(target: Container, spec: TextSpec, text: string) {
  const t = target.append('text');
  if (spec.className) t.attr('class', spec.className);
  t.attr('x', spec.x).attr('y', spec.y);
  if (spec.anchor) t.attr('text-anchor', spec.anchor);
  t.attr('fill', 'currentColor').attr('font-size', spec.size);
  if (spec.weight !== undefined) t.attr('font-weight', spec.weight);
  return t.text(text);
}

/**
 * About how wide `label` draws at 12 px (for laying out legends): `perChar` per character, and about twice
 * that for a wide (CJK, full-width) character.
 */
export function labelWidth(label: string, perChar = 6.5): number {
  let w = 0;
  for (const ch of label)
    w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
      ch,
    )
      ? 1.85 * perChar
      : perChar;
  return w;
}

/** A legend entry: a short line (or a filled box) then its label, in a group translated to (x, y). */
export function legendEntry(
  legend: Group,
  entry: {
    x: number;
    y: number;
    color: string;
    label: string;
    swatch: 'line' | 'box';
    strokeWidth?: number;
    dash?: string | null;
    bold?: boolean;
  },
): void {
  const g = legend.append('g').attr('transform', `translate(${entry.x},${entry.y})`);
  if (entry.swatch === 'line') {
    g.append('line')
      .attr('x1', 0)
      .attr('x2', 16)
      .attr('y1', -4)
      .attr('y2', -4)
      .attr('stroke', entry.color)
      .attr('stroke-width', entry.strokeWidth ?? 3)
      .attr('stroke-dasharray', entry.dash ?? null);
  } else {
    g.append('rect')
      .attr('x', 0)
      .attr('y', -9)
      .attr('width', 12)
      .attr('height', 10)
      .attr('fill', entry.color);
  }
  const text = g
    .append('text')
    .attr('x', entry.swatch === 'line' ? 20 : 16)
    .attr('y', 0)
    .attr('fill', 'currentColor');
  if (entry.bold !== undefined) text.attr('font-weight', entry.bold ? 700 : 400);
  text.text(entry.label);
}
