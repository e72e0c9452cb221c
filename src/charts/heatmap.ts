/**
 * Heatmaps of a rows×cols matrix drawn on a <canvas>: one pixel per cell, scaled up with smoothing off (so
 * 4096×4096 pooled to 256×256 costs the same as 16×16), labels as canvas text. Pure render functions:
 * (target, data, options) → drawn, returning the layout so callers can map pointer positions to cells.
 * Colours: heatmap-scale.ts; layout and hit-testing: heatmap-layout.ts; SVG export and legend beside them.
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
import { cellsCanvas } from './heatmap-scale';

export { MASKED_COLOR, heatmapColor, maxAbs, type HeatmapScale } from './heatmap-scale';
export {
  heatmapCellAt,
  labelIndices,
  type HeatmapData,
  type HeatmapLayout,
  type HeatmapOptions,
} from './heatmap-layout';
export { heatmapSvg } from './heatmap-svg';
export { renderHeatmapLegend } from './heatmap-legend';

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

/** Title, row labels, rotated column labels and the axis titles. */
function drawText(
  ctx: CanvasRenderingContext2D,
  data: HeatmapData,
  options: HeatmapOptions,
  layout: HeatmapLayout,
): void {
  const { fontSize, maxChars, titleH, axisTitle } = textMetrics(options);
  const { plot } = layout;
  ctx.fillStyle = options.textColor ?? DEFAULT_TEXT_COLOR;
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
    ctx.textAlign = 'left';
    for (const j of layout.colLabelsDrawn) {
      ctx.save();
      ctx.translate(plot.x + (j + 0.5) * layout.cellW, plot.y - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(cut(data.colLabels[j] ?? '', maxChars), 0, 0);
      ctx.restore();
    }
  }
  if (options.xLabel) {
    ctx.textAlign = 'center';
    ctx.fillText(options.xLabel, plot.x + plot.w / 2, 2 + titleH + axisTitle / 2, options.width);
  }
  if (options.yLabel) {
    ctx.save();
    ctx.translate(2 + axisTitle / 2, plot.y + plot.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(options.yLabel, 0, 0);
    ctx.restore();
  }
}

/** Outlines the highlighted row (highlight colour) and cell (text colour). */
function drawHighlights(
  ctx: CanvasRenderingContext2D,
  data: HeatmapData,
  options: HeatmapOptions,
  layout: HeatmapLayout,
): void {
  const { plot, cellW, cellH } = layout;
  const row = options.highlightRow;
  ctx.lineWidth = 2;
  if (row !== undefined && row >= 0 && row < data.rows) {
    ctx.strokeStyle = options.highlightColor ?? '#f5a623';
    ctx.strokeRect(plot.x - 1, plot.y + row * cellH - 1, plot.w + 2, cellH + 2);
  }
  const cell = options.highlightCell;
  if (cell && cell.row >= 0 && cell.row < data.rows && cell.col >= 0 && cell.col < data.cols) {
    ctx.strokeStyle = options.textColor ?? DEFAULT_TEXT_COLOR;
    ctx.strokeRect(plot.x + cell.col * cellW, plot.y + cell.row * cellH, cellW, cellH);
  }
}

/** Draws the heatmap on `canvas` (resizing it to width·dpr × height·dpr) and returns the layout. */
export function renderHeatmap(
  canvas: HTMLCanvasElement,
  data: HeatmapData,
  options: HeatmapOptions,
): HeatmapLayout {
  const dpr = options.dpr ?? globalThis.devicePixelRatio ?? 1;
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
  const layout = heatmapLayout(data, options, measureWith(ctx, textMetrics(options).fontSize));
  const { plot } = layout;
  if (data.rows > 0 && data.cols > 0) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cellsCanvas(data, options.scale), plot.x, plot.y, plot.w, plot.h);
  }
  if (options.maskOverlay) drawHatch(ctx, layout, options.maskOverlay);
  drawText(ctx, data, options, layout);
  drawHighlights(ctx, data, options, layout);
  return layout;
}
