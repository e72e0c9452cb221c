/**
 * The enlarged heatmap of the selected head and stage: zoom and pan, the hovered cell's values, the
 * custom-mask painting buttons, exports and the data table.
 */
import { html, nothing, type TemplateResult } from 'lit';
import type { MatrixStage } from '../../engine/attention';
import { VIEW_STAGES } from '../../state/attention';
import { exportButtons } from '../common/export-buttons';
import type { HeatmapEntry } from './heatmap-canvas';
import { describeCell, enlargedMatrix, fullRect, maxOf, rectKey, rowIndexOf } from './matrices';
import { matrixTable } from './matrix-table';
import { axisLabels, type HeadMatrix } from './model';
import { MIN_ZOOM, STAGE_INFO } from './stages';
import { stageScale, type LabView } from './view';

const span = (start: number, count: number) => `${start}–${start + count - 1}`;

export function renderEnlarged(v: LabView): TemplateResult {
  const { lab } = v;
  const stage = v.enlargedStage;
  const m = enlargedMatrix(v.pic, stage, v.head);
  const size = v.layout.enlarged;
  const custom = lab.prepared.mask.kind === 'custom';
  const canvas = m
    ? enlargedCanvas(v, stage, m, size)
    : { body: html`<p class="muted" style="height:${size}px">Pooling on the GPU…</p>`, info: '' };
  return html`<section class="panel" aria-labelledby="enlarged-title">
    <h3 id="enlarged-title">Head ${v.head + 1}: ${STAGE_INFO[stage].title}</h3>
    ${zoomBar(v, stage)} ${canvas.body}
    <p class="cell-info" aria-live="polite">${canvas.info}</p>
    <p id="enlarged-help" class="small muted">
      ${help(v, stage, m)} Hover or use the arrow keys for values; click (or Enter) picks a query row; wheel
      or +/− zooms, drag or Shift+arrows pans.
      ${custom ? 'Custom mask: click or drag (Space) to mask or unmask cells.' : ''}
    </p>
    ${
      m
        ? html`<div class="small-buttons">
              ${exportButtons(
                [
                  { label: 'Export enlarged heatmap (PNG)', run: () => v.exports.heatmap('enlarged', 'png') },
                  { label: 'Export enlarged heatmap (SVG)', run: () => v.exports.heatmap('enlarged', 'svg') },
                ],
                'contents',
              )}
              ${
                custom
                  ? html`<button @click=${() => v.custom.reset(lab.run.shape.L, 'causal')}>
                        Custom mask: start from causal
                      </button>
                      <button @click=${() => v.custom.reset(lab.run.shape.L, 'none')}>
                        Custom mask: keep all
                      </button>`
                  : nothing
              }
            </div>
            ${matrixTable(v.tables, 'enlarged', lab, m, stage)}`
        : nothing
    }
  </section>`;
}

function enlargedCanvas(
  v: LabView,
  stage: MatrixStage,
  m: HeadMatrix,
  size: number,
): { body: TemplateResult; info: string } {
  const { lab, head: h, params: p } = v;
  const tokens = lab.prepared.tokens;
  const L = lab.run.shape.L;
  const highlightRow = v.row >= 0 ? rowIndexOf(v.row, m.rows, m.rect.row0, m.rect.rows) : undefined;
  const hov = v.ui.hover?.id === 'enlarged' ? v.ui.hover : null;
  const overlay = lab.prepared.mask.kind === 'custom' ? v.custom.overlay(m, L) : undefined;
  const where = `queries ${span(m.rect.row0, m.rect.rows)}`;
  const entry: HeatmapEntry = {
    key: `${lab.id}:${p.weightRange}:${p.pool}:${h}:${stage}:${size}:${rectKey(m.rect)}:${m.rows}:${highlightRow}:${hov?.row},${hov?.col}:${v.themeVersion}:${v.custom.paintVersion}:${v.custom.version}`,
    data: {
      rows: m.rows,
      cols: m.cols,
      values: m.data,
      rowLabels: axisLabels(tokens, m.rows, m.rect.row0, m.rect.rows),
      colLabels: axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols),
    },
    options: {
      width: size,
      height: size,
      scale: stageScale(v, stage, m.data),
      textColor: v.colors.text,
      fontSize: 11,
      xLabel: 'keys →',
      yLabel: 'queries ↓',
      highlightColor: v.colors.focus,
      ...(highlightRow !== undefined ? { highlightRow } : {}),
      ...(hov ? { highlightCell: { row: hov.row, col: hov.col } } : {}),
      ...(overlay ? { maskOverlay: overlay } : {}),
    },
    exportTitle: `${STAGE_INFO[stage].title}, head ${h + 1}, ${where} × keys ${span(m.rect.col0, m.rect.cols)}`,
    fileBase: `kernelscope-attention-${stage}-head${h + 1}-enlarged`,
    describe: (r, col) => describeCell(v.pic, m, h, r, col, stage),
  };
  const pooled = m.pooled ? `, ${p.pool}-pooled to ${m.rows}×${m.cols}` : '';
  const body = v.canvases.canvas('enlarged', entry, {
    label: `${STAGE_INFO[stage].title} of head ${h + 1}, ${where} by keys ${span(m.rect.col0, m.rect.cols)}${pooled}`,
    interactive: true,
  });
  return { body, info: hov ? entry.describe(hov.row, hov.col) : '' };
}

/** Stage choice, zoom in / out / reset and the four pan buttons. */
function zoomBar(v: LabView, stage: MatrixStage): TemplateResult {
  const { lab, ui } = v;
  const L = lab.run.shape.L;
  const rect = ui.zoom ?? fullRect(lab);
  const pan = (label: string, text: string, dr: number, dc: number) =>
    html`<button class="small" aria-label=${label} @click=${() => ui.pan(lab, dr, dc)} ?disabled=${!ui.zoom}>
      ${text}
    </button>`;
  return html`<div class="zoom" role="group" aria-label="Zoom and pan">
    <label class="field"
      >Stage
      <select @change=${(e: Event) => v.set({ stage: (e.target as HTMLSelectElement).value as MatrixStage })}>
        ${VIEW_STAGES.map(
          (s) =>
            html`<option value=${s} .selected=${s === stage} ?disabled=${!lab.available.has(s)}>
              ${STAGE_INFO[s].title}
            </option>`,
        )}
      </select></label
    >
    <button class="small" @click=${() => ui.zoomBy(lab, 0.5)} ?disabled=${rect.rows <= Math.min(MIN_ZOOM, L)}>
      Zoom in
    </button>
    <button class="small" @click=${() => ui.zoomBy(lab, 2)} ?disabled=${!ui.zoom}>Zoom out</button>
    <button class="small" @click=${() => ui.setZoom(null)} ?disabled=${!ui.zoom}>Reset zoom</button>
    ${pan('Pan up', '↑', -1, 0)} ${pan('Pan down', '↓', 1, 0)} ${pan('Pan left', '←', 0, -1)}
    ${pan('Pan right', '→', 0, 1)}
  </div>`;
}

/** "Queries a–b × keys c–d, <resolution>[, fetching note].[ contrast hint]" */
function help(v: LabView, stage: MatrixStage, m: HeadMatrix | null): string {
  const { lab, ui } = v;
  const rect = ui.zoom ?? fullRect(lab);
  const fetching = !lab.full && ui.zoom && m && rectKey(m.rect) !== rectKey(ui.zoom);
  const fetchNote = fetching
    ? v.viewError
      ? ` · cannot fetch the zoomed window: ${v.viewError}`
      : ' · fetching the zoomed window…'
    : '';
  const resolution = !m
    ? ''
    : m.pooled
      ? `${v.params.pool}-pooled on the GPU to ${m.rows}×${m.cols} (each cell covers up to ${Math.ceil(m.rect.rows / m.rows)}×${Math.ceil(m.rect.cols / m.cols)} entries)`
      : `full resolution${!lab.full ? ' (a window fetched from the GPU)' : ''}`;
  const top = m ? maxOf(m.data) : 0;
  const dim =
    m && stage === 'weights' && v.params.weightRange === 'unit' && top > 0 && top < 0.05
      ? ' Every weight here is below 0.05: choose Weights colour “0 → panel max” for contrast.'
      : '';
  return `Queries ${span(rect.row0, rect.rows)} × keys ${span(rect.col0, rect.cols)}, ${resolution}${fetchNote}.${dim}`;
}
