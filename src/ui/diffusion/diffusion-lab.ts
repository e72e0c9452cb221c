/**
 * The Diffusion lab (#/diffusion): N particles stepped from pure noise to data through DDPM / DDIM / ODE
 * samplers, on the GPU (DiffusionEngine) or the CPU reference (DiffusionCpuEngine).
 * State slice src/state/diffusion.ts → session.ts (backend, panes, one serial queue, play loop) → the views
 * below (controls, stepper, panes, explanations) → paint.ts (canvas and charts, colours from CSS).
 */
import { html, nothing, type PropertyValues } from 'lit';
import { customElement } from 'lit/decorators.js';
import { msg } from '@lit/localize';
import { consume } from '@lit/context';
import type { DiffusionState } from '../../state/diffusion';
import type { Store } from '../../state/store';
import { LabController, storeContext } from '../common/controllers';
import { exportButtons } from '../common/export-buttons';
import { ShortcutController } from '../common/keys';
import { runtimeContext, type Runtime } from '../common/runtime';
import { labStyles, sharedStyles } from '../common/styles';
import { ThemeController } from '../common/theme';
import { renderControls } from './controls';
import { DrawingInput } from './drawing';
import { ShippedModelInfo, renderDenoiserNote, renderPseudocode } from './explain';
import { scheduleExports } from './exports';
import { dataKey, startOf } from './inputs';
import { paintParticles, paintSchedules, scatterColors } from './paint';
import { renderPanes } from './panes';
import { sessionOf, type DiffusionSession, type TrainedModel } from './session';
import { renderForward, renderNotices, renderStepper } from './stepper';
import { diffusionLabStyles } from './styles';
import { renderTrainer } from './trainer-section';
import { KsElement } from '../common/localized';

@customElement('ks-diffusion-lab')
export class DiffusionLab extends KsElement {
  static override styles = [sharedStyles, labStyles, diffusionLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'diffusion');
  /** Repaints the canvases in the new theme's colours. */
  private theme = new ThemeController(this);
  private drawing = new DrawingInput(
    this,
    () => this.lab.params,
    (patch) => this.lab.set(patch),
  );
  private shipped = new ShippedModelInfo(this);
  /** What the canvases were last painted for. */
  private paintedKey = '';

  constructor() {
    super();
    // Space plays/pauses, ← / → step back / forward, unless the focused control answers the key itself.
    new ShortcutController(this, () => [
      { keys: [' '], repeat: true, run: (e) => !e.repeat && this.session.togglePlay() },
      { keys: ['ArrowLeft'], repeat: true, run: (e) => void this.session.stepBack(e.repeat) },
      { keys: ['ArrowRight'], repeat: true, run: (e) => void this.session.stepForward(e.repeat) },
    ]);
  }

  private get session(): DiffusionSession {
    return sessionOf(this.runtime);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.session.attach(this);
    this.addEventListener('denoiser-trained', this.onTrained);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.removeEventListener('denoiser-trained', this.onTrained);
    // The panes stay in the session, so a later mount with the same setup shows the same chain.
    this.session.detach();
  }

  /** The trainer panel's snapshots; with "Trained in this page" selected the chain re-runs with each. */
  private onTrained = (e: Event) => {
    const d = (e as CustomEvent<TrainedModel>).detail;
    if (!d?.model?.params || d.model.config.dim !== 2) return;
    const { model, step, totalSteps, loss, done } = d;
    this.session.addTrained(this.lab.params, { model, step, totalSteps, loss, done });
  };

  override willUpdate(_: PropertyValues): void {
    this.session.sync(this.lab.params, this.lab.backend);
  }

  override updated(_: PropertyValues): void {
    const p = this.lab.params;
    const session = this.session;
    // The language is in the key: the charts' titles are in it.
    const lang = this.store.state.lang;
    const key = JSON.stringify([session.version, p.trails, p.drawing, this.theme.version, lang]);
    if (key === this.paintedKey) return;
    this.paintedKey = key;
    const colors = scatterColors((name) => this.theme.cssVar(name, this), p.dataset === 'draw');
    const side = paintParticles(this.renderRoot, session.panes, p, colors);
    if (side !== null) this.drawing.plotWidth = side;
    paintSchedules(this.scheduleSvg(), session.panes[0]);
  }

  private scheduleSvg(): SVGSVGElement | null {
    return this.renderRoot.querySelector<SVGSVGElement>('svg.schedule-plot');
  }

  /** The GPU device the training panel may use: the chosen backend's, once ready. */
  private trainerGpu() {
    const status = this.runtime.status;
    return this.lab.backend === 'gpu' && status.kind === 'ready' ? status.ctx : null;
  }

  override render() {
    const p = this.lab.params;
    const session = this.session;
    const set = (patch: Partial<DiffusionState>) => this.lab.set(patch);
    const trained = session.trained.get(dataKey(p));
    const a = session.panes[0];
    const f = a?.frame;
    const start = startOf(p);
    return html`
      <h2>${msg('Diffusion: noise the data, then step back from pure noise')}</h2>
      <p class="lede">
        ${msg(
          "Forward: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε. Reverse: a sampler (DDPM, DDIM or the probability-flow ODE) takes the denoiser's guess of x₀ and steps x_t towards t = 0 — on the GPU each step is a few WGSL dispatches over all particles in one submit.",
        )}
      </p>
      ${renderControls({ p, set, trained, modelLoading: session.modelLoading })}
      ${p.dataset === 'draw' ? this.drawing.renderPanel(p) : nothing} ${renderStepper(session, p, set)}
      ${renderForward(session, p, set)} ${renderNotices(session)}
      ${renderPanes({ session, p, drawing: this.drawing, root: this.renderRoot })}
      ${!a ? html`<p role="status">${msg('Setting up the chain…')}</p>` : nothing}
      ${renderTrainer(p, this.trainerGpu(), trained)}
      <div class="explain">
        ${renderPseudocode(p.sampler, start.from === 'data' ? start.t : null, f?.stepIndex ?? 0, f?.t ?? a?.config.T ?? p.T)}
        ${renderDenoiserNote(p.dataset, this.shipped.facts(p.dataset))}
      </div>
      <section class="panel schedules" aria-label=${msg('Noise schedules')}>
        <h3>${msg('Noise schedules')}</h3>
        <svg class="schedule-plot"></svg>
        ${exportButtons(scheduleExports(a, () => this.scheduleSvg()))}
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-diffusion-lab': DiffusionLab;
  }
}
