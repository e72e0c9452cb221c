/** The data-table alternative of a heatmap (L ≤ 32), in a <details> that renders the table only while open. */
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { AttentionStage } from '../../engine/attention';
import { dataTable } from '../common/data-table';
import { axisLabels, cellLabel, fmtValue, type HeadMatrix } from './model';
import type { LabRun } from './session';
import { STAGE_INFO, TABLE_MAX_L } from './stages';

/** Which tables are open (component state: they stay open across runs). */
export class OpenTables {
  private open = new Set<string>();

  constructor(private readonly host: ReactiveControllerHost) {}

  has(id: string): boolean {
    return this.open.has(id);
  }

  toggle(id: string, isOpen: boolean): void {
    if (isOpen === this.open.has(id)) return;
    if (isOpen) this.open.add(id);
    else this.open.delete(id);
    this.host.requestUpdate();
  }
}

export function matrixTable(
  tables: OpenTables,
  id: string,
  lab: LabRun,
  m: HeadMatrix,
  stage: AttentionStage,
): TemplateResult {
  if (lab.run.shape.L > TABLE_MAX_L || m.pooled) {
    return html`<p class="small muted">
      ${msg(str`Data table offered for L ≤ ${TABLE_MAX_L}; export CSV instead.`)}
    </p>`;
  }
  const open = tables.has(id);
  return html`<details
    class="table"
    ?open=${open}
    @toggle=${(e: Event) => tables.toggle(id, (e.target as HTMLDetailsElement).open)}
  >
    <summary>${msg('Data table')}</summary>
    ${open ? html`<div class="scroll">${table(lab, m, stage)}</div>` : nothing}
  </details>`;
}

function table(lab: LabRun, m: HeadMatrix, stage: AttentionStage): TemplateResult {
  const tokens = lab.prepared.tokens;
  const colNames =
    stage === 'output'
      ? Array.from({ length: m.cols }, (_, j) => msg(str`dim ${j}`))
      : axisLabels(tokens, m.cols, m.rect.col0, m.rect.cols);
  const title = STAGE_INFO[stage].title;
  const caption = msg(str`${title}, rows = queries`);
  const rows = Array.from({ length: m.rows }, (_, i) => [
    cellLabel(tokens, i, m.rows, m.rect.row0, m.rect.rows),
    ...Array.from({ length: m.cols }, (_, j) => {
      const value = m.data[i * m.cols + j]!;
      return { value, text: fmtValue(value, 3) };
    }),
  ]);
  return dataTable({ label: caption, caption, head: [msg('query'), ...colNames], rows });
}
