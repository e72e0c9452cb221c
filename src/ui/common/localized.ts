/**
 * The base of every Kernelscope element: a LitElement that re-renders when the interface language has
 * loaded (`@lit/localize` runtime mode announces it with LOCALE_STATUS_EVENT). ESLint keeps elements from
 * extending LitElement directly, so no view is left in the old language after a switch.
 */
import { LitElement } from 'lit';
import { LOCALE_STATUS_EVENT } from '@lit/localize';

export class KsElement extends LitElement {
  private readonly onLocaleStatus = (e: Event) => {
    if ((e as CustomEvent<{ status: string }>).detail.status === 'ready') this.requestUpdate();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener(LOCALE_STATUS_EVENT, this.onLocaleStatus);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener(LOCALE_STATUS_EVENT, this.onLocaleStatus);
  }
}
