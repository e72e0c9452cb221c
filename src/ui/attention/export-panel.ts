/** The Export panel: the JSON layout, and the weights and Q/K/V downloads. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { formatCount } from '../../util/format';
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
    <h3 id="export-title">${msg('Export')}</h3>
    <p class="small muted">
      ${jsonLayout(html`<code class="wrap">{${keys}}</code>`, cpu, !lab.full && !cpu)}
      ${
        lab.prepared.induction
          ? inductionExtras(
              html`<code class="wrap">"model","layer","scores":{"previousToken","prefixMatching"}</code>`,
              lab.prepared.induction.layer,
            )
          : nothing
      }
    </p>
    ${exportButtons([
      { label: msg('Export weights (JSON)'), primary: true, run: () => x.weightsJson() },
      { label: msg('Export weights (CSV)'), run: () => x.weightsCsv() },
      { label: msg('Export Q, K, V and output (CSV)'), run: () => x.tensorsCsv() },
      { label: msg('Export Q, K, V and output (JSON)'), run: () => x.tensorsJson() },
    ])}
    ${
      heads * L * L > EXPORT_MAX_NUMBERS
        ? html`<p class="small muted">${tooMany(formatCount(heads * L * L))}</p>`
        : nothing
    }
    <p class="small muted">${selectedHeadNote(v.head + 1)}</p>
  </section>`;
}

/** "JSON: {keys}, tensors as …, full resolution — the numbers <backend> computed[ (pooled note)]." */
function jsonLayout(keys: TemplateResult, cpu: boolean, pooled: boolean) {
  if (cpu) {
    return msg(
      html`JSON: ${keys}, tensors as [head][query][key or dim], full resolution — the numbers the CPU
      reference computed.`,
    );
  }
  return pooled
    ? msg(
        html`JSON: ${keys}, tensors as [head][query][key or dim], full resolution — the numbers the GPU
        computed (this pooled view re-runs the staged path for the export).`,
      )
    : msg(
        html`JSON: ${keys}, tensors as [head][query][key or dim], full resolution — the numbers the GPU
        computed.`,
      );
}

function inductionExtras(fields: TemplateResult, layer: number) {
  return msg(
    html`With the induction model it adds ${fields} ([layer][head] on this sequence); q, k, v, weights and
    output are layer ${layer}'s.`,
  );
}

function tooMany(count: string): string {
  return msg(
    str`At heads·L² = ${count} the weights are too many to export; the heatmap images still export.`,
  );
}

function selectedHeadNote(head: number): string {
  return msg(
    str`The CSV files, the Q, K, V JSON and each stage's CSV and JSON (buttons under every stage) hold the selected head (head ${head}); masked scores are -inf in CSV and null in JSON.`,
  );
}
