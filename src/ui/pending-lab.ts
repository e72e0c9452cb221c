import { LitElement, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { sharedStyles } from './styles';

const TITLES: Record<string, string> = {
  attention: 'Masked attention',
  diffusion: 'Diffusion',
  batchnorm: 'BatchNorm',
};

/** Placeholder for a lab whose page is not built yet: says so plainly instead of showing fake numbers. */
@customElement('ks-pending-lab')
export class KsPendingLab extends LitElement {
  static override styles = sharedStyles;
  @property() lab = '';

  override render() {
    return html`<h2>${TITLES[this.lab] ?? this.lab}</h2>
      <p class="notice" role="status">
        This lab's page is not built yet. Its kernels are being written and tested first; the Random lab is
        complete.
      </p>
      <p><a href="#/random">Open the Random lab</a></p>`;
  }
}
