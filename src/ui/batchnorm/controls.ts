/** The BatchNorm lab's controls: task, shape, optimiser settings, the unit shown and the two view toggles. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { ACTIVATIONS, type Activation } from '../../kernels/nn/spec';
import { LAB_TASKS, isImageTask, type LabTask } from '../../models/mlp';
import { IMAGE_PIXELS, type BatchnormState } from '../../state/batchnorm';

/** Each task's name, in the interface language (a function: msg() answers in the language of the moment). */
export function taskLabel(task: LabTask): string {
  switch (task) {
    case 'spirals':
      return msg('Two spirals');
    case 'circles':
      return msg('Two circles');
    case 'xor':
      return 'XOR';
    case 'digits':
      return msg('Glyphs (digits)');
    case 'letters':
      return msg('Glyphs (letters)');
  }
}
function pixelLabel(pixels: (typeof IMAGE_PIXELS)[number]): string {
  return pixels === '16' ? msg('16×16 (256 inputs)') : msg('28×28 (784 inputs)');
}
const ACT_LABELS: Record<Activation, string> = {
  relu: 'ReLU',
  sigmoid: 'sigmoid',
  silu: 'SiLU',
  gelu: 'GELU',
};
/** "32 ReLU units": a layer's width and activation, in the interface language. */
export function unitsLabel(width: number, activation: Activation): string {
  switch (activation) {
    case 'relu':
      return msg(str`${width} ReLU units`);
    case 'sigmoid':
      return msg(str`${width} sigmoid units`);
    case 'silu':
      return msg(str`${width} SiLU units`);
    case 'gelu':
      return msg(str`${width} GELU units`);
  }
}
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
  return html`<section class="panel controls" aria-label=${msg('BatchNorm lab controls')}>
    ${select(
      msg('Task'),
      LAB_TASKS.map((t) => [t, taskLabel(t)] as const),
      p.task,
      (task) => set({ task }),
    )}
    ${
      isImageTask(p.task)
        ? select(
            msg('Image size'),
            IMAGE_PIXELS.map((v) => [v, pixelLabel(v)] as const),
            p.pixels,
            (pixels) => set({ pixels }),
          )
        : nothing
    }
    ${select(msg('Learning rate'), numbers(LRS, p.lr), p.lr, (lr) => set({ lr }))}
    ${select(msg('Batch size'), numbers(BATCHES, p.batch), p.batch, (batch) => set({ batch }))}
    ${integer(msg('Depth'), p.depth, 1, 8, (depth) => set({ depth }))}
    ${select(msg('Width'), numbers(WIDTHS, p.width), p.width, (width) => set({ width }))}
    ${select(
      msg('Activation'),
      ACTIVATIONS.map((a) => [a, ACT_LABELS[a]] as const),
      p.activation,
      (activation) => set({ activation }),
    )}
    ${integer(msg('Seed'), p.seed, 0, 2 ** 32 - 1, (seed) => set({ seed }))}
    ${select(
      msg('Layer shown'),
      Array.from({ length: p.depth }, (_, i) => [i, String(i)] as const),
      layer,
      (v) => set({ layer: v }),
    )}
    ${integer(msg('Unit'), unit, 0, p.width - 1, (v) => set({ unit: v }))}
    ${radios(
      msg('BN statistics'),
      'view',
      [
        ['train', msg('train (batch)')],
        ['eval', msg('eval (running)')],
      ],
      p.view,
      (view) => set({ view }),
    )}
    ${radios(
      msg('Per-channel charts'),
      'channels',
      [
        ['bars', msg('by channel')],
        ['histogram', msg('histogram')],
      ],
      p.channels,
      setChannels,
    )}
  </section>`;
}
