/**
 * The Random lab (#/random): uniform generator moments, standardisation, histogram against the density.
 * State slice src/state/random.ts → run (session.ts: GPU engine or CPU reference) → views below.
 */
import { html, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, query } from 'lit/decorators.js';
import { consume } from '@lit/context';
import { renderHistogram } from '../../charts/histogram';
import type { RandomResult } from '../../engine/random';
import { MAX_COUNT_CPU } from '../../kernels/random/spec';
import { theory } from '../../kernels/random/theory';
import type { Store } from '../../state/store';
import { formatCount, formatFixed } from '../../util/format';
import { LabController, storeContext } from '../common/controllers';
import { exportButtons } from '../common/export-buttons';
import { LabRunController } from '../common/lab-run';
import { noticeText } from '../common/notice';
import { runtimeContext, type Runtime } from '../common/runtime';
import { labStyles, sharedStyles } from '../common/styles';
import { renderControls, transformLabel } from './controls';
import { renderDerivation } from './derivation';
import { histogramExports } from './exports';
import { renderMoments } from './moments-panel';
import { runRandom, type RandomRun } from './session';
import { randomLabStyles } from './styles';
import { KsElement } from '../common/localized';

@customElement('ks-random-lab')
export class RandomLab extends KsElement {
  static override styles = [sharedStyles, labStyles, randomLabStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  /** The lab's controls (params), the backend choice and GPU status re-renders; set() changes controls. */
  private lab = new LabController(this, 'random');

  @query('svg.histogram') private svg!: SVGSVGElement;

  /** One run per change of controls, backend or device; 10⁷ values generate in batches with Cancel. */
  private run = new LabRunController(this, {
    args: () => [this.lab.params, this.lab.backend, this.runtime.generation] as const,
    run: ([params, backend], control) => runRandom(this.runtime, params, backend, control),
  });

  override updated(): void {
    const run = this.run.last;
    if (run && this.svg) this.drawChart(run.result);
  }

  private drawChart(result: RandomResult) {
    const t = theory(result.params.transform);
    // The figure's width (the SVG scales down with CSS below 240 px).
    const width = Math.max(240, Math.min(760, this.svg.parentElement?.clientWidth ?? 640));
    renderHistogram(
      this.svg,
      {
        lo: result.spec.lo,
        hi: result.spec.hi,
        counts: result.counts.subarray(0, result.spec.bins),
        total: result.sums.n,
        density: t.density,
        densityLabel: msg(str`${t.notation} density`),
      },
      {
        width,
        height: 320,
        title: msg(
          str`Histogram of ${formatCount(result.sums.n)} ${transformLabel(result.params.transform)} samples with the theoretical density`,
        ),
        xLabel: 'x',
      },
    );
  }

  override render() {
    return html`
      <h2>${msg('Random numbers: why a uniform generator has mean ½ and variance 1/12')}</h2>
      <p class="lede">
        ${msg(
          'A counter-based generator (Philox4x32-10) runs in a WGSL compute shader; moments and the histogram are reduced on the GPU, so only a few hundred bytes come back however many samples you draw.',
        )}
      </p>
      ${renderControls(
        this.lab.params,
        (patch) => this.lab.set(patch),
        () => this.run.rerun(),
      )}
      ${this.run.renderStatus()} ${this.run.render((run, stale) => this.renderResult(run, stale))}
    `;
  }

  private renderResult(run: RandomRun, stale: boolean) {
    const { result } = run;
    const n = result.sums.n;
    const { bins, lo, hi } = result.spec;
    const outside = result.counts[bins]! + result.counts[bins + 1]!;
    return html`
      <div class="results ${stale ? 'stale' : ''}" aria-busy=${stale ? 'true' : 'false'}>
        ${run.notice ? html`<p class="notice" role="status">${noticeText(run.notice)}</p>` : nothing}
        ${
          run.reducedFrom
            ? html`<p class="notice" role="status">
                ${msg(
                  str`The CPU backend draws at most ${formatCount(MAX_COUNT_CPU)} samples; showing ${formatCount(n)} of the ${formatCount(run.reducedFrom)} asked for.`,
                )}
              </p>`
            : nothing
        }
        <div class="grid">
          <figure class="panel chart">
            <svg class="histogram"></svg>
            <figcaption>
              ${msg(
                str`${formatCount(n)} samples of ${transformLabel(result.params.transform)}, ${bins} bins on [${formatFixed(lo, 3)}, ${formatFixed(hi, 3)}); ${outside} outside the range.`,
              )}
              ${exportButtons(histogramExports(run, () => this.svg))}
            </figcaption>
          </figure>
          ${renderMoments(run)}
        </div>
        ${renderDerivation(result.params.transform)}
      </div>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-random-lab': RandomLab;
  }
}
