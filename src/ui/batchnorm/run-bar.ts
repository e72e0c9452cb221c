/** The lab's run bar: Train / Pause, Reset, the statistics export, the demo preset, backend and status. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { formatFixed, formatPercent } from '../../util/format';
import { backendName } from '../common/backend';
import { noticeText } from '../common/notice';
import type { BatchnormSession } from './session';

interface RunBarActions {
  toggle: () => void;
  reset: () => void;
  exportStats: () => void;
  highLr: () => void;
}

/** "step N · loss … · accuracy … [· held-out …] [· S steps/s]", or what the lab is doing before step 0. */
function statusText(s: BatchnormSession): string {
  const r = s.latest;
  if (!r) return s.preparing || msg('starting…');
  const ho = s.heldOut;
  const speed = s.state === 'training' ? s.stepsPerSecond : null;
  const [lossBN, lossPlain] = [formatFixed(r.loss.withBN, 3), formatFixed(r.loss.withoutBN, 3)];
  const [accBN, accPlain] = [formatPercent(r.accuracy.withBN), formatPercent(r.accuracy.withoutBN)];
  const parts = [
    msg(str`step ${r.step} · loss ${lossBN} (BN) / ${lossPlain} (plain) · accuracy ${accBN} / ${accPlain}`),
  ];
  if (ho) {
    const [heldBN, heldPlain] = [formatPercent(ho.accuracy.withBN), formatPercent(ho.accuracy.withoutBN)];
    parts.push(
      msg(str`held-out accuracy ${heldBN} / ${heldPlain} (${ho.count} images, after step ${s.heldOutStep})`),
    );
  }
  if (speed !== null) parts.push(msg(str`${speed.toFixed(1)} steps/s`));
  return parts.join(' · ');
}

export function renderRunBar(s: BatchnormSession, actions: RunBarActions): TemplateResult {
  const r = s.latest;
  const training = s.state === 'training';
  return html`<div class="run">
      <button @click=${actions.toggle}>${training ? msg('Pause') : msg('Train')}</button>
      <button @click=${actions.reset}>${msg('Reset')}</button>
      <button ?disabled=${!r} @click=${actions.exportStats}>${msg('Export statistics (JSON)')}</button>
      <button
        title=${msg(
          "Spirals, learning rate 0.3, 5 hidden layers: a setting where the plain network's loss blows up",
        )}
        @click=${actions.highLr}
      >
        ${msg('High learning rate demo')}
      </button>
      <span class="badge" title=${msg('Compute backend of this lab')}
        >${s.backend ? backendName(s.backend) : '…'}</span
      >
      <span class="status" role="status" aria-label=${msg('Training status')}>${statusText(s)}</span>
    </div>
    ${s.notice ? html`<p class="notice">${noticeText(s.notice)}</p>` : nothing}
    ${s.recovery ? html`<p class="notice recovery" role="status">${s.recovery}</p>` : nothing}
    ${s.error ? html`<p class="error" role="alert">${msg(str`Training stopped: ${s.error}`)}</p>` : nothing}
    ${
      r && r.step === 0 && !training
        ? html`<p class="hint">
            ${msg(
              'Step 0: the charts show both networks before any update (one forward pass of the first batch). Press Train to start; the curves fill as the networks learn.',
            )}
          </p>`
        : nothing
    }`;
}
