/**
 * Keeps the store and the URL in step: every state change writes the hash (a new history entry per
 * change, coalescing changes within 600 ms), and Back/Forward or a typed link reads it back (validated
 * by the store's schema; bad values become notices).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { initialState, type AppState, type Store } from '../../state/store';
import { formatHash, parseHash } from '../../state/url';

export class UrlSyncController implements ReactiveController {
  private lastPush = 0;
  private unsubscribe: (() => void) | null = null;

  constructor(
    host: ReactiveControllerHost,
    private readonly store: Store,
    /** Called after the URL changed the state from outside (Back/Forward, a link). */
    private readonly onExternalChange: () => void,
    /** Called for every state change (after the URL is written). */
    private readonly onState: (s: AppState, prev: AppState) => void,
  ) {
    host.addController(this);
    store.update((s) => parseHash(location.hash, s));
  }

  hostConnected(): void {
    window.addEventListener('hashchange', this.onHashChange);
    this.unsubscribe = this.store.subscribe((s, prev) => {
      this.write(s, false);
      this.onState(s, prev);
    });
    this.write(this.store.state, true);
  }

  hostDisconnected(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onHashChange = () => {
    if (location.hash === formatHash(this.store.state)) return;
    this.onExternalChange();
    // An entry this shell wrote holds the whole state, so Back/Forward to it restores the app-wide
    // settings too (absent = default); a plain link such as #/random keeps the current ones.
    const written = (history.state as { ks?: number } | null)?.ks === 1;
    const defaults = initialState();
    this.store.update((s) =>
      parseHash(
        location.hash,
        written ? { ...s, backend: defaults.backend, theme: defaults.theme, lang: defaults.lang } : s,
      ),
    );
  };

  private write(s: AppState, replace: boolean) {
    const hash = formatHash(s);
    if (location.hash === hash) return;
    const now = Date.now();
    const url = `${location.pathname}${location.search}${hash}`;
    if (replace || now - this.lastPush < 600) history.replaceState({ ks: 1 }, '', url);
    else history.pushState({ ks: 1 }, '', url);
    this.lastPush = now;
  }
}
