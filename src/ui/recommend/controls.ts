/**
 * The Recommendation lab's controls: data (seed, items, users, Dirichlet α), the user shown, the
 * re-ranker and its setting (λ or θ), the ranker's weights, and "Run again". Sliders commit on change
 * (release or a key press), so one run follows each setting.
 */
import { html, type TemplateResult } from 'lit';
import { msg } from '@lit/localize';
import { RERANK_METHODS } from '../../kernels/recommend/spec';
import type { RecommendState } from '../../state/recommend';
import { formatCount } from '../../util/format';
import { intField } from '../common/fields';
import { methodLabel } from './text';

const ITEMS = [1024, 2048, 4096, 8192, 16384];
const USERS = [8, 32, 64, 128, 256];
const ALPHAS = [0.1, 0.3, 1, 3];
const choices = (presets: number[], current: number) =>
  [...new Set([...presets, current])].sort((a, b) => a - b);

export function renderControls(
  p: RecommendState,
  set: (patch: Partial<RecommendState>) => void,
  rerun: () => void,
): TemplateResult {
  const selected = (e: Event) => (e.target as HTMLSelectElement).value;
  const slider = (label: string, key: 'lambda' | 'theta', max: number, hint: string) =>
    html`<label class="field slider"
      >${label} = <span class="value">${p[key].toFixed(2)}</span>
      <input
        type="range"
        min="0"
        max=${max}
        step="0.01"
        .value=${String(p[key])}
        title=${hint}
        @change=${(e: Event) => set({ [key]: Number((e.target as HTMLInputElement).value) })}
    /></label>`;
  return html`<section class="panel controls" aria-label=${msg('Recommendation lab controls')}>
    ${intField(msg('Seed'), p.seed, [0, 2 ** 32 - 1], (seed) => set({ seed }))}
    <button @click=${() => set({ seed: Math.floor(Math.random() * 2 ** 32) })}>${msg('New seed')}</button>
    <label class="field"
      >${msg('Items')}
      <select @change=${(e: Event) => set({ items: Number(selected(e)) })}>
        ${choices(ITEMS, p.items).map((n) => html`<option value=${n} .selected=${n === p.items}>${formatCount(n)}</option>`)}
      </select></label
    >
    <label class="field"
      >${msg('Users')}
      <select @change=${(e: Event) => set({ users: Number(selected(e)) })}>
        ${choices(USERS, p.users).map((n) => html`<option value=${n} .selected=${n === p.users}>${formatCount(n)}</option>`)}
      </select></label
    >
    <label class="field"
      >${msg('Taste spread α')}
      <select
        title=${msg("Dirichlet α of the other users' tastes: small α, narrow tastes")}
        @change=${(e: Event) => set({ alpha: Number(selected(e)) })}
      >
        ${choices(ALPHAS, p.alpha).map((a) => html`<option value=${a} .selected=${a === p.alpha}>${a}</option>`)}
      </select></label
    >
    ${intField(msg('User'), p.user, [0, p.users - 1], (user) => set({ user }), {
      title: msg('User 0 is the narrow-taste preset'),
    })}
    <button ?disabled=${p.user === 0} @click=${() => set({ user: 0 })}>${msg('Narrow-taste user')}</button>
    <fieldset class="methods">
      <legend>${msg('Re-ranker')}</legend>
      ${RERANK_METHODS.map(
        (m) =>
          html`<label
            ><input
              type="radio"
              name="method"
              .checked=${p.method === m}
              @change=${() => set({ method: m })}
            />
            ${methodLabel(m)}</label
          >`,
      )}
    </fieldset>
    ${
      p.method === 'dpp'
        ? slider(
            'DPP θ',
            'theta',
            0.99,
            msg('Relevance weight: θ → 1 is relevance only, θ = 0 diversity only'),
          )
        : slider(
            p.method === 'calibration' ? msg('Calibration λ') : 'MMR λ',
            'lambda',
            1,
            p.method === 'calibration'
              ? msg('λ = 0 is relevance only; λ = 1 matches the history only')
              : msg('λ = 1 is relevance only; λ = 0 diversity only'),
          )
    }
    <label class="field"
      >${msg('Ranker')}
      <select @change=${(e: Event) => set({ ranker: selected(e) as RecommendState['ranker'] })}>
        <option value="shipped" .selected=${p.ranker === 'shipped'}>${msg('Shipped seeded weights')}</option>
        <option value="trained" .selected=${p.ranker === 'trained'}>${msg('Trained in this page')}</option>
      </select></label
    >
    <button @click=${rerun}>${msg('Run again')}</button>
  </section>`;
}
