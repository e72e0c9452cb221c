/**
 * The Recommendation lab (#/recommend): the multi-stage pipeline (recall → pre-rank → rank → re-rank) and
 * diverse-yet-accurate lists for a user with narrow tastes (MMR, DPP, calibration). State slice
 * src/state/recommend.ts → session.ts (GPU funnel or CPU reference) → the panels below, each a small element.
 */
import { html, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { Store } from '../../state/store';
import { formatCount, formatDuration, formatBytes } from '../../util/format';
import { backendName } from '../common/backend';
import { noticeText } from '../common/notice';
import { LabController, storeContext } from '../common/controllers';
import { exportButtons } from '../common/export-buttons';
import { LabRunController } from '../common/lab-run';
import { runtimeContext, type Runtime } from '../common/runtime';
import { labStyles, sharedStyles } from '../common/styles';
import { renderControls } from './controls';
import { listExports } from './exports';
import { RecommendSession, type RecommendRun } from './session';
import { recommendStyles } from './styles';
import './answer-panel';
import './categories-panel';
import './funnel-panel';
import './lists-panel';
import './pareto-panel';
import { KsElement } from '../common/localized';

@customElement('ks-recommend-lab')
export class RecommendLab extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @consume({ context: storeContext }) store!: Store;
  @consume({ context: runtimeContext }) runtime!: Runtime;

  private lab = new LabController(this, 'recommend');
  private session = new RecommendSession();

  private run = new LabRunController(this, {
    args: () => [this.lab.params, this.lab.backend, this.runtime.generation] as const,
    run: ([params, backend], control) => this.session.run(this.runtime, params, backend, control),
    // A getter: read when each run starts, so it follows the interface language.
    get label() {
      return msg('Running the recommendation funnel…');
    },
  });

  override render() {
    return html`
      <h2>${msg('Recommendation: the pipeline, and diverse yet accurate lists for narrow tastes')}</h2>
      <p class="lede">
        ${msg(
          "Synthetic users and items (seeded; nothing is downloaded) go through a real funnel on your GPU: recall from three channels, a cheap pre-rank, an MLP ranker trained in WGSL, then a re-ranker that trades a little relevance for diversity — MMR, a DPP or calibration to the user's history — measured against the clicks each user made and the model never saw.",
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

  private renderResult(run: RecommendRun, stale: boolean) {
    const r = run.result;
    const rk = r.ranker;
    const [auc, prerankAuc] = [rk.auc.toFixed(3), rk.prerankAuc.toFixed(3)];
    const readBack = r.bytesRead ? formatBytes(r.bytesRead) : msg('nothing (CPU)');
    return html`<div class="results ${stale ? 'stale' : ''}" aria-busy=${stale ? 'true' : 'false'}>
      ${run.notices.map((n) => html`<p class="notice" role="status">${noticeText(n)}</p>`)}
      <ks-recommend-answer .result=${r}></ks-recommend-answer>
      <ks-recommend-funnel .result=${r}></ks-recommend-funnel>
      <ks-recommend-lists .result=${r}></ks-recommend-lists>
      <ks-recommend-pareto .result=${r}></ks-recommend-pareto>
      <ks-recommend-categories .result=${r}></ks-recommend-categories>
      <section class="panel ranker" aria-labelledby="ranker-heading">
        <h3 id="ranker-heading">${msg('Ranker')}</h3>
        <p>
          ${
            rk.weights === 'shipped'
              ? msg(
                  'An MLP on [u, v, u⊙v, log pop] with the shipped seeded weights scores click probability.',
                )
              : msg(
                  str`An MLP on [u, v, u⊙v, log pop] with weights trained in this page (${formatCount(rk.trainSteps)} Adam steps) scores click probability.`,
                )
          }
          ${
            rk.auc > rk.prerankAuc
              ? msg(
                  html`Held-out AUC on simulated clicks (whole users held out):
                    <strong class="auc">${auc}</strong>, against
                    <span class="prerank-auc">${prerankAuc}</span> for the pre-rank score u·v + β·log pop on
                    the same rows.`,
                )
              : msg(
                  html`Held-out AUC on simulated clicks (whole users held out):
                    <strong class="auc">${auc}</strong>, against
                    <span class="prerank-auc">${prerankAuc}</span> for the pre-rank score u·v + β·log pop on
                    the same rows (the ranker does not beat it here).`,
                )
          }
          ${
            rk.prerankAuc < 0.5
              ? msg(
                  "The pre-rank score is below ½ because the negatives are the impressions it chose itself (high u·v), while clicks also land in the user's minor interests, where u·v is low: the concentration the re-rankers below correct.",
                )
              : nothing
          }
        </p>
        ${
          rk.weights === 'shipped'
            ? html`<button @click=${() => this.lab.set({ ranker: 'trained' })}>
                ${msg('Train the ranker in this page')}
              </button>`
            : nothing
        }
      </section>
      <p class="backend-line">
        <span class="badge" title=${msg('What computed these numbers')}>${backendName(run.backend)}</span>
        ${msg(
          str`${formatCount(r.users)} users × ${formatCount(r.items)} items in ${formatDuration(r.elapsedMs)} · read back ${readBack}`,
        )}
      </p>
      ${exportButtons(listExports(run))}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-lab': RecommendLab;
  }
}
