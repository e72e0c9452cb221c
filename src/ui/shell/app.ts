import { html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { msg } from '@lit/localize';
import { ContextProvider } from '@lit/context';
import {
  initialState,
  LANGS,
  Store,
  THEMES,
  type AppState,
  type Lang,
  type Route,
  type Theme,
} from '../../state/store';
import { adapterDisplayName } from '../../gpu/device';
import { KsElement } from '../common/localized';
import { applyLang, LANG_NAMES, preferredLang } from './locale';
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

/** The navigation, in the interface language (a function: msg() answers in the language of the moment). */
function nav(): Array<[Route, string]> {
  return [
    ['home', msg('Start')],
    ['random', msg('Random numbers')],
    ['attention', msg('Masked attention')],
    ['diffusion', msg('Diffusion')],
    ['batchnorm', msg('BatchNorm')],
    ['recommend', msg('Recommendation')],
  ];
}

/**
 * The app shell: owns the store (mirrored in the URL) and the GPU runtime, provides both to the labs,
 * shows the backend badge, GPU banners (no WebGPU, device lost, errors), URL notices and the theme switch.
 */
@customElement('ks-app')
export class KsApp extends KsElement {
  static override styles = [sharedStyles, appStyles];

  readonly store = new Store(initialState(preferredLang()));
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
    const message = (e as CustomEvent<{ message?: string }>).detail?.message ?? msg('unknown error');
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
    if (s.lang !== prev.lang) void applyLang(s.lang).then(() => this.setTitle(s.route));
    if (s.route !== prev.route) this.setTitle(s.route);
  }

  private setTitle(route: Route) {
    document.title = `${nav().find(([r]) => r === route)?.[1] ?? ''} · Kernelscope`;
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
        <nav aria-label=${msg('Labs')}>
          <ul>
            ${nav().map(
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
          <span class="badge" role="status" aria-label=${msg('Compute backend')} title=${this.backendText()}
            >${this.backendText()}</span
          >
          <label class="field"
            >${msg('Backend')}
            <select
              @change=${(e: Event) =>
                this.store.update((st) => ({
                  ...st,
                  backend: (e.target as HTMLSelectElement).value as 'gpu' | 'cpu',
                }))}
            >
              <option value="gpu" .selected=${s.backend === 'gpu'}>${msg('GPU (WebGPU)')}</option>
              <option value="cpu" .selected=${s.backend === 'cpu'}>${msg('CPU reference')}</option>
            </select></label
          >
          <label class="field"
            >${msg('Theme')}
            <select
              @change=${(e: Event) =>
                this.store.update((st) => ({ ...st, theme: (e.target as HTMLSelectElement).value as Theme }))}
            >
              ${THEMES.map((t) => html`<option value=${t} .selected=${s.theme === t}>${themeName(t)}</option>`)}
            </select></label
          >
          <label class="field"
            >${msg('Language')}
            <select
              @change=${(e: Event) =>
                this.store.update((st) => ({ ...st, lang: (e.target as HTMLSelectElement).value as Lang }))}
            >
              ${LANGS.map(
                (l) => html`<option value=${l} lang=${l} .selected=${s.lang === l}>${LANG_NAMES[l]}</option>`,
              )}
            </select></label
          >
          <button
            class="keys"
            aria-label=${msg('Keyboard shortcuts')}
            aria-keyshortcuts="?"
            title=${msg('Keyboard shortcuts (?)')}
            @click=${() => this.showShortcuts()}
          >
            <kbd>?</kbd> ${msg('Shortcuts')}
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
    if (s.backend === 'cpu') return msg('CPU');
    if (st.kind === 'ready') return adapterDisplayName(st.ctx.info);
    if (st.kind === 'pending') return msg('Starting WebGPU…');
    if (st.kind === 'lost') return msg('GPU lost');
    if (st.kind === 'recovering') return msg('Reconnecting GPU…');
    return msg('CPU (no WebGPU)');
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

function themeName(t: Theme): string {
  if (t === 'light') return msg('light');
  if (t === 'dark') return msg('dark');
  return msg('system');
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-app': KsApp;
  }
}
