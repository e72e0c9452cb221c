/**
 * The one legend the attention stage strip shares: the sequential weights scale (viridis), the diverging
 * score/output scale (RdBu reversed, each panel scaled to its own max |value|) and the masked swatch.
 * Drawn in SVG with CSS `currentColor` text.
 */
import * as d3 from 'd3';
import { msg, str } from '@lit/localize';
import { MASKED_COLOR } from './heatmap-scale';

interface LegendOptions {
  width: number;
  /** Max |value| of the diverging panels, e.g. [['QKᵀ', 12.3], ['scaled', 3.1]], written under the bar. */
  divergingMax?: ReadonlyArray<readonly [string, number]>;
  /** 'unit': weights over [0, 1] (default); 'max': over [0, each panel's max]. */
  weightsRange?: 'unit' | 'max';
  title?: string;
}

type Svg = d3.Selection<SVGSVGElement, unknown, null, undefined>;

const BAR_Y = 20;
const BAR_H = 12;

function fmtLegend(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) >= 100 || Math.abs(x) < 0.01 ? x.toExponential(1) : x.toPrecision(3);
}

function text(svg: Svg, x: number, y: number, s: string, anchor = 'start') {
  return svg
    .append('text')
    .attr('x', x)
    .attr('y', y)
    .attr('fill', 'currentColor')
    .attr('font-size', 12)
    .attr('text-anchor', anchor)
    .text(s);
}

/** A 17-stop horizontal gradient of `f` over [0, 1]. */
function gradient(svg: Svg, id: string, f: (t: number) => string): void {
  const g = svg.select<SVGDefsElement>('defs').append('linearGradient').attr('id', id);
  for (let i = 0; i <= 16; i++) {
    g.append('stop')
      .attr('offset', `${(i / 16) * 100}%`)
      .attr('stop-color', f(i / 16));
  }
}

/** A titled colour bar at x with three tick labels under it. */
function bar(
  svg: Svg,
  x: number,
  width: number,
  spec: { title: string; className: string; fill: string; ticks: [string, string, string] },
): void {
  text(svg, x, 14, spec.title);
  svg
    .append('rect')
    .attr('class', spec.className)
    .attr('x', x)
    .attr('y', BAR_Y)
    .attr('width', width)
    .attr('height', BAR_H)
    .attr('fill', spec.fill);
  text(svg, x, 46, spec.ticks[0]);
  text(svg, x + width / 2, 46, spec.ticks[1], 'middle');
  text(svg, x + width, 46, spec.ticks[2], 'end');
}

export function renderHeatmapLegend(svgEl: SVGSVGElement, options: LegendOptions): void {
  const width = options.width;
  const svg = d3.select(svgEl);
  svg.selectAll('*').remove();
  const barW = Math.min(220, Math.max(120, (width - 260) / 2));
  const height = 66;
  svg
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr(
      'aria-label',
      options.title ??
        msg(
          'Legend: weights use viridis from 0 to 1; scores and output use a diverging blue–white–red scale centred on 0; grey cells are masked.',
        ),
    );
  svg.append('defs');
  const uid = Math.random().toString(36).slice(2, 8);
  gradient(svg, `ks-viridis-${uid}`, d3.interpolateViridis);
  gradient(svg, `ks-rdbu-${uid}`, (t) => d3.interpolateRdBu(1 - t));

  let x = 4;
  const unit = (options.weightsRange ?? 'unit') === 'unit';
  bar(svg, x, barW, {
    title: unit ? msg('Weights (softmax): viridis, 0 → 1') : msg('Weights: viridis, 0 → each panel’s max'),
    className: 'legend-weights',
    fill: `url(#ks-viridis-${uid})`,
    ticks: unit ? ['0', '0.5', '1'] : ['0', 'max/2', 'max'],
  });

  x += barW + 28;
  bar(svg, x, barW, {
    title: msg('Scores and output: diverging RdBu, centred on 0'),
    className: 'legend-scores',
    fill: `url(#ks-rdbu-${uid})`,
    ticks: ['−max', '0', '+max'],
  });
  if (options.divergingMax?.length) {
    const maxima = options.divergingMax.map(([n, m]) => `${n} ${fmtLegend(m)}`).join(', ');
    text(svg, x, height - 5, msg(str`max = each panel's largest |value|: ${maxima}`)).attr('font-size', 11);
  }

  x += barW + 28;
  svg
    .append('rect')
    .attr('class', 'legend-masked')
    .attr('x', x)
    .attr('y', BAR_Y)
    .attr('width', 14)
    .attr('height', BAR_H)
    .attr('fill', MASKED_COLOR);
  text(svg, x + 20, 30, msg('masked (−∞)'));
}
