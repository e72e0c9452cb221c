/**
 * "The numbers": the latest step, the per-channel statistics of the layer shown, the training history (the
 * last 10 steps drawn; the exports hold every step) and the held-out accuracy, each with CSV and JSON
 * exports. The tables' headers and row names are drawn in the interface language; the exports keep the
 * English headers of exports.ts (the documented format).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { dataTable, type Cell } from '../common/data-table';
import type { CsvRow } from '../common/export';
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

const latestHead = () => [msg('quantity'), msg('with BN'), msg('without BN')];
const historyHead = () => [
  msg('step'),
  msg('loss with BN'),
  msg('loss without BN'),
  msg('batch accuracy with BN'),
  msg('batch accuracy without BN'),
];
const heldOutHead = () => [
  msg('step'),
  msg('held-out accuracy with BN'),
  msg('held-out accuracy without BN'),
];
const channelHead = () => [
  msg('layer'),
  msg('channel'),
  msg('pre-BN mean'),
  msg('pre-BN var'),
  msg('post-BN mean'),
  msg('post-BN var'),
  msg('running mean'),
  msg('running var'),
  msg('no-BN mean'),
  msg('no-BN var'),
];

/** The name of a latest-step row (the exported name is the English one). */
function quantity(name: string): string {
  switch (name) {
    case 'step':
      return msg('step');
    case 'batch loss':
      return msg('batch loss');
    case 'batch accuracy':
      return msg('batch accuracy');
    case 'held-out loss':
      return msg('held-out loss');
    case 'held-out accuracy':
      return msg('held-out accuracy');
    case 'held-out images':
      return msg('held-out images');
    case 'held-out evaluated after step':
      return msg('held-out evaluated after step');
    default:
      return name;
  }
}

/** The latest-step rows as drawn: each row named in the interface language. */
function latestCells(s: BatchnormSession): Cell[][] {
  return latestRows(s).map(([name, ...values]: CsvRow) => [
    { value: name ?? '', text: quantity(String(name)) },
    ...values,
  ]);
}

export function renderTables(s: BatchnormSession): TemplateResult | typeof nothing {
  const r = s.latest;
  if (!r) return nothing;
  const steps = s.history.steps;
  const held = heldOutTableRows(s);
  const layer = r.percentiles.layer;
  const channelSummary =
    r.view === 'eval'
      ? msg(str`Per-channel statistics, layer ${layer} (eval view)`)
      : msg(str`Per-channel statistics, layer ${layer} (train view)`);
  return html`<section class="panel numbers" aria-labelledby="numbers-heading">
    <h3 id="numbers-heading">${msg('The numbers')}</h3>
    ${dataTable({
      label: msg('Latest step'),
      head: latestHead(),
      rows: latestCells(s),
      exports: tableExports(s, msg('Latest step'), 'latest', LATEST_HEAD, () => latestRows(s)),
    })}
    <details>
      <summary>${channelSummary}</summary>
      ${dataTable({
        label: msg('Channel statistics'),
        head: channelHead(),
        rows: channelRows(s),
        exports: tableExports(s, msg('Channel statistics'), 'channels', CHANNEL_HEAD, () => channelRows(s)),
      })}
    </details>
    <details>
      <summary>${msg(str`Training history (${steps} steps)`)}</summary>
      ${dataTable({
        label: msg('Training history'),
        head: historyHead(),
        rows: historyRows(s, steps - HISTORY_SHOWN),
        note:
          steps > HISTORY_SHOWN
            ? msg(str`The last ${HISTORY_SHOWN} of ${steps} steps; the exports hold every step.`)
            : '',
        exports: tableExports(s, msg('Training history'), 'history', HISTORY_HEAD, () => historyRows(s)),
      })}
    </details>
    ${
      held.length > 0
        ? html`<details>
            <summary>${msg(str`Held-out accuracy (${held.length} evaluations)`)}</summary>
            ${dataTable({
              label: msg('Held-out accuracy'),
              head: heldOutHead(),
              rows: held,
              exports: tableExports(s, msg('Held-out accuracy'), 'held-out', HELD_OUT_HEAD, () =>
                heldOutTableRows(s),
              ),
            })}
          </details>`
        : nothing
    }
  </section>`;
}
