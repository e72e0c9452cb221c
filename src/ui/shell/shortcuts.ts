import { css, html } from 'lit';
import { customElement, query } from 'lit/decorators.js';
import { msg } from '@lit/localize';
import { sharedStyles } from '../common/styles';
import { KsElement } from '../common/localized';

/** The app's keyboard shortcuts, in the interface language; the labs that own them register their own key listeners. */
export function shortcuts(): ReadonlyArray<{ keys: string[]; action: string; where: string }> {
  return [
    { keys: ['Space'], action: msg('Play / pause'), where: msg('Diffusion') },
    { keys: ['←', '→'], action: msg('Step back / forward'), where: msg('Diffusion') },
    { keys: ['C'], action: msg('Toggle the causal mask'), where: msg('Masked attention') },
    { keys: ['?'], action: msg('Show this list'), where: msg('Everywhere') },
  ];
}

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
      <h2 id="shortcuts-title">${msg('Keyboard shortcuts')}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">${msg('Key')}</th>
            <th scope="col">${msg('Action')}</th>
            <th scope="col">${msg('Page')}</th>
          </tr>
        </thead>
        <tbody>
          ${shortcuts().map(
            (s) =>
              html`<tr>
                <td>${s.keys.map((k, i) => html`${i ? ' / ' : ''}<kbd>${k}</kbd>`)}</td>
                <td>${s.action}</td>
                <td>${s.where}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="muted">${msg('Shortcuts are ignored while you type in a text field.')}</p>
      <div class="actions">
        <button class="primary" @click=${() => this.close()} autofocus>${msg('Close')}</button>
      </div>
    </dialog>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-shortcuts': KsShortcuts;
  }
}
