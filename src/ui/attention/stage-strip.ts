/** "Every stage": the pseudocode, one heatmap per stage of the selected head, and the shared legend. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { maxAbs } from '../../charts/heatmap';
import type { AttentionStage, MatrixStage } from '../../engine/attention';
import { describeMask } from '../../kernels/attention/spec';
import { VIEW_STAGES } from '../../state/attention';
import { exportButtons } from '../common/export-buttons';
import type { HeatmapEntry } from './heatmap-canvas';
import { describeCell, rowIndexOf, stripMatrix } from './matrices';
import { matrixTable } from './matrix-table';
import { axisLabels, fmtValue, type HeadMatrix } from './model';
import { ALL_STAGES, STAGE_INFO } from './stages';
import { headNumber, stageScale, type LabView } from './view';

/** The pseudocode line of stage `s`, with the scale (or √d), the bias and the mask it used. */
function pseudocodeLine(v: LabView, s: AttentionStage): TemplateResult {
  const { lab } = v;
  const scale = fmtValue(lab.run.scale, 5);
  const scaleNote =
    v.params.scale > 0 || lab.prepared.scale !== undefined
      ? html` <span class="note">${msg(str`(scale override: × ${scale})`)}</span>`
      : html` <span class="note">(√d = ${fmtValue(Math.sqrt(lab.run.shape.d), 3)})</span>`;
  const maskNote = html` <span class="note">(${describeMask(lab.prepared.mask)})</span>`;
  const biasNote = lab.prepared.bias
    ? html` <span class="note">${msg(html`+ ALiBi bias −m<sub>h</sub>·|q − k|`)}</span>`
    : nothing;
  const note = s === 'scaled' ? html`${scaleNote}${biasNote}` : s === 'masked' ? maskNote : nothing;
  return html`${STAGE_INFO[s].code}${note}`;
}

export function renderStrip(v: LabView): TemplateResult {
  const head = headNumber(v);
  return html`<section class="panel" aria-labelledby="strip-title">
    <h3 id="strip-title">${msg(str`Every stage, head ${head}`)}</h3>
    <ol class="pseudocode" aria-label=${msg('Pseudocode')}>
      ${ALL_STAGES.map(
        (s) => html`<li aria-current=${s === v.currentStage ? 'true' : 'false'}>${pseudocodeLine(v, s)}</li>`,
      )}
    </ol>
    <div
      class="strip"
      style="grid-template-columns: repeat(${v.layout.stripColumns}, ${v.layout.stripCell}px)"
    >
      ${ALL_STAGES.map((s) => stageFigure(v, s))}
    </div>
    <div class="legend"><svg class="legend-svg"></svg></div>
  </section>`;
}

/** The strip's shared legend: each diverging stage's ±max and the weights' range. */
export function drawLegend(v: LabView, svg: SVGSVGElement, draw: (maxes: Array<[string, number]>) => void) {
  const maxes: Array<[string, number]> = [];
  for (const s of ['scores', 'scaled', 'masked', 'output'] as const) {
    const m = stripMatrix(v.pic, s, v.head);
    if (m) maxes.push([STAGE_INFO[s].short, maxAbs(m.data)]);
  }
  const key = `${v.layout.legend}:${JSON.stringify(maxes)}:${v.params.weightRange}`;
  v.canvases.once(svg, key, () => draw(maxes));
}

function stageFigure(v: LabView, s: AttentionStage): TemplateResult {
  const m = stripMatrix(v.pic, s, v.head);
  const cell = v.layout.stripCell;
  let body: TemplateResult;
  let range = '';
  if (!m) {
    const why =
      v.lab.available.has(s) && !v.lab.full
        ? msg('Pooling on the GPU…')
        : msg(
            'The fused path never materialises this stage: it keeps a running max and sum per row instead.',
          );
    body = html`<div class="missing" style="width:${cell}px;height:${cell}px">${why}</div>`;
  } else {
    const scale = stageScale(v, s, m.data);
    if (scale.kind === 'diverging')
      range = maxAbs(m.data) > 0 ? `±${fmtValue(scale.max, 3)}` : msg('all 0 or masked');
    else if (v.params.weightRange === 'max') range = `0…${fmtValue(scale.max, 3)}`;
    body = stageCanvas(v, s, m, cell);
  }
  const focus = (stage: AttentionStage | null) => () => v.setFocusStage(stage);
  return html`<figure
    class="stage ${s === v.currentStage ? 'current' : ''}"
    @pointerenter=${focus(s)}
    @pointerleave=${focus(null)}
    @focusin=${focus(s)}
    @focusout=${focus(null)}
  >
    <h4>${STAGE_INFO[s].title} <span class="range">${range}</span></h4>
    <code>${STAGE_INFO[s].brief}</code>
    ${body} ${m ? html`${stageButtons(v, s)} ${matrixTable(v.tables, `strip-${s}`, v.lab, m, s)}` : nothing}
  </figure>`;
}

function stageCanvas(v: LabView, s: AttentionStage, m: HeadMatrix, cell: number): TemplateResult {
  const { lab, head: h, params: p } = v;
  const isOutput = s === 'output';
  const id = `strip-${s}`;
  const tokens = lab.prepared.tokens;
  const rowLabels = axisLabels(tokens, m.rows, m.rect.row0, m.rect.rows);
  const colLabels = isOutput
    ? Array.from({ length: m.cols }, (_, j) => String(j))
    : axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols);
  const highlightRow = v.row >= 0 ? rowIndexOf(v.row, m.rows, m.rect.row0, m.rect.rows) : undefined;
  const hov = v.ui.hover?.id === id ? v.ui.hover : null;
  const entry: HeatmapEntry = {
    key: `${lab.id}:${p.weightRange}:${p.pool}:${h}:${cell}:${m.rows}x${m.cols}:${highlightRow}:${hov?.row},${hov?.col}:${v.themeVersion}:${v.pic.views?.overview === undefined}`,
    data: { rows: m.rows, cols: m.cols, values: m.data, rowLabels, colLabels },
    options: {
      width: cell,
      height: cell,
      scale: stageScale(v, s, m.data),
      square: !isOutput,
      textColor: v.colors.text,
      fontSize: 10,
      maxLabelChars: 8,
      ...(highlightRow !== undefined ? { highlightRow } : {}),
      ...(hov ? { highlightCell: { row: hov.row, col: hov.col } } : {}),
      highlightColor: v.colors.focus,
    },
    // Written into the exported image: English, as every export (README, "Languages").
    exportTitle: `${STAGE_INFO[s].enTitle}, head ${headNumber(v)} (${STAGE_INFO[s].code})`,
    fileBase: `kernelscope-attention-${s}-head${headNumber(v)}`,
    describe: (r, col) => describeCell(v.pic, m, h, r, col, s),
  };
  return v.canvases.canvas(id, entry, { label: canvasLabel(s, headNumber(v), m, lab.run.shape.d) });
}

/** The heatmap's accessible name: "Masked scores of head 1: 4 queries × 4 keys (pooled)". */
function canvasLabel(s: AttentionStage, head: number, m: HeadMatrix, d: number): string {
  const [title, rows, cols] = [STAGE_INFO[s].title, m.rows, m.cols];
  if (s === 'output') {
    return m.pooled
      ? msg(str`${title} of head ${head}: ${rows} queries × ${d} dimensions (pooled)`)
      : msg(str`${title} of head ${head}: ${rows} queries × ${d} dimensions`);
  }
  return m.pooled
    ? msg(str`${title} of head ${head}: ${rows} queries × ${cols} keys (pooled)`)
    : msg(str`${title} of head ${head}: ${rows} queries × ${cols} keys`);
}

/** PNG / SVG of the heatmap, CSV / JSON of the stage (selected head), and Enlarge for [L][L] stages. */
function stageButtons(v: LabView, s: AttentionStage): TemplateResult {
  const short = STAGE_INFO[s].short;
  const id = `strip-${s}`;
  const head = headNumber(v);
  const x = v.exports;
  const enlargeable = s !== 'output' && (VIEW_STAGES as readonly string[]).includes(s);
  return html`<div class="small-buttons">
    ${exportButtons(
      [
        { label: 'PNG', ariaLabel: msg(str`Export ${short} heatmap (PNG)`), run: () => x.heatmap(id, 'png') },
        { label: 'SVG', ariaLabel: msg(str`Export ${short} heatmap (SVG)`), run: () => x.heatmap(id, 'svg') },
        {
          label: 'CSV',
          ariaLabel: msg(str`Export ${short} of head ${head} (CSV)`),
          run: () => x.stage(s, 'csv'),
        },
        {
          label: 'JSON',
          ariaLabel: msg(str`Export ${short} of head ${head} (JSON)`),
          run: () => x.stage(s, 'json'),
        },
      ],
      'contents',
    )}
    ${
      enlargeable
        ? html`<button
            aria-label=${msg(str`Enlarge ${short}`)}
            aria-pressed=${v.enlargedStage === s ? 'true' : 'false'}
            @click=${() => v.set({ stage: s as MatrixStage })}
          >
            ${msg('Enlarge')}
          </button>`
        : nothing
    }
  </div>`;
}
