import { LitElement, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { ContextProvider } from '@lit/context';
import { Store, THEMES, type AppState, type Route, type Theme } from '../../state/store';
import { Runtime, runtimeContext } from '../common/runtime';
import { RuntimeController, StoreController, storeContext } from '../common/controllers';
import { sharedStyles } from '../common/styles';
import { EXPORT_ERROR_EVENT } from '../common/export';
import { ShortcutController } from '../common/keys';
import { applyTheme, watchSystemTheme } from '../common/theme';
import { appStyles } from './app-styles';
import { renderBanners } from './banners';
import { UrlSyncController } from './url-sync';
import './home';
import '../random/random-lab';
import '../attention/attention-lab';
import '../diffusion/diffusion-lab';
import '../batchnorm/batchnorm-lab';
import '../recommend/recommend-lab';
import './shortcuts';
import type { KsShortcuts } from './shortcuts';

const NAV: Array<[Route, string]> = [
  ['home', 'Start'],
  ['random', 'Random numbers'],
  ['attention', 'Masked attention'],
  ['diffusion', 'Diffusion'],
  ['batchnorm', 'BatchNorm'],
  ['recommend', 'Recommendation'],
];

/**
 * The app shell: owns the store (mirrored in the URL) and the GPU runtime, provides both to the labs,
 * shows the backend badge, GPU banners (no WebGPU, device lost, errors), URL notices and the theme switch.
 */
@customElement('ks-app')
export class KsApp extends LitElement {
  static override styles = [sharedStyles, appStyles];

  readonly store = new Store();
  readonly runtime = new Runtime();
  private readonly providers = [
    new ContextProvider(this, { context: storeContext, initialValue: this.store }),
    new ContextProvider(this, { context: runtimeContext, initialValue: this.runtime }),
  ];
  private app = new StoreController(this, () => this.store);
  private readonly controllers = [
    new RuntimeController(this, () => this.runtime),
    new UrlSyncController(
      this,
      this.store,
      () => (this.dismissedNotices = false),
      (s, prev) => this.onState(s, prev),
    ),
    // "?" opens the keyboard-shortcuts dialog, unless the user is typing in a text field.
    new ShortcutController(this, () => [{ keys: ['?'], run: () => this.showShortcuts() }]),
  ];
  @state() private dismissedNotices = false;
  /** Failed exports (EXPORT_ERROR_EVENT), newest last, shown as alerts until dismissed. */
  @state() private exportErrors: string[] = [];
  private unwatchTheme: (() => void) | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.providers;
    void this.controllers;
    window.addEventListener(EXPORT_ERROR_EVENT, this.onExportError);
    window.addEventListener('keydown', this.onKeyWhileDialog, true);
    this.unwatchTheme = watchSystemTheme(() => applyTheme(this.store.state.theme));
    applyTheme(this.store.state.theme);
    void this.runtime.gpu();
    // The page's test hook (README, "Testing"): `kernelscope.loseDevice()` loses the GPU device as a driver
    // reset would, so the automatic recovery can be exercised through the page alone.
    (window as unknown as { kernelscope?: unknown }).kernelscope = {
      loseDevice: () => this.runtime.loseDevice(),
      status: () => this.runtime.status.kind,
    };
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener(EXPORT_ERROR_EVENT, this.onExportError);
    window.removeEventListener('keydown', this.onKeyWhileDialog, true);
    this.unwatchTheme?.();
  }

  private onExportError = (e: Event) => {
    const message = (e as CustomEvent<{ message?: string }>).detail?.message ?? 'unknown error';
    this.exportErrors = [...this.exportErrors.slice(-2), message];
  };

  /** While the shortcuts dialog is open, no key reaches the labs' shortcuts behind it (Escape still closes it). */
  private onKeyWhileDialog = (e: KeyboardEvent) => {
    if (this.renderRoot.querySelector<KsShortcuts>('ks-shortcuts')?.isOpen) e.stopPropagation();
  };

  private showShortcuts() {
    void this.renderRoot.querySelector<KsShortcuts>('ks-shortcuts')?.show();
  }

  private onState(s: AppState, prev: AppState) {
    if (s.theme !== prev.theme) applyTheme(s.theme);
    if (s.route !== prev.route)
      document.title = `${NAV.find(([r]) => r === s.route)?.[1] ?? ''} · Kernelscope`;
  }

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
        <div class="banners">
          ${renderBanners(
            {
              notices: s.notices,
              dismissedNotices: this.dismissedNotices,
              status: this.runtime.status,
              backend: s.backend,
              exportErrors: this.exportErrors,
              gpuErrors: this.runtime.errors,
            },
            {
              dismissNotices: () => (this.dismissedNotices = true),
              reconnect: () => void this.runtime.reconnect(),
              useCpu: () => this.store.update((st) => ({ ...st, backend: 'cpu' })),
              dismissExportErrors: () => (this.exportErrors = []),
              dismissGpuErrors: () => this.runtime.dismissErrors(),
            },
          )}
        </div>
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
    if (st.kind === 'recovering') return 'Reconnecting GPU…';
    return 'CPU (no WebGPU)';
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
      case 'recommend':
        return html`<ks-recommend-lab></ks-recommend-lab>`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-app': KsApp;
  }
}
