/** The Diffusion lab's controls panel: data, schedule, sampler, denoiser, particles, seed, views, comparison. */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { SCHEDULE_KINDS, T_MAX, T_MIN } from '../../models/schedules';
import {
  COMPARE_MODES,
  DIFFUSION_DATASETS,
  DIFFUSION_SAMPLERS,
  GLYPH_SIZES,
  isImageDataset,
  type DiffusionDenoiserChoice,
  type DiffusionState,
} from '../../state/diffusion';
import { formatCount } from '../../util/format';
import { GLYPHS_PER_CLASS, samplerLabel, scheduleLabel } from './chain';
import { datasetLabels, denoiserLabels } from './inputs';
import { hasShippedMlp } from './models';
import type { TrainedModel } from './session';
import { intField as wholeNumberField, type IntFieldOptions } from '../common/fields';

function compareLabels(): Record<(typeof COMPARE_MODES)[number], string> {
  return {
    off: msg('Off'),
    sampler: msg('Another sampler'),
    schedule: msg('Another schedule'),
    denoiser: msg('Another denoiser'),
  };
}

const PARTICLE_CHOICES = [500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000];

export interface ControlsContext {
  p: DiffusionState;
  set: (patch: Partial<DiffusionState>) => void;
  /** The model trained in this page for the current data, if any. */
  trained: TrainedModel | undefined;
  /** The status line while a model's weights load. */
  modelLoading: string | null;
}

/** A labelled <select>. */
function select<T extends string>(
  label: string,
  value: T,
  options: readonly T[],
  names: (v: T) => string,
  onChange: (v: T) => void,
  disabled = false,
): TemplateResult {
  return html`<label class="field"
    >${label}
    <select
      ?disabled=${disabled}
      @change=${(e: Event) => onChange((e.target as HTMLSelectElement).value as T)}
    >
      ${options.map((o) => html`<option value=${o} .selected=${o === value}>${names(o)}</option>`)}
    </select></label
  >`;
}

type IntKey = 'points' | 'T' | 'steps' | 'seed' | 'speed';

/** A whole-number input for `key`; `value` when the field shows something other than the state's value. */
export function intField(
  c: Pick<ControlsContext, 'p' | 'set'>,
  label: string,
  key: IntKey,
  range: [number, number],
  extra: IntFieldOptions & { value?: number } = {},
): TemplateResult {
  return wholeNumberField(label, extra.value ?? c.p[key], range, (v) => c.set({ [key]: v }), extra);
}

function onEta(c: ControlsContext) {
  return (e: Event) => {
    const input = e.target as HTMLInputElement;
    const v = Number(input.value);
    if (Number.isFinite(v) && v >= 0 && v <= 1) c.set({ eta: v });
    else input.value = String(c.p.eta);
  };
}

/**
 * The denoiser menu (pane A's, or with which = 'B' the second pane's when comparing denoisers); an option
 * that cannot run here is disabled and says why.
 */
function denoiserSelect(c: ControlsContext, which: 'A' | 'B' = 'A'): TemplateResult {
  const { p, trained } = c;
  const current = which === 'A' ? p.denoiser : p.denoiserB;
  const key = which === 'A' ? 'denoiser' : 'denoiserB';
  const noteId = which === 'A' ? 'denoiser-note' : 'denoiser-b-note';
  const shipped = hasShippedMlp(p.dataset);
  const name = datasetLabels()[p.dataset];
  const labels = denoiserLabels();
  const image = isImageDataset(p.dataset);
  const option = (value: DiffusionDenoiserChoice, text: string, disabled = false) =>
    html`<option value=${value} ?disabled=${disabled} .selected=${current === value}>${text}</option>`;
  const trainedNote = image
    ? msg(' (unavailable: the training panel trains on 2D points)')
    : trained
      ? msg(str` (step ${trained.step} of ${trained.totalSteps})`)
      : msg(' (not trained yet)');
  return html`<label class="field"
      >${which === 'A' ? msg('Denoiser') : msg('Denoiser B')}
      <select
        aria-describedby=${noteId}
        @change=${(e: Event) =>
          c.set({ [key]: (e.target as HTMLSelectElement).value as DiffusionDenoiserChoice })}
      >
        ${option('exact', labels.exact)}
        ${option('mlp', shipped ? labels.mlp : msg(str`${labels.mlp} (unavailable: no trained MLP ships for “${name}”)`), !shipped)}
        ${option('trained', `${labels.trained}${trainedNote}`, image)}
      </select></label
    >
    <span id=${noteId} class="small muted denoiser-note"
      >${shipped ? nothing : msg(str`Trained MLP unavailable: no trained MLP ships for “${name}”.`)}${
        which === 'A' && c.modelLoading ? html`<span role="status">${c.modelLoading}</span>` : nothing
      }</span
    >`;
}

/** The check boxes of the optional views (2D only). */
function views(c: ControlsContext): TemplateResult {
  const boxes = [
    ['x0', msg('Show x̂₀')],
    ['field', msg('Vector field')],
    ['density', msg('Density of x_t')],
    ['trails', msg('Trails')],
  ] as const;
  return html`<fieldset>
    <legend class="visually-hidden">${msg('Views')}</legend>
    ${boxes.map(
      ([key, label]) =>
        html`<label class="check"
          ><input
            type="checkbox"
            .checked=${c.p[key]}
            @change=${(e: Event) => c.set({ [key]: (e.target as HTMLInputElement).checked })}
          />
          ${label}</label
        >`,
    )}
  </fieldset>`;
}

/** The comparison menu and the second pane's choice. */
function comparison(c: ControlsContext): TemplateResult {
  const { p, set } = c;
  const second =
    p.compare === 'sampler'
      ? select(msg('Sampler B'), p.samplerB, DIFFUSION_SAMPLERS, samplerLabel, (samplerB) =>
          set({ samplerB }),
        )
      : p.compare === 'denoiser'
        ? denoiserSelect(c, 'B')
        : p.compare === 'schedule'
          ? select(msg('Schedule B'), p.scheduleB, SCHEDULE_KINDS, scheduleLabel, (scheduleB) =>
              set({ scheduleB }),
            )
          : nothing;
  return html`${select(
    msg('Compare with'),
    p.compare,
    COMPARE_MODES,
    (m) => compareLabels()[m],
    (compare) => set({ compare }),
  )}
  ${second}`;
}

export function renderControls(c: ControlsContext): TemplateResult {
  const { p, set } = c;
  const image = isImageDataset(p.dataset);
  const strided = !p.sampler.startsWith('ddpm');
  const particles = [...new Set([...PARTICLE_CHOICES, p.particles])].sort((x, y) => x - y).map(String);
  const datasets = datasetLabels();
  return html`<section class="panel controls" aria-label=${msg('Diffusion lab controls')}>
    ${select(
      msg('Dataset'),
      p.dataset,
      DIFFUSION_DATASETS,
      (d) => datasets[d],
      (dataset) => set({ dataset }),
    )}
    ${
      image
        ? select(
            msg('Image size'),
            p.size,
            GLYPH_SIZES,
            (v) => `${v} × ${v}`,
            (size) => set({ size }),
          )
        : nothing
    }
    ${intField(c, msg('Data points'), 'points', [16, 8192], {
      disabled: p.dataset === 'draw' || image,
      title:
        p.dataset === 'draw'
          ? msg('A drawing uses the points drawn')
          : image
            ? msg(str`Image mode renders ${GLYPHS_PER_CLASS} glyphs per class`)
            : msg('Training points drawn from the dataset'),
    })}
    ${select(msg('Schedule'), p.schedule, SCHEDULE_KINDS, scheduleLabel, (schedule) => set({ schedule }))}
    ${intField(c, 'T', 'T', [T_MIN, T_MAX])}
    <label class="check"
      ><input
        type="checkbox"
        .checked=${p.ztsnr}
        @change=${(e: Event) => set({ ztsnr: (e.target as HTMLInputElement).checked })}
      />
      ${msg('Zero terminal SNR')}</label
    >
    ${select(msg('Sampler'), p.sampler, DIFFUSION_SAMPLERS, samplerLabel, (sampler) => set({ sampler }))}
    ${intField(c, msg('Sampler steps'), 'steps', [1, T_MAX], {
      disabled: !strided,
      title: strided ? msg('Strided steps from T to 0') : msg('DDPM visits every timestep'),
      value: strided ? p.steps : p.T,
    })}
    <label class="field"
      >DDIM η
      <input
        type="number"
        min="0"
        max="1"
        step="0.1"
        ?disabled=${p.sampler !== 'ddim'}
        .value=${String(p.eta)}
        @change=${onEta(c)}
    /></label>
    ${denoiserSelect(c)}
    ${select(
      msg('Particles'),
      String(p.particles),
      particles,
      (n) => formatCount(Number(n)),
      (n) => set({ particles: Number(n) }),
    )}
    ${intField(c, msg('Seed'), 'seed', [0, 2 ** 32 - 1])}
    <button @click=${() => set({ seed: Math.floor(Math.random() * 2 ** 32) })}>${msg('New seed')}</button>
    ${image ? nothing : views(c)} ${comparison(c)}
  </section>`;
}
