/**
 * One table for every lab: a header row, a row-header first column, `data-value` on every numeric cell
 * (the exact number behind the rounded text, for tests and copy), an optional note and the table's CSV /
 * JSON export buttons. A render function, so the table lives in the lab's own shadow root and styles.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { formatFixed } from '../../util/format';
import { exportButtons, type ExportAction } from './export-buttons';

/** A cell: a plain value, or a value with its own text and class. */
export type CellValue = string | number;
export type Cell = CellValue | { value: CellValue; text?: string; cls?: string };

export interface DataTableSpec {
  /** The table's accessible name. */
  label: string;
  caption?: string | TemplateResult;
  head: readonly string[];
  rows: readonly (readonly Cell[])[];
  /** How numbers print (default: integers as they are, others with 3 decimals). */
  format?: (v: number) => string;
  /** Attributes per row, e.g. `data-moment`. */
  rowKey?: (row: readonly Cell[], index: number) => string | undefined;
  /** Draw only the last `shown` rows (the exports still hold all of them). */
  shown?: number;
  note?: string | TemplateResult;
  exports?: readonly ExportAction[];
}

const defaultFormat = (v: number) => (Number.isInteger(v) ? String(v) : formatFixed(v, 3));

function parts(c: Cell | undefined): { value: CellValue; text?: string; cls?: string } {
  return typeof c === 'object' && c !== null ? c : { value: c ?? '' };
}

export function dataTable(spec: DataTableSpec): TemplateResult {
  const format = spec.format ?? defaultFormat;
  const start = spec.shown !== undefined && spec.rows.length > spec.shown ? spec.rows.length - spec.shown : 0;
  const visible = spec.rows.slice(start);
  const text = (c: Cell | undefined) => {
    const p = parts(c);
    return p.text ?? (typeof p.value === 'number' ? format(p.value) : p.value);
  };
  return html`<div class="table-block">
    <table aria-label=${spec.label}>
      ${
        spec.caption
          ? html`<caption>
              ${spec.caption}
            </caption>`
          : nothing
      }
      <thead>
        <tr>
          ${spec.head.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${visible.map((row, i) => {
          const key = spec.rowKey?.(row, start + i);
          return html`<tr data-key=${key ?? nothing}>
            ${row.map((c, j) => {
              const p = parts(c);
              return j === 0
                ? html`<th scope="row" class=${p.cls ?? nothing}>${text(c)}</th>`
                : html`<td class=${p.cls ?? nothing} data-value=${String(p.value)}>${text(c)}</td>`;
            })}
          </tr>`;
        })}
      </tbody>
    </table>
    ${spec.note ? html`<p class="note">${spec.note}</p>` : nothing}
    ${spec.exports?.length ? exportButtons(spec.exports) : nothing}
  </div>`;
}
