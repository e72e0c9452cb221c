/**
 * The Recommendation lab as a person uses it: the funnel, the narrow-taste user's lists, the λ/θ controls
 * (in the URL, by keyboard), the trade-off curves, the ranker's AUC, the exports' contract, the CPU backend
 * and bad links. On the software adapter the lab runs 32 users × 4,096 items (the notice says so).
 */
import { expect, test, type Page } from '@playwright/test';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';
import { csvNumber, downloadText, parseCsv } from './downloads';

type Method = 'relevance' | 'mmr' | 'dpp' | 'calibration';
interface Metrics {
  ndcg10: number;
  ild: number;
  coverage: number;
  kl: number;
}
interface ListsExport {
  lab: string;
  seed: number;
  user: number;
  method: string;
  lambda: number;
  theta: number;
  items: number;
  users: number;
  candidates: Array<{ item: number; category: number; relevance: number }>;
  embeddings: number[][];
  lists: Record<Method, number[]>;
  metrics: Record<Method, Metrics>;
  history: number[];
  ranker: { auc: number; prerankAuc: number; weights: string; trainSteps: number };
  backend: string;
}

const answer = (page: Page) => page.getByRole('region', { name: 'The answer' });
const exportLists = async (page: Page) => (await downloadJson(page, 'Export lists (JSON)')) as ListsExport;
/** Waits for the run of the current settings: the lists' heading names them. */
const settled = async (page: Page, text: RegExp) =>
  expect(page.getByRole('region', { name: 'Lists' })).toContainText(text, { timeout: 90_000 });

test('Recommendation lab: funnel, narrow-taste user, λ by keyboard, exports follow the contract', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./');
  await page
    .getByRole('main')
    .getByRole('link', { name: /Recommendation/ })
    .click();
  await expect(page).toHaveURL(/#\/recommend\?/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Recommendation');
  await expectWebGpuBadge(page);
  const software = /swiftshader|software/i.test(
    (await page.getByRole('status', { name: 'Compute backend' }).textContent()) ?? '',
  );
  await expect(answer(page)).toBeVisible({ timeout: 90_000 });
  if (software)
    await expect(page.getByText('A software adapter runs at most 32 users × 4,096 items')).toBeVisible();
  await expect(answer(page)).toContainText('Describe the recommendation pipeline');

  // The funnel: the catalogue, ≤ 600 merged candidates, 100, 50, 10 per user.
  const funnel = page.getByRole('table', { name: /Funnel stages/ });
  await expect(funnel.getByRole('row', { name: /^Re-rank/ })).toContainText('10');
  await expect(funnel.getByRole('row', { name: /^Pre-rank/ })).toContainText('100');

  const first = await exportLists(page);
  expect(Object.keys(first).sort()).toEqual(
    [
      'lab',
      'seed',
      'user',
      'method',
      'lambda',
      'theta',
      'items',
      'users',
      'candidates',
      'embeddings',
      'lists',
      'metrics',
      'history',
      'ranker',
      'backend',
    ].sort(),
  );
  expect(first).toMatchObject({
    lab: 'recommend',
    seed: 42,
    user: 0,
    method: 'mmr',
    lambda: 0.5,
    theta: 0.7,
  });
  expect(first.candidates).toHaveLength(50);
  expect(first.embeddings).toHaveLength(50);
  for (const v of first.embeddings) {
    expect(v).toHaveLength(32);
    expect(Math.abs(Math.hypot(...v) - 1)).toBeLessThan(1e-5);
  }
  // Candidates come ranked by the MLP's click probability, so relevance only is the first ten.
  const rel = first.candidates.map((c) => c.relevance);
  rel.forEach((r, i) => {
    expect(r).toBeGreaterThan(0);
    expect(r).toBeLessThan(1);
    if (i > 0) expect(r).toBeLessThanOrEqual(rel[i - 1]!);
  });
  expect(first.lists.relevance).toEqual(first.candidates.slice(0, 10).map((c) => c.item));
  const categoryOf = new Map(first.candidates.map((c) => [c.item, c.category]));
  for (const m of ['relevance', 'mmr', 'dpp', 'calibration'] as const) {
    expect(first.lists[m], m).toHaveLength(10);
    expect(new Set(first.lists[m]).size, m).toBe(10);
    // Coverage as exported is the list's distinct categories, recomputed here from the candidates.
    expect(first.metrics[m].coverage, m).toBe(new Set(first.lists[m].map((i) => categoryOf.get(i))).size);
  }
  // The narrow-taste user: her 30-item history is at least 85 % one category.
  const top = Math.max(
    ...[...new Set(first.history)].map((c) => first.history.filter((x) => x === c).length),
  );
  expect(top / first.history.length).toBeGreaterThanOrEqual(0.85);
  // The ranker beats the pre-rank score on held-out simulated clicks.
  expect(first.ranker.auc).toBeGreaterThan(first.ranker.prerankAuc);
  expect(String(first.backend)).toMatch(/swiftshader|nvidia|amd|intel|apple/i);
  await screenshot(page, 'recommend');

  // λ = 1 by keyboard: MMR is then relevance only.
  const slider = page.getByRole('slider', { name: /MMR λ/ });
  await slider.focus();
  await page.keyboard.press('End');
  await expect(page).toHaveURL(/lambda=1(&|$)/);
  await settled(page, /MMR \(λ = 1(\.00?)?\)/);
  const flat = await exportLists(page);
  expect(flat.lambda).toBe(1);
  expect(flat.lists.mmr).toEqual(flat.lists.relevance);

  // More diversity: λ = 0.3.
  await slider.fill('0.3');
  await expect(page).toHaveURL(/lambda=0\.3(&|$)/);
  await settled(page, /MMR \(λ = 0\.3/);
  const diverse = await exportLists(page);
  // For the narrow-taste user diversity costs no more than 0.05 of NDCG@10 (measured here: +0.034, since
  // MMR swaps near-duplicates of her main interest for other items); her 50 candidates span only 3
  // categories, which relevance only already covers, so coverage can only stay equal.
  expect(diverse.lists.mmr).not.toEqual(diverse.lists.relevance);
  expect(diverse.metrics.mmr.ndcg10).toBeGreaterThanOrEqual(diverse.metrics.relevance.ndcg10 - 0.05);
  expect(diverse.metrics.mmr.coverage).toBeGreaterThanOrEqual(diverse.metrics.relevance.coverage);
  // Calibration moves the list's categories towards her history's: a smaller KL(p ‖ q̃).
  expect(diverse.metrics.calibration.kl).toBeLessThan(diverse.metrics.relevance.kl);

  // The DPP, by its radio button: θ in the URL and its own slider.
  await page.getByRole('radio', { name: /DPP/ }).check();
  await expect(page).toHaveURL(/method=dpp/);
  await expect(page.getByRole('slider', { name: /DPP θ/ })).toBeVisible();

  // The trade-off over all users: some MMR λ covers at least half a category more than relevance only,
  // on average, for at most 0.02 of NDCG@10.
  await page.getByText('The sweep as a table').click();
  const sweep = parseCsv((await downloadText(page, 'Export sweep (CSV)')).text);
  expect(sweep[0]).toEqual(['method', 'parameter', 'value', 'NDCG@10', 'ILD', 'coverage', 'KL']);
  const rows = sweep
    .slice(1)
    .map((r) => ({ method: r[0]!, value: r[2]!, ndcg: csvNumber(r[3]!), coverage: csvNumber(r[5]!) }));
  const base = rows.find((r) => r.method === 'Relevance only')!;
  const mmr = rows.filter((r) => r.method === 'MMR');
  expect(mmr).toHaveLength(11);
  expect(rows.filter((r) => r.method === 'DPP')).toHaveLength(11);
  // λ = 1 is relevance only, for every user.
  expect(mmr.at(-1)!.ndcg).toBe(base.ndcg);
  expect(mmr.at(-1)!.coverage).toBe(base.coverage);
  const better = mmr.filter((r) => r.coverage >= base.coverage + 0.5 && r.ndcg >= base.ndcg - 0.02);
  expect(better.length, JSON.stringify({ base, mmr })).toBeGreaterThan(0);
  await screenshot(page, 'recommend-dpp');
  expect(problems).toEqual([]);
});

test('Recommendation lab: a bad link, a user beyond the users, the CPU backend and training the ranker', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/recommend?items=99999999&method=bogus&users=8&user=12&lambda=0.4');
  await expect(page.getByText(/Ignored .*items/)).toBeVisible();
  await expect(page.getByText('User 12 is not among the 8 users; showing user 7.')).toBeVisible({
    timeout: 90_000,
  });
  await expect(page.getByRole('radio', { name: 'MMR' })).toBeChecked();
  await expect(answer(page)).toBeVisible();

  // The CPU reference: fewer items, said so, and the same contract.
  await page.getByRole('combobox', { name: 'Backend', exact: true }).selectOption('cpu');
  await expect(page.getByText('The CPU reference runs at most 16 users × 2,048 items')).toBeVisible({
    timeout: 90_000,
  });
  const cpu = await exportLists(page);
  expect(cpu).toMatchObject({ lab: 'recommend', user: 7, users: 8, items: 2048, backend: 'CPU' });
  expect(cpu.lists.mmr).toHaveLength(10);
  await page.getByRole('combobox', { name: 'Backend', exact: true }).selectOption('gpu');

  // Train the ranker in the page (WGSL on the nn kernels): the URL says so and it still beats pre-rank.
  await page.getByRole('button', { name: 'Train the ranker in this page' }).click();
  await expect(page).toHaveURL(/ranker=trained/);
  const ranker = page.getByRole('region', { name: 'Ranker' });
  await expect(ranker).toContainText('trained in this page', { timeout: 90_000 });
  const trained = await exportLists(page);
  expect(trained.ranker.weights).toBe('trained');
  expect(trained.ranker.auc).toBeGreaterThan(trained.ranker.prerankAuc);
  await screenshot(page, 'recommend-trained');
  expect(problems).toEqual([]);
});
