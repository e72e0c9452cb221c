/** The shell's "?" shortcut opens the keyboard-shortcuts dialog, except while typing in a text field. */
import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import type { KsApp } from '../../src/ui/shell/app';
import type { KsShortcuts } from '../../src/ui/shell/shortcuts';

afterEach(() => {
  document.querySelector('ks-app')?.remove();
  history.replaceState(null, '', location.pathname);
});

describe('ks-app shortcuts', () => {
  it('"?" opens the dialog', async () => {
    history.replaceState(null, '', `${location.pathname}#/`);
    const app = document.createElement('ks-app') as KsApp;
    document.body.append(app);
    await app.updateComplete;
    const dialog = app.shadowRoot!.querySelector('ks-shortcuts') as KsShortcuts;
    await dialog.updateComplete;
    expect(dialog.isOpen).toBe(false);
    document.body.dispatchEvent(
      new KeyboardEvent('keydown', {
        key: '?',
        shiftKey: true,
        bubbles: true,
        composed: true,
        cancelable: true,
      }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(dialog.isOpen).toBe(true);
  });
});
