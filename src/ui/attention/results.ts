/** A run's results (summary line and panels) and why a run failed. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { GpuError } from '../../gpu/device';
import { describeMask } from '../../kernels/attention/spec';
import { formatBytes } from '../../util/format';
import { backendName } from '../common/backend';
import { noticeText } from '../common/notice';
import { renderEnlarged } from './enlarged-panel';
import { renderExports } from './export-panel';
import { renderHeads } from './heads-panel';
import { renderInductionPanel } from './induction-panel';
import { fmtValue } from './model';
import { renderNumerics } from './numerics-panel';
import { renderRowPanel } from './row-panel';
import { renderStrip } from './stage-strip';
import type { LabView } from './view';

/** How the run was computed: "staged path", "fused path" or "CPU float64 reference". */
function pathName(path: LabView['lab']['run']['path']): string {
  if (path === 'cpu') return msg('CPU float64 reference');
  return path === 'fused' ? msg('fused path') : msg('staged path');
}

export function renderResult(v: LabView, stale: boolean): TemplateResult {
  const { run, prepared } = v.lab;
  const { heads, L, d } = run.shape;
  const elapsed = run.elapsedMs.toFixed(1);
  const summary = [
    pathName(run.path),
    heads > 1 ? msg(str`${heads} heads`) : msg(str`${heads} head`),
    `L = ${L}`,
    `d = ${d}`,
    `scale = ${fmtValue(run.scale, 5)}`,
    msg(str`mask ${describeMask(prepared.mask)}`),
    `${elapsed} ms`,
    run.bytesRead ? msg(str`read back ${formatBytes(run.bytesRead)}`) : msg('read back nothing (CPU)'),
  ].join(' · ');
  return html`<div class="results ${stale ? 'stale' : ''}" aria-busy=${stale ? 'true' : 'false'}>
    ${[...v.lab.notices, ...prepared.notes].map((n) => html`<p class="notice" role="status">${noticeText(n)}</p>`)}
    <p class="backend-line small">
      <span class="badge" title=${msg('What computed these numbers')}>${backendName(v.lab.backend)}</span>
      ${summary}
    </p>
    ${renderStrip(v)}
    <div class="two">${renderEnlarged(v)} ${renderRowPanel(v)}</div>
    ${renderInductionPanel(v)} ${renderHeads(v)}
    <div class="two">${renderNumerics(v)} ${renderExports(v)}</div>
  </div>`;
}

/** The alert's text when a run fails: the message, the GPU's details, and what to try. */
export function renderError(e: unknown): TemplateResult {
  const gpu = e instanceof GpuError;
  const message = (e as Error).message;
  return html`${msg(str`Could not compute attention: ${message}`)}
  ${
    gpu && e.details
      ? html`<details>
          <summary>${msg('Details')}</summary>
          <pre class="small">${e.details}</pre>
        </details>`
      : nothing
  }
  ${
    gpu
      ? html`<p class="small">
          ${msg('Try fewer heads, a smaller L, or the fused path; if the GPU was lost, use “Reconnect GPU” above.')}
        </p>`
      : nothing
  }`;
}

type Message = { text: string; error: boolean } | null;

/** The import error and the export's progress or failure, each dismissable when it is an error. */
export function renderMessages(
  importError: string | null,
  exportMessage: Message,
  dismiss: { import: () => void; export: () => void },
): TemplateResult {
  const button = (clear: () => void) =>
    html`<button class="small" @click=${clear}>${msg('Dismiss')}</button>`;
  const m = exportMessage;
  return html`${
    importError ? html`<p class="error" role="alert">${importError} ${button(dismiss.import)}</p>` : nothing
  }
  ${
    m
      ? html`<p class=${m.error ? 'error' : 'notice'} role=${m.error ? 'alert' : 'status'}>
          ${m.text} ${m.error ? button(dismiss.export) : nothing}
        </p>`
      : nothing
  }`;
}
