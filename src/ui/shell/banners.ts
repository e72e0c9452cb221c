/**
 * The shell's banners: URL notices, no WebGPU, a software adapter, a lost device, failed exports and GPU
 * errors reported outside any error scope. A pure render function of what the shell knows.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { adapterDisplayName, type GpuError } from '../../gpu/device';
import type { BackendChoice } from '../../state/store';
import { RECOVERY_DELAYS_MS, type GpuStatus } from '../common/runtime';

export interface BannerState {
  notices: readonly string[];
  dismissedNotices: boolean;
  status: GpuStatus;
  backend: BackendChoice;
  exportErrors: readonly string[];
  gpuErrors: readonly GpuError[];
}

export interface BannerActions {
  dismissNotices(): void;
  reconnect(): void;
  useCpu(): void;
  dismissExportErrors(): void;
  dismissGpuErrors(): void;
}

export function renderBanners(b: BannerState, on: BannerActions): TemplateResult[] {
  const st = b.status;
  const parts: TemplateResult[] = [];
  if (b.notices.length && !b.dismissedNotices) {
    parts.push(
      html`<div class="notice" role="status">
        ${b.notices.map((n) => html`<div>${n}</div>`)}
        <button @click=${on.dismissNotices}>${msg('Dismiss')}</button>
      </div>`,
    );
  }
  if (st.kind === 'unavailable') {
    parts.push(
      html`<div class="notice" role="status">
        <strong>${st.error.message}</strong>
        ${msg(
          html`The labs run on their CPU references at reduced sizes instead (badge “CPU”). WebGPU ships in
            Chrome and Edge 113+, Safari 26+, and Firefox 141+ on Windows; on Linux start Chrome with
            <code>--enable-unsafe-webgpu</code>.`,
        )}
        ${
          st.error.details
            ? html`<details>
                <summary>${msg('Details')}</summary>
                ${st.error.details}
              </details>`
            : nothing
        }
      </div>`,
    );
  } else if (st.kind === 'ready' && st.ctx.info.isFallback && b.backend === 'gpu') {
    parts.push(
      html`<div class="notice" role="status">
        ${msg(
          html`This is a software WebGPU adapter (${adapterDisplayName(st.ctx.info)}): the WGSL runs on your
          CPU, slower than plain JavaScript. It computes in f32 as a GPU would, within about 1e-6 (relative)
          of the float64 references; switch the backend to “CPU reference” for speed.`,
        )}
      </div>`,
    );
  }
  if (st.kind === 'recovering') {
    parts.push(
      html`<div class="notice recovering" role="status">
        ${
          st.error.details
            ? msg(
                html`<strong>The GPU device was lost</strong> (${st.error.details}); reconnecting by itself
                  (attempt ${st.attempt} of ${st.attempts})… The labs re-run with the same settings when it is
                  back.`,
              )
            : msg(
                html`<strong>The GPU device was lost</strong>; reconnecting by itself (attempt ${st.attempt}
                  of ${st.attempts})… The labs re-run with the same settings when it is back.`,
              )
        }
      </div>`,
    );
  }
  if (st.kind === 'lost') {
    parts.push(
      html`<div class="error" role="alert">
        <strong>${msg('The GPU device was lost.')}</strong> ${st.error.details ?? ''}
        ${msg(str`Asking for a new one failed ${RECOVERY_DELAYS_MS.length} times.`)}
        <button @click=${on.reconnect}>${msg('Reconnect GPU')}</button>
        <button @click=${on.useCpu}>${msg('Use the CPU reference')}</button>
      </div>`,
    );
  }
  for (const message of b.exportErrors) {
    parts.push(
      html`<div class="error" role="alert">
        <strong>${msg('The export failed:')}</strong> ${message}
        <button @click=${on.dismissExportErrors}>${msg('Dismiss')}</button>
      </div>`,
    );
  }
  for (const error of b.gpuErrors) {
    parts.push(
      html`<div class="error" role="alert">
        <strong>${error.message}</strong>
        <details>
          <summary>${msg('Details')}</summary>
          <pre>${error.details ?? ''}</pre>
        </details>
        <button @click=${on.dismissGpuErrors}>${msg('Dismiss')}</button>
      </div>`,
    );
  }
  return parts;
}
