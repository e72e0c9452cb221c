/**
 * <ks-recommend-funnel>: the funnel chart (items per user at each stage, measured time) and the same
 * numbers as a table, with PNG/SVG and CSV/JSON exports.
 */
import { html, type PropertyValues } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, property, query } from 'lit/decorators.js';
import { funnelFlow, renderFunnel } from '../../charts/funnel';
import type { RecommendResult } from '../../engine/recommend/types';
import { formatCount, formatDuration } from '../../util/format';
import { backendPhrase, backendTagOf } from '../common/backend';
import { dataTable } from '../common/data-table';
import type { CsvRow } from '../common/export';
import { chartActions, svgSource, tableActions } from '../common/export-actions';
import { exportButtons } from '../common/export-buttons';
import { labStyles, sharedStyles } from '../common/styles';
import { chartWidth, recommendFileBase } from './palette';
import { recommendStyles } from './styles';
import { stageText } from './text';
import { KsElement } from '../common/localized';

export type FunnelView = Pick<
  RecommendResult,
  'funnel' | 'seed' | 'user' | 'users' | 'backend' | 'adapter' | 'categories' | 'method'
>;

/** The funnel table's export header (English, the documented format); the page shows funnelHead(). */
export const FUNNEL_HEAD = ['stage', 'items per user', 'time (ms)', 'what it does'];

/** The funnel table's header in the interface language. */
export function funnelHead(): string[] {
  return [msg('stage'), msg('items per user'), msg('time (ms)'), msg('what it does')];
}

/** The table's rows (also the CSV): stage, items, ms (empty when not measured), detail. */
export function funnelRows(r: FunnelView): CsvRow[] {
  return r.funnel.map((s) => [s.label, s.items, s.ms ?? '', s.detail]);
}

@customElement('ks-recommend-funnel')
export class RecommendFunnel extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @property({ attribute: false }) result: FunnelView | null = null;

  @query('svg.funnel') private svg!: SVGSVGElement | null;

  protected override updated(_changed: PropertyValues): void {
    const r = this.result;
    if (!r || !this.svg) return;
    renderFunnel(
      this.svg,
      r.funnel.map((s) => stageText(s, r)),
      {
        width: chartWidth(this.svg.parentElement),
        title: msg(
          str`Recommendation funnel for each of ${formatCount(r.users)} users: ${funnelFlow(r.funnel)} items`,
        ),
      },
    );
  }

  override render() {
    const r = this.result;
    if (!r) return html``;
    const base = recommendFileBase('funnel', r);
    const measured = r.funnel.filter((s) => s.ms !== null);
    const total = measured.reduce((s, x) => s + x.ms!, 0);
    const users = formatCount(r.users);
    const backend = backendPhrase(backendTagOf(r.backend, r.adapter));
    const stages = r.funnel.map((s) => stageText(s, r));
    return html`<section class="panel funnel" aria-labelledby="funnel-heading">
      <h3 id="funnel-heading">${msg('Funnel')}</h3>
      <figure>
        <svg class="chart funnel"></svg>
        <figcaption>
          ${
            measured.length
              ? msg(
                  str`Items per user leaving each stage (bar width ∝ log items) and the measured time of each stage for all ${users} users (${formatDuration(total)} in all), on ${backend}.`,
                )
              : msg(
                  str`Items per user leaving each stage (bar width ∝ log items) and the measured time of each stage for all ${users} users, on ${backend}.`,
                )
          }
          ${exportButtons(
            chartActions(
              msg('funnel'),
              base,
              svgSource(() => this.svg),
            ),
          )}
        </figcaption>
      </figure>
      ${dataTable({
        label: msg('Funnel stages'),
        head: funnelHead(),
        rows: stages.map((s) => [
          s.label,
          { value: s.items, text: formatCount(s.items) },
          s.ms === null
            ? { value: '', text: msg('not measured') }
            : { value: s.ms, text: formatDuration(s.ms) },
          { value: s.detail, cls: 'detail' },
        ]),
        rowKey: (_, i) => r.funnel[i]!.name,
        exports: tableActions(
          msg('funnel table'),
          () => `${base}-table`,
          () => [FUNNEL_HEAD, ...funnelRows(r)],
        ),
      })}
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-funnel': RecommendFunnel;
  }
}
