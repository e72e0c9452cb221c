/**
 * <ks-recommend-lists>: the four final lists side by side. Items are chips coloured by category with the
 * item id, held-out clicks marked (✓ and a border); hover or focus shows the chip's relevance and gain
 * (title and a live line below). Each list is one tab stop: arrow keys, Home and End move between chips.
 * Under each list: its NDCG@10, ILD, coverage and KL.
 */
import { html, nothing } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, property, state } from 'lit/decorators.js';
import type { ListEntry, RecommendResult } from '../../engine/recommend/types';
import { RERANK_METHODS, type RerankMethod } from '../../kernels/recommend/spec';
import { labStyles, sharedStyles } from '../common/styles';
import { categoryColor, categoryName, chipTextColor, metricText, paramSymbol, paramText } from './palette';
import { recommendStyles } from './styles';
import { methodLabel, nOfM } from './text';
import { KsElement } from '../common/localized';

export type ListsView = Pick<
  RecommendResult,
  'lists' | 'metrics' | 'lambda' | 'theta' | 'method' | 'categories' | 'user'
>;

/** What the re-ranker's gain is for each method (RerankResult.gains). */
function gainName(m: RerankMethod): string {
  switch (m) {
    case 'relevance':
      return msg('score (relevance)');
    case 'mmr':
      return msg('MMR score');
    case 'dpp':
      return msg('DPP gain d²');
    case 'calibration':
      return msg('calibrated objective');
  }
}

/** "Relevance only", "MMR (λ = 0.5)", "DPP (θ = 0.5)", "Calibration (λ = 0.5)". */
export function listHeading(method: RerankMethod, r: Pick<ListsView, 'lambda' | 'theta'>): string {
  if (method === 'relevance') return methodLabel('relevance');
  const v = method === 'dpp' ? r.theta : r.lambda;
  return msg(str`${methodLabel(method)} (${paramSymbol(method)} = ${paramText(v)})`, {
    id: 'recommend.list-heading',
  });
}

/** A chip's tooltip: "Item 372, rank 1, category C0: relevance 0.912, MMR score 0.456; a held-out click". */
export function chipTitle(method: RerankMethod, e: ListEntry, rank: number): string {
  const gain = Math.abs(e.gain) < 1e-3 && e.gain !== 0 ? e.gain.toExponential(2) : e.gain.toFixed(3);
  const category = categoryName(e.category);
  const relevance = e.relevance.toFixed(3);
  const name = gainName(method);
  return e.clicked
    ? msg(
        str`Item ${e.item}, rank ${rank}, category ${category}: relevance ${relevance}, ${name} ${gain}; a held-out click`,
      )
    : msg(
        str`Item ${e.item}, rank ${rank}, category ${category}: relevance ${relevance}, ${name} ${gain}; not clicked`,
      );
}

@customElement('ks-recommend-lists')
export class RecommendLists extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @property({ attribute: false }) result: ListsView | null = null;

  /** The chip that has each list's tab stop, and the text of the chip hovered or focused last. */
  @state() private active: Partial<Record<RerankMethod, number>> = {};
  @state() private detail = '';

  private onKey(method: RerankMethod, count: number, e: KeyboardEvent) {
    const at = this.active[method] ?? 0;
    const next =
      e.key === 'ArrowRight' || e.key === 'ArrowDown'
        ? Math.min(count - 1, at + 1)
        : e.key === 'ArrowLeft' || e.key === 'ArrowUp'
          ? Math.max(0, at - 1)
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? count - 1
              : null;
    if (next === null) return;
    e.preventDefault();
    this.active = { ...this.active, [method]: next };
    void this.updateComplete.then(() =>
      this.renderRoot
        .querySelector<HTMLElement>(`ol[data-method="${method}"] li[data-rank="${next + 1}"]`)
        ?.focus(),
    );
  }

  private renderList(method: RerankMethod, r: ListsView) {
    const list = r.lists[method] ?? [];
    const m = r.metrics[method];
    const heading = listHeading(method, r);
    const active = Math.min(this.active[method] ?? 0, Math.max(0, list.length - 1));
    const clicks = list.filter((e) => e.clicked).length;
    return html`<div class="list ${method === r.method ? 'selected' : ''}" data-method=${method}>
      <h4 id=${`list-${method}`}>
        ${heading}${method === r.method ? html` <span class="badge">${msg('selected')}</span>` : nothing}
      </h4>
      <ol
        class="chips"
        data-method=${method}
        aria-labelledby=${`list-${method}`}
        @keydown=${(e: KeyboardEvent) => this.onKey(method, list.length, e)}
      >
        ${list.map((e, k) => {
          const title = chipTitle(method, e, k + 1);
          const bg = categoryColor(e.category);
          const show = () => (this.detail = msg(str`${heading}: ${title}`, { id: 'recommend.chip-detail' }));
          return html`<li
            class="chip ${e.clicked ? 'clicked' : ''}"
            data-rank=${k + 1}
            data-item=${e.item}
            data-category=${e.category}
            tabindex=${k === active ? 0 : -1}
            title=${title}
            aria-label=${title}
            style=${`background:${bg};color:${chipTextColor(bg)}`}
            @mouseenter=${show}
            @focus=${() => {
              this.active = { ...this.active, [method]: k };
              show();
            }}
          >
            ${e.item}
          </li>`;
        })}
      </ol>
      ${
        m
          ? html`<dl class="metrics">
              <dt>NDCG@10</dt>
              <dd data-metric="ndcg10">${metricText(m.ndcg10, 3)}</dd>
              <dt>ILD</dt>
              <dd data-metric="ild">${metricText(m.ild, 3)}</dd>
              <dt>${msg('Coverage')}</dt>
              <dd data-metric="coverage">${nOfM(m.coverage, r.categories)}</dd>
              <dt>KL(p ‖ q̃)</dt>
              <dd data-metric="kl">${metricText(m.kl, 3)}</dd>
              <dt>${msg('Clicked')}</dt>
              <dd data-metric="clicks">${nOfM(clicks, list.length)}</dd>
            </dl>`
          : nothing
      }
    </div>`;
  }

  override render() {
    const r = this.result;
    if (!r) return html``;
    return html`<section class="panel lists-panel" aria-labelledby="lists-heading">
      <h3 id="lists-heading">${msg('Lists')}</h3>
      <p class="muted small">
        ${msg(
          str`User ${r.user}'s top ${r.lists.relevance?.length ?? 0} from each re-ranker. Chips are coloured by category; ✓ marks a held-out click. Hover or focus a chip for its scores; arrow keys move within a list.`,
        )}
      </p>
      <div class="lists">${RERANK_METHODS.map((m) => this.renderList(m, r))}</div>
      <p class="chip-detail" aria-live="polite">${this.detail}</p>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-lists': RecommendLists;
  }
}
