/** The Export panel: the JSON layout, and the weights and Q/K/V downloads. */
import { html, nothing, type TemplateResult } from 'lit';
import { exportButtons } from '../common/export-buttons';
import { EXPORT_KEYS } from './exports';
import { EXPORT_MAX_NUMBERS } from './stages';
import type { LabView } from './view';

export function renderExports(v: LabView): TemplateResult {
  const { lab, exports: x } = v;
  const { heads, L } = lab.run.shape;
  const cpu = lab.run.path === 'cpu';
  const keys = EXPORT_KEYS.map(
    (k, i) => html`${i ? html`,<wbr />` : nothing}"${k}"${k === 'lab' ? ':"attention"' : ''}`,
  );
  return html`<section class="panel" aria-labelledby="export-title">
    <h3 id="export-title">Export</h3>
    <p class="small muted">
      JSON: <code class="wrap">{${keys}}</code>, tensors as [head][query][key or dim], full resolution — the
      numbers ${cpu ? 'the CPU reference' : 'the GPU'}
      computed${!lab.full && !cpu ? ' (this pooled view re-runs the staged path for the export)' : ''}.
      ${
        lab.prepared.induction
          ? html`With the induction model it adds
              <code class="wrap">"model","layer","scores":{"previousToken","prefixMatching"}</code>
              ([layer][head] on this sequence); q, k, v, weights and output are layer
              ${lab.prepared.induction.layer}'s.`
          : nothing
      }
    </p>
    ${exportButtons([
      { label: 'Export weights (JSON)', primary: true, run: () => x.weightsJson() },
      { label: 'Export weights (CSV)', run: () => x.weightsCsv() },
      { label: 'Export Q, K, V and output (CSV)', run: () => x.tensorsCsv() },
      { label: 'Export Q, K, V and output (JSON)', run: () => x.tensorsJson() },
    ])}
    ${
      heads * L * L > EXPORT_MAX_NUMBERS
        ? html`<p class="small muted">
            At heads·L² = ${(heads * L * L).toLocaleString('en-US')} the weights are too many to export; the
            heatmap images still export.
          </p>`
        : nothing
    }
    <p class="small muted">
      The CSV files, the Q, K, V JSON and each stage's CSV and JSON (buttons under every stage) hold the
      selected head (head ${v.head + 1}); masked scores are -inf in CSV and null in JSON.
    </p>
  </section>`;
}
