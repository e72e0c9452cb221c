/**
 * Keyboard shortcuts for the shell and the labs: one rule for when a key press belongs to the focused
 * control instead of a shortcut, and a controller that listens on the window while its host is connected.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

const NON_TEXT_INPUTS = ['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'file', 'color'];

/** True when a key press belongs to a text field (typing "?" or "c" there must not trigger a shortcut). */
function isTextEntry(target: EventTarget | undefined): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.includes(target.type);
  return false;
}

const ARROWS = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown'];

/**
 * True when the focused control answers `key` itself: every key in a text field or a select, the arrows on
 * a slider or radio group, Space and Enter on buttons, Space on check boxes.
 */
export function keyBelongsToControl(target: EventTarget | undefined, key: string): boolean {
  if (isTextEntry(target)) return true;
  if (target instanceof HTMLInputElement) {
    if ((target.type === 'range' || target.type === 'radio') && ARROWS.includes(key)) return true;
    if ((target.type === 'checkbox' || target.type === 'radio') && key === ' ') return true;
    if (
      ['button', 'submit', 'reset', 'file', 'color'].includes(target.type) &&
      (key === ' ' || key === 'Enter')
    ) {
      return true;
    }
  }
  if (target instanceof HTMLButtonElement && (key === ' ' || key === 'Enter')) return true;
  return false;
}

/** A shortcut: the keys (KeyboardEvent.key values) and what they do; `repeat` lets auto-repeat through. */
export interface Shortcut {
  keys: readonly string[];
  run: (e: KeyboardEvent) => void;
  repeat?: boolean;
}

/**
 * Listens for the host's shortcuts on the window while the host is connected. A key is ignored with
 * Ctrl, ⌘ or Alt held, when already handled, or when the focused control answers it itself.
 *
 *     new ShortcutController(this, () => [{ keys: ['c', 'C'], run: () => this.toggleCausal() }]);
 */
export class ShortcutController implements ReactiveController {
  constructor(
    host: ReactiveControllerHost,
    private readonly shortcuts: () => readonly Shortcut[],
    private readonly options: { capture?: boolean } = {},
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener('keydown', this.onKey, this.options.capture ?? false);
  }

  hostDisconnected(): void {
    window.removeEventListener('keydown', this.onKey, this.options.capture ?? false);
  }

  private onKey = (e: KeyboardEvent): void => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const shortcut = this.shortcuts().find((s) => s.keys.includes(e.key));
    if (!shortcut || (e.repeat && !shortcut.repeat)) return;
    if (keyBelongsToControl(e.composedPath()[0], e.key)) return;
    e.preventDefault();
    shortcut.run(e);
  };
}
