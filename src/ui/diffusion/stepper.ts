/** The Diffusion lab's stepping bar, the forward-process scrub and the notices above the panes. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { noiseLevel, type Schedule } from '../../models/schedules';
import type { DiffusionState } from '../../state/diffusion';
import { formatBytes, formatDuration } from '../../util/format';
import { backendName } from '../common/backend';
import { scheduleLabel } from './chain';
import { intField } from './controls';
import { noticeText } from './inputs';
import type { DiffusionSession } from './session';

/** Step back / forward, Play, Reset, Jump to t, Speed; the backend badge and the last operation's cost. */
export function renderStepper(
  session: DiffusionSession,
  p: DiffusionState,
  set: (patch: Partial<DiffusionState>) => void,
): TemplateResult {
  const a = session.panes[0];
  const f = a?.frame;
  const T = a?.config.T ?? p.T;
  return html`<div class="stepper panel" role="group" aria-label=${msg('Stepping')}>
      <output class="t-display" aria-label=${msg('Current step')} aria-live="polite"
        >${f ? `t = ${f.t}` : 't = …'}</output
      >
      <span class="small muted">${f ? msg(str`step ${f.stepIndex} of ${f.totalSteps}`) : ''}</span>
      <button @click=${() => session.stepBack()} ?disabled=${!f || f.stepIndex === 0}>
        ${msg('Step back')}
      </button>
      <button class="primary" @click=${() => session.stepForward()} ?disabled=${!f || f.t === 0}>
        ${msg('Step forward')}
      </button>
      <button
        @click=${() => session.togglePlay()}
        ?disabled=${!f}
        aria-pressed=${session.playing ? 'true' : 'false'}
      >
        ${session.playing ? msg('Pause') : msg('Play')}
      </button>
      <button @click=${() => session.reset()} ?disabled=${!f}>${msg('Reset')}</button>
      <label class="field"
        >${msg('Jump to t')}
        <input
          type="range"
          min="0"
          max=${T}
          step="1"
          .value=${String(f?.t ?? T)}
          @change=${(e: Event) => session.jumpTo(Number((e.target as HTMLInputElement).value))}
      /></label>
      ${intField({ p, set }, msg('Speed (steps/s)'), 'speed', [1, 60])}
      <span class="busy" aria-hidden="true">${session.busy ? msg('working…') : ''}</span>
      <span class="badge" title=${msg('What computed these particles')}
        >${session.backend ? backendName(session.backend) : '…'}</span
      >
      ${
        f
          ? html`<span class="small muted"
              >${
                f.bytesRead
                  ? msg(str`${formatDuration(f.elapsedMs)} · read back ${formatBytes(f.bytesRead)}`)
                  : msg(str`${formatDuration(f.elapsedMs)} · read back nothing (CPU)`)
              }</span
            >`
          : nothing
      }
    </div>
    <p class="small muted">${msg('Keys: Space play/pause, ← step back, → step forward.')}</p>`;
}

/** The forward-process scrub: slider and number named "Forward t", in the URL as `forward`. */
export function renderForward(
  session: DiffusionSession,
  p: DiffusionState,
  set: (patch: Partial<DiffusionState>) => void,
): TemplateResult {
  const a = session.panes[0];
  const T = a?.config.T ?? p.T;
  const t = p.forward === null ? null : Math.min(p.forward, T);
  const onInput = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (input.value !== '' && Number.isInteger(v) && v >= 0 && v <= T) set({ forward: v });
    else input.value = String(t ?? T);
  };
  const level = a && t !== null && t <= a.schedule.T ? noiseLevel(a.schedule, t) : null;
  return html`<div class="forward panel" role="group" aria-label=${msg('Forward process')}>
    <strong>${msg('Forward process')}</strong>
    <label class="field"
      >${msg('Forward t')}
      <input type="range" min="0" max=${T} step="1" .value=${String(t ?? T)} @input=${onInput}
    /></label>
    <input
      type="number"
      aria-label=${msg('Forward t')}
      min="0"
      max=${T}
      step="1"
      .value=${String(t ?? T)}
      @change=${onInput}
    />
    <button @click=${() => set({ forward: null })} ?disabled=${p.forward === null}>
      ${msg('Start from pure noise')}
    </button>
    <span class="small muted forward-note">
      ${level ? forwardNote(t!, level, session.onCpu) : msg(html`The chain starts from pure noise x_T ~ N(0, I). Move the slider to noise the data forward instead.`)}
    </span>
  </div>`;
}

/** The forward-scrub note: where the particles are, the two coefficients and where they were computed. */
function forwardNote(t: number, level: { sqrtAlphaBar: number; sqrtOneMinusAlphaBar: number }, cpu: boolean) {
  const a = level.sqrtAlphaBar.toFixed(3);
  const b = level.sqrtOneMinusAlphaBar.toFixed(3);
  return cpu
    ? msg(
        str`Every particle (i ↦ data point i mod M) at x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with t = ${t}: √ᾱ_t = ${a}, √(1 − ᾱ_t) = ${b}, computed on the CPU. Step forward runs the reverse chain from here.`,
      )
    : msg(
        str`Every particle (i ↦ data point i mod M) at x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε with t = ${t}: √ᾱ_t = ${a}, √(1 − ᾱ_t) = ${b}, computed on the GPU in one dispatch. Step forward runs the reverse chain from here.`,
      );
}

/** "cosine, T = 1000" or "linear, T = 50, zero terminal SNR" (Schedule.label, in the interface language). */
function nameOf(s: Schedule): string {
  const name = scheduleLabel(s.kind);
  return s.zeroTerminalSnr ? msg(str`${name}, T = ${s.T}, zero terminal SNR`) : msg(str`${name}, T = ${s.T}`);
}

/** The error of the last operation, the setup's notices and the schedules' warnings. */
export function renderNotices(session: DiffusionSession): TemplateResult {
  const [a, b] = session.panes;
  const warning = (label: string, text: string) =>
    html`<p class="notice" role="status">
      <strong>${msg(str`Schedule warning (${label}):`)}</strong> ${text}
    </p>`;
  return html`<div class="notices">
    ${session.error ? html`<p class="error" role="alert">${msg(str`Could not compute: ${session.error}`)}</p>` : nothing}
    ${session.lost ? html`<p class="notice lost" role="status">${session.lost}</p>` : nothing}
    ${session.notices.map((n) => html`<p class="notice" role="status">${noticeText(n)}</p>`)}
    ${a?.schedule.warning ? warning(nameOf(a.schedule), a.schedule.warning) : nothing}
    ${
      b?.schedule.warning && b.schedule.kind !== a?.schedule.kind
        ? warning(nameOf(b.schedule), b.schedule.warning)
        : nothing
    }
  </div>`;
}
