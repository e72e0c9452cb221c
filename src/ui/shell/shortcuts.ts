import { css, html } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { sharedStyles } from '../common/styles';
import { KsElement } from '../common/localized';

/** The app's keyboard shortcuts; the labs that own them register their own key listeners. */
export const SHORTCUTS: ReadonlyArray<{ keys: string[]; action: string; where: string }> = [
  { keys: ['Space'], action: 'Play / pause', where: 'Diffusion' },
  { keys: ['←', '→'], action: 'Step back / forward', where: 'Diffusion' },
  { keys: ['C'], action: 'Toggle the causal mask', where: 'Masked attention' },
  { keys: ['?'], action: 'Show this list', where: 'Everywhere' },
];

/**
 * The keyboard-shortcuts dialog: a modal <dialog> (showModal keeps focus inside it; Escape closes it).
 * The shell opens it on "?" and from the header button.
 */
@customElement('ks-shortcuts')
export class KsShortcuts extends KsElement {
  static override styles = [
    sharedStyles,
    css`
      dialog {
        color: var(--ks-fg);
        background: var(--ks-panel);
        border: 1px solid var(--ks-border);
        border-radius: 10px;
        padding: 1rem 1.25rem;
        max-width: min(32rem, calc(100vw - 2rem));
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 45%);
      }
      h2 {
        font-size: 1.2rem;
        margin-bottom: 0.75rem;
      }
      table {
        width: 100%;
      }
      td {
        text-align: left;
      }
      kbd {
        display: inline-block;
        min-width: 1.4em;
        padding: 0.05rem 0.4rem;
        border: 1px solid var(--ks-border);
        border-bottom-width: 2px;
        border-radius: 4px;
        background: var(--ks-input);
        font-family: var(--ks-mono);
        text-align: center;
      }
      .actions {
        display: flex;
        justify-content: flex-end;
        margin-top: 1rem;
      }
    `,
  ];

  @query('dialog') private dialog!: HTMLDialogElement;

  get isOpen(): boolean {
    return this.dialog?.open ?? false;
  }

  async show(): Promise<void> {
    await this.updateComplete;
    if (!this.dialog.open) this.dialog.showModal();
  }

  close(): void {
    this.dialog?.close();
  }

  override render() {
    return html`<dialog aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Action</th>
            <th scope="col">Page</th>
          </tr>
        </thead>
        <tbody>
          ${SHORTCUTS.map(
            (s) =>
              html`<tr>
                <td>${s.keys.map((k, i) => html`${i ? ' / ' : ''}<kbd>${k}</kbd>`)}</td>
                <td>${s.action}</td>
                <td>${s.where}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted">Shortcuts are ignored while you type in a text field.</p>
      <div class="actions">
        <button class="primary" @click=${() => this.close()} autofocus>Close</button>
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-shortcuts': KsShortcuts;
  }
}
