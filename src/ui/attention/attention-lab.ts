/**
 * The Attention lab (#/attention): masked scaled-dot-product attention on the GPU (staged or fused WGSL) or
 * the CPU reference, every stage drawn as a canvas heatmap. State slice src/state/attention.ts → run
 * (session.ts) → panels below. Component-only state, on purpose: an imported Q/K/V file (too large for a
 * link), the painted custom mask, zoom/pan, hover and which data tables are open.
 */
import { KsElement } from '../common/localized';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { msg } from '@lit/localize';
import { consume } from '@lit/context';
import { renderHeatmapLegend } from '../../charts/heatmap';
import type { AttentionStage, MatrixStage } from '../../engine/attention';
import { isAbortError } from '../../gpu/compute';
import type { Store } from '../../state/store';
import { LabController, storeContext } from '../common/controllers';
import { ShortcutController } from '../common/keys';
import { LabRunController } from '../common/lab-run';
import { runtimeContext, type Runtime } from '../common/runtime';
import { labStyles, sharedStyles } from '../common/styles';
import { ThemeController } from '../common/theme';
import { readImport, renderControls, SentenceInput, type ControlsHandlers } from './controls';
import { CustomMask } from './custom-mask';
import { AttentionExports } from './exports';
import { HeatmapCanvases } from './heatmap-canvas';
import { gpt2Styles, paintGpt2Grid, renderGpt2Panel } from './gpt2-panel';
import { Gpt2Section } from './gpt2-section';
import { InductionSection } from './induction-section';
import { HeatmapInteraction } from './interaction';
import { LabLayout } from './layout';
import { enlargedMatrix, stripMatrix } from './matrices';
import { OpenTables } from './matrix-table';
import type { ImportedFile } from './model';
import { renderError, renderMessages, renderResult } from './results';
import { drawRowChart } from './row-panel';
import { RunViews } from './run-views';
import { AttentionSession, computeKey, type LabRun } from './session';
import { drawLegend } from './stage-strip';
import { attentionLabStyles } from './styles';
import type { LabView } from './view';

@customElement('ks-attention-lab')
export class AttentionLab extends KsElement {
  static override styles = [sharedStyles, labStyles, attentionLabStyles, gpt2Styles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'attention');
  private theme = new ThemeController(this);
  private layout = new LabLayout(this);
  private session = new AttentionSession(() => this.runtime);
  private custom = new CustomMask(this);
  private induction = new InductionSection(this, (patch) => this.lab.set(patch));
  private gpt2 = new Gpt2Section(
    this,
    (patch) => this.lab.set(patch),
    () => this.runtime.gpu(),
    () => this.runtime.generation,
  );
  private tables = new OpenTables(this);
  private ui: HeatmapInteraction = new HeatmapInteraction(
    {
      requestUpdate: () => this.requestUpdate(),
      shown: () => this.run.last,
      enlarged: (lab) =>
        enlargedMatrix(this.fetched.picture(lab), this.enlargedStage(lab), this.selectedHead()),
      strip: (lab, stage) => stripMatrix(this.fetched.picture(lab), stage, this.selectedHead()),
      set: (patch) => this.lab.set(patch),
    },
    this.custom,
  );
  private canvases = new HeatmapCanvases(this.ui);
  private sentence = new SentenceInput(
    this,
    () => this.lab.params.text,
    (text) => this.lab.set({ text }),
  );

  @state() private imported: ImportedFile | null = null;
  @state() private importError: string | null = null;
  @state() private exportMessage: { text: string; error: boolean } | null = null;
  @state() private focusStage: AttentionStage | null = null;

  private lastL = 0;
  /** What the last render showed (the canvases and charts are drawn from it after the render). */
  private view: LabView | null = null;

  constructor() {
    super();
    this.ui.canvases = this.canvases;
    new ShortcutController(this, () => [{ keys: ['c', 'C'], run: () => this.toggleCausal() }]);
  }

  /** One run per change of the computing controls, backend, device, imported file or painted mask. */
  private run = new LabRunController(this, {
    args: () =>
      [
        computeKey(this.lab.params),
        this.lab.backend,
        this.runtime.generation,
        this.imported,
        this.custom.version,
        this.induction.runKey(this.lab.params),
        this.gpt2.runKey(this.lab.params),
      ] as const,
    run: async ([, backend], control) => {
      this.exportMessage = null;
      const params = this.lab.params;
      const inputs = {
        params,
        induction: this.imported ? null : await this.induction.model(params),
        gpt2: !this.imported && params.model === 'gpt2' ? await this.gpt2.prepare(params, control) : null,
        imported: this.imported,
        custom: this.custom.keep,
        onPrepared: this.custom.adopt.bind(this.custom),
      };
      return this.session.run(backend, inputs, control);
    },
    rerunHint: null,
    errorView: renderError,
  });

  /** The pooled views, the selected row and the numerics of the run on screen. */
  private fetched: RunViews = new RunViews(this, this.session, {
    shown: () => this.run.last,
    pool: () => this.lab.params.pool,
    zoom: () => this.ui.zoom,
    enlargedStage: (lab) => this.enlargedStage(lab),
    head: () => this.selectedHead(),
    row: () => this.selectedRow(),
    runPending: () => this.run.pending,
  });

  private exports = new AttentionExports({
    session: this.session,
    canvases: this.canvases,
    currentRun: () => this.currentRun(),
    shown: () => this.run.last,
    head: () => this.selectedHead(),
    colors: () => this.colors(),
    rowSvg: () => this.shadowRoot?.querySelector<SVGSVGElement>('svg.row-bars') ?? null,
    rowWeights: () => this.fetched.rowWeights,
    numerics: () => this.fetched.numerics,
    setMessage: (message) => (this.exportMessage = message),
  });

  private controls: ControlsHandlers = {
    set: (patch) => this.lab.set(patch),
    sentence: this.sentence,
    importFile: (e) => void this.onImport(e),
    induction: this.induction,
    gpt2Layers: () => this.gpt2.loaded?.config.nLayer ?? 0,
    clearImport: () => {
      this.imported = null;
      this.ui.setZoom(null);
    },
  };

  /** The GPU device the induction trainer may use: the chosen backend's, once ready. */
  private trainerGpu() {
    const status = this.runtime.status;
    return this.lab.backend === 'gpu' && status.kind === 'ready' ? status.ctx : null;
  }

  private toggleCausal() {
    this.lab.set({ mask: this.lab.params.mask === 'causal' ? 'none' : 'causal' });
  }

  /** The selected head as an index into the run's heads (a GPT-2 run may hold a block from head `first`). */
  private selectedHead(): number {
    const last = this.run.last;
    const heads = last?.run.shape.heads ?? this.lab.params.heads;
    const first = last?.prepared.headWindow?.first ?? 0;
    return Math.max(0, Math.min(heads - 1, this.lab.params.head - first));
  }

  private selectedRow(): number {
    const L = this.run.last?.run.shape.L ?? 0;
    const row = this.lab.params.row;
    return row >= 0 && row < L ? row : -1;
  }

  private enlargedStage(lab: LabRun | undefined): MatrixStage {
    const s = this.lab.params.stage;
    return !lab || lab.available.has(s) ? s : 'weights';
  }

  private colors() {
    const css = (name: string, fallback: string) => this.theme.cssVar(name, this) || fallback;
    return {
      text: css('--ks-fg', '#1b1f24'),
      panel: css('--ks-panel', '#ffffff'),
      focus: css('--ks-focus', '#f5a623'),
    };
  }

  /** The run for the current controls (waits for one in progress, so an export never shows stale numbers). */
  private async currentRun(): Promise<LabRun | undefined> {
    try {
      await this.run.task.taskComplete;
    } catch (e) {
      // Cancelled: the last result is on screen and exports. Any other error is on screen; export nothing.
      return isAbortError(e) ? this.run.last : undefined;
    }
    return this.run.last;
  }

  private async onImport(e: Event) {
    const read = await readImport(e.target as HTMLInputElement);
    if (!read) return;
    this.importError = 'error' in read ? read.error : null;
    if ('error' in read) return;
    this.ui.setZoom(null);
    this.imported = read;
  }

  override willUpdate(changed: PropertyValues): void {
    super.willUpdate(changed);
    // A new sequence length invalidates the zoom window.
    const L = this.run.last?.run.shape.L;
    if (L !== undefined && L !== this.lastL) {
      this.lastL = L;
      this.ui.zoom = null;
    }
  }

  override updated(changed: PropertyValues): void {
    super.updated(changed);
    const root = this.shadowRoot!;
    this.canvases.paint(root);
    paintGpt2Grid(root, this.gpt2);
    const v = this.view;
    if (!v) return;
    const legend = root.querySelector<SVGSVGElement>('svg.legend-svg');
    if (legend) {
      drawLegend(v, legend, (divergingMax) =>
        renderHeatmapLegend(legend, {
          width: v.layout.legend,
          divergingMax,
          weightsRange: v.params.weightRange,
        }),
      );
    }
    const bars = root.querySelector<SVGSVGElement>('svg.row-bars');
    if (bars) drawRowChart(v, bars);
  }

  override render() {
    this.canvases.reset();
    this.view = null;
    const tip = this.ui.tooltip;
    return html`
      <h2>${msg('Masked attention: QKᵀ/√d → mask → softmax → weights · V')}</h2>
      <p class="lede">
        ${msg(
          html`Scaled dot-product attention runs in WGSL compute shaders, every stage kept so you can see it:
            raw QKᵀ, scaling by 1/√d, the mask, the row softmax and the weighted sum of V. Toggle the causal
            mask (key <kbd>C</kbd>) and watch the upper triangle of the weights go to exactly zero.`,
        )}
      </p>
      ${renderControls(this.lab.params, this.imported, this.controls)}
      ${this.induction.renderTrainer(this.lab.params, this.trainerGpu())}
      ${renderGpt2Panel(this.gpt2, this.lab.params, (patch) => this.lab.set(patch))}
      <div class="messages">
        ${renderMessages(this.importError, this.exportMessage, {
          import: () => (this.importError = null),
          export: () => (this.exportMessage = null),
        })}
      </div>
      ${this.run.renderStatus()}
      ${this.run.render((lab, stale) => {
        this.view = this.labView(lab);
        return renderResult(this.view, stale);
      })}
      ${
        tip
          ? html`<div
              class="tooltip"
              aria-hidden="true"
              style="left:${Math.min(tip.x, window.innerWidth - 300)}px;top:${tip.y}px"
            >
              ${tip.text}
            </div>`
          : nothing
      }
    `;
  }

  private labView(lab: LabRun): LabView {
    const enlargedStage = this.enlargedStage(lab);
    const pic = this.fetched.picture(lab);
    return {
      lab,
      pic,
      params: this.lab.params,
      head: this.selectedHead(),
      row: this.selectedRow(),
      enlargedStage,
      currentStage: this.focusStage ?? enlargedStage,
      setFocusStage: (s) => (this.focusStage = s),
      layout: this.layout,
      canvases: this.canvases,
      ui: this.ui,
      custom: this.custom,
      tables: this.tables,
      colors: this.colors(),
      themeVersion: this.theme.version,
      rowWeights: this.fetched.rowWeights,
      numerics: this.fetched.numerics,
      numericsPending: this.fetched.numericsPending,
      // A zoom of a pooled result needs its GPU buffers; after a cancelled or failed run they may be gone.
      viewError: this.fetched.viewError(pic),
      exports: this.exports,
      set: (patch) => this.lab.set(patch),
    };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-attention-lab': AttentionLab;
  }
}
