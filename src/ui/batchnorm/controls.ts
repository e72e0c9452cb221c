/** The BatchNorm lab's controls: task, shape, optimiser settings, the unit shown and the two view toggles. */
import { html, nothing, type TemplateResult } from 'lit';
import { ACTIVATIONS, type Activation } from '../../kernels/nn/spec';
import { LAB_TASKS, isImageTask, type LabTask } from '../../models/mlp';
import { IMAGE_PIXELS, type BatchnormState } from '../../state/batchnorm';

export const TASK_LABELS: Record<LabTask, string> = {
  spirals: 'Two spirals',
  circles: 'Two circles',
  xor: 'XOR',
  digits: 'Glyphs (digits)',
  letters: 'Glyphs (letters)',
};
const PIXEL_LABELS: Record<(typeof IMAGE_PIXELS)[number], string> = {
  '16': '16×16 (256 inputs)',
  '28': '28×28 (784 inputs)',
};
export const ACT_LABELS: Record<Activation, string> = {
  relu: 'ReLU',
  sigmoid: 'sigmoid',
  silu: 'SiLU',
  gelu: 'GELU',
};
const BATCHES = [16, 32, 64, 128, 256, 512, 1024];
const WIDTHS = [8, 16, 32, 64, 128];
const LRS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3];

/** The high-learning-rate demonstration: a setting where the plain network's loss blows up. */
export const HIGH_LR_PRESET: Partial<BatchnormState> = {
  task: 'spirals',
  lr: 0.3,
  depth: 5,
  width: 32,
  batch: 64,
  activation: 'relu',
  seed: 1,
  layer: 4,
  unit: 0,
  view: 'train',
};

type SetParams = (patch: Partial<BatchnormState>) => void;

/** A labelled <select> of `options` (value, text), `current` selected. */
function select<T extends string | number>(
  label: string,
  options: readonly (readonly [T, string])[],
  current: T,
  onChange: (v: T) => void,
): TemplateResult {
  const change = (e: Event) => {
    const i = (e.target as HTMLSelectElement).selectedIndex;
    onChange(options[i]![0]);
  };
  return html`<label class="field"
    >${label}
    <select @change=${change}>
      ${options.map(([v, text]) => html`<option value=${v} .selected=${v === current}>${text}</option>`)}
    </select></label
  >`;
}

/** The preset numbers, plus the current one when the URL asked for another, as select options. */
const numbers = (presets: number[], current: number) =>
  [...new Set([...presets, current])].sort((a, b) => a - b).map((v) => [v, String(v)] as const);

/** A labelled whole-number input; an invalid entry snaps back to the current value. */
function integer(label: string, value: number, min: number, max: number, onChange: (v: number) => void) {
  const change = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= min && v <= max) onChange(v);
    else input.value = String(value);
  };
  return html`<label class="field"
    >${label} <input type="number" min=${min} max=${max} .value=${String(value)} @change=${change}
  /></label>`;
}

/** A fieldset of radio buttons. */
function radios<T extends string>(
  legend: string,
  name: string,
  options: readonly (readonly [T, string])[],
  current: T,
  onChange: (v: T) => void,
): TemplateResult {
  return html`<fieldset class="toggle">
    <legend>${legend}</legend>
    ${options.map(
      ([v, text]) =>
        html`<label
          ><input
            type="radio"
            name=${name}
            value=${v}
            .checked=${current === v}
            @change=${() => onChange(v)}
          />
          ${text}</label
        >`,
    )}
  </fieldset>`;
}

/**
 * The controls. `set` changes the networks or what a step shows (and looks again while paused);
 * `setChannels` only redraws the per-channel charts.
 */
export function renderControls(
  p: BatchnormState,
  set: SetParams,
  setChannels: (v: BatchnormState['channels']) => void,
): TemplateResult {
  const layer = Math.min(p.layer, p.depth - 1);
  const unit = Math.min(p.unit, p.width - 1);
  return html`<section class="panel controls" aria-label="BatchNorm lab controls">
    ${select(
      'Task',
      LAB_TASKS.map((t) => [t, TASK_LABELS[t]] as const),
      p.task,
      (task) => set({ task }),
    )}
    ${
      isImageTask(p.task)
        ? select(
            'Image size',
            IMAGE_PIXELS.map((v) => [v, PIXEL_LABELS[v]] as const),
            p.pixels,
            (pixels) => set({ pixels }),
          )
        : nothing
    }
    ${select('Learning rate', numbers(LRS, p.lr), p.lr, (lr) => set({ lr }))}
    ${select('Batch size', numbers(BATCHES, p.batch), p.batch, (batch) => set({ batch }))}
    ${integer('Depth', p.depth, 1, 8, (depth) => set({ depth }))}
    ${select('Width', numbers(WIDTHS, p.width), p.width, (width) => set({ width }))}
    ${select(
      'Activation',
      ACTIVATIONS.map((a) => [a, ACT_LABELS[a]] as const),
      p.activation,
      (activation) => set({ activation }),
    )}
    ${integer('Seed', p.seed, 0, 2 ** 32 - 1, (seed) => set({ seed }))}
    ${select(
      'Layer shown',
      Array.from({ length: p.depth }, (_, i) => [i, String(i)] as const),
      layer,
      (v) => set({ layer: v }),
    )}
    ${integer('Unit', unit, 0, p.width - 1, (v) => set({ unit: v }))}
    ${radios(
      'BN statistics',
      'view',
      [
        ['train', 'train (batch)'],
        ['eval', 'eval (running)'],
      ],
      p.view,
      (view) => set({ view }),
    )}
    ${radios(
      'Per-channel charts',
      'channels',
      [
        ['bars', 'by channel'],
        ['histogram', 'histogram'],
      ],
      p.channels,
      setChannels,
    )}
  </section>`;
}
