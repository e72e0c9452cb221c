/**
 * Export buttons: one look and one failure path for every download in the app. An action may return a
 * promise (PNG rendering); a failure reaches the shell's dismissable alert (reportExport), never an
 * unhandled rejection.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { reportExport } from './export';

export interface ExportAction {
  /** The button's text and accessible name, e.g. "Export histogram (PNG)". */
  label: string;
  run: () => unknown;
  primary?: boolean;
  disabled?: boolean;
  /** Shown as the button's title (e.g. why it is disabled). */
  title?: string;
  /** An accessible name longer than the text (e.g. text "PNG", name "Export weights heatmap (PNG)"). */
  ariaLabel?: string;
}

export function runExport(action: () => unknown): void {
  try {
    const out = action();
    if (out instanceof Promise) reportExport(out);
  } catch (e) {
    reportExport(Promise.reject(e));
  }
}

export function exportButtons(actions: readonly ExportAction[], cls = 'buttons'): TemplateResult {
  return html`<span class=${cls}>
    ${actions.map(
      (a) =>
        html`<button
          type="button"
          class=${a.primary ? 'primary' : nothing}
          ?disabled=${a.disabled ?? false}
          title=${a.title ?? nothing}
          aria-label=${a.ariaLabel ?? nothing}
          @click=${() => runExport(a.run)}
        >
          ${a.label}
        </button>`,
    )}
  </span>`;
}
