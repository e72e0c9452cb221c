/**
 * The BatchNorm lab (#/batchnorm): the same MLP with and without BatchNorm trained side by side; live
 * loss/accuracy, percentiles of one unit's input, per-channel batch statistics before and after BN, running
 * vs batch statistics, and a train/eval switch. State slice src/state/batchnorm.ts → session.ts (engine,
 * training loop, history) → the views below; charts redraw at most once per animation frame.
 *
 * Page state for tests and assistive technology, on the <ks-batchnorm-lab> element and written as it
 * changes (not once per frame): data-state = training | pausing (not training, a step or the held-out look
 * still finishing) | paused; data-step = the step shown; aria-busy = "true" while an engine step runs;
 * data-steps-in-flight = engine steps running at once (never above 1).
 */
import { html, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { isImageTask } from '../../models/mlp';
import type { BatchnormState } from '../../state/batchnorm';
import type { Store } from '../../state/store';
import { LabController, storeContext } from '../common/controllers';
import { runtimeContext, type Runtime } from '../common/runtime';
import { labStyles, sharedStyles } from '../common/styles';
import { drawChannelCharts, renderChannelPanels } from './channels-panel';
import type { ChartExport } from './chart-head';
import { HIGH_LR_PRESET, renderControls, unitsLabel } from './controls';
import { renderExplanation } from './explain';
import { exportChart, exportStats } from './exports';
import { drawGlyphs, renderGlyphPanel } from './glyph-panel';
import { drawPercentilesChart, renderPercentilesPanel } from './percentiles-panel';
import { renderRunBar } from './run-bar';
import { BatchnormSession } from './session';
import { batchnormLabStyles } from './styles';
import { renderTables } from './tables';
import { drawTrainingCharts, renderTrainingPanels } from './training-panel';
import { KsElement } from '../common/localized';

@customElement('ks-batchnorm-lab')
export class BatchnormLab extends KsElement {
  static override styles = [sharedStyles, labStyles, batchnormLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; lab.set() changes controls. */
  private lab = new LabController(this, 'batchnorm');

  /** The training session (readable by the component tests). */
  readonly session = new BatchnormSession({
    runtime: () => this.runtime,
    params: () => this.lab.params,
    backend: () => this.lab.backend,
    changed: () => this.sessionChanged(),
  });

  private frame = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) void this.session.look();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.session.stop();
  }

  /** Every GPU status change re-renders (LabController): a device lost while paused is rebuilt here. */
  override willUpdate(): void {
    if (this.hasUpdated) this.session.deviceChanged();
  }

  override firstUpdated(): void {
    void this.session.look();
  }

  /** Writes the page state at once; the render follows at the next animation frame. */
  private sessionChanged(): void {
    const s = this.session;
    this.dataset.state = s.state;
    this.dataset.step = String(s.latest?.step ?? 0);
    this.dataset.stepsInFlight = String(s.stepsInFlight);
    this.setAttribute('aria-busy', String(s.stepsInFlight > 0));
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.requestUpdate();
    });
  }

  /** A control changed: shape or task changes restart training; layer, unit and view apply to the next step. */
  private set(patch: Partial<BatchnormState>): void {
    this.lab.set(patch);
    void this.session.look();
  }

  private readonly exportChart: ChartExport = (key, kind) =>
    exportChart(
      this.renderRoot.querySelector<SVGSVGElement>(`svg.${key}`),
      key,
      kind,
      this.session.latest?.step ?? 0,
      this.lab.params.channels,
    );

  override updated(): void {
    const s = this.session;
    if (!s.latest) return;
    const root = this.renderRoot;
    drawGlyphs(root, isImageTask(this.lab.params.task) ? s.images : null);
    drawTrainingCharts(root, s);
    drawPercentilesChart(root, s);
    drawChannelCharts(root, s, this.lab.params);
  }

  override render() {
    const p = this.lab.params;
    const s = this.session;
    const units = unitsLabel(p.width, p.activation);
    return html`
      <h2>${msg('BatchNorm: normalising each channel over the batch')}</h2>
      <p class="lede">
        ${msg(
          str`Two identical MLPs (${p.depth} hidden layers of ${units}, same initial weights, same batches) train side by side with Adam; the blue one has BatchNorm1d after every Linear layer. Every kernel — matmul, BatchNorm, softmax cross-entropy, Adam, and the per-channel statistics — runs in WGSL.`,
        )}
      </p>
      ${renderControls(
        p,
        (patch) => this.set(patch),
        (channels) => this.lab.set({ channels }),
      )}
      ${renderRunBar(s, {
        toggle: () => {
          s.toggle();
          this.requestUpdate();
        },
        reset: () => {
          void s.reset();
          this.requestUpdate();
        },
        exportStats: () => exportStats(s, p),
        highLr: () => this.set(HIGH_LR_PRESET),
      })}
      ${s.images && isImageTask(p.task) ? renderGlyphPanel(p.task, s.images, s.heldOutCount) : nothing}
      <div class="grid">
        ${renderTrainingPanels(s, p, this.exportChart)} ${renderPercentilesPanel(s, this.exportChart)}
        ${renderChannelPanels(s, p, this.exportChart)}
      </div>
      ${renderTables(s)} ${renderExplanation(s, p)}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-batchnorm-lab': BatchnormLab;
  }
}
