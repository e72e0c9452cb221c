import { expect, test, type Page } from '@playwright/test';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';

interface ListsExport {
  lab: string;
  seed: number;
  user: number;
  method: string;
  lambda: number;
  theta: number;
  candidates: Array<{ item: number; category: number; relevance: number }>;
  embeddings: number[][];
  lists: Record<'relevance' | 'mmr' | 'dpp' | 'calibration', number[]>;
  metrics: Record<string, { ndcg10: number; ild: number; coverage: number; kl: number }>;
  history: number[];
  ranker: { auc: number; prerankAuc: number; weights: string; trainSteps: number };
  backend: string;
}

const answer = (page: Page) => page.getByRole('region', { name: 'The answer' });

test('Recommendation lab: the funnel, the narrow-taste user, exports', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/recommend');
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Recommendation');
  await expectWebGpuBadge(page);
  await expect(answer(page)).toBeVisible({ timeout: 90_000 });
  await screenshot(page, 'recommend');
  const out = (await downloadJson(page, 'Export lists (JSON)')) as ListsExport;
  console.log(
    JSON.stringify({
      metrics: out.metrics,
      ranker: out.ranker,
      lists: out.lists,
      cats: out.candidates.map((c) => c.category),
    }),
  );
  expect(problems).toEqual([]);
});
