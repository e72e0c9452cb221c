/**
 * The Recommendation lab's words in the interface language: the re-rankers' names and the funnel stages'
 * labels and details. The result and the exports keep English (METHOD_LABELS, FunnelStage.label/detail:
 * the documented formats); the views show these. In English they read exactly as the result's own words
 * (tests/unit/recommend-text.test.ts).
 */
import { msg, str } from '@lit/localize';
import type { FunnelStage, RecommendResult } from '../../engine/recommend/types';
import { FUNNEL, FUNNEL_SLOTS } from '../../kernels/recommend/funnel-spec';
import type { RerankMethod } from '../../kernels/recommend/spec';

/** A re-ranker's name: "Relevance only", "MMR", "DPP", "Calibration". */
export function methodLabel(m: RerankMethod): string {
  switch (m) {
    case 'relevance':
      return msg('Relevance only');
    case 'mmr':
      return 'MMR';
    case 'dpp':
      return 'DPP';
    case 'calibration':
      return msg('Calibration');
  }
}

/** Every re-ranker's name, for the charts' legends. */
export function methodLabels(): Record<RerankMethod, string> {
  return {
    relevance: methodLabel('relevance'),
    mmr: methodLabel('mmr'),
    dpp: methodLabel('dpp'),
    calibration: methodLabel('calibration'),
  };
}

/** The method as the re-rank stage's detail names it: its id in English ("mmr"), its name in Chinese. */
function methodId(m: RerankMethod): string {
  switch (m) {
    case 'relevance':
      return msg('relevance', { id: 'recommend.method-id.relevance' });
    case 'mmr':
      return msg('mmr', { id: 'recommend.method-id.mmr' });
    case 'dpp':
      return msg('dpp', { id: 'recommend.method-id.dpp' });
    case 'calibration':
      return msg('calibration', { id: 'recommend.method-id.calibration' });
  }
}

/** A stage's label: "Catalogue", "Recall (3 channels)", "Pre-rank", "Rank (MLP)", "Re-rank". */
export function stageLabel(name: FunnelStage['name']): string {
  switch (name) {
    case 'catalogue':
      return msg('Catalogue');
    case 'recall':
      return msg('Recall (3 channels)');
    case 'pre-rank':
      return msg('Pre-rank');
    case 'rank':
      return msg('Rank (MLP)');
    case 're-rank':
      return msg('Re-rank');
  }
}

type StageFacts = Pick<RecommendResult, 'categories' | 'users' | 'method'>;

function stageDetail(s: FunnelStage, r: StageFacts): string {
  const f = FUNNEL;
  let detail: string;
  switch (s.name) {
    case 'catalogue':
      return msg(str`${r.categories} categories, Zipf sizes and popularity`);
    case 'recall':
      detail = msg(
        str`U·Vᵀ → top ${f.recallK}, + ${f.popularK} popular, + ${f.recentK} of the recent category; ${FUNNEL_SLOTS} slots, duplicates and history removed`,
      );
      break;
    case 'pre-rank':
      detail = msg(str`u·v + β·log pop (β = 0.1) → top ${f.prerankK}`);
      break;
    case 'rank':
      detail = msg(str`MLP on [u, v, u⊙v, log pop] → click probability → top ${f.rankK}`);
      break;
    case 're-rank':
      detail = msg(
        str`${methodId(r.method)} to ${f.listN}, plus the λ/θ sweep of every method for ${r.users} users`,
      );
      break;
  }
  return s.cold
    ? msg(str`${detail} (timed on its first run on this device: includes compiling its shaders)`)
    : detail;
}

/** A stage with its label and detail in the interface language (for the chart, the table, the answer). */
export function stageText(s: FunnelStage, r: StageFacts): FunnelStage {
  return { ...s, label: stageLabel(s.name), detail: stageDetail(s, r) };
}

/** "a, b, c and d" in the interface language (the funnel's steps in the answer). */
export function joinSteps(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  const head = items.slice(0, -1).join(msg(', ', { id: 'recommend.steps-separator' }));
  const last = items.at(-1)!;
  return msg(str`${head} and ${last}`, { id: 'recommend.steps-and' });
}

/** "a, b, c" as an enumeration of short items (tastes, parameters, stage times). */
export function enumerate(items: readonly string[]): string {
  return items.join(msg(', ', { id: 'recommend.enumeration-separator' }));
}

/** "5 of 12" (coverage of the categories, clicks in a list). */
export function nOfM(n: number, m: number): string {
  return msg(str`${n} of ${m}`, { id: 'recommend.n-of-m' });
}
