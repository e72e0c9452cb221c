/**
 * Keyboard shortcuts: keyBelongsToControl decides when a key press is the focused control's own, and
 * ShortcutController fires a shortcut only outside such controls and without Ctrl/⌘/Alt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LitElement, html } from 'lit';
import { keyBelongsToControl, ShortcutController } from '../../src/ui/common/keys';

class ShortcutHost extends LitElement {
  hits: string[] = [];
  private keys = new ShortcutController(this, () => [
    { keys: ['c', 'C'], run: () => this.hits.push('c') },
    { keys: ['ArrowRight'], run: () => this.hits.push('right'), repeat: true },
    { keys: ['?'], run: () => this.hits.push('?') },
  ]);
  override render() {
    void this.keys;
    return html`<input type="text" /><input type="range" /><button>b</button><input type="checkbox" />`;
  }
}
customElements.define('ks-shortcut-host', ShortcutHost);

function press(target: EventTarget, key: string, init: KeyboardEventInit = {}) {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, composed: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}

afterEach(() => document.querySelector('ks-shortcut-host')?.remove());

describe('keyBelongsToControl', () => {
  it('text fields and selects own every key; sliders own the arrows; buttons own Space and Enter', () => {
    const text = Object.assign(document.createElement('input'), { type: 'text' });
    const range = Object.assign(document.createElement('input'), { type: 'range' });
    const box = Object.assign(document.createElement('input'), { type: 'checkbox' });
    const button = document.createElement('button');
    const select = document.createElement('select');
    const area = document.createElement('textarea');
    expect([text, select, area].map((t) => keyBelongsToControl(t, 'c'))).toEqual([true, true, true]);
    expect(keyBelongsToControl(range, 'ArrowLeft')).toBe(true);
    expect(keyBelongsToControl(range, 'c')).toBe(false);
    expect(keyBelongsToControl(box, ' ')).toBe(true);
    expect(keyBelongsToControl(box, 'ArrowLeft')).toBe(false);
    expect(keyBelongsToControl(button, ' ')).toBe(true);
    expect(keyBelongsToControl(button, 'c')).toBe(false);
    expect(keyBelongsToControl(document.body, ' ')).toBe(false);
  });
});

describe('ShortcutController', () => {
  it('fires outside controls, not in a text field, not with modifiers, and repeats only when allowed', async () => {
    const host = document.createElement('ks-shortcut-host') as ShortcutHost;
    document.body.append(host);
    await host.updateComplete;
    const [text, range, button] = [...host.shadowRoot!.querySelectorAll('input, button')] as HTMLElement[];
    expect(press(document.body, 'c').defaultPrevented).toBe(true);
    press(document.body, '?', { shiftKey: true });
    press(text!, 'c');
    press(document.body, 'c', { ctrlKey: true });
    press(document.body, 'c', { repeat: true });
    press(range!, 'ArrowRight');
    press(button!, 'c');
    press(document.body, 'ArrowRight', { repeat: true });
    expect(host.hits).toEqual(['c', '?', 'c', 'right']);
    host.remove();
    press(document.body, 'c');
    expect(host.hits).toHaveLength(4);
  });
});
