/**
 * The theme: the shell writes `data-theme` on <html> (light or dark; "system" follows the OS), palettes
 * live in CSS custom properties only (src/ui/common/styles.ts), and a lab that paints a canvas or reads
 * computed colours re-renders through ThemeController when the theme changes.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Theme } from '../../state/store';

const DARK_QUERY = '(prefers-color-scheme: dark)';

/** Applies the chosen theme to the document; returns whether it is dark. */
export function applyTheme(theme: Theme): boolean {
  const dark = theme === 'dark' || (theme === 'system' && !!globalThis.matchMedia?.(DARK_QUERY).matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  return dark;
}

/** Calls `onChange` when the OS colour scheme changes (for the "system" theme). */
export function watchSystemTheme(onChange: () => void): () => void {
  const media = globalThis.matchMedia?.(DARK_QUERY);
  media?.addEventListener('change', onChange);
  return () => media?.removeEventListener('change', onChange);
}

/** Re-renders its host when the document's theme changes; `version` changes with it (for cache keys). */
export class ThemeController implements ReactiveController {
  version = 0;
  private readonly observer = new MutationObserver(() => {
    this.version++;
    this.host.requestUpdate();
  });

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  get dark(): boolean {
    return document.documentElement.dataset.theme === 'dark';
  }

  /** A CSS custom property's value as the page resolves it now (e.g. for canvas painting). */
  cssVar(name: string, element: Element = document.documentElement): string {
    return getComputedStyle(element).getPropertyValue(name).trim();
  }

  hostConnected(): void {
    this.observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  }

  hostDisconnected(): void {
    this.observer.disconnect();
  }
}
