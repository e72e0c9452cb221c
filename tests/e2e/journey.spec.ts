import { expect, test, type Page } from '@playwright/test';
import { SCREENSHOTS, downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';

// The journey the user named, as a person would take it: open the app, step through diffusion, toggle
// the causal mask, view the weights, come back with the browser's Back button — and every lab on the
// way loads without console errors. Saves a screenshot of every lab page (tests/e2e/screenshots/).

const current = (page: Page) => page.getByRole('status', { name: 'Current step' });
const navLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Labs' }).getByRole('link', { name, exact: true });

test('journey: start page → Diffusion steps → Masked attention causal weights → Back to Diffusion', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./');
  await expect(navLink(page, 'Start')).toHaveAttribute('aria-current', 'page');
  await expectWebGpuBadge(page);
  await screenshot(page, 'journey-start');

  // Diffusion via the nav link; step forward a few times.
  await navLink(page, 'Diffusion').click();
  await expect(page).toHaveURL(/#\/diffusion\?/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Diffusion');
  await expect(current(page)).toHaveText('t = 100');
  await page.getByRole('combobox', { name: 'Dataset', exact: true }).selectOption('swiss-roll');
  await expect(page).toHaveURL(/dataset=swiss-roll/);
  await expect(current(page)).toHaveText('t = 100');
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (const t of [99, 98, 97, 96]) {
    await forward.click();
    await expect(current(page)).toHaveText(`t = ${t}`);
  }
  await screenshot(page, 'journey-diffusion');

  // Masked attention: toggle the causal mask, export the weights, the upper triangle is 0.
  await navLink(page, 'Masked attention').click();
  await expect(page).toHaveURL(/#\/attention\?/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Masked attention');
  const done = page.locator('.results[aria-busy="false"] .backend-line');
  await expect(done).toContainText(/mask none/);
  const causal = page.getByRole('checkbox', { name: /Causal mask/ });
  await causal.check();
  await expect(page).toHaveURL(/mask=causal/);
  await expect(done).toContainText(/mask causal/);
  const e = (await downloadJson(page, 'Export weights (JSON)')) as {
    mask: string;
    heads: number;
    L: number;
    weights: number[][][];
  };
  expect(e.mask).toBe('causal');
  expect(e.L).toBeGreaterThan(1);
  for (let h = 0; h < e.heads; h++)
    for (let q = 0; q < e.L; q++) {
      for (let k = q + 1; k < e.L; k++) expect(e.weights[h]![q]![k], `head ${h} (${q}, ${k})`).toBe(0);
      expect(e.weights[h]![q]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  await screenshot(page, 'journey-attention');

  // Back (once per history entry the attention page added) returns to Diffusion with its state kept.
  for (let i = 0; i < 4 && !/#\/diffusion/.test(page.url()); i++) await page.goBack();
  await expect(page).toHaveURL(/#\/diffusion\?/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Diffusion');
  await expect(page.getByRole('combobox', { name: 'Dataset', exact: true })).toHaveValue('swiss-roll');
  // Its controls are kept (they live in the URL), and so is the chain: the same t.
  await expect(current(page)).toHaveText('t = 96');
  // Forward returns to the attention page, causal mask still on.
  for (let i = 0; i < 4 && !/mask=causal/.test(page.url()); i++) await page.goForward();
  await expect(causal).toBeChecked();

  // The other labs load too.
  await navLink(page, 'Random numbers').click();
  await expect(page).toHaveURL(/#\/random\?/);
  await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
  await screenshot(page, 'journey-random');
  await navLink(page, 'BatchNorm').click();
  await expect(page).toHaveURL(/#\/batchnorm/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('BatchNorm');
  // Its first look at a batch (step 0) is shown, with the charts drawn in the same render.
  await expect(page.getByRole('status', { name: 'Training status' })).toContainText('step 0');
  await screenshot(page, 'journey-batchnorm');
  expect(problems).toEqual([]);
});

test('journey: the header at 400 px wide still shows the nav, the badge and the controls', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 400, height: 800 });
  await page.goto('./#/diffusion');
  await expect(current(page)).toHaveText('t = 100');
  for (const name of [
    'Start',
    'Random numbers',
    'Masked attention',
    'Diffusion',
    'BatchNorm',
    'Recommendation',
  ])
    await expect(navLink(page, name)).toBeInViewport();
  await expect(page.getByRole('status', { name: 'Compute backend' })).toBeInViewport();
  await expect(page.getByRole('combobox', { name: 'Theme' })).toBeInViewport();
  await expect(page.getByRole('button', { name: 'Keyboard shortcuts' })).toBeInViewport();
  // Nothing in the header sticks out sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The Diffusion lab's noise-schedule charts fit the narrow screen (one column), nothing cut off.
  const schedules = page.locator('svg.schedule-plot');
  await schedules.scrollIntoViewIfNeeded();
  const box = (await schedules.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(400);
  const plot = (await page.locator('svg.scatter-axes').first().boundingBox())!;
  expect(plot.x + plot.width).toBeLessThanOrEqual(400);
  await screenshot(page, 'journey-narrow');
  await page.screenshot({ path: `${SCREENSHOTS}/journey-narrow-top.png` }); // the first screenful
  expect(problems).toEqual([]);
});

test('journey: the Diffusion chain keeps its step t across navigation (links and the browser Back)', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/diffusion?T=50&particles=1000');
  await expect(current(page)).toHaveText('t = 50');
  const forward = page.getByRole('button', { name: 'Step forward' });
  for (let i = 0; i < 5; i++) await forward.click();
  await expect(current(page)).toHaveText('t = 45');
  const before = (await downloadJson(page, 'Export samples (JSON)')) as { t: number; points: number[][] };

  // Away by a link, back by a link.
  await navLink(page, 'Masked attention').click();
  await expect(page).toHaveURL(/#\/attention\?/);
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toBeVisible();
  await navLink(page, 'Diffusion').click();
  await expect(page).toHaveURL(/#\/diffusion\?/);
  await expect(current(page)).toHaveText('t = 45');
  const after = (await downloadJson(page, 'Export samples (JSON)')) as { t: number; points: number[][] };
  expect(after.t).toBe(45);
  expect(after.points).toEqual(before.points); // the same particles, not a re-run

  // Step on, away again, and back with the browser's Back button.
  await forward.click();
  await expect(current(page)).toHaveText('t = 44');
  await navLink(page, 'Random numbers').click();
  await expect(page).toHaveURL(/#\/random\?/);
  await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
  for (let i = 0; i < 4 && !/#\/diffusion/.test(page.url()); i++) await page.goBack();
  await expect(page).toHaveURL(/#\/diffusion\?/);
  await expect(current(page)).toHaveText('t = 44');
  // The chain still steps on from there.
  await forward.click();
  await expect(current(page)).toHaveText('t = 43');
  expect(problems).toEqual([]);
});
