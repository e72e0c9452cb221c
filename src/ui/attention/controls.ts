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
import { msg, str } from '@lit/localize';
import { ATTENTION_LIMITS, MASK_KINDS, type MaskKind, type PoolMode } from '../../kernels/attention/spec';
import { ATTENTION_PATHS, POOL_MODES, TOKENIZERS, type AttentionState } from '../../state/attention';
import { parseAttentionJson } from '../../models/attention-inputs';
import { poolName, type ImportedFile } from './model';
import { FULL_MAX_L } from './stages';
import { intField } from '../common/fields';
import { renderInductionControls, renderModelSelect } from './induction-controls';
import type { InductionSection } from './induction-section';

function maskLabels(): Record<MaskKind, string> {
  return {
    none: msg('None'),
    causal: msg('Causal (key ≤ query)'),
    padding: msg('Padding (key < valid length)'),
    window: msg('Sliding window'),
    custom: msg('Custom (paint it)'),
  };
}

function pathLabels(): Record<AttentionState['path'], string> {
  return {
    auto: msg('auto'),
    staged: msg('staged (every stage)'),
    fused: msg('fused (online softmax)'),
  };
}

function tokenizerName(t: AttentionState['tokenizer']): string {
  return t === 'words' ? msg('words') : msg('characters');
}

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
      />${msg('Causal mask')} <kbd aria-hidden="true">C</kbd></label
    >
    <label class="field"
      >${msg('Mask')}
      <select @change=${(e: Event) => set({ mask: selected(e) as MaskKind })}>
        ${MASK_KINDS.map((m) => html`<option value=${m} .selected=${m === p.mask}>${maskLabels()[m]}</option>`)}
      </select></label
    >
    ${p.mask === 'padding' ? numberField(p, set, msg('Valid length'), 'validLength', maxL) : nothing}
    ${
      p.mask === 'window'
        ? html`${numberField(p, set, msg('Window width w'), 'window', maxL)}
            <label class="check"
              ><input
                type="checkbox"
                .checked=${p.windowCausal}
                @change=${(e: Event) => set({ windowCausal: (e.target as HTMLInputElement).checked })}
              />${msg('Causal window')}</label
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
      >${msg('Scale (0 = 1/√d)')}
      <input type="number" min="0" max="1000" step="any" .value=${String(p.scale)} @change=${onScale}
    /></label>
    <label class="field"
      >${msg('Bias')}
      <select @change=${(e: Event) => set({ bias: selected(e) as AttentionState['bias'] })}>
        <option value="none" .selected=${p.bias === 'none'}>${msg('none')}</option>
        <option value="alibi" .selected=${p.bias === 'alibi'}>ALiBi −m·|q − k|</option>
      </select></label
    >
    <label class="field"
      >${msg('Path')}
      <select @change=${(e: Event) => set({ path: selected(e) as AttentionState['path'] })}>
        ${ATTENTION_PATHS.map((x) => html`<option value=${x} .selected=${x === p.path}>${pathLabels()[x]}</option>`)}
      </select></label
    >
    <label class="field"
      >${msg(str`Pooling (L > ${FULL_MAX_L})`)}
      <select @change=${(e: Event) => set({ pool: selected(e) as PoolMode })}>
        ${POOL_MODES.map((m) => html`<option value=${m} .selected=${m === p.pool}>${poolName(m)}</option>`)}
      </select></label
    >
    <label class="field"
      >${msg('Weights colour')}
      <select @change=${(e: Event) => set({ weightRange: selected(e) as AttentionState['weightRange'] })}>
        <option value="unit" .selected=${p.weightRange === 'unit'}>0 → 1</option>
        <option value="max" .selected=${p.weightRange === 'max'}>${msg('0 → panel max')}</option>
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
      >${msg('Sentence')}
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
      >${msg('Tokenizer')}
      <select
        ?disabled=${fromFile}
        @change=${(e: Event) => set({ tokenizer: selected(e) as AttentionState['tokenizer'] })}
      >
        ${TOKENIZERS.map((t) => html`<option value=${t} .selected=${t === p.tokenizer}>${tokenizerName(t)}</option>`)}
      </select></label
    >`;
}

function gpt2Controls(p: AttentionState, on: ControlsHandlers, layers: number): TemplateResult {
  const layer = Math.min(p.layer, Math.max(0, layers - 1));
  return html`<label class="field"
      >${msg('Sentence (GPT-2 tokens)')}
      <input
        type="text"
        class="sentence"
        maxlength="2000"
        .value=${p.text}
        @input=${(e: Event) => on.sentence.input((e.target as HTMLInputElement).value)}
        @change=${(e: Event) => on.sentence.commit((e.target as HTMLInputElement).value)}
    /></label>
    <label class="field"
      >${msg('Layer')}
      <select
        ?disabled=${layers === 0}
        @change=${(e: Event) => on.set({ layer: Number((e.target as HTMLSelectElement).value) })}
      >
        ${Array.from(
          { length: Math.max(1, layers) },
          (_, l) => html`<option value=${l} .selected=${l === layer}>${msg(str`Layer ${l}`)}</option>`,
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
  return html`<section class="panel controls" aria-label=${msg('Attention lab controls')}>
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
        : html`${numberField(p, set, msg('L (0 = token count)'), 'L', limits.maxL, fromFile)}
          ${numberField(p, set, msg('Heads'), 'heads', limits.maxHeads, fromFile)}
          ${numberField(p, set, msg('Head dim d'), 'd', limits.maxD, fromFile)}
          ${numberField(p, set, msg('Seed'), 'seed', 2 ** 32 - 1, fromFile)}`
    }
    ${viewControls(p, set)}
    <label class="field"
      >${msg('Import Q, K, V (JSON)')}
      <input type="file" accept=".json,application/json" @change=${(e: Event) => on.importFile(e)} />
    </label>
    ${
      imported
        ? html`<p class="imported notice" role="status">
            ${usingImport(imported)}
            <button class="small" @click=${() => on.clearImport()}>${msg('Use the sentence again')}</button>
          </p>`
        : nothing
    }
  </section>`;
}

function usingImport(imported: ImportedFile): string {
  const { name } = imported;
  const { heads, L, d } = imported.value.shape;
  return msg(
    str`Using Q, K, V from ${name} (${heads} heads, L = ${L}, d = ${d}); the sentence, L, heads, d and seed controls are not used.`,
  );
}

/** Reads the chosen Q/K/V file (and clears the input): the file, why it cannot be used, or null (none). */
export async function readImport(input: HTMLInputElement): Promise<ImportedFile | { error: string } | null> {
  const file = input.files?.[0];
  if (!file) return null;
  const text = await file.text();
  input.value = '';
  const parsed = parseAttentionJson(text);
  const name = file.name;
  if (!parsed.ok) {
    const problem = parsed.error;
    return { error: msg(str`Could not import ${name}: ${problem}`) };
  }
  if (parsed.value.kind === 'weights') {
    return {
      error: msg(
        str`Could not import ${name}: it holds only "weights"; the lab needs "q", "k" and "v" to compute attention.`,
      ),
    };
  }
  return { name: file.name, value: parsed.value };
}
