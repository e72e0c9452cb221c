/**
 * <ks-recommend-pareto>: the trade-off. Two charts of mean NDCG@10 over all users, against intra-list
 * diversity and against category coverage, one curve per re-ranker as λ/θ sweeps, the relevance-only
 * baseline and the current setting ringed; the sweep as a table for screen readers; PNG/SVG, CSV/JSON.
 */
import { html } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, property, query } from 'lit/decorators.js';
import { renderPareto, type ParetoX } from '../../charts/pareto';
import type { RecommendResult } from '../../engine/recommend/types';
import { RERANK_METHODS } from '../../kernels/recommend/spec';
import { formatCount } from '../../util/format';
import { dataTable } from '../common/data-table';
import type { CsvRow } from '../common/export';
import { chartActions, svgSource, tableActions } from '../common/export-actions';
import { exportButtons } from '../common/export-buttons';
import { labStyles, sharedStyles } from '../common/styles';
import {
  METHOD_COLORS,
  METHOD_LABELS,
  chartWidth,
  metricText,
  paramSymbol,
  recommendFileBase,
} from './palette';
import { recommendStyles } from './styles';
import { enumerate, methodLabel, methodLabels } from './text';
import { KsElement } from '../common/localized';

export type ParetoView = Pick<
  RecommendResult,
  'sweep' | 'baseline' | 'method' | 'lambda' | 'theta' | 'users' | 'seed' | 'user'
>;

/** The sweep table's export header (English, the documented format); the page shows sweepHead(). */
export const SWEEP_HEAD = ['method', 'parameter', 'value', 'NDCG@10', 'ILD', 'coverage', 'KL'];

/** The sweep table's header in the interface language. */
export function sweepHead(): string[] {
  return [msg('method'), msg('parameter'), msg('value'), 'NDCG@10', 'ILD', msg('coverage'), 'KL'];
}

/** The re-ranker of an exported row's first cell (METHOD_LABELS), for the page's own name of it. */
const METHOD_OF_LABEL = new Map(RERANK_METHODS.map((m) => [METHOD_LABELS[m] as string, m]));

/** The baseline, then every sweep point in order (method, parameter, value, the four mean metrics). */
export function sweepRows(r: ParetoView): CsvRow[] {
  const b = r.baseline;
  const rows: CsvRow[] = [[METHOD_LABELS.relevance, '', '', b.ndcg10, b.ild, b.coverage, b.kl]];
  for (const c of r.sweep)
    for (const p of c.points) {
      const m = p.metrics;
      rows.push([METHOD_LABELS[c.method], c.param, p.value, m.ndcg10, m.ild, m.coverage, m.kl]);
    }
  return rows;
}

/** The lab's current setting as the charts ring it. */
export function currentSetting(r: Pick<ParetoView, 'method' | 'lambda' | 'theta'>) {
  return { method: r.method, value: r.method === 'dpp' ? r.theta : r.lambda };
}

/** The two charts: the export's name and file, and what NDCG@10 is plotted against (interface language). */
function chart(x: ParetoX): { name: string; file: string; against: string } {
  return x === 'ild'
    ? { name: msg('NDCG vs ILD'), file: 'pareto-ild', against: msg('intra-list diversity') }
    : { name: msg('NDCG vs coverage'), file: 'pareto-coverage', against: msg('category coverage') };
}

@customElement('ks-recommend-pareto')
export class RecommendPareto extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @property({ attribute: false }) result: ParetoView | null = null;

  @query('svg.pareto-ild') private ildSvg!: SVGSVGElement | null;
  @query('svg.pareto-coverage') private coverageSvg!: SVGSVGElement | null;

  private svgOf(x: ParetoX): SVGSVGElement | null {
    return x === 'ild' ? this.ildSvg : this.coverageSvg;
  }

  protected override updated(): void {
    const r = this.result;
    if (!r) return;
    for (const x of ['ild', 'coverage'] as const) {
      const svg = this.svgOf(x);
      if (!svg) continue;
      renderPareto(svg, {
        curves: r.sweep,
        baseline: r.baseline,
        current: currentSetting(r),
        x,
        y: 'ndcg10',
        width: chartWidth(svg.parentElement, 320, 560),
        height: 300,
        colors: METHOD_COLORS,
        labels: methodLabels(),
        title: msg(
          str`Mean NDCG@10 over ${formatCount(r.users)} users against ${chart(x).against}, one curve per re-ranker`,
        ),
      });
    }
  }

  private figure(x: ParetoX, r: ParetoView) {
    const c = chart(x);
    return html`<figure>
      <svg class=${`chart pareto-${x}`}></svg>
      <figcaption>
        ${msg(str`NDCG@10 against ${c.against}; the ring marks the current setting.`)}
        ${exportButtons(
          chartActions(
            c.name,
            recommendFileBase(c.file, r),
            svgSource(() => this.svgOf(x)),
          ),
        )}
      </figcaption>
    </figure>`;
  }

  override render() {
    const r = this.result;
    if (!r) return html``;
    const base = recommendFileBase('sweep', r);
    const fmt = (v: number) => metricText(v, 3);
    const params = enumerate(
      r.sweep.map((c) =>
        msg(str`${paramSymbol(c.method)} for ${methodLabel(c.method)}`, { id: 'recommend.param-for' }),
      ),
    );
    return html`<section class="panel pareto" aria-labelledby="pareto-heading">
      <h3 id="pareto-heading">${msg('Trade-off')}</h3>
      <p class="muted small">
        ${msg(
          str`Each point is a whole sweep setting (${params}) averaged over all ${formatCount(r.users)} users. Up is more accurate, right is more diverse.`,
        )}
      </p>
      <div class="charts">${this.figure('ild', r)} ${this.figure('coverage', r)}</div>
      <details>
        <summary>${msg('The sweep as a table')}</summary>
        ${dataTable({
          label: msg('Sweep'),
          head: sweepHead(),
          rows: sweepRows(r).map((row) =>
            row.map((v, j) =>
              j === 0 && METHOD_OF_LABEL.has(String(v))
                ? methodLabel(METHOD_OF_LABEL.get(String(v))!)
                : j === 1 && v !== ''
                  ? { value: v, text: v === 'theta' ? 'θ' : 'λ' }
                  : j > 2 && typeof v === 'number'
                    ? { value: v, text: fmt(v) }
                    : v,
            ),
          ),
          exports: tableActions(
            msg('sweep'),
            () => base,
            () => [SWEEP_HEAD, ...sweepRows(r)],
          ),
        })}
      </details>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-pareto': RecommendPareto;
  }
}
