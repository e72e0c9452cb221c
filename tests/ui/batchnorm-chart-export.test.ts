/**
 * The BatchNorm lab's chart exports are self-contained: an SVG copy of a chart drawn inside a shadow root
 * under a dark panel resolves currentColor and var(--…) to the theme's colours, names the page's font and
 * paints the panel's background itself; the PNG is drawn from that copy at twice the chart's size.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderChannels, renderLines } from '../../src/charts/lines';
import {
  backgroundBehind,
  chartPng,
  isTransparent,
  standaloneChart,
} from '../../src/ui/batchnorm/chart-export';

const SVG_NS = 'http://www.w3.org/2000/svg';
// The dark theme's text and panel colours, as computed colours.
const FG = 'rgb(230, 233, 238)';
const PANEL = 'rgb(26, 30, 36)';

let host: HTMLElement | null = null;
afterEach(() => {
  host?.remove();
  host = null;
});

/** An <svg> inside a shadow root, inside a dark panel, the way the lab's charts sit on the page. */
function darkChart(): SVGSVGElement {
  host = document.createElement('div');
  host.style.cssText = `--ks-panel:${PANEL};--ks-fg:${FG};background:var(--ks-panel)`;
  document.body.append(host);
  const root = host.attachShadow({ mode: 'open' });
  const figure = document.createElement('figure');
  figure.style.cssText = 'color:var(--ks-fg);font-family:monospace;margin:0';
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'loss');
  figure.append(svg);
  root.append(figure);
  return svg;
}

function parse(markup: string): Document {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  return doc;
}

describe('BatchNorm chart export', () => {
  it('tells transparent computed colours from painted ones', () => {
    expect(isTransparent('rgba(0, 0, 0, 0)')).toBe(true);
    expect(isTransparent('transparent')).toBe(true);
    expect(isTransparent('rgb(0 0 0 / 0%)')).toBe(true);
    expect(isTransparent('')).toBe(true);
    expect(isTransparent('rgb(26, 30, 36)')).toBe(false);
    expect(isTransparent('rgba(26, 30, 36, 0.5)')).toBe(false);
    expect(isTransparent('#ffffff')).toBe(false);
  });

  it('finds the panel background across the shadow boundary', () => {
    expect(backgroundBehind(darkChart())).toBe(PANEL);
  });

  it('copies a dark-theme line chart into a standalone SVG with its colours, font and background', () => {
    const svg = darkChart();
    renderLines(
      svg,
      {
        lines: [
          { label: 'with BN', color: '#1f77b4', x: [0, 1, 2], y: [1, 0.5, 0.25] },
          { label: 'without BN', color: '#d62728', x: [0, 1, 2], y: [1, 0.8, 0.7], dashed: true },
        ],
      },
      { width: 400, height: 230, title: 'Training loss', xLabel: 'step', logY: true },
    );
    // An attribute using a theme variable (as the bar charts do) resolves too.
    svg.querySelector('path.series')!.setAttribute('stroke', 'var(--ks-missing, var(--ks-fg, #000))');
    const before = svg.outerHTML;
    const chart = standaloneChart(svg);
    expect(svg.outerHTML).toBe(before);
    expect([chart.width, chart.height, chart.background]).toEqual([400, 230, PANEL]);

    const doc = parse(chart.markup);
    const root = doc.documentElement;
    expect(root.localName).toBe('svg');
    expect(root.namespaceURI).toBe(SVG_NS);
    expect([root.getAttribute('width'), root.getAttribute('height')]).toEqual(['400', '230']);
    expect(root.getAttribute('color')).toBe(FG);
    expect(root.getAttribute('font-family')).toBe('monospace');
    expect(chart.markup).not.toMatch(/currentColor|var\(/i);
    // The <title> stays first; the background rectangle follows it and covers the chart.
    expect(root.firstElementChild!.localName).toBe('title');
    const bg = root.children[1]!;
    expect(bg.getAttribute('class')).toBe('export-background');
    expect([bg.getAttribute('width'), bg.getAttribute('height'), bg.getAttribute('fill')]).toEqual([
      '400',
      '230',
      PANEL,
    ]);
    // The marks: both lines in their colours, labels and axes in the theme's text colour.
    const series = [...root.querySelectorAll('path.series')].map((p) => p.getAttribute('stroke'));
    expect(series).toEqual([FG, '#d62728']);
    const texts = [...root.querySelectorAll('text')];
    expect(texts.length).toBeGreaterThan(4);
    expect(texts.some((t) => t.textContent === 'with BN')).toBe(true);
    for (const t of texts) {
      const fill = t.getAttribute('fill');
      if (fill !== null) expect(fill).toBe(FG);
    }
    const axisStrokes = [...root.querySelectorAll('.x-axis .domain, .y-axis .domain')].map((d) =>
      d.getAttribute('stroke'),
    );
    expect(axisStrokes).toEqual([FG, FG]);
  });

  it('renders a PNG twice the chart size, painted with the panel colour and the chart marks', async () => {
    const svg = darkChart();
    renderChannels(svg, [{ label: 'before BN', color: '#ff7f0e', values: new Float32Array([3, -2, 1, 4]) }], {
      width: 300,
      height: 200,
      title: 'Batch mean of each channel',
      reference: 0,
    });
    const png = await chartPng(svg);
    const bytes = new Uint8Array(await png.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const bitmap = await createImageBitmap(png);
    expect([bitmap.width, bitmap.height]).toEqual([600, 400]);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const px = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    // The corner is the opaque dark panel, not transparent.
    expect([...px.slice(0, 4)]).toEqual([26, 30, 36, 255]);
    // Orange bars (#ff7f0e) and light text/axes (#e6e9ee) are drawn on it.
    let orange = 0;
    let light = 0;
    for (let i = 0; i < px.length; i += 4) {
      const [r, g, b] = [px[i]!, px[i + 1]!, px[i + 2]!];
      if (Math.abs(r - 255) < 8 && Math.abs(g - 127) < 8 && Math.abs(b - 14) < 8) orange++;
      if (r > 200 && g > 200 && b > 200) light++;
    }
    expect(orange).toBeGreaterThan(1000);
    expect(light).toBeGreaterThan(100);
  });
});
