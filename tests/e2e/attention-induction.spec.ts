import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { downloadJson, expectWebGpuBadge, screenshot } from './helpers';

interface ModelExport {
  lab: string;
  model: string;
  layer: number;
  scores: { previousToken: number[][]; prefixMatching: number[][] | null };
  tokens: string[];
  mask: string;
  heads: number;
  L: number;
  d: number;
  weights: number[][][];
  backend: string;
}

async function waitForRun(page: Page, text: RegExp) {
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(text);
}

/** The numbers behind a head's row of the scores table. */
async function headRow(page: Page, layer: number, head: number) {
  const row = page.locator(`.induction tr[data-head="${layer}.${head}"]`);
  const values = await row
    .locator('td[data-value]')
    .evaluateAll((tds) => tds.map((td) => Number((td as HTMLElement).dataset.value)));
  return { previousToken: values[0]!, prefixMatching: values[1]!, zeroedLoss: values[2]! };
}

const secondCopyLoss = (page: Page) =>
  page
    .locator('.copy-losses strong')
    .nth(1)
    .getAttribute('data-value')
    .then((v) => Number(v));

test('Attention lab: the induction model — train it in the page, read its heads, ablate, export', async ({
  page,
}) => {
  await page.goto('./#/attention');
  await expectWebGpuBadge(page);
  await waitForRun(page, /mask none/);
  const model = page.getByRole('combobox', { name: 'Model' });
  // No trained weights ship with this build yet: the lab says so and keeps working.
  await model.selectOption({ label: 'Induction model (trained)' });
  await expect(page).toHaveURL(/model=induction/);
  await expect(page).toHaveURL(/mask=causal/);
  await expect(page.getByRole('alert')).toContainText('This build ships no trained induction model');

  await model.selectOption({ label: 'Trained in this page' });
  await expect(page.getByRole('alert')).toContainText('No model has been trained in this page yet');
  const trainer = page.getByRole('region', { name: 'Train the induction model in this page' });
  await trainer.getByRole('combobox', { name: 'Steps' }).selectOption('500');
  await trainer.getByRole('button', { name: 'Train the induction model' }).click();
  // The first snapshot (about a second in) becomes the lab's model; the software adapter is slow, so stop there.
  await waitForRun(page, /4 heads · L = 64 · d = 16 .*mask causal/);
  await expect(page.getByText(/trained in this page: \d+ steps?/).first()).toBeVisible();
  await trainer.getByRole('button', { name: 'Cancel' }).click();
  await expect(trainer.getByRole('button', { name: 'Train the induction model' })).toBeEnabled();
  await expect(page.getByRole('heading', { name: /Induction model: layer 1 of 2/ })).toBeVisible();

  // Every head of both layers is scored on the generated sequence (BOS, filler, a block of 12, its repeat).
  await expect(page.getByText(/a block of 12 tokens at positions/)).toBeVisible();
  const row = await headRow(page, 1, 2);
  expect(row.previousToken).toBeGreaterThan(0);
  expect(row.prefixMatching).toBeGreaterThan(0);
  // The lab's GPU weights of the layer shown agree with the model's float64 forward.
  const agreement = Number(await page.locator('[data-agreement]').getAttribute('data-agreement'));
  expect(agreement).toBeLessThan(1e-5);
  const base = await secondCopyLoss(page);
  expect(base).toBeGreaterThan(0);
  await screenshot(page, 'attention-induction');

  // Zero a head: the URL keeps it and the second-copy loss becomes the one its row predicted.
  await page.getByRole('checkbox', { name: 'Zero layer 1 head 3' }).check();
  await expect(page).toHaveURL(/ablate=1\.2/);
  await expect.poll(() => secondCopyLoss(page)).toBeCloseTo(row.zeroedLoss, 9);
  await page.getByRole('button', { name: 'Zero none' }).click();
  await expect.poll(() => secondCopyLoss(page)).toBeCloseTo(base, 9);

  // The export carries the model, the layer shown and every head's scores.
  const e = (await downloadJson(page, 'Export weights (JSON)')) as ModelExport;
  expect(e).toMatchObject({
    lab: 'attention',
    model: 'trained',
    layer: 1,
    mask: 'causal',
    heads: 4,
    L: 64,
    d: 16,
  });
  expect(e.tokens[0]).toBe('⟨BOS⟩');
  expect(e.scores.previousToken).toHaveLength(2);
  expect(e.scores.prefixMatching![1]![2]).toBeCloseTo(row.prefixMatching, 9);
  expect(e.weights[0]![0]![1]).toBe(0);

  // Layer 0, then a typed sequence with a repeat, then a bad one (refused, the last good one stays).
  await page.getByRole('combobox', { name: 'Layer' }).selectOption('0');
  await expect(page.getByRole('heading', { name: /layer 0 of 2/ })).toBeVisible();
  const tokens = page.getByRole('textbox', { name: /Token sequence/ });
  await tokens.fill('KelpQxZ9KelpQxZ9');
  await tokens.press('Enter');
  await expect(page).toHaveURL(/tokens=KelpQxZ9KelpQxZ9/);
  await waitForRun(page, /L = 17 /);
  await expect(page.getByText(/block of 8 tokens at positions 1–8/)).toBeVisible();
  await tokens.fill('ab!c');
  await tokens.press('Enter');
  await expect(page.getByRole('alert')).toContainText('“!” (character 3) is not a token');
  await expect(page).toHaveURL(/tokens=KelpQxZ9KelpQxZ9/);

  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
});
