/**
 * The heatmap as standalone SVG markup (for export), with the same layout as the canvas: a <rect> per cell
 * for small matrices, else the cells as an embedded PNG.
 */
import {
  DEFAULT_TEXT_COLOR,
  FONT_FAMILY,
  cut,
  heatmapLayout,
  measureWith,
  textMetrics,
  type HeatmapData,
  type HeatmapLayout,
  type HeatmapOptions,
} from './heatmap-layout';
import { cellsCanvas, heatmapCss } from './heatmap-scale';

/** Cells at most this many per side are written as one <rect> each; larger matrices as an embedded PNG. */
const SVG_RECT_LIMIT = 64;

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fx(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function cellsSvg(data: HeatmapData, options: HeatmapOptions, layout: HeatmapLayout): string[] {
  const { plot, cellW, cellH } = layout;
  if (data.rows > SVG_RECT_LIMIT || data.cols > SVG_RECT_LIMIT) {
    const href = cellsCanvas(data, options.scale).toDataURL('image/png');
    return [
      `<image class="cells" x="${fx(plot.x)}" y="${fx(plot.y)}" width="${fx(plot.w)}" height="${fx(plot.h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${href}"/>`,
    ];
  }
  const parts = ['<g class="cells" shape-rendering="crispEdges">'];
  for (let r = 0; r < data.rows; r++) {
    for (let c = 0; c < data.cols; c++) {
      const v = data.values[r * data.cols + c]!;
      parts.push(
        `<rect x="${fx(plot.x + c * cellW)}" y="${fx(plot.y + r * cellH)}" width="${fx(cellW)}" height="${fx(cellH)}" fill="${heatmapCss(options.scale, v)}"/>`,
      );
    }
  }
  parts.push('</g>');
  return parts;
}

function textSvg(data: HeatmapData, options: HeatmapOptions, layout: HeatmapLayout): string[] {
  const { fontSize, maxChars, titleH, axisTitle } = textMetrics(options);
  const { plot, cellW, cellH } = layout;
  const color = options.textColor ?? DEFAULT_TEXT_COLOR;
  const parts: string[] = [];
  if (options.title) {
    parts.push(
      `<text x="2" y="${fx(2 + fontSize)}" font-weight="600" fill="${color}">${escapeXml(options.title)}</text>`,
    );
  }
  for (const i of layout.rowLabelsDrawn) {
    parts.push(
      `<text x="${fx(plot.x - 4)}" y="${fx(plot.y + (i + 0.5) * cellH)}" text-anchor="end" dominant-baseline="middle" fill="${color}">${escapeXml(cut(data.rowLabels?.[i] ?? '', maxChars))}</text>`,
    );
  }
  for (const j of layout.colLabelsDrawn) {
    const x = fx(plot.x + (j + 0.5) * cellW);
    const y = fx(plot.y - 4);
    parts.push(
      `<text transform="translate(${x},${y}) rotate(-90)" dominant-baseline="middle" fill="${color}">${escapeXml(cut(data.colLabels?.[j] ?? '', maxChars))}</text>`,
    );
  }
  if (options.xLabel) {
    parts.push(
      `<text x="${fx(plot.x + plot.w / 2)}" y="${fx(2 + titleH + axisTitle / 2)}" text-anchor="middle" dominant-baseline="middle" fill="${color}">${escapeXml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    parts.push(
      `<text transform="translate(${fx(2 + axisTitle / 2)},${fx(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle" dominant-baseline="middle" fill="${color}">${escapeXml(options.yLabel)}</text>`,
    );
  }
  return parts;
}

/** The heatmap as standalone SVG markup (for export), with the same layout as the canvas. */
export function heatmapSvg(data: HeatmapData, options: HeatmapOptions): string {
  const { fontSize } = textMetrics(options);
  const measureCtx = document.createElement('canvas').getContext('2d');
  const layout = heatmapLayout(data, options, measureWith(measureCtx, fontSize));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${options.width}" height="${options.height}" viewBox="0 0 ${options.width} ${options.height}" font-family='${FONT_FAMILY}' font-size="${fontSize}">`,
  ];
  if (options.title) parts.push(`<title>${escapeXml(options.title)}</title>`);
  if (options.background) {
    parts.push(`<rect width="100%" height="100%" fill="${escapeXml(options.background)}"/>`);
  }
  parts.push(...cellsSvg(data, options, layout), ...textSvg(data, options, layout), '</svg>');
  return parts.join('');
}
