/**
 * <ks-recommend-categories>: per category, the history's share p beside each list's share q (KL(p ‖ q̃)
 * in the legend), and a table of the same numbers with the user's true taste θ; PNG/SVG and CSV/JSON.
 */
import { html } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, property, query } from 'lit/decorators.js';
import { renderCategoryBars, type CategorySeries } from '../../charts/category-bars';
import type { RecommendResult } from '../../engine/recommend/types';
import { CALIBRATION_MIX, RERANK_METHODS, type RerankMethod } from '../../kernels/recommend/spec';
import { dataTable } from '../common/data-table';
import type { CsvRow } from '../common/export';
import { chartActions, svgSource, tableActions } from '../common/export-actions';
import { exportButtons } from '../common/export-buttons';
import { labStyles, sharedStyles } from '../common/styles';
import {
  CATEGORY_COLORS,
  METHOD_COLORS,
  METHOD_LABELS,
  categoryName,
  chartWidth,
  metricText,
  recommendFileBase,
} from './palette';
import { recommendStyles } from './styles';
import { methodLabel } from './text';
import { KsElement } from '../common/localized';

export type CategoriesView = Pick<
  RecommendResult,
  'historyDist' | 'listDist' | 'metrics' | 'taste' | 'categories' | 'seed' | 'user'
>;

/** The category table's export header (English, the documented format); the page shows categoryHead(). */
export const CATEGORY_HEAD = [
  'category',
  'true taste θ',
  'history p',
  ...RERANK_METHODS.map((m) => `${METHOD_LABELS[m]} q`),
];

/** "MMR q": a list's category shares. */
const listShare = (m: RerankMethod) => msg(str`${methodLabel(m)} q`, { id: 'recommend.list-share' });

/** The category table's header in the interface language. */
export function categoryHead(): string[] {
  return [msg('category'), msg('true taste θ'), msg('history p'), ...RERANK_METHODS.map((m) => listShare(m))];
}

/** One row per category (θ, p, then each list's q), then the KL(p ‖ q̃) row. */
export function categoryRows(r: CategoriesView): CsvRow[] {
  const rows: CsvRow[] = [];
  for (let c = 0; c < r.categories; c++) {
    rows.push([
      categoryName(c),
      r.taste[c] ?? 0,
      r.historyDist[c] ?? 0,
      ...RERANK_METHODS.map((m) => r.listDist[m]?.[c] ?? 0),
    ]);
  }
  rows.push(['KL(p ‖ q̃)', '', '', ...RERANK_METHODS.map((m) => r.metrics[m]?.kl ?? '')]);
  return rows;
}

/** The chart's series: history p (drawn in the text colour, lighter), then each list's q with its KL. */
export function categorySeries(r: CategoriesView): CategorySeries[] {
  return [
    { key: 'history', label: msg('History p'), color: 'currentColor', values: r.historyDist },
    ...RERANK_METHODS.map((m) => ({
      key: m,
      label: listShare(m),
      color: METHOD_COLORS[m],
      values: r.listDist[m] ?? [],
      kl: r.metrics[m]?.kl,
    })),
  ];
}

@customElement('ks-recommend-categories')
export class RecommendCategories extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @property({ attribute: false }) result: CategoriesView | null = null;

  @query('svg.categories') private svg!: SVGSVGElement | null;

  protected override updated(): void {
    const r = this.result;
    if (!r || !this.svg) return;
    renderCategoryBars(this.svg, categorySeries(r), {
      width: chartWidth(this.svg.parentElement, 360, 760),
      height: 280,
      title: msg(
        str`Category shares of user ${r.user}'s history (p) and of each re-ranked list (q), with KL(p ‖ q̃)`,
      ),
      names: Array.from({ length: r.categories }, (_, c) => categoryName(c)),
      categoryColors: CATEGORY_COLORS,
      opacity: { history: 0.55 },
    });
  }

  override render() {
    const r = this.result;
    if (!r) return html``;
    const base = recommendFileBase('categories', r);
    const fmt = (v: number) => metricText(v, 3);
    return html`<section class="panel categories" aria-labelledby="categories-heading">
      <h3 id="categories-heading">${msg('Categories')}</h3>
      <figure>
        <svg class="chart categories"></svg>
        <figcaption>
          ${msg(
            str`The share of each category in the history p and in each list q. Calibration makes q match p; KL(p ‖ q̃) uses q̃ = ${1 - CALIBRATION_MIX}·q + ${CALIBRATION_MIX}·p, so a category missing from the list costs a finite amount.`,
          )}
          ${exportButtons(
            chartActions(
              msg('categories chart'),
              base,
              svgSource(() => this.svg),
            ),
          )}
        </figcaption>
      </figure>
      <details>
        <summary>${msg('Category shares as a table')}</summary>
        ${dataTable({
          label: msg('Category shares'),
          head: categoryHead(),
          rows: categoryRows(r).map((row) =>
            row.map((v, j) => (j > 0 && typeof v === 'number' ? { value: v, text: fmt(v) } : v)),
          ),
          exports: tableActions(
            msg('category shares'),
            () => `${base}-table`,
            () => [CATEGORY_HEAD, ...categoryRows(r)],
          ),
        })}
      </details>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-categories': RecommendCategories;
  }
}
