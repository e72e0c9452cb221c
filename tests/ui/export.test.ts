/**
 * The chart exports of every lab are self-contained: an SVG copy of a chart drawn inside a shadow root
 * under a dark panel resolves currentColor and var(--…) to the theme's colours, names the page's font and
 * paints the panel's background itself; the PNG is drawn from that copy at twice the chart's size on an
 * opaque background. Canvas images (image grids, heatmaps) export as PNG on the panel's colour too, and a
 * plot whose points sit on a canvas under its SVG axes (the Diffusion lab's particles) embeds that canvas.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { renderHistogram } from '../../src/charts/histogram';
import { renderImageGrid } from '../../src/charts/image-grid';
import { renderChannels, renderLines } from '../../src/charts/lines';
import { renderScatter } from '../../src/charts/scatter';
import {
  backgroundBehind,
  canvasPng,
  chartPng,
  isTransparent,
  resolveValue,
  standaloneChart,
  svgMarkup,
} from '../../src/ui/common/export';

const SVG_NS = 'http://www.w3.org/2000/svg';
// The dark theme's text and panel colours, as computed colours.
const FG = 'rgb(230, 233, 238)';
const PANEL = 'rgb(26, 30, 36)';

let host: HTMLElement | null = null;
afterEach(() => {
  host?.remove();
  host = null;
});

const BAR = 'rgb(76, 120, 168)';

/** A figure inside a shadow root, inside a dark panel, the way the labs' charts sit on the page. */
function darkFigure(): HTMLElement {
  host = document.createElement('div');
  host.style.cssText = `--ks-panel:${PANEL};--ks-fg:${FG};--ks-bar:${BAR};background:var(--ks-panel)`;
  document.body.append(host);
  const root = host.attachShadow({ mode: 'open' });
  const figure = document.createElement('figure');
  figure.style.cssText = 'color:var(--ks-fg);font-family:monospace;margin:0';
  root.append(figure);
  return figure;
}

function darkChart(): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'loss');
  darkFigure().append(svg);
  return svg;
}

/** Decodes a PNG blob: its size and RGBA pixels. */
async function decode(png: Blob): Promise<{ width: number; height: number; px: Uint8ClampedArray }> {
  const bytes = new Uint8Array(await png.arrayBuffer());
  expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const bitmap = await createImageBitmap(png);
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return {
    width: bitmap.width,
    height: bitmap.height,
    px: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data,
  };
}

/** Pixels within 8 of an RGB colour. */
function countNear(px: Uint8ClampedArray, [r0, g0, b0]: [number, number, number]): number {
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.abs(px[i]! - r0) < 8 && Math.abs(px[i + 1]! - g0) < 8 && Math.abs(px[i + 2]! - b0) < 8) n++;
  }
  return n;
}

function parse(markup: string): Document {
  const doc = new DOMParser().parseFromString(markup, 'image/svg+xml');
  expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
  return doc;
}

describe('chart export', () => {
  it('tells transparent computed colours from painted ones', () => {
    expect(isTransparent('rgba(0, 0, 0, 0)')).toBe(true);
    expect(isTransparent('transparent')).toBe(true);
    expect(isTransparent('rgb(0 0 0 / 0%)')).toBe(true);
    expect(isTransparent('')).toBe(true);
    expect(isTransparent('rgb(26, 30, 36)')).toBe(false);
    expect(isTransparent('rgba(26, 30, 36, 0.5)')).toBe(false);
    expect(isTransparent('#ffffff')).toBe(false);
  });

  it('finds the panel background across the shadow boundary; white for an element not on the page', () => {
    expect(backgroundBehind(darkChart())).toBe(PANEL);
    expect(backgroundBehind(document.createElement('canvas'))).toBe('#ffffff');
  });

  it('resolves currentColor and var() with nested fallbacks, leaving other text alone', () => {
    const style = getComputedStyle(darkChart());
    expect(resolveValue('currentColor', FG, style)).toBe(FG);
    expect(resolveValue('var(--ks-bar)', FG, style)).toBe(BAR);
    expect(resolveValue('var(--ks-none, #123456)', FG, style)).toBe('#123456');
    expect(resolveValue('var(--ks-none, var(--ks-also-none, currentColor))', FG, style)).toBe(FG);
    expect(resolveValue('url(#a) var(--ks-bar) 2px', FG, style)).toBe(`url(#a) ${BAR} 2px`);
    expect(resolveValue('translate(3,4)', FG, style)).toBe('translate(3,4)');
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
    // Every label's fill, its own or the nearest ancestor's that sets one (an unset fill inherits), is the
    // theme's text colour.
    const resolvedFill = (el: Element): string | null => {
      for (let e: Element | null = el; e; e = e.parentElement) {
        const fill = e.getAttribute('fill');
        if (fill !== null) return fill;
        if (e === root) break;
      }
      return null;
    };
    expect(new Set(texts.map(resolvedFill))).toEqual(new Set([FG]));
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

  it('exports the Random lab histogram (bars in var(--ks-bar)) with no variables left, on the dark panel', async () => {
    const svg = darkChart();
    renderHistogram(
      svg,
      {
        lo: -3,
        hi: 3,
        counts: [1, 4, 9, 12, 9, 4, 1],
        total: 40,
        density: () => 0.3,
        densityLabel: 'N(0, 1)',
      },
      { width: 320, height: 200, title: 'Histogram', xLabel: 'x' },
    );
    expect(svg.outerHTML).toMatch(/var\(--ks-bar/);
    const markup = svgMarkup(svg);
    expect(markup).not.toMatch(/currentColor|var\(/i);
    const root = parse(markup).documentElement;
    expect(root.querySelector('g.bars')!.getAttribute('fill')).toBe(BAR);
    expect(root.querySelector('rect.export-background')!.getAttribute('fill')).toBe(PANEL);

    const { width, height, px } = await decode(await chartPng(svg));
    expect([width, height]).toEqual([640, 400]);
    expect([...px.slice(0, 4)]).toEqual([26, 30, 36, 255]);
    // The bars in the resolved --ks-bar colour, not black (an unresolved variable) or missing.
    expect(countNear(px, [76, 120, 168])).toBeGreaterThan(2000);
  });

  it("embeds the canvas of points under a scatter's axes, above the background", async () => {
    const figure = darkFigure();
    const canvas = document.createElement('canvas');
    const svg = document.createElementNS(SVG_NS, 'svg');
    figure.append(canvas, svg);
    const positions = new Float32Array(400);
    for (let i = 0; i < 200; i++) {
      positions[2 * i] = Math.cos(i) * (i / 100);
      positions[2 * i + 1] = Math.sin(i) * (i / 100);
    }
    renderScatter(
      { canvas, svg },
      { positions },
      {
        width: 240,
        height: 240,
        extent: 2.5,
        title: 'Particles',
        colors: { points: '#ff7f0e' },
        pixelRatio: 1,
        pointSize: 4,
      },
    );
    const chart = standaloneChart(svg, { underlay: canvas });
    expect(chart.markup).not.toMatch(/currentColor|var\(/i);
    const root = parse(chart.markup).documentElement;
    const [bg, image] = [root.children[1]!, root.children[2]!];
    expect(bg.getAttribute('class')).toBe('export-background');
    expect(image.localName).toBe('image');
    expect([image.getAttribute('width'), image.getAttribute('height')]).toEqual(['240', '240']);
    expect(image.getAttribute('href')).toMatch(/^data:image\/png;base64,/);

    const { px } = await decode(await chartPng(svg, { underlay: canvas }));
    expect([...px.slice(0, 4)]).toEqual([26, 30, 36, 255]);
    expect(countNear(px, [255, 127, 14])).toBeGreaterThan(500);
    // Without the underlay the file has axes only: no orange points.
    const bare = await decode(await chartPng(svg));
    expect(countNear(bare.px, [255, 127, 14])).toBe(0);
  });

  it('saves a canvas image grid as PNG with its transparent gaps in the panel colour', async () => {
    const figure = darkFigure();
    const canvas = document.createElement('canvas');
    figure.append(canvas);
    // Four 4×4 images, all at the top of the range (white), with gaps between them.
    renderImageGrid(canvas, new Float32Array(4 * 16).fill(1), { size: 4, count: 4, columns: 2, scale: 4 });
    const live = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const transparent = countAlpha(live, 0);
    expect(transparent).toBeGreaterThan(0);

    const { width, height, px } = await decode(await canvasPng(canvas));
    expect([width, height]).toEqual([canvas.width, canvas.height]);
    expect(countAlpha(px, 255)).toBe(width * height);
    // The former gaps are the panel colour; the images stay white.
    expect(countNear(px, [26, 30, 36])).toBe(transparent);
    expect(countNear(px, [255, 255, 255])).toBe(width * height - transparent);
    // An explicit background wins (a canvas drawn off the page, e.g. an enlarged heatmap).
    const own = await decode(await canvasPng(canvas, 'rgb(10, 200, 30)'));
    expect(countNear(own.px, [10, 200, 30])).toBe(transparent);
  });

  it('refuses a chart or canvas that has not been drawn, with a clear message', async () => {
    const figure = darkFigure();
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.style.display = 'none';
    figure.append(svg);
    await expect(chartPng(svg)).rejects.toThrow('The chart has not been drawn yet.');
    const canvas = document.createElement('canvas');
    canvas.width = 0;
    await expect(canvasPng(canvas)).rejects.toThrow('The image has not been drawn yet.');
  });
});

function countAlpha(px: Uint8ClampedArray, a: number): number {
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] === a) n++;
  return n;
}
