/**
 * Heatmaps of a rows×cols matrix drawn on a <canvas>: one pixel per cell in an ImageData, scaled up with
 * smoothing off (so 4096×4096 pooled to 256×256 costs the same as 16×16), with row and column labels as
 * canvas text. Pure render functions: (target, data, options) → drawn; they return the layout so callers
 * can map pointer positions to cells. `heatmapSvg` writes the same picture as SVG markup (a <rect> per cell
 * for small matrices, else the cells as an embedded PNG) and `renderHeatmapLegend` draws a shared legend.
 *
 * Colour scales (both perceptually ordered and colour-blind safe):
 * - sequential: d3.interpolateViridis over [min, max] (attention weights: [0, 1]);
 * - diverging: d3.interpolateRdBu reversed over [−max, +max] (blue negative, near-white 0, red positive),
 *   for raw and scaled scores and the output.
 * Masked entries (values ≤ MASKED_THRESHOLD, the GPU's −3e38 sentinel or −∞) are drawn in MASKED_COLOR;
 * NaN in NAN_COLOR (it should never appear).
 */
import * as d3 from 'd3';

/** Values at or below this are masked (−∞ in the reference, −3e38 on the GPU). */
export const MASKED_THRESHOLD = -1e38;
export const MASKED_COLOR = '#8c8c8c';
export const NAN_COLOR = '#ff00ff';

export type HeatmapScale =
  { kind: 'sequential'; min: number; max: number } | { kind: 'diverging'; max: number };

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

const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** The colour of one value as [r, g, b] (0–255). */
export function heatmapColor(scale: HeatmapScale, v: number): [number, number, number] {
  if (Number.isNaN(v)) return rgb(NAN_COLOR);
  if (v <= MASKED_THRESHOLD) return rgb(MASKED_COLOR);
  return lut(scale)[lutIndex(scale, v)]!;
}

function rgb(color: string): [number, number, number] {
  const c = d3.rgb(color);
  return [Math.round(c.r), Math.round(c.g), Math.round(c.b)];
}

const LUT_SIZE = 256;
const luts = new Map<string, Array<[number, number, number]>>();

function interpolator(scale: HeatmapScale): (t: number) => string {
  return scale.kind === 'sequential' ? d3.interpolateViridis : (t) => d3.interpolateRdBu(1 - t);
}

function lut(scale: HeatmapScale): Array<[number, number, number]> {
  let table = luts.get(scale.kind);
  if (!table) {
    const f = interpolator(scale);
    table = Array.from({ length: LUT_SIZE }, (_, i) => rgb(f(i / (LUT_SIZE - 1))));
    luts.set(scale.kind, table);
  }
  return table;
}

function lutIndex(scale: HeatmapScale, v: number): number {
  const [lo, hi] = scale.kind === 'sequential' ? [scale.min, scale.max] : [-scale.max, scale.max];
  const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
  return Math.max(0, Math.min(LUT_SIZE - 1, Math.round(t * (LUT_SIZE - 1))));
}

/** CSS colour string of a value (legends, SVG export). */
export function heatmapCss(scale: HeatmapScale, v: number): string {
  const [r, g, b] = heatmapColor(scale, v);
  return `rgb(${r},${g},${b})`;
}

/** The largest |value| over entries that are not masked (for a diverging scale); 0 when there are none. */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > MASKED_THRESHOLD && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}

function cut(label: string, max: number): string {
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

interface TextMeasure {
  (text: string): number;
}

function measureWith(ctx: CanvasRenderingContext2D | null, fontSize: number): TextMeasure {
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
  measure: TextMeasure = (t) => Array.from(t).length * (options.fontSize ?? 11) * 0.6,
): HeatmapLayout {
  const { width, height } = options;
  const fontSize = options.fontSize ?? 11;
  const maxChars = options.maxLabelChars ?? 10;
  const gap = 4;
  const axisTitle = fontSize + 6;
  const titleH = options.title ? fontSize + 10 : 0;
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

/** The cells as an ImageData-backed canvas, one pixel per cell. */
function cellsCanvas(data: HeatmapData, scale: HeatmapScale): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = data.cols;
  c.height = data.rows;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(data.cols, data.rows);
  const px = img.data;
  const table = lut(scale);
  const masked = rgb(MASKED_COLOR);
  const nan = rgb(NAN_COLOR);
  const n = data.rows * data.cols;
  for (let i = 0; i < n; i++) {
    const v = data.values[i]!;
    const [r, g, b] = Number.isNaN(v) ? nan : v <= MASKED_THRESHOLD ? masked : table[lutIndex(scale, v)]!;
    px[4 * i] = r;
    px[4 * i + 1] = g;
    px[4 * i + 2] = b;
    px[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Draws the heatmap on `canvas` (resizing it to width·dpr × height·dpr) and returns the layout. */
export function renderHeatmap(
  canvas: HTMLCanvasElement,
  data: HeatmapData,
  options: HeatmapOptions,
): HeatmapLayout {
  const dpr = options.dpr ?? globalThis.devicePixelRatio ?? 1;
  const fontSize = options.fontSize ?? 11;
  const maxChars = options.maxLabelChars ?? 10;
  canvas.width = Math.max(1, Math.round(options.width * dpr));
  canvas.height = Math.max(1, Math.round(options.height * dpr));
  canvas.style.width = `${options.width}px`;
  canvas.style.height = `${options.height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, options.width, options.height);
  if (options.background) {
    ctx.fillStyle = options.background;
    ctx.fillRect(0, 0, options.width, options.height);
  }
  const layout = heatmapLayout(data, options, measureWith(ctx, fontSize));
  const { plot } = layout;
  if (data.rows > 0 && data.cols > 0) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cellsCanvas(data, options.scale), plot.x, plot.y, plot.w, plot.h);
  }
  if (options.maskOverlay) drawHatch(ctx, layout, options.maskOverlay);

  const color = options.textColor ?? '#1b1f24';
  ctx.fillStyle = color;
  ctx.font = `${fontSize}px ${FONT_FAMILY}`;
  ctx.textBaseline = 'middle';
  if (options.title) {
    ctx.textAlign = 'left';
    ctx.font = `600 ${fontSize + 1}px ${FONT_FAMILY}`;
    ctx.fillText(options.title, 2, 2 + (fontSize + 1) / 2 + 1, options.width - 4);
    ctx.font = `${fontSize}px ${FONT_FAMILY}`;
  }
  if (data.rowLabels) {
    ctx.textAlign = 'right';
    for (const i of layout.rowLabelsDrawn) {
      ctx.fillText(cut(data.rowLabels[i] ?? '', maxChars), plot.x - 4, plot.y + (i + 0.5) * layout.cellH);
    }
  }
  if (data.colLabels) {
    ctx.save();
    ctx.textAlign = 'left';
    for (const j of layout.colLabelsDrawn) {
      ctx.save();
      ctx.translate(plot.x + (j + 0.5) * layout.cellW, plot.y - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(cut(data.colLabels[j] ?? '', maxChars), 0, 0);
      ctx.restore();
    }
    ctx.restore();
  }
  const titleH = options.title ? fontSize + 10 : 0;
  ctx.fillStyle = color;
  if (options.xLabel) {
    ctx.textAlign = 'center';
    ctx.fillText(options.xLabel, plot.x + plot.w / 2, 2 + titleH + (fontSize + 6) / 2, options.width);
  }
  if (options.yLabel) {
    ctx.save();
    ctx.translate(2 + (fontSize + 6) / 2, plot.y + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(options.yLabel, 0, 0);
    ctx.restore();
  }
  const hl = options.highlightColor ?? '#f5a623';
  if (options.highlightRow !== undefined && options.highlightRow >= 0 && options.highlightRow < data.rows) {
    ctx.strokeStyle = hl;
    ctx.lineWidth = 2;
    ctx.strokeRect(
      plot.x - 1,
      plot.y + options.highlightRow * layout.cellH - 1,
      plot.w + 2,
      layout.cellH + 2,
    );
  }
  if (options.highlightCell) {
    const { row, col } = options.highlightCell;
    if (row >= 0 && row < data.rows && col >= 0 && col < data.cols) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.strokeRect(plot.x + col * layout.cellW, plot.y + row * layout.cellH, layout.cellW, layout.cellH);
    }
  }
  return layout;
}

/** Diagonal hatching over masked cells (where the overlay is 0). */
function drawHatch(ctx: CanvasRenderingContext2D, layout: HeatmapLayout, overlay: ArrayLike<number>) {
  const { plot, cellW, cellH, rows, cols } = layout;
  ctx.save();
  ctx.strokeStyle = 'rgba(255,255,255,0.75)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (overlay[r * cols + c]) continue;
      const x = plot.x + c * cellW;
      const y = plot.y + r * cellH;
      ctx.moveTo(x, y + cellH);
      ctx.lineTo(x + cellW, y);
    }
  }
  ctx.stroke();
  ctx.restore();
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Cells at most this many per side are written as one <rect> each; larger matrices as an embedded PNG. */
export const SVG_RECT_LIMIT = 64;

/** The heatmap as standalone SVG markup (for export), with the same layout as the canvas. */
export function heatmapSvg(data: HeatmapData, options: HeatmapOptions): string {
  const fontSize = options.fontSize ?? 11;
  const maxChars = options.maxLabelChars ?? 10;
  const measureCtx = document.createElement('canvas').getContext('2d');
  const layout = heatmapLayout(data, options, measureWith(measureCtx, fontSize));
  const { plot, cellW, cellH } = layout;
  const color = options.textColor ?? '#1b1f24';
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${options.width}" height="${options.height}" viewBox="0 0 ${options.width} ${options.height}" font-family='${FONT_FAMILY}' font-size="${fontSize}">`,
  );
  if (options.title) parts.push(`<title>${escapeXml(options.title)}</title>`);
  if (options.background) {
    parts.push(`<rect width="100%" height="100%" fill="${escapeXml(options.background)}"/>`);
  }
  if (data.rows <= SVG_RECT_LIMIT && data.cols <= SVG_RECT_LIMIT) {
    parts.push('<g class="cells" shape-rendering="crispEdges">');
    for (let r = 0; r < data.rows; r++) {
      for (let c = 0; c < data.cols; c++) {
        const v = data.values[r * data.cols + c]!;
        parts.push(
          `<rect x="${fx(plot.x + c * cellW)}" y="${fx(plot.y + r * cellH)}" width="${fx(cellW)}" height="${fx(cellH)}" fill="${heatmapCss(options.scale, v)}"/>`,
        );
      }
    }
    parts.push('</g>');
  } else {
    const href = cellsCanvas(data, options.scale).toDataURL('image/png');
    parts.push(
      `<image class="cells" x="${fx(plot.x)}" y="${fx(plot.y)}" width="${fx(plot.w)}" height="${fx(plot.h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${href}"/>`,
    );
  }
  if (options.title) {
    parts.push(
      `<text x="2" y="${fx(2 + fontSize)}" font-weight="600" fill="${color}">${escapeXml(options.title)}</text>`,
    );
  }
  const titleH = options.title ? fontSize + 10 : 0;
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
      `<text x="${fx(plot.x + plot.w / 2)}" y="${fx(2 + titleH + (fontSize + 6) / 2)}" text-anchor="middle" dominant-baseline="middle" fill="${color}">${escapeXml(options.xLabel)}</text>`,
    );
  }
  if (options.yLabel) {
    parts.push(
      `<text transform="translate(${fx(2 + (fontSize + 6) / 2)},${fx(plot.y + plot.h / 2)}) rotate(-90)" text-anchor="middle" dominant-baseline="middle" fill="${color}">${escapeXml(options.yLabel)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function fx(x: number): string {
  return String(Math.round(x * 100) / 100);
}

export interface LegendOptions {
  width: number;
  /** Max |value| of the diverging panels, e.g. [['QKᵀ', 12.3], ['scaled', 3.1]], written under the bar. */
  divergingMax?: ReadonlyArray<readonly [string, number]>;
  /** 'unit': weights over [0, 1] (default); 'max': over [0, each panel's max]. */
  weightsRange?: 'unit' | 'max';
  title?: string;
}

/**
 * The one legend the stage strip shares: the sequential weights scale (viridis, 0 → 1), the diverging
 * score/output scale (RdBu reversed, −max → 0 → +max, each panel scaled to its own max |value|), and the
 * masked swatch. Drawn in SVG with CSS `currentColor` text.
 */
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
        'Legend: weights use viridis from 0 to 1; scores and output use a diverging blue–white–red scale centred on 0; grey cells are masked.',
    );
  const defs = svg.append('defs');
  const gradient = (id: string, f: (t: number) => string) => {
    const g = defs.append('linearGradient').attr('id', id);
    for (let i = 0; i <= 16; i++) {
      g.append('stop')
        .attr('offset', `${(i / 16) * 100}%`)
        .attr('stop-color', f(i / 16));
    }
  };
  const uid = Math.random().toString(36).slice(2, 8);
  gradient(`ks-viridis-${uid}`, d3.interpolateViridis);
  gradient(`ks-rdbu-${uid}`, (t) => d3.interpolateRdBu(1 - t));
  const text = (x: number, y: number, s: string, anchor = 'start') =>
    svg
      .append('text')
      .attr('x', x)
      .attr('y', y)
      .attr('fill', 'currentColor')
      .attr('font-size', 12)
      .attr('text-anchor', anchor)
      .text(s);

  let x = 4;
  const unit = (options.weightsRange ?? 'unit') === 'unit';
  text(x, 14, unit ? 'Weights (softmax): viridis, 0 → 1' : 'Weights: viridis, 0 → each panel’s max');
  svg
    .append('rect')
    .attr('class', 'legend-weights')
    .attr('x', x)
    .attr('y', 20)
    .attr('width', barW)
    .attr('height', 12)
    .attr('fill', `url(#ks-viridis-${uid})`);
  text(x, 46, '0');
  text(x + barW / 2, 46, unit ? '0.5' : 'max/2', 'middle');
  text(x + barW, 46, unit ? '1' : 'max', 'end');

  x += barW + 28;
  text(x, 14, 'Scores and output: diverging RdBu, centred on 0');
  svg
    .append('rect')
    .attr('class', 'legend-scores')
    .attr('x', x)
    .attr('y', 20)
    .attr('width', barW)
    .attr('height', 12)
    .attr('fill', `url(#ks-rdbu-${uid})`);
  text(x, 46, '−max');
  text(x + barW / 2, 46, '0', 'middle');
  text(x + barW, 46, '+max', 'end');
  if (options.divergingMax?.length) {
    text(
      x,
      height - 5,
      `max = each panel's largest |value|: ${options.divergingMax.map(([n, m]) => `${n} ${fmtLegend(m)}`).join(', ')}`,
    ).attr('font-size', 11);
  }

  x += barW + 28;
  svg
    .append('rect')
    .attr('class', 'legend-masked')
    .attr('x', x)
    .attr('y', 20)
    .attr('width', 14)
    .attr('height', 12)
    .attr('fill', MASKED_COLOR);
  text(x + 20, 30, 'masked (−∞)');
}

function fmtLegend(x: number): string {
  if (x === 0) return '0';
  return Math.abs(x) >= 100 || Math.abs(x) < 0.01 ? x.toExponential(1) : x.toPrecision(3);
}
