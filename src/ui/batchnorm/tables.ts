/**
 * "The numbers": the latest step, the per-channel statistics of the layer shown, the training history (the
 * last 10 steps drawn; the exports hold every step) and the held-out accuracy, each with CSV and JSON
 * exports.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { dataTable } from '../common/data-table';
import {
  CHANNEL_HEAD,
  HELD_OUT_HEAD,
  HISTORY_HEAD,
  LATEST_HEAD,
  channelRows,
  heldOutTableRows,
  historyRows,
  latestRows,
  tableExports,
} from './exports';
import type { BatchnormSession } from './session';

/** History rows drawn in the table. */
const HISTORY_SHOWN = 10;

export function renderTables(s: BatchnormSession): TemplateResult | typeof nothing {
  const r = s.latest;
  if (!r) return nothing;
  const steps = s.history.steps;
  const held = heldOutTableRows(s);
  return html`<section class="panel numbers" aria-labelledby="numbers-heading">
    <h3 id="numbers-heading">The numbers</h3>
    ${dataTable({
      label: 'Latest step',
      head: LATEST_HEAD,
      rows: latestRows(s),
      exports: tableExports(s, 'Latest step', 'latest', LATEST_HEAD, () => latestRows(s)),
    })}
    <details>
      <summary>Per-channel statistics, layer ${r.percentiles.layer} (${r.view} view)</summary>
      ${dataTable({
        label: 'Channel statistics',
        head: CHANNEL_HEAD,
        rows: channelRows(s),
        exports: tableExports(s, 'Channel statistics', 'channels', CHANNEL_HEAD, () => channelRows(s)),
      })}
    </details>
    <details>
      <summary>Training history (${steps} steps)</summary>
      ${dataTable({
        label: 'Training history',
        head: HISTORY_HEAD,
        rows: historyRows(s, steps - HISTORY_SHOWN),
        note:
          steps > HISTORY_SHOWN
            ? `The last ${HISTORY_SHOWN} of ${steps} steps; the exports hold every step.`
            : '',
        exports: tableExports(s, 'Training history', 'history', HISTORY_HEAD, () => historyRows(s)),
      })}
    </details>
    ${
      held.length > 0
        ? html`<details>
            <summary>Held-out accuracy (${held.length} evaluations)</summary>
            ${dataTable({
              label: 'Held-out accuracy',
              head: HELD_OUT_HEAD,
              rows: held,
              exports: tableExports(s, 'Held-out accuracy', 'held-out', HELD_OUT_HEAD, () =>
                heldOutTableRows(s),
              ),
            })}
          </details>`
        : nothing
    }
  </section>`;
}
