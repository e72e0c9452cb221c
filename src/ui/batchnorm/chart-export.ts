/**
 * Standalone copies of the charts drawn on the page, for the PNG and SVG exports.
 *
 * The charts take their text and axis colour from the page (`currentColor`, inherited from the theme), their
 * font from the page's CSS and their background from the panel behind them. A file saved from them must
 * carry all of that itself: the copy gets the resolved colour in every attribute that said `currentColor`
 * (or `var(--…)`), the page's font family, and a background rectangle in the panel's colour — so a chart
 * exported in the dark theme opens, in any viewer, as it looked on the page.
 */
import { downloadBlob } from '../export';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** A chart as a self-contained SVG document, with its size in CSS pixels. */
export interface StandaloneChart {
  markup: string;
  width: number;
  height: number;
  background: string;
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
 * The colour the chart is seen on: the first non-transparent background of the element or its ancestors,
 * crossing shadow-root boundaries; white where every one is transparent (the page's own canvas colour is
 * not a CSS value one can read).
 */
export function backgroundBehind(el: Element): string {
  let node: Element | null = el;
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
 * Copies a chart into a self-contained SVG document (see the module comment). The live chart is not
 * touched. Its size is the chart's viewBox (the size it was drawn at), whatever CSS scales it to on screen.
 */
export function standaloneChart(svg: SVGSVGElement): StandaloneChart {
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
  // A painted background: CSS backgrounds on the root element are ignored by many SVG renderers.
  const rect = document.createElementNS(SVG_NS, 'rect');
  rect.setAttribute('class', 'export-background');
  rect.setAttribute('x', '0');
  rect.setAttribute('y', '0');
  rect.setAttribute('width', String(width));
  rect.setAttribute('height', String(height));
  rect.setAttribute('fill', background);
  // After the <title>, which stays the first child (it names the image).
  const first = clone.firstElementChild;
  clone.insertBefore(rect, first?.localName === 'title' ? first.nextSibling : first);
  return { markup: new XMLSerializer().serializeToString(clone), width, height, background };
}

/** Saves a chart as a self-contained SVG file. */
export function downloadChartSvg(filename: string, svg: SVGSVGElement): void {
  const { markup } = standaloneChart(svg);
  downloadBlob(filename, new Blob([markup], { type: 'image/svg+xml;charset=utf-8' }));
}

/** Renders the standalone SVG of a chart to PNG at `scale` device pixels per CSS pixel. */
export async function chartPng(svg: SVGSVGElement, scale = 2): Promise<Blob> {
  const chart = standaloneChart(svg);
  if (!(chart.width > 0 && chart.height > 0)) throw new Error('The chart has not been drawn yet.');
  const url = URL.createObjectURL(new Blob([chart.markup], { type: 'image/svg+xml;charset=utf-8' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('Could not render the chart to PNG.'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(chart.width * scale);
    canvas.height = Math.round(chart.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('Could not render the chart to PNG: no 2D canvas context.');
    ctx.fillStyle = chart.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (!blob) throw new Error('Could not encode the chart as PNG.');
    return blob;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a chart as a PNG file (twice its CSS size, for sharp text). */
export async function downloadChartPng(filename: string, svg: SVGSVGElement, scale = 2): Promise<void> {
  downloadBlob(filename, await chartPng(svg, scale));
}
