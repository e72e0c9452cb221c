/**
 * Progress and Cancel for long computations (shader compilation, 10⁷ random values, attention at large L).
 *
 * - `<ks-progress>`: a status line (role="status": "Compiling shaders…", "Running 3 of 5 batches…"), a
 *   <progress> bar (indeterminate when the total is unknown) and a "Cancel" button that fires `cancel`.
 * - `ProgressController`: what a lab uses around one run. `begin(signal)` returns the RunControl to hand
 *   to the engine (or CPU job); the bar appears only when the run takes longer than `delayMs`, so quick
 *   interactions do not flash. `end()` hides it.
 */
import { css, html, nothing, type ReactiveController, type ReactiveControllerHost } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { msg, str } from '@lit/localize';
import type { RunControl, RunProgress } from '../../gpu/compute';
import { KsElement } from './localized';

/** What the status says about cancelling: a submitted GPU command buffer runs to its end. */
export function cancelNote(): string {
  return msg(
    'Cancel stops between GPU submits: work already submitted to the GPU cannot be cancelled and finishes first.',
  );
}

@customElement('ks-progress')
export class ProgressStatus extends KsElement {
  static override styles = css`
    :host {
      display: block;
    }
    .row {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.5rem 0.75rem;
    }
    .label {
      font-weight: 600;
    }
    progress {
      flex: 1 1 10rem;
      max-width: 20rem;
      height: 0.9rem;
      accent-color: var(--ks-accent, #1f6feb);
    }
    .note {
      margin: 0.25rem 0 0;
      font-size: 0.8rem;
      color: var(--ks-muted, #57606a);
    }
  `;

  /** The status text, e.g. "Running 3 of 5 batches…". */
  @property() label = '';
  /** Steps done; with `max` > 0 the bar is determinate, else indeterminate. */
  @property({ type: Number }) value = 0;
  @property({ type: Number }) max = 0;
  /** A second line, e.g. why Cancel may take a moment. */
  @property() note = '';
  /** Set once Cancel was pressed: the button is disabled and says so. */
  @property({ type: Boolean }) cancelling = false;

  override render() {
    const determinate = this.max > 0;
    return html`<div class="row">
        <span class="label" role="status" aria-live="polite"
          >${this.cancelling ? msg(str`Cancelling… ${this.label}`) : this.label}</span
        >
        <progress
          aria-label=${this.label || msg('Progress')}
          max=${determinate ? this.max : nothing}
          value=${determinate ? Math.min(this.value, this.max) : nothing}
        ></progress>
        <button type="button" ?disabled=${this.cancelling} @click=${this.onCancel}>${msg('Cancel')}</button>
      </div>
      ${this.note ? html`<p class="note">${this.note}</p>` : nothing}`;
  }

  private onCancel() {
    this.dispatchEvent(new CustomEvent('cancel', { bubbles: true, composed: true }));
  }
}

export interface ProgressView {
  label: string;
  value: number;
  max: number;
  cancelling: boolean;
}

/**
 * One run's progress for a lab component. The host renders `renderStatus(onCancel)` where the bar should
 * appear; it shows only while a run is in progress for longer than `delayMs`.
 */
export class ProgressController implements ReactiveController {
  /** What to show, or null while hidden. */
  view: ProgressView | null = null;
  private latest: ProgressView | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private run = 0;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly delayMs = 250,
  ) {
    host.addController(this);
  }

  /** Starts a run; pass the returned control to the engine. Ends any previous run's display. */
  begin(signal?: AbortSignal, label = msg('Computing…')): RunControl & { run: number } {
    const run = ++this.run;
    clearTimeout(this.timer);
    this.latest = { label, value: 0, max: 0, cancelling: false };
    this.view = null;
    this.timer = setTimeout(() => {
      if (this.run !== run || !this.latest) return;
      this.view = this.latest;
      this.host.requestUpdate();
    }, this.delayMs);
    return {
      run,
      signal,
      onProgress: (p: RunProgress) => this.update(run, p),
    };
  }

  private update(run: number, p: RunProgress): void {
    if (run !== this.run || !this.latest) return;
    this.latest = { ...this.latest, label: p.message, value: p.done, max: p.total };
    if (this.view) {
      this.view = this.latest;
      this.host.requestUpdate();
    }
  }

  /** Marks the current run as cancelling (the button disables until the engine stops). */
  cancelling(): void {
    if (!this.latest) return;
    this.latest = { ...this.latest, cancelling: true };
    if (this.view) this.view = this.latest;
    this.host.requestUpdate();
  }

  /** Ends run `run` (only if it is still the current one) and hides the bar. */
  end(run: number): void {
    if (run !== this.run) return;
    clearTimeout(this.timer);
    this.latest = null;
    if (this.view) {
      this.view = null;
      this.host.requestUpdate();
    }
  }

  /** The status element, or nothing while hidden. */
  renderStatus(onCancel: () => void, note = cancelNote()) {
    const v = this.view;
    if (!v) return nothing;
    return html`<ks-progress
      class="run-progress"
      .label=${v.label}
      .value=${v.value}
      .max=${v.max}
      .note=${note}
      .cancelling=${v.cancelling}
      @cancel=${onCancel}
    ></ks-progress>`;
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-progress': ProgressStatus;
  }
}
