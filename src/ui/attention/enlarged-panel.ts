/**
 * The enlarged heatmap of the selected head and stage: zoom and pan, the hovered cell's values, the
 * custom-mask painting buttons, exports and the data table.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { MatrixStage } from '../../engine/attention';
import { VIEW_STAGES } from '../../state/attention';
import { exportButtons } from '../common/export-buttons';
import type { HeatmapEntry } from './heatmap-canvas';
import { describeCell, enlargedMatrix, fullRect, maxOf, rectKey, rowIndexOf } from './matrices';
import { matrixTable } from './matrix-table';
import { axisLabels, poolName, type HeadMatrix } from './model';
import { MIN_ZOOM, STAGE_INFO } from './stages';
import { headNumber, stageScale, type LabView } from './view';

const span = (start: number, count: number) => `${start}–${start + count - 1}`;

export function renderEnlarged(v: LabView): TemplateResult {
  const { lab } = v;
  const stage = v.enlargedStage;
  const m = enlargedMatrix(v.pic, stage, v.head);
  const size = v.layout.enlarged;
  const custom = lab.prepared.mask.kind === 'custom';
  const canvas = m
    ? enlargedCanvas(v, stage, m, size)
    : { body: html`<p class="muted" style="height:${size}px">${msg('Pooling on the GPU…')}</p>`, info: '' };
  return html`<section class="panel" aria-labelledby="enlarged-title">
    <h3 id="enlarged-title">${headTitle(headNumber(v), STAGE_INFO[stage].title)}</h3>
    ${zoomBar(v, stage)} ${canvas.body}
    <p class="cell-info" aria-live="polite">${canvas.info}</p>
    <p id="enlarged-help" class="small muted">
      ${help(v, stage, m)}
      ${msg(
        'Hover or use the arrow keys for values; click (or Enter) picks a query row; wheel or +/− zooms, drag or Shift+arrows pans.',
      )}
      ${custom ? msg('Custom mask: click or drag (Space) to mask or unmask cells.') : ''}
    </p>
    ${
      m
        ? html`<div class="small-buttons">
              ${exportButtons(
                [
                  {
                    label: msg('Export enlarged heatmap (PNG)'),
                    run: () => v.exports.heatmap('enlarged', 'png'),
                  },
                  {
                    label: msg('Export enlarged heatmap (SVG)'),
                    run: () => v.exports.heatmap('enlarged', 'svg'),
                  },
                ],
                'contents',
              )}
              ${
                custom
                  ? html`<button @click=${() => v.custom.reset(lab.run.shape.L, 'causal')}>
                        ${msg('Custom mask: start from causal')}
                      </button>
                      <button @click=${() => v.custom.reset(lab.run.shape.L, 'none')}>
                        ${msg('Custom mask: keep all')}
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
  const queries = span(m.rect.row0, m.rect.rows);
  const keys = span(m.rect.col0, m.rect.cols);
  const title = STAGE_INFO[stage].title;
  const head = headNumber(v);
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
      xLabel: msg('keys →'),
      yLabel: msg('queries ↓'),
      highlightColor: v.colors.focus,
      ...(highlightRow !== undefined ? { highlightRow } : {}),
      ...(hov ? { highlightCell: { row: hov.row, col: hov.col } } : {}),
      ...(overlay ? { maskOverlay: overlay } : {}),
    },
    // Written into the exported image: English, like every export (README, "Languages").
    exportTitle: `${title}, head ${head}, queries ${queries} × keys ${keys}`,
    fileBase: `kernelscope-attention-${stage}-head${head}-enlarged`,
    describe: (r, col) => describeCell(v.pic, m, h, r, col, stage),
  };
  const { rows, cols } = m;
  const pool = poolName(p.pool);
  const body = v.canvases.canvas('enlarged', entry, {
    label: m.pooled
      ? msg(
          str`${title} of head ${head}, queries ${queries} by keys ${keys}, ${pool}-pooled to ${rows}×${cols}`,
        )
      : msg(str`${title} of head ${head}, queries ${queries} by keys ${keys}`),
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
  return html`<div class="zoom" role="group" aria-label=${msg('Zoom and pan')}>
    <label class="field"
      >${msg('Stage')}
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
      ${msg('Zoom in')}
    </button>
    <button class="small" @click=${() => ui.zoomBy(lab, 2)} ?disabled=${!ui.zoom}>${msg('Zoom out')}</button>
    <button class="small" @click=${() => ui.setZoom(null)} ?disabled=${!ui.zoom}>${msg('Reset zoom')}</button>
    ${pan(msg('Pan up'), '↑', -1, 0)} ${pan(msg('Pan down'), '↓', 1, 0)} ${pan(msg('Pan left'), '←', 0, -1)}
    ${pan(msg('Pan right'), '→', 0, 1)}
  </div>`;
}

/** "Queries a–b × keys c–d, <resolution>[, fetching note].[ contrast hint]" */
function help(v: LabView, stage: MatrixStage, m: HeadMatrix | null): string {
  const { lab, ui } = v;
  const rect = ui.zoom ?? fullRect(lab);
  const fetching = !lab.full && ui.zoom && m && rectKey(m.rect) !== rectKey(ui.zoom);
  const error = v.viewError;
  const fetchNote = fetching
    ? error
      ? msg(str` · cannot fetch the zoomed window: ${error}`)
      : msg(' · fetching the zoomed window…')
    : '';
  const resolution = !m ? '' : resolutionNote(v, m, lab.full);
  const top = m ? maxOf(m.data) : 0;
  const dim =
    m && stage === 'weights' && v.params.weightRange === 'unit' && top > 0 && top < 0.05
      ? ' ' + msg('Every weight here is below 0.05: choose Weights colour “0 → panel max” for contrast.')
      : '';
  const queries = span(rect.row0, rect.rows);
  const keys = span(rect.col0, rect.cols);
  return msg(str`Queries ${queries} × keys ${keys}, ${resolution}${fetchNote}.`) + dim;
}

/** "Head n: <stage title>" (the enlarged panel's heading). */
function headTitle(head: number, title: string): string {
  return msg(str`Head ${head}: ${title}`);
}

/** How the enlarged matrix is resolved: pooled on the GPU, or full resolution (read back or a window). */
function resolutionNote(v: LabView, m: HeadMatrix, full: boolean): string {
  const { rows, cols } = m;
  if (m.pooled) {
    const pool = poolName(v.params.pool);
    const cellRows = Math.ceil(m.rect.rows / m.rows);
    const cellCols = Math.ceil(m.rect.cols / m.cols);
    return msg(
      str`${pool}-pooled on the GPU to ${rows}×${cols} (each cell covers up to ${cellRows}×${cellCols} entries)`,
    );
  }
  return full ? msg('full resolution') : msg('full resolution (a window fetched from the GPU)');
}
