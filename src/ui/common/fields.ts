/** Form fields the labs' control panels share. */
import { html, nothing, type TemplateResult } from 'lit';

export interface IntFieldOptions {
  disabled?: boolean;
  /** Shown as the input's title. */
  title?: string;
}

/**
 * A labelled whole-number input showing `value`. A change to a whole number in [min, max] is committed;
 * anything else puts `value` back.
 */
export function intField(
  label: string,
  value: number,
  [min, max]: readonly [number, number],
  commit: (v: number) => void,
  options: IntFieldOptions = {},
): TemplateResult {
  const onChange = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= min && v <= max) commit(v);
    else input.value = String(value);
  };
  return html`<label class="field"
    >${label}
    <input
      type="number"
      min=${min}
      max=${max}
      step="1"
      ?disabled=${options.disabled ?? false}
      title=${options.title ?? nothing}
      .value=${String(value)}
      @change=${onChange}
  /></label>`;
}
