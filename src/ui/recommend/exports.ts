/**
 * The Recommendation lab's exports (formats in the README): "Export lists (JSON)" — the contract:
 * {lab, seed, user, method, lambda, theta, candidates, embeddings, lists, metrics, history, backend} — and
 * the lists as CSV (the sweep, funnel and category tables export from their panels).
 */
import { msg } from '@lit/localize';
import { RERANK_METHODS } from '../../kernels/recommend/spec';
import { downloadCsv, downloadJson, type CsvRow } from '../common/export';
import type { ExportAction } from '../common/export-buttons';
import type { RecommendRun } from './session';

/** The JSON of "Export lists (JSON)". */
export function listsJson(run: RecommendRun) {
  const r = run.result;
  const lists = {} as Record<string, number[]>;
  const metrics = {} as Record<string, { ndcg10: number; ild: number; coverage: number; kl: number }>;
  for (const m of RERANK_METHODS) {
    lists[m] = r.lists[m].map((e) => e.item);
    metrics[m] = { ...r.metrics[m] };
  }
  return {
    lab: 'recommend',
    seed: r.seed,
    user: r.user,
    method: r.method,
    lambda: r.lambda,
    theta: r.theta,
    items: r.items,
    users: r.users,
    candidates: r.candidates.map((c) => ({ item: c.item, category: c.category, relevance: c.relevance })),
    embeddings: r.embeddings,
    lists,
    metrics,
    history: r.history,
    ranker: { ...r.ranker },
    backend: run.backendLabel,
  };
}

/** One row per (method, rank): method, rank, item, category, relevance, gain, clicked. */
function listRows(run: RecommendRun): CsvRow[] {
  const rows: CsvRow[] = [['method', 'rank', 'item', 'category', 'relevance', 'gain', 'clicked']];
  for (const m of RERANK_METHODS)
    run.result.lists[m].forEach((e, i) =>
      rows.push([m, i + 1, e.item, e.category, e.relevance, e.gain, e.clicked ? 1 : 0]),
    );
  return rows;
}

const base = (run: RecommendRun) => `kernelscope-recommend-seed${run.result.seed}-user${run.result.user}`;

export function listExports(run: RecommendRun): ExportAction[] {
  return [
    {
      label: msg('Export lists (JSON)'),
      primary: true,
      run: () => downloadJson(`${base(run)}.json`, listsJson(run)),
    },
    { label: msg('Export lists (CSV)'), run: () => downloadCsv(`${base(run)}-lists.csv`, listRows(run)) },
  ];
}
