/**
 * <ks-recommend-answer>: the two interview answers in a few sentences, every number computed from the
 * result passed in (funnel counts and times, the ranker's AUC, the selected user's lists, the sweep over
 * all users) and the wording following the numbers (narrow or broad taste, diversity costing accuracy or
 * not). The sentence builders are exported for tests.
 */
import { html } from 'lit';
import { msg, str } from '@lit/localize';
import { customElement, property } from 'lit/decorators.js';
import type { ListMetrics, RecommendResult, SweepCurve } from '../../engine/recommend/types';
import type { RerankMethod } from '../../kernels/recommend/spec';
import { formatCount, formatDuration, formatPercent } from '../../util/format';
import { backendPhrase, backendTagOf } from '../common/backend';
import { labStyles, sharedStyles } from '../common/styles';
import { categoryName, metricText, paramSymbol, paramText } from './palette';
import { recommendStyles } from './styles';
import { enumerate, joinSteps, methodLabel, stageText } from './text';
import { KsElement } from '../common/localized';

export type AnswerView = Pick<
  RecommendResult,
  | 'funnel'
  | 'ranker'
  | 'users'
  | 'backend'
  | 'adapter'
  | 'user'
  | 'taste'
  | 'historyDist'
  | 'categories'
  | 'metrics'
  | 'method'
  | 'lambda'
  | 'theta'
  | 'sweep'
  | 'baseline'
>;

/** A sweep point counts as "accurate" when its mean NDCG@10 is within this fraction of the baseline's. */
export const NDCG_TOLERANCE = 0.05;
/** A history whose largest category has at least this share is called narrow. */
export const NARROW_SHARE = 0.6;

const f3 = (v: number) => metricText(v, 3);
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${f3(Math.abs(v))}`;

/** "16,384 items become 600 per user in Recall (…), 100 in Pre-rank (…) … and 10 in Re-rank (…)". */
export function pipelineAnswer(r: AnswerView): string[] {
  const funnel = r.funnel.map((s) => stageText(s, r));
  const [first, ...rest] = funnel;
  if (!first) return [];
  const steps = rest.map((s, i) => {
    const items = formatCount(s.items);
    const what = i === 0 ? msg(str`${items} per user in ${s.label}`) : msg(str`${items} in ${s.label}`);
    return s.detail ? msg(str`${what} (${s.detail})`, { id: 'recommend.step-detail' }) : what;
  });
  const out = [
    msg(
      str`A recommender is a funnel of ever more expensive models on ever fewer items: here the catalogue of ${formatCount(first.items)} items becomes ${joinSteps(steps)}.`,
    ),
  ];
  const { weights, trainSteps } = r.ranker;
  const [auc, prerankAuc] = [f3(r.ranker.auc), f3(r.ranker.prerankAuc)];
  const ranker =
    weights === 'shipped'
      ? msg('The MLP ranker (shipped seeded weights)')
      : msg(str`The MLP ranker (trained for ${formatCount(trainSteps)} steps in this page)`);
  out.push(
    r.ranker.auc > r.ranker.prerankAuc
      ? msg(
          str`${ranker} has a held-out AUC of ${auc} against ${prerankAuc} for the pre-rank score: the better model is worth its cost on the few items that reach it.`,
        )
      : msg(
          str`${ranker} has a held-out AUC of ${auc}, which does not beat the pre-rank score's ${prerankAuc}: here the expensive stage does not earn its cost yet.`,
        ),
  );
  const timed = funnel.filter((s) => s.ms !== null && Number.isFinite(s.ms));
  if (timed.length) {
    const total = formatDuration(timed.reduce((a, s) => a + s.ms!, 0));
    const backend = backendPhrase(backendTagOf(r.backend, r.adapter));
    const parts = enumerate(timed.map((s) => `${s.label} ${formatDuration(s.ms!)}`));
    out.push(
      msg(str`For all ${formatCount(r.users)} users the stages took ${total} (${parts}) on ${backend}.`),
    );
  }
  return out;
}

/** "MMR at λ = 0.5". */
function setting(method: RerankMethod, value: number): string {
  if (method === 'relevance') return methodLabel('relevance');
  return msg(str`${methodLabel(method)} at ${paramSymbol(method)} = ${paramText(value)}`);
}

export interface TradeOff {
  curve: SweepCurve;
  value: number;
  metrics: ListMetrics;
}

/**
 * The sweep point (of any method) with the most coverage among those whose mean NDCG@10 is at least
 * (1 − NDCG_TOLERANCE)·baseline; ties go to the higher NDCG@10, then to the earlier point. Null if none.
 */
export function bestTradeOff(sweep: readonly SweepCurve[], baseline: ListMetrics): TradeOff | null {
  let best: TradeOff | null = null;
  const floor = (1 - NDCG_TOLERANCE) * baseline.ndcg10;
  for (const curve of sweep)
    for (const p of curve.points) {
      const m = p.metrics;
      if (!(m.ndcg10 >= floor)) continue;
      const better =
        !best ||
        m.coverage > best.metrics.coverage ||
        (m.coverage === best.metrics.coverage && m.ndcg10 > best.metrics.ndcg10);
      if (better) best = { curve, value: p.value, metrics: m };
    }
  return best;
}

/** The narrow-taste answer: the selected user's lists, then the sweep over all users, then the lesson. */
export function diversityAnswer(r: AnswerView): string[] {
  const out: string[] = [];
  let top = 0;
  r.historyDist.forEach((p, c) => p > (r.historyDist[top] ?? 0) && (top = c));
  const share = formatPercent(r.historyDist[top] ?? 0);
  const taste = enumerate(
    r.taste
      .map((t, c) => ({ t, c }))
      .filter((x) => x.t >= 0.01)
      .sort((a, b) => b.t - a.t || a.c - b.c)
      .slice(0, 3)
      .map((x) => `${formatPercent(x.t)} ${categoryName(x.c)}`),
  );
  const cat = categoryName(top);
  out.push(
    (r.historyDist[top] ?? 0) >= NARROW_SHARE
      ? msg(
          str`User ${r.user}'s history is ${share} category ${cat} (true taste: ${taste}), a narrow taste: the most relevant items all come from one place.`,
        )
      : msg(
          str`User ${r.user}'s history is ${share} category ${cat} (true taste: ${taste}), a fairly broad taste, so relevance alone already mixes categories.`,
        ),
  );
  const rel = r.metrics.relevance;
  out.push(
    msg(
      str`Relevance only covers ${rel.coverage} of ${r.categories} categories with NDCG@10 ${f3(rel.ndcg10)} (ILD ${f3(rel.ild)}, KL ${f3(rel.kl)}).`,
    ),
  );
  const others: RerankMethod[] = (['mmr', 'dpp', 'calibration'] as const).filter((m) => r.metrics[m]);
  others.sort((a, b) => Number(b === r.method) - Number(a === r.method));
  const clauses = others.map((m) => {
    const x = r.metrics[m];
    const v = m === 'dpp' ? r.theta : r.lambda;
    return msg(
      str`${setting(m, v)} covers ${x.coverage} at NDCG@10 ${f3(x.ndcg10)} (${signed(x.ndcg10 - rel.ndcg10)}, KL ${f3(x.kl)})`,
    );
  });
  if (clauses.length) {
    const all = clauses.join(msg('; ', { id: 'recommend.clause-separator' }));
    out.push(msg(str`${all}.`, { id: 'recommend.clauses-sentence' }));
  }
  // No sweep (not computed on this backend): nothing over all users to point at.
  if (r.sweep.every((c) => c.points.length === 0)) return out;
  const b = r.baseline;
  const best = bestTradeOff(r.sweep, b);
  const users = formatCount(r.users);
  if (!best || !(best.metrics.coverage > b.coverage)) {
    out.push(
      msg(
        str`Averaged over all ${users} users, no sweep setting within ${formatPercent(NDCG_TOLERANCE)} of relevance only's NDCG@10 (${f3(b.ndcg10)}) covers more than its ${b.coverage.toFixed(1)} categories — see the Trade-off curves for what each extra category costs.`,
      ),
    );
    return out;
  }
  const m = best.metrics;
  const gain = m.ndcg10 - b.ndcg10;
  out.push(
    msg(
      str`Averaged over all ${users} users, ${setting(best.curve.method, best.value)} raises coverage from ${b.coverage.toFixed(1)} to ${m.coverage.toFixed(1)} categories while NDCG@10 goes from ${f3(b.ndcg10)} to ${f3(m.ndcg10)} (${signed(gain)}) — see the Trade-off curve of NDCG@10 against coverage.`,
    ),
  );
  const perCategory = -gain / (m.coverage - b.coverage);
  out.push(
    gain >= 0
      ? msg(
          'So: keep the accurate ranker and re-rank its top candidates with a diversity term, choosing λ or θ on that curve; here it costs no accuracy: the diverse lists hit the held-out clicks better than relevance alone.',
        )
      : msg(
          str`So: keep the accurate ranker and re-rank its top candidates with a diversity term, choosing λ or θ on that curve; here each extra category costs about ${f3(perCategory)} NDCG@10.`,
        ),
  );
  return out;
}

@customElement('ks-recommend-answer')
export class RecommendAnswer extends KsElement {
  static override styles = [sharedStyles, labStyles, recommendStyles];

  @property({ attribute: false }) result: AnswerView | null = null;

  override render() {
    const r = this.result;
    if (!r) return html``;
    return html`<section class="panel answer" aria-labelledby="answer-heading">
      <h3 id="answer-heading">${msg('The answer')}</h3>
      <h4 id="answer-pipeline">${msg('Describe the recommendation pipeline')}</h4>
      <p data-answer="pipeline">${pipelineAnswer(r).join(' ')}</p>
      <h4 id="answer-diversity">
        ${msg('A user with narrow tastes: how do you recommend diversely yet accurately?')}
      </h4>
      <p data-answer="diversity">${diversityAnswer(r).join(' ')}</p>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-recommend-answer': RecommendAnswer;
  }
}
