/**
 * The model menu of the Attention lab and, with an induction model, its sequence controls: the token
 * sequence (typed or generated from seed and period), the layer shown, and the heads zeroed.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { INDUCTION_CONFIG } from '../../models/induction';
import { DEMO_PERIODS } from '../../models/induction/sequence';
import { ATTENTION_MODELS, type AttentionState } from '../../state/attention';
import { intField } from '../common/fields';
import type { InductionSection } from './induction-section';

/** The model menu's names, in the interface language (a function: msg() answers in the language of the moment). */
export function modelLabels(): Record<AttentionState['model'], string> {
  return {
    random: msg('Random projections (seeded)'),
    induction: msg('Induction model (trained)'),
    trained: msg('Trained in this page'),
    gpt2: msg('GPT-2 weights (your file)'),
  };
}

type Set = (patch: Partial<AttentionState>) => void;

/** The model menu; choosing a model also turns on the causal mask it was trained with. */
export function renderModelSelect(p: AttentionState, set: Set): TemplateResult {
  const onChange = (e: Event) => {
    const model = (e.target as HTMLSelectElement).value as AttentionState['model'];
    set(model === 'random' ? { model } : { model, mask: 'causal', bias: 'none', scale: 0 });
  };
  const labels = modelLabels();
  return html`<label class="field"
    >${msg('Model')}
    <select @change=${onChange}>
      ${ATTENTION_MODELS.map((m) => html`<option value=${m} .selected=${m === p.model}>${labels[m]}</option>`)}
    </select></label
  >`;
}

/** Token sequence, seed and period of the generated one, and the layer (replacing sentence, L, heads, d). */
export function renderInductionControls(
  p: AttentionState,
  set: Set,
  section: InductionSection,
): TemplateResult {
  const commit = (e: Event) => section.commitSequence(p, (e.target as HTMLInputElement).value);
  const error = section.sequenceError;
  return html`<label class="field"
      >${msg('Token sequence (A–Z a–z 0–9 - _)')}
      <input
        type="text"
        class="sentence tokens"
        maxlength=${INDUCTION_CONFIG.context - 1}
        spellcheck="false"
        aria-invalid=${error ? 'true' : 'false'}
        aria-describedby=${error ? 'token-error' : nothing}
        .value=${section.sequenceText(p)}
        @change=${commit}
    /></label>
    ${error ? html`<p id="token-error" class="error small" role="alert">${error}</p>` : nothing}
    ${
      p.tokens
        ? html`<button class="small" @click=${() => set({ tokens: '' })}>
            ${msg('Use a generated sequence')}
          </button>`
        : nothing
    }
    ${intField(msg('Seed'), p.seed, [0, 2 ** 32 - 1], (seed) => set({ seed }), { disabled: !!p.tokens })}
    ${intField(
      msg('Repeated block P'),
      p.period,
      [DEMO_PERIODS[0], DEMO_PERIODS[1]],
      (period) => set({ period }),
      {
        disabled: !!p.tokens,
      },
    )}
    <label class="field"
      >${msg('Layer')}
      <select @change=${(e: Event) => set({ layer: Number((e.target as HTMLSelectElement).value) })}>
        ${Array.from(
          { length: INDUCTION_CONFIG.layers },
          (_, l) => html`<option value=${l} .selected=${l === p.layer}>${msg(str`Layer ${l}`)}</option>`,
        )}
      </select></label
    >`;
}
