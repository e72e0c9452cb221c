/** The Random lab's controls: seed, sample count, transform, bins and "Run again". */
import { html, type TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import { TRANSFORMS, type Transform } from '../../kernels/random/spec';
import type { RandomState } from '../../state/random';
import { formatCount } from '../../util/format';

/** Each transform's name in the interface language (a function: msg() answers in the language of the moment). */
export function transformLabel(t: Transform): string {
  switch (t) {
    case 'uniform':
      return msg('Uniform [0, 1)');
    case 'standardized':
      return msg('Standardized (u − ½)·√12');
    case 'irwin-hall':
      return msg('Irwin–Hall: Σ₁₂ u − 6');
    case 'box-muller':
      return msg('Box–Muller normal');
  }
}

const COUNTS = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const BINS = [16, 32, 64, 128, 256, 512, 1024];

/** The preset values, plus the current one when the URL asked for another. */
const choices = (presets: number[], current: number) =>
  [...new Set([...presets, current])].sort((a, b) => a - b);

export function renderControls(
  p: RandomState,
  set: (patch: Partial<RandomState>) => void,
  rerun: () => void,
): TemplateResult {
  const onSeed = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) set({ seed: v });
    else input.value = String(p.seed);
  };
  const selected = (e: Event) => (e.target as HTMLSelectElement).value;
  return html`<section class="panel controls" aria-label=${msg('Random lab controls')}>
    <label class="field"
      >${msg('Seed')}
      <input type="number" min="0" max="4294967295" step="1" .value=${String(p.seed)} @change=${onSeed}
    /></label>
    <button @click=${() => set({ seed: Math.floor(Math.random() * 2 ** 32) })}>${msg('New seed')}</button>
    <label class="field"
      >${msg('Sample count')}
      <select @change=${(e: Event) => set({ count: Number(selected(e)) })}>
        ${choices(COUNTS, p.count).map(
          (c) => html`<option value=${c} .selected=${c === p.count}>${formatCount(c)}</option>`,
        )}
      </select></label
    >
    <label class="field"
      >${msg('Transform')}
      <select @change=${(e: Event) => set({ transform: selected(e) as Transform })}>
        ${TRANSFORMS.map((t) => html`<option value=${t} .selected=${t === p.transform}>${transformLabel(t)}</option>`)}
      </select></label
    >
    <label class="field"
      >${msg('Bins')}
      <select @change=${(e: Event) => set({ bins: Number(selected(e)) })}>
        ${choices(BINS, p.bins).map((b) => html`<option value=${b} .selected=${b === p.bins}>${b}</option>`)}
      </select></label
    >
    <button @click=${rerun}>${msg('Run again')}</button>
  </section>`;
}
