/**
 * Where a heatmap's plot, cells and labels go (shared by the canvas and SVG renderers), and the cell under
 * a pointer position.
 */
import type { HeatmapScale } from './heatmap-scale';

export interface HeatmapData {
  rows: number;
  cols: number;
  /** Row-major, rows·cols values. */
  values: ArrayLike<number>;
  /** One label per row / column (omit for none). */
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
}

export interface HeatmapOptions {
  /** Size in CSS pixels. */
  width: number;
  height: number;
  scale: HeatmapScale;
  /** Canvas pixels per CSS pixel (default window.devicePixelRatio or 1). */
  dpr?: number;
  /** Keep cells square (default true). */
  square?: boolean;
  /** Drawn above the plot (exports use it; on screen the figure caption names the chart). */
  title?: string;
  /** Axis names, e.g. "keys →" above and "queries ↓" on the left. */
  xLabel?: string;
  yLabel?: string;
  textColor?: string;
  /** Fills the canvas first (default transparent). */
  background?: string;
  fontSize?: number;
  /** Longest label in characters before it is cut with "…" (default 10). */
  maxLabelChars?: number;
  /** Outline this row (e.g. the query row whose weights the bar chart shows). */
  highlightRow?: number;
  /** Outline this cell (hover / keyboard cursor). */
  highlightCell?: { row: number; col: number };
  highlightColor?: string;
  /** Overlay: 1 keeps, 0 masks; masked cells get a hatch (custom-mask painting). rows·cols entries. */
  maskOverlay?: ArrayLike<number>;
}

export interface HeatmapLayout {
  width: number;
  height: number;
  /** The plot area in CSS pixels. */
  plot: { x: number; y: number; w: number; h: number };
  cellW: number;
  cellH: number;
  rows: number;
  cols: number;
  /** Indices of the labels that were drawn (every k-th when cells are smaller than the font). */
  rowLabelsDrawn: number[];
  colLabelsDrawn: number[];
}

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const DEFAULT_TEXT_COLOR = '#1b1f24';

/** Font size, label length and the height of the title and of an axis title, from the options. */
export function textMetrics(options: HeatmapOptions) {
  const fontSize = options.fontSize ?? 11;
  return {
    fontSize,
    maxChars: options.maxLabelChars ?? 10,
    titleH: options.title ? fontSize + 10 : 0,
    axisTitle: fontSize + 6,
  };
}

/** `label` cut to `max` characters with "…". */
export function cut(label: string, max: number): string {
  const chars = Array.from(label);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : label;
}

/**
 * Every k-th index such that labels `cell` pixels apart are at least `need` pixels apart, with k from the
 * 1-2-5 sequence (1, 2, 5, 10, 20, 50 …) so that numbered axes read 0, 5, 10 … rather than 0, 3, 6 ….
 */
export function labelIndices(n: number, cell: number, need: number): number[] {
  const min = Math.max(1, Math.ceil(need / Math.max(cell, 1e-9)));
  let step = 1;
  for (let decade = 1; step < min; decade *= 10) {
    step = [1, 2, 5].map((m) => m * decade).find((k) => k >= min) ?? 10 * decade;
  }
  const out: number[] = [];
  for (let i = 0; i < n; i += step) out.push(i);
  return out;
}

/** Width of a text in CSS pixels. */
type TextMeasure = (text: string) => number;

/** Measures with the canvas font (or estimates 0.6 em per character without a context). */
export function measureWith(ctx: CanvasRenderingContext2D | null, fontSize: number): TextMeasure {
  if (ctx) {
    ctx.font = `${fontSize}px ${FONT_FAMILY}`;
    return (t) => ctx.measureText(t).width;
  }
  return (t) => Array.from(t).length * fontSize * 0.6;
}

/** Where everything goes (shared by the canvas and the SVG renderers). */
export function heatmapLayout(
  data: HeatmapData,
  options: HeatmapOptions,
  measure: TextMeasure = measureWith(null, options.fontSize ?? 11),
): HeatmapLayout {
  const { width, height } = options;
  const { fontSize, maxChars, titleH, axisTitle } = textMetrics(options);
  const gap = 4;
  const rowText = (data.rowLabels ?? []).map((l) => cut(l, maxChars));
  const colText = (data.colLabels ?? []).map((l) => cut(l, maxChars));
  const rowW = rowText.length ? Math.max(...rowText.map(measure)) + gap : 0;
  const colH = colText.length ? Math.max(...colText.map(measure)) + gap : 0;
  const left = 2 + (options.yLabel ? axisTitle : 0) + rowW;
  const top = 2 + titleH + (options.xLabel ? axisTitle : 0) + colH;
  const availW = Math.max(1, width - left - 4);
  const availH = Math.max(1, height - top - 4);
  let cellW = availW / data.cols;
  let cellH = availH / data.rows;
  if (options.square ?? true) cellW = cellH = Math.min(cellW, cellH);
  const plot = { x: left, y: top, w: cellW * data.cols, h: cellH * data.rows };
  return {
    width,
    height,
    plot,
    cellW,
    cellH,
    rows: data.rows,
    cols: data.cols,
    // Row labels stack like lines of text; column labels are rotated, so glyphs sit side by side and
    // need more room to stay apart.
    rowLabelsDrawn: rowText.length ? labelIndices(data.rows, cellH, fontSize + 1) : [],
    colLabelsDrawn: colText.length ? labelIndices(data.cols, cellW, Math.ceil(fontSize * 1.5)) : [],
  };
}

/** The cell under a point given in CSS pixels relative to the canvas, or null. */
export function heatmapCellAt(
  layout: HeatmapLayout,
  x: number,
  y: number,
): { row: number; col: number } | null {
  const { plot } = layout;
  if (x < plot.x || y < plot.y || x >= plot.x + plot.w || y >= plot.y + plot.h) return null;
  const col = Math.min(layout.cols - 1, Math.floor((x - plot.x) / layout.cellW));
  const row = Math.min(layout.rows - 1, Math.floor((y - plot.y) / layout.cellH));
  return { row, col };
}
