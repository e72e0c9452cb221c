/** One query row's softmax weights over the keys, as a bar chart (drawn after render by drawRowChart). */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { renderBars } from '../../charts/bars';
import { exportButtons } from '../common/export-buttons';
import { headNumber, type LabView } from './view';

export function renderRowPanel(v: LabView): TemplateResult {
  const { lab, row, head: h } = v;
  const L = lab.run.shape.L;
  const tokens = lab.prepared.tokens;
  const rw = v.rowWeights;
  const ready = rw && rw.runId === lab.id && rw.row === row && rw.head === h;
  let body: TemplateResult;
  if (row < 0) {
    body = html`<p class="muted">
      ${msg("Click a row of a heatmap (or type a row number) to see that query's weights.")}
    </p>`;
  } else if (ready) {
    let sum = 0;
    for (const x of rw.values) sum += x;
    const total = sum.toFixed(7);
    const caption = lab.run.stats?.fullyMasked[h * L + row]
      ? msg(
          str`Σ weights = ${total} (fully-masked row: all weights are 0). The query's own position is drawn in the accent colour.`,
        )
      : msg(str`Σ weights = ${total}. The query's own position is drawn in the accent colour.`);
    body = html`<figure>
      <svg class="row-bars"></svg>
      <figcaption>${caption}</figcaption>
      ${exportButtons(
        [
          { label: msg('Export row chart (PNG)'), run: () => v.exports.rowChart('png') },
          { label: msg('Export row chart (SVG)'), run: () => v.exports.rowChart('svg') },
          { label: msg('Export row weights (CSV)'), run: () => v.exports.row(rw, 'csv') },
          { label: msg('Export row weights (JSON)'), run: () => v.exports.row(rw, 'json') },
        ],
        'small-buttons',
      )}
    </figure>`;
  } else {
    body = html`<p role="status">${msg('Reading the row from the GPU…')}</p>`;
  }
  const onRow = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const value = Number(input.value);
    if (Number.isInteger(value) && value >= -1 && value < L) v.set({ row: value });
    else input.value = String(row);
  };
  const [token, head] = [tokens[row], headNumber(v)];
  return html`<section class="panel" aria-labelledby="row-title">
    <h3 id="row-title">
      ${row >= 0 ? msg(str`Weights of query “${token}” (#${row}), head ${head}`) : msg('Weights of one query')}
    </h3>
    <label class="field"
      >${msg('Query row (−1 = none)')}
      <input type="number" min="-1" max=${L - 1} step="1" .value=${String(row)} @change=${onRow}
    /></label>
    ${body}
  </section>`;
}

/** Draws the selected row's bars into svg.row-bars once its weights are in (and only when they changed). */
export function drawRowChart(v: LabView, svg: SVGSVGElement): void {
  const { lab } = v;
  const row = v.rowWeights;
  if (!row || row.runId !== lab.id) return;
  const width = v.layout.bars;
  v.canvases.once(svg, `${lab.id}:${row.head}:${row.row}:${width}`, () => {
    const tokens = lab.prepared.tokens;
    const [token, head] = [tokens[row.row], headNumber(v, row.head)];
    renderBars(
      svg,
      { labels: tokens, values: row.values, highlight: row.row },
      {
        width,
        height: 300,
        title: msg(str`Softmax weights of query “${token}” (#${row.row}) over the keys, head ${head}`),
        yLabel: msg('weight'),
      },
    );
  });
}
