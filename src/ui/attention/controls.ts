/**
 * The lab's controls: sentence and tokenizer, the mask (with the "C" causal shortcut), sizes and seed,
 * scale, bias, path, pooling, weights colour, and importing Q/K/V from a JSON file.
 */
import {
  html,
  nothing,
  type ReactiveController,
  type ReactiveControllerHost,
  type TemplateResult,
} from 'lit';
import { ATTENTION_LIMITS, MASK_KINDS, type MaskKind, type PoolMode } from '../../kernels/attention/spec';
import { ATTENTION_PATHS, POOL_MODES, TOKENIZERS, type AttentionState } from '../../state/attention';
import { parseAttentionJson } from '../../models/attention-inputs';
import type { ImportedFile } from './model';
import { FULL_MAX_L } from './stages';
import { intField } from '../common/fields';
import { renderInductionControls, renderModelSelect } from './induction-controls';
import type { InductionSection } from './induction-section';

const MASK_LABELS: Record<MaskKind, string> = {
  none: 'None',
  causal: 'Causal (key ≤ query)',
  padding: 'Padding (key < valid length)',
  window: 'Sliding window',
  custom: 'Custom (paint it)',
};

const PATH_LABELS: Record<AttentionState['path'], string> = {
  auto: 'auto',
  staged: 'staged (every stage)',
  fused: 'fused (online softmax)',
};

export interface ControlsHandlers {
  set(patch: Partial<AttentionState>): void;
  sentence: SentenceInput;
  importFile(e: Event): void;
  clearImport(): void;
  induction: InductionSection;
  /** Layers of the loaded GPT-2 model (0: none loaded). */
  gpt2Layers: () => number;
}

/** Commits the typed sentence 500 ms after the last keystroke, or on change (Enter, blur). */
export class SentenceInput implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    host: ReactiveControllerHost,
    private readonly current: () => string,
    private readonly commitText: (text: string) => void,
  ) {
    host.addController(this);
  }

  input(value: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.commit(value), 500);
  }

  commit(value: string): void {
    clearTimeout(this.timer);
    if (value.length > 2000) return;
    if (value !== this.current()) this.commitText(value);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
  }
}

const selected = (e: Event) => (e.target as HTMLSelectElement).value;

type NumberKey = 'L' | 'heads' | 'd' | 'seed' | 'validLength' | 'window';

function numberField(
  p: AttentionState,
  set: ControlsHandlers['set'],
  label: string,
  key: NumberKey,
  max: number,
  disabled = false,
): TemplateResult {
  const min = key === 'heads' || key === 'd' ? 1 : 0;
  return intField(label, p[key], [min, max], (v) => set({ [key]: v } as Partial<AttentionState>), {
    disabled,
  });
}

function maskControls(p: AttentionState, set: ControlsHandlers['set']): TemplateResult {
  const maxL = ATTENTION_LIMITS.maxL;
  return html`<label class="check"
      ><input
        type="checkbox"
        aria-keyshortcuts="c"
        .checked=${p.mask === 'causal'}
        @change=${(e: Event) => set({ mask: (e.target as HTMLInputElement).checked ? 'causal' : 'none' })}
      />Causal mask <kbd aria-hidden="true">C</kbd></label
    >
    <label class="field"
      >Mask
      <select @change=${(e: Event) => set({ mask: selected(e) as MaskKind })}>
        ${MASK_KINDS.map((m) => html`<option value=${m} .selected=${m === p.mask}>${MASK_LABELS[m]}</option>`)}
      </select></label
    >
    ${p.mask === 'padding' ? numberField(p, set, 'Valid length', 'validLength', maxL) : nothing}
    ${
      p.mask === 'window'
        ? html`${numberField(p, set, 'Window width w', 'window', maxL)}
            <label class="check"
              ><input
                type="checkbox"
                .checked=${p.windowCausal}
                @change=${(e: Event) => set({ windowCausal: (e.target as HTMLInputElement).checked })}
              />Causal window</label
            >`
        : nothing
    }`;
}

function viewControls(p: AttentionState, set: ControlsHandlers['set']): TemplateResult {
  const onScale = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (input.value.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1000) set({ scale: v });
    else input.value = String(p.scale);
  };
  return html`<label class="field"
      >Scale (0 = 1/√d)
      <input type="number" min="0" max="1000" step="any" .value=${String(p.scale)} @change=${onScale}
    /></label>
    <label class="field"
      >Bias
      <select @change=${(e: Event) => set({ bias: selected(e) as AttentionState['bias'] })}>
        <option value="none" .selected=${p.bias === 'none'}>none</option>
        <option value="alibi" .selected=${p.bias === 'alibi'}>ALiBi −m·|q − k|</option>
      </select></label
    >
    <label class="field"
      >Path
      <select @change=${(e: Event) => set({ path: selected(e) as AttentionState['path'] })}>
        ${ATTENTION_PATHS.map((x) => html`<option value=${x} .selected=${x === p.path}>${PATH_LABELS[x]}</option>`)}
      </select></label
    >
    <label class="field"
      >Pooling (L &gt; ${FULL_MAX_L})
      <select @change=${(e: Event) => set({ pool: selected(e) as PoolMode })}>
        ${POOL_MODES.map((m) => html`<option value=${m} .selected=${m === p.pool}>${m}</option>`)}
      </select></label
    >
    <label class="field"
      >Weights colour
      <select @change=${(e: Event) => set({ weightRange: selected(e) as AttentionState['weightRange'] })}>
        <option value="unit" .selected=${p.weightRange === 'unit'}>0 → 1</option>
        <option value="max" .selected=${p.weightRange === 'max'}>0 → panel max</option>
      </select></label
    >`;
}

/** The sentence and its tokenizer; with GPT-2 (`gpt2Layers` given) its own tokenizer and the layer menu. */
function sentenceControls(
  p: AttentionState,
  fromFile: boolean,
  on: ControlsHandlers,
  gpt2Layers?: number,
): TemplateResult {
  const { set } = on;
  if (gpt2Layers !== undefined) return gpt2Controls(p, on, gpt2Layers);
  return html` <label class="field"
      >Sentence
      <input
        type="text"
        class="sentence"
        maxlength="2000"
        ?disabled=${fromFile}
        .value=${p.text}
        @input=${(e: Event) => on.sentence.input((e.target as HTMLInputElement).value)}
        @change=${(e: Event) => on.sentence.commit((e.target as HTMLInputElement).value)}
    /></label>
    <label class="field"
      >Tokenizer
      <select
        ?disabled=${fromFile}
        @change=${(e: Event) => set({ tokenizer: selected(e) as AttentionState['tokenizer'] })}
      >
        ${TOKENIZERS.map((t) => html`<option value=${t} .selected=${t === p.tokenizer}>${t}</option>`)}
      </select></label
    >`;
}

function gpt2Controls(p: AttentionState, on: ControlsHandlers, layers: number): TemplateResult {
  const layer = Math.min(p.layer, Math.max(0, layers - 1));
  return html`<label class="field"
      >Sentence (GPT-2 tokens)
      <input
        type="text"
        class="sentence"
        maxlength="2000"
        .value=${p.text}
        @input=${(e: Event) => on.sentence.input((e.target as HTMLInputElement).value)}
        @change=${(e: Event) => on.sentence.commit((e.target as HTMLInputElement).value)}
    /></label>
    <label class="field"
      >Layer
      <select
        ?disabled=${layers === 0}
        @change=${(e: Event) => on.set({ layer: Number((e.target as HTMLSelectElement).value) })}
      >
        ${Array.from(
          { length: Math.max(1, layers) },
          (_, l) => html`<option value=${l} .selected=${l === layer}>Layer ${l}</option>`,
        )}
      </select></label
    >`;
}

export function renderControls(
  p: AttentionState,
  imported: ImportedFile | null,
  on: ControlsHandlers,
): TemplateResult {
  const fromFile = !!imported;
  const { set } = on;
  const limits = ATTENTION_LIMITS;
  const model = p.model !== 'random' && !fromFile;
  return html`<section class="panel controls" aria-label="Attention lab controls">
    ${renderModelSelect(p, set)}
    ${
      p.model === 'gpt2' && !fromFile
        ? sentenceControls(p, fromFile, on, on.gpt2Layers())
        : model
          ? renderInductionControls(p, set, on.induction)
          : sentenceControls(p, fromFile, on)
    }
    ${maskControls(p, set)}
    ${
      model
        ? nothing
        : html`${numberField(p, set, 'L (0 = token count)', 'L', limits.maxL, fromFile)}
          ${numberField(p, set, 'Heads', 'heads', limits.maxHeads, fromFile)}
          ${numberField(p, set, 'Head dim d', 'd', limits.maxD, fromFile)}
          ${numberField(p, set, 'Seed', 'seed', 2 ** 32 - 1, fromFile)}`
    }
    ${viewControls(p, set)}
    <label class="field"
      >Import Q, K, V (JSON)
      <input type="file" accept=".json,application/json" @change=${(e: Event) => on.importFile(e)} />
    </label>
    ${
      imported
        ? html`<p class="imported notice" role="status">
            Using Q, K, V from ${imported.name} (${imported.value.shape.heads} heads, L =
            ${imported.value.shape.L}, d = ${imported.value.shape.d}); the sentence, L, heads, d and seed
            controls are not used.
            <button class="small" @click=${() => on.clearImport()}>Use the sentence again</button>
          </p>`
        : nothing
    }
  </section>`;
}

/** Reads the chosen Q/K/V file (and clears the input): the file, why it cannot be used, or null (none). */
export async function readImport(input: HTMLInputElement): Promise<ImportedFile | { error: string } | null> {
  const file = input.files?.[0];
  if (!file) return null;
  const text = await file.text();
  input.value = '';
  const parsed = parseAttentionJson(text);
  if (!parsed.ok) return { error: `Could not import ${file.name}: ${parsed.error}` };
  if (parsed.value.kind === 'weights') {
    return {
      error: `Could not import ${file.name}: it holds only "weights"; the lab needs "q", "k" and "v" to compute attention.`,
    };
  }
  return { name: file.name, value: parsed.value };
}
