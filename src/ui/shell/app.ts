import { LitElement, html, nothing, css } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ContextProvider } from '@lit/context';
import { initialState, Store, THEMES, type AppState, type Route, type Theme } from '../../state/store';
import { formatHash, parseHash } from '../../state/url';
import { Runtime, runtimeContext } from '../common/runtime';
import { RuntimeController, StoreController, storeContext } from '../common/controllers';
import { sharedStyles } from '../common/styles';
import { EXPORT_ERROR_EVENT } from '../common/export';
import './home';
import '../random/random-lab';
import '../attention/attention-lab';
import '../diffusion/diffusion-lab';
import '../batchnorm/batchnorm-lab';
import { isTextEntry, type KsShortcuts } from './shortcuts';

const NAV: Array<[Route, string]> = [
  ['home', 'Start'],
  ['random', 'Random numbers'],
  ['attention', 'Masked attention'],
  ['diffusion', 'Diffusion'],
  ['batchnorm', 'BatchNorm'],
];

/**
 * The app shell: owns the store (mirrored in the URL) and the GPU runtime, provides both to the labs,
 * shows the backend badge, GPU banners (no WebGPU, device lost, errors), URL notices and the theme switch.
 */
@customElement('ks-app')
export class KsApp extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        min-height: 100vh;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
        padding: 0.5rem 1.25rem;
        border-bottom: 1px solid var(--ks-border);
        background: var(--ks-panel);
      }
      .brand {
        font-weight: 700;
        font-size: 1.15rem;
        text-decoration: none;
        color: var(--ks-fg);
      }
      nav ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        list-style: none;
        margin: 0 0 0 -0.6rem; /* the first tab's text lines up with the brand */
        padding: 0;
      }
      nav a {
        display: inline-block;
        padding: 0.3rem 0.6rem;
        border-radius: 6px;
        color: var(--ks-fg);
        text-decoration: none;
      }
      nav a[aria-current='page'] {
        background: var(--ks-primary);
        color: var(--ks-on-primary);
      }
      /* Two rows: the brand and the status tools on top, the lab tabs underneath (one row would not fit a
         long adapter name at 1280 px). */
      nav {
        order: 2;
        flex: 1 1 100%;
      }
      .status {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem 0.75rem;
        align-items: center;
        justify-content: flex-end;
        margin-left: auto;
        font-size: 0.85rem;
      }
      .status label.field {
        flex-direction: row;
        align-items: center;
        gap: 0.35rem;
      }
      .status select,
      .status button {
        padding: 0.2rem 0.4rem;
      }
      .badge {
        max-width: 15rem;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        padding: 0.15rem 0.6rem;
        border-radius: 999px;
        background: var(--ks-badge);
        font-weight: 600;
      }
      .keys kbd {
        font-family: var(--ks-mono);
        font-weight: 700;
      }
      @media (max-width: 640px) {
        header {
          padding: 0.5rem 0.75rem;
        }
        main {
          padding: 0.75rem 0.75rem 2rem;
        }
        nav a {
          padding: 0.25rem 0.45rem;
        }
        .status {
          margin-left: 0;
          justify-content: flex-start;
        }
        .badge {
          max-width: calc(100vw - 2rem);
        }
      }
      main {
        padding: 1rem 1.25rem 3rem;
        max-width: 1280px;
        margin: 0 auto;
      }
      .banners {
        display: grid;
        gap: 0.5rem;
        margin-bottom: 1rem;
      }
      .banners button {
        margin-left: 0.5rem;
      }
      details {
        margin-top: 0.25rem;
        font-size: 0.85rem;
      }
    `,
  ];

  readonly store = new Store();
  readonly runtime = new Runtime();
  private storeProvider = new ContextProvider(this, { context: storeContext, initialValue: this.store });
  private runtimeProvider = new ContextProvider(this, {
    context: runtimeContext,
    initialValue: this.runtime,
  });
  private app = new StoreController(this, () => this.store);
  private gpuStatus = new RuntimeController(this, () => this.runtime);
  @state() private dismissedNotices = false;
  /** Failed exports (EXPORT_ERROR_EVENT), newest last, shown as alerts until dismissed. */
  @state() private exportErrors: string[] = [];
  private lastPush = 0;
  private readonly media = globalThis.matchMedia?.('(prefers-color-scheme: dark)');

  constructor() {
    super();
    this.store.update((s) => parseHash(location.hash, s));
    void this.storeProvider;
    void this.runtimeProvider;
    void this.gpuStatus;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
    window.addEventListener(EXPORT_ERROR_EVENT, this.onExportError);
    window.addEventListener('keydown', this.onKey);
    window.addEventListener('keydown', this.onKeyWhileDialog, true);
    this.media?.addEventListener('change', this.applyTheme);
    this.unsubscribe = this.store.subscribe((s, prev) => this.onState(s, prev));
    this.applyTheme();
    this.syncUrl(this.store.state, true);
    void this.runtime.gpu();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.onHashChange);
    window.removeEventListener(EXPORT_ERROR_EVENT, this.onExportError);
    window.removeEventListener('keydown', this.onKey);
    window.removeEventListener('keydown', this.onKeyWhileDialog, true);
    this.media?.removeEventListener('change', this.applyTheme);
    this.unsubscribe?.();
  }

  private unsubscribe: (() => void) | null = null;

  private onExportError = (e: Event) => {
    const message = (e as CustomEvent<{ message?: string }>).detail?.message ?? 'unknown error';
    this.exportErrors = [...this.exportErrors.slice(-2), message];
  };

  private onHashChange = () => {
    if (location.hash === formatHash(this.store.state)) return;
    this.dismissedNotices = false;
    // An entry this shell wrote holds the whole state, so Back/Forward to it restores the app-wide
    // settings too (absent = default); a plain link such as #/random keeps the current ones.
    const written = (history.state as { ks?: number } | null)?.ks === 1;
    const defaults = initialState();
    this.store.update((s) =>
      parseHash(location.hash, written ? { ...s, backend: defaults.backend, theme: defaults.theme } : s),
    );
  };

  /** "?" opens the keyboard-shortcuts dialog, unless the user is typing in a text field. */
  private onKey = (e: KeyboardEvent) => {
    if (e.key !== '?' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (isTextEntry(e.composedPath()[0])) return;
    e.preventDefault();
    this.showShortcuts();
  };

  /** While the shortcuts dialog is open, no key reaches the labs' shortcuts behind it (Escape still closes it). */
  private onKeyWhileDialog = (e: KeyboardEvent) => {
    if (this.renderRoot.querySelector<KsShortcuts>('ks-shortcuts')?.isOpen) e.stopPropagation();
  };

  private showShortcuts() {
    void this.renderRoot.querySelector<KsShortcuts>('ks-shortcuts')?.show();
  }

  private onState(s: AppState, prev: AppState) {
    if (s.theme !== prev.theme) this.applyTheme();
    if (s.route !== prev.route)
      document.title = `${NAV.find(([r]) => r === s.route)?.[1] ?? ''} · Kernelscope`;
    this.syncUrl(s, false);
  }

  /** Mirrors the state in the URL: a new history entry per change, coalescing changes within 600 ms. */
  private syncUrl(s: AppState, replace: boolean) {
    const hash = formatHash(s);
    if (location.hash === hash) return;
    const now = Date.now();
    const url = `${location.pathname}${location.search}${hash}`;
    if (replace || now - this.lastPush < 600) history.replaceState({ ks: 1 }, '', url);
    else history.pushState({ ks: 1 }, '', url);
    this.lastPush = now;
  }

  private applyTheme = () => {
    const theme = this.store.state.theme;
    const dark = theme === 'dark' || (theme === 'system' && !!this.media?.matches);
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  };

  private go(route: Route, e: Event) {
    e.preventDefault();
    this.store.update((s) => ({ ...s, route, notices: [] }));
  }

  override render() {
    const s = this.app.value;
    return html`
      <header>
        <a class="brand" href="#/" @click=${(e: Event) => this.go('home', e)}>Kernelscope</a>
        <nav aria-label="Labs">
          <ul>
            ${NAV.map(
              ([route, label]) =>
                html`<li>
                  <a
                    href=${`#/${route === 'home' ? '' : route}`}
                    aria-current=${s.route === route ? 'page' : 'false'}
                    @click=${(e: Event) => this.go(route, e)}
                    >${label}</a
                  >
                </li>`,
            )}
          </ul>
        </nav>
        <div class="status">
          <span class="badge" role="status" aria-label="Compute backend" title=${this.backendText()}
            >${this.backendText()}</span
          >
          <label class="field"
            >Backend
            <select
              @change=${(e: Event) =>
                this.store.update((st) => ({
                  ...st,
                  backend: (e.target as HTMLSelectElement).value as 'gpu' | 'cpu',
                }))}
            >
              <option value="gpu" .selected=${s.backend === 'gpu'}>GPU (WebGPU)</option>
              <option value="cpu" .selected=${s.backend === 'cpu'}>CPU reference</option>
            </select></label
          >
          <label class="field"
            >Theme
            <select
              @change=${(e: Event) =>
                this.store.update((st) => ({ ...st, theme: (e.target as HTMLSelectElement).value as Theme }))}
            >
              ${THEMES.map((t) => html`<option value=${t} .selected=${s.theme === t}>${t}</option>`)}
            </select></label
          >
          <button
            class="keys"
            aria-label="Keyboard shortcuts"
            aria-keyshortcuts="?"
            title="Keyboard shortcuts (?)"
            @click=${() => this.showShortcuts()}
          >
            <kbd>?</kbd> Shortcuts
          </button>
        </div>
      </header>
      <ks-shortcuts></ks-shortcuts>
      <main>
        <div class="banners">${this.renderBanners(s)}</div>
        ${this.renderRoute(s.route)}
      </main>
    `;
  }

  private backendText(): string {
    const s = this.app.value;
    const st = this.runtime.status;
    if (s.backend === 'cpu') return 'CPU';
    if (st.kind === 'ready') return st.name;
    if (st.kind === 'pending') return 'Starting WebGPU…';
    if (st.kind === 'lost') return 'GPU lost';
    return 'CPU (no WebGPU)';
  }

  private renderBanners(s: AppState) {
    const st = this.runtime.status;
    const parts = [];
    if (s.notices.length && !this.dismissedNotices) {
      parts.push(
        html`<div class="notice" role="status">
          ${s.notices.map((n) => html`<div>${n}</div>`)}
          <button @click=${() => (this.dismissedNotices = true)}>Dismiss</button>
        </div>`,
      );
    }
    if (st.kind === 'unavailable') {
      parts.push(
        html`<div class="notice" role="status">
          <strong>${st.error.message}</strong> The labs run on their CPU references at reduced sizes instead
          (badge “CPU”). WebGPU ships in Chrome and Edge 113+, Safari 26+, and Firefox 141+ on Windows; on
          Linux start Chrome with <code>--enable-unsafe-webgpu</code>.
          ${
            st.error.details
              ? html`<details>
                  <summary>Details</summary>
                  ${st.error.details}
                </details>`
              : nothing
          }
        </div>`,
      );
    } else if (st.kind === 'ready' && st.ctx.info.isFallback && s.backend === 'gpu') {
      parts.push(
        html`<div class="notice" role="status">
          This is a software WebGPU adapter (${st.name}): the WGSL runs on your CPU, slower than plain
          JavaScript. Results are exact all the same; switch the backend to “CPU reference” for speed.
        </div>`,
      );
    }
    if (st.kind === 'lost') {
      parts.push(
        html`<div class="error" role="alert">
          <strong>The GPU device was lost.</strong> ${st.error.details ?? ''}
          <button @click=${() => this.runtime.reconnect()}>Reconnect GPU</button>
        </div>`,
      );
    }
    for (const message of this.exportErrors) {
      parts.push(
        html`<div class="error" role="alert">
          <strong>The export failed:</strong> ${message}
          <button @click=${() => (this.exportErrors = [])}>Dismiss</button>
        </div>`,
      );
    }
    for (const error of this.runtime.errors) {
      parts.push(
        html`<div class="error" role="alert">
          <strong>${error.message}</strong>
          <details>
            <summary>Details</summary>
            <pre>${error.details ?? ''}</pre>
          </details>
          <button @click=${() => this.runtime.dismissErrors()}>Dismiss</button>
        </div>`,
      );
    }
    return parts;
  }

  private renderRoute(route: Route) {
    switch (route) {
      case 'home':
        return html`<ks-home></ks-home>`;
      case 'random':
        return html`<ks-random-lab></ks-random-lab>`;
      case 'attention':
        return html`<ks-attention-lab></ks-attention-lab>`;
      case 'diffusion':
        return html`<ks-diffusion-lab></ks-diffusion-lab>`;
      case 'batchnorm':
        return html`<ks-batchnorm-lab></ks-batchnorm-lab>`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-app': KsApp;
  }
}
