/** Downloads: JSON / CSV / SVG / PNG from data the app already has. */
import { msg } from '@lit/localize';

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser fetches the blob after this returns, in another process: on a busy machine that can take
  // over a second, and a revoked URL makes the download vanish without a trace. Keep it for a minute.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Window event the app shell turns into a visible alert when an export fails (detail: { message }). */
export const EXPORT_ERROR_EVENT = 'ks-export-error';

/**
 * Runs an export started by a click without awaiting it: a failure (chart not drawn yet, canvas encoding
 * refused, …) becomes an alert in the app shell instead of an unhandled rejection.
 */
export function reportExport(work: Promise<unknown>): void {
  work.catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    window.dispatchEvent(new CustomEvent(EXPORT_ERROR_EVENT, { detail: { message } }));
  });
}

export function downloadJson(filename: string, value: unknown): void {
  downloadBlob(filename, new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
}

export type CsvRow = Array<string | number>;

export function downloadCsv(filename: string, rows: CsvRow[]): void {
  downloadBlob(filename, new Blob([csvText(rows)], { type: 'text/csv' }));
}

/** RFC 4180 text: cells with a comma, quote or line break are quoted; one record per line. */
export function csvText(rows: CsvRow[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A table as JSON records: one object per row keyed by the column names (the same table a CSV export
 * writes, header row first). Non-finite numbers become null, since JSON has no ±Infinity or NaN.
 */
export function tableRecords(rows: CsvRow[]): Array<Record<string, string | number | null>> {
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((row) =>
    Object.fromEntries(
      header.map((name, j) => {
        const v = row[j];
        return [String(name), typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null)];
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------------
// Chart images
//
// The charts take their text and axis colour from the page (`currentColor`, inherited from the theme), their
// font from the page's CSS and their background from the panel behind them. A file saved from them must
// carry all of that itself: the copy gets the resolved colour in every attribute that said `currentColor`
// (or `var(--…)`), the page's font family, and a background rectangle in the panel's colour — so a chart
// exported in the dark theme opens, in any viewer, as it looked on the page. PNGs are drawn from that copy
// (or from a canvas) onto an opaque background, never left transparent.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A chart as a self-contained SVG document, with its size in CSS pixels. */
export interface StandaloneChart {
  markup: string;
  width: number;
  height: number;
  background: string;
}

export interface ChartImageOptions {
  /**
   * A canvas drawn under the chart's marks (charts whose points are painted on a canvas beneath an SVG of
   * axes): embedded as an image covering the chart, above the background.
   */
  underlay?: HTMLCanvasElement;
}

/** True for a computed colour that paints nothing (`transparent`, `rgba(…, 0)`). */
export function isTransparent(color: string): boolean {
  const c = color.trim().toLowerCase();
  if (c === '' || c === 'transparent') return true;
  const m = /^rgba?\(([^)]*)\)$/.exec(c);
  if (!m) return false;
  const parts = m[1]!.split(/[\s,/]+/).filter(Boolean);
  if (parts.length < 4) return false;
  const a = parts[3]!;
  return a.endsWith('%') ? Number(a.slice(0, -1)) === 0 : Number(a) === 0;
}

/**
 * The colour an element is seen on: the first non-transparent background of the element or its ancestors,
 * crossing shadow-root boundaries; white where every one is transparent or the element is not in the page
 * (the page's own canvas colour is not a CSS value one can read).
 */
export function backgroundBehind(el: Element): string {
  let node: Element | null = el.isConnected ? el : null;
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (!isTransparent(bg)) return bg;
    const parent: Node | null = node.parentNode;
    node = parent instanceof ShadowRoot ? parent.host : parent instanceof Element ? parent : null;
  }
  return '#ffffff';
}

/**
 * Replaces `currentColor` and every `var(--name)` / `var(--name, fallback)` in an attribute value with
 * resolved values (the custom property as computed on the chart, else the fallback, itself resolved).
 */
export function resolveValue(value: string, color: string, style: CSSStyleDeclaration): string {
  let out = '';
  let i = 0;
  for (;;) {
    const at = value.indexOf('var(', i);
    if (at < 0) break;
    // The matching parenthesis and the first comma at the top level of the var( … ).
    let depth = 0;
    let comma = -1;
    let close = -1;
    for (let j = at + 3; j < value.length; j++) {
      const c = value[j];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        close = j;
        break;
      } else if (c === ',' && depth === 1 && comma < 0) comma = j;
    }
    if (close < 0) break;
    const name = value.slice(at + 4, comma < 0 ? close : comma).trim();
    const own = style.getPropertyValue(name).trim();
    const fallback = comma < 0 ? '' : value.slice(comma + 1, close).trim();
    out +=
      value.slice(i, at) + (own ? resolveValue(own, color, style) : resolveValue(fallback, color, style));
    i = close + 1;
  }
  return (out + value.slice(i)).replace(/currentColor/gi, color);
}

/**
 * Copies a chart into a self-contained SVG document (see above). The live chart is not touched. Its size is
 * the chart's viewBox (the size it was drawn at), whatever CSS scales it to on screen.
 */
export function standaloneChart(svg: SVGSVGElement, options: ChartImageOptions = {}): StandaloneChart {
  const style = getComputedStyle(svg);
  const color = style.color || '#000000';
  const font = style.fontFamily || 'sans-serif';
  const background = backgroundBehind(svg);
  const box = svg.viewBox.baseVal;
  const width = box && box.width > 0 ? box.width : svg.clientWidth;
  const height = box && box.height > 0 ? box.height : svg.clientHeight;

  const clone = svg.cloneNode(true) as SVGSVGElement;
  for (const el of [clone, ...clone.querySelectorAll('*')]) {
    for (const attr of [...el.attributes]) {
      if (/currentColor|var\(/i.test(attr.value)) {
        el.setAttribute(attr.name, resolveValue(attr.value, color, style));
      }
    }
  }
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height));
  if (!clone.hasAttribute('viewBox')) clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
  // Presentation attributes (read by every SVG renderer) and the same as inline CSS (for browsers).
  clone.setAttribute('color', color);
  clone.setAttribute('font-family', font);
  clone.setAttribute('style', `color:${color};font-family:${font};background-color:${background}`);
  clone.removeAttribute('class');
  const cover = (el: Element) => {
    const x = box && box.width > 0 ? box.x : 0;
    const y = box && box.height > 0 ? box.y : 0;
    el.setAttribute('x', String(x));
    el.setAttribute('y', String(y));
    el.setAttribute('width', String(width));
    el.setAttribute('height', String(height));
  };
  // After the <title>, which stays the first child (it names the image).
  const first = clone.firstElementChild;
  const after = first?.localName === 'title' ? first.nextSibling : first;
  // A painted background: CSS backgrounds on the root element are ignored by many SVG renderers.
  const rect = document.createElementNS(SVG_NS, 'rect');
  rect.setAttribute('class', 'export-background');
  cover(rect);
  rect.setAttribute('fill', background);
  clone.insertBefore(rect, after);
  if (options.underlay) {
    const image = document.createElementNS(SVG_NS, 'image');
    image.setAttribute('class', 'export-underlay');
    cover(image);
    image.setAttribute('preserveAspectRatio', 'none');
    image.setAttribute('href', options.underlay.toDataURL('image/png'));
    clone.insertBefore(image, rect.nextSibling);
  }
  return { markup: new XMLSerializer().serializeToString(clone), width, height, background };
}

/** A chart as self-contained SVG markup (see standaloneChart). */
export function svgMarkup(svg: SVGSVGElement, options: ChartImageOptions = {}): string {
  return standaloneChart(svg, options).markup;
}

/** Saves a chart as a self-contained SVG file. */
export function downloadSvg(filename: string, svg: SVGSVGElement, options: ChartImageOptions = {}): void {
  const { markup } = standaloneChart(svg, options);
  downloadBlob(filename, new Blob([markup], { type: 'image/svg+xml;charset=utf-8' }));
}

/** Renders the standalone SVG of a chart to PNG at `scale` device pixels per CSS pixel (default 2). */
export async function chartPng(
  svg: SVGSVGElement,
  options: ChartImageOptions & { scale?: number } = {},
): Promise<Blob> {
  const scale = options.scale ?? 2;
  const chart = standaloneChart(svg, options);
  if (!(chart.width > 0 && chart.height > 0)) throw new Error(msg('The chart has not been drawn yet.'));
  const url = URL.createObjectURL(new Blob([chart.markup], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error(msg('Could not render the chart to PNG.')));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(chart.width * scale);
    canvas.height = Math.round(chart.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error(msg('Could not render the chart to PNG: no 2D canvas context.'));
    ctx.fillStyle = chart.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await encodePng(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a chart as a PNG file (twice its CSS size by default, for sharp text), on an opaque background. */
export async function downloadSvgAsPng(
  filename: string,
  svg: SVGSVGElement,
  options: ChartImageOptions & { scale?: number } = {},
): Promise<void> {
  downloadBlob(filename, await chartPng(svg, options));
}

/**
 * A canvas as PNG on an opaque background: `background`, else the colour behind the canvas on the page
 * (its panel), so transparent gaps (between the images of a grid, around the points of a plot) come out
 * in the theme's panel colour rather than as transparency. The canvas itself is not changed.
 */
export async function canvasPng(canvas: HTMLCanvasElement, background?: string): Promise<Blob> {
  if (!(canvas.width > 0 && canvas.height > 0)) throw new Error(msg('The image has not been drawn yet.'));
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error(msg('Could not render the image to PNG: no 2D canvas context.'));
  ctx.fillStyle = background ?? backgroundBehind(canvas);
  ctx.fillRect(0, 0, out.width, out.height);
  // Pixel art (the image grids) stays sharp: the copy is 1:1, never smoothed.
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(canvas, 0, 0);
  return encodePng(out);
}

/** Saves a canvas as a PNG file on an opaque background (see canvasPng). */
export async function downloadCanvasPng(
  filename: string,
  canvas: HTMLCanvasElement,
  background?: string,
): Promise<void> {
  downloadBlob(filename, await canvasPng(canvas, background));
}

async function encodePng(canvas: HTMLCanvasElement): Promise<Blob> {
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
  if (!blob) throw new Error(msg('Could not encode the image as PNG.'));
  return blob;
}
