import { expect, test } from '@playwright/test';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';
import { csvNumber, downloadText, parseCsv } from './downloads';

/** Reads the moments table as a user sees it: row header → empirical, theory and standard error. */
async function readMoments(page: import('@playwright/test').Page) {
  const table = page.getByRole('table', { name: 'Moments' });
  await expect(table).toBeVisible();
  const out: Record<string, { empirical: number; theory: number; se: number }> = {};
  for (const name of ['Mean', 'Variance', 'Skewness', 'Excess kurtosis']) {
    const row = table.getByRole('row', { name: new RegExp(`^${name}`) });
    const cells = row.getByRole('cell');
    out[name] = {
      empirical: Number(await cells.nth(0).textContent()),
      theory: Number(await cells.nth(1).textContent()),
      se: Number(await cells.nth(2).textContent()),
    };
  }
  return out;
}

test('Random lab: change count and transform, moments match theory, export works', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./');
  await page.getByRole('link', { name: 'Random numbers' }).first().click();
  await expect(page).toHaveURL(/#\/random\?/);
  await expect(page.getByRole('heading', { level: 2 })).toContainText('mean ½ and variance 1/12');
  await expectWebGpuBadge(page);

  await page.getByRole('combobox', { name: 'Sample count' }).selectOption('100000');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('0.083333');
  await expect(page).toHaveURL(/count=100000/);
  let m = await readMoments(page);
  expect(m.Mean!.theory).toBeCloseTo(0.5, 6);
  expect(m.Variance!.theory).toBeCloseTo(1 / 12, 6);
  for (const [name, v] of Object.entries(m)) {
    expect(Math.abs(v.empirical - v.theory), name).toBeLessThan(4 * v.se);
  }
  await screenshot(page, 'random-uniform');

  await page.getByRole('combobox', { name: 'Transform' }).selectOption('standardized');
  await expect(page).toHaveURL(/transform=standardized/);
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('U[−√3, √3)');
  m = await readMoments(page);
  expect(m.Mean!.theory).toBe(0);
  expect(m.Variance!.theory).toBe(1);
  for (const [name, v] of Object.entries(m))
    expect(Math.abs(v.empirical - v.theory), name).toBeLessThan(4 * v.se);

  await page.getByRole('combobox', { name: 'Transform' }).selectOption('box-muller');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('N(0, 1)');
  m = await readMoments(page);
  for (const [name, v] of Object.entries(m))
    expect(Math.abs(v.empirical - v.theory), name).toBeLessThan(4 * v.se);
  await screenshot(page, 'random-box-muller');

  const exported = (await downloadJson(page, 'Export moments (JSON)')) as Record<string, unknown>;
  expect(exported).toMatchObject({ lab: 'random', transform: 'box-muller', seed: 42, count: 100000 });
  expect(Object.keys(exported).sort()).toEqual(
    ['lab', 'transform', 'seed', 'count', 'mean', 'variance', 'skewness', 'excessKurtosis', 'backend'].sort(),
  );
  expect(Math.abs((exported.variance as number) - 1)).toBeLessThan(4 * Math.sqrt(2 / 100000));
  expect(String(exported.backend)).toMatch(/swiftshader|gpu|nvidia|amd|intel|apple/i);

  // The moments table as CSV and JSON: the same numbers as the page and the moments export.
  const tableCsv = parseCsv((await downloadText(page, 'Export moments table (CSV)')).text);
  expect(tableCsv[0]).toEqual(['moment', 'empirical', 'theory', 'standardError', 'z']);
  expect(tableCsv.slice(1).map((r) => r[0])).toEqual(['Mean', 'Variance', 'Skewness', 'Excess kurtosis']);
  const variance = tableCsv[2]!.map((c, j) => (j === 0 ? 0 : csvNumber(c)));
  expect(variance[1]).toBe(exported.variance);
  expect(variance[2]).toBe(1);
  expect(variance[4]).toBeCloseTo((variance[1]! - variance[2]!) / variance[3]!, 12);
  const tableJson = JSON.parse((await downloadText(page, 'Export moments table (JSON)')).text) as {
    lab: string;
    transform: string;
    count: number;
    rows: Array<{ moment: string; empirical: number; theory: number; standardError: number; z: number }>;
  };
  expect(tableJson).toMatchObject({ lab: 'random', transform: 'box-muller', count: 100000 });
  expect(tableJson.rows.map((r) => [r.moment, r.empirical, r.theory, r.standardError, r.z])).toEqual(
    tableCsv.slice(1).map((r) => [r[0], ...r.slice(1).map(csvNumber)]),
  );

  // The histogram counts as CSV and JSON agree and account for every sample.
  const histCsv = parseCsv((await downloadText(page, 'Export histogram (CSV)')).text);
  expect(histCsv[0]).toEqual(['bin_lo', 'bin_hi', 'count']);
  const hist = JSON.parse((await downloadText(page, 'Export histogram (JSON)')).text) as {
    lab: string;
    bins: number;
    lo: number;
    hi: number;
    counts: number[];
    underflow: number;
    overflow: number;
    count: number;
  };
  expect(hist).toMatchObject({ lab: 'random', bins: 64, lo: -5, hi: 5, count: 100000 });
  expect(hist.counts).toHaveLength(64);
  expect(histCsv.slice(1, 65).map((r) => csvNumber(r[2]!))).toEqual(hist.counts);
  expect(histCsv.slice(65).map((r) => csvNumber(r[2]!))).toEqual([hist.underflow, hist.overflow]);
  expect(hist.counts.reduce((a, b) => a + b, 0) + hist.underflow + hist.overflow).toBe(100000);
  expect(problems).toEqual([]);
});

test('Random lab: a copied link reproduces the view; invalid parameters fall back with a notice', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=7&count=10000&transform=irwin-hall&bins=32');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('Irwin–Hall(12) − 6');
  await expect(page.getByRole('combobox', { name: 'Bins' })).toHaveValue('32');
  await expect(page.getByRole('spinbutton', { name: 'Seed' })).toHaveValue('7');

  await page.goto('./#/random?seed=abc&count=5&transform=nope');
  await expect(page.getByText('Ignored count=5')).toBeVisible();
  await expect(page.getByText('Ignored transform=nope')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('U[0, 1)');
  await expect(page).toHaveURL(/seed=42&count=1000000&transform=uniform/);
  expect(problems).toEqual([]);
});

test('CPU backend: the same lab computed by the float64 reference, badge says CPU', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=1&count=10000&transform=uniform&bins=64&backend=cpu');
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText('CPU');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('U[0, 1)');
  const exported = (await downloadJson(page, 'Export moments (JSON)')) as Record<string, unknown>;
  expect(exported.backend).toBe('CPU');
  expect(exported.count).toBe(10000);
  expect(problems).toEqual([]);
});

test('Random lab: 10⁷ values show progress by batch; Cancel keeps the last result and the page responsive', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=9&count=100000&transform=irwin-hall&bins=64');
  const caption = page.locator('figcaption');
  await expect(caption).toContainText('100,000 samples of Irwin–Hall');
  const before = await page.getByRole('table', { name: 'Moments' }).textContent();

  await page.getByRole('combobox', { name: 'Sample count' }).selectOption('10000000');
  const status = page
    .getByRole('status')
    .filter({ hasText: /Generating 10,000,000 values: batch \d+ of \d+/ });
  await expect(status).toBeVisible();
  await expect(page.getByText('work already submitted to the GPU cannot be cancelled')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled.' })).toContainText(
    'Showing the last completed result',
  );
  await expect(page.getByRole('button', { name: 'Cancel', exact: true })).toHaveCount(0);
  await expect(caption).toContainText('100,000 samples of Irwin–Hall');
  expect(await page.getByRole('table', { name: 'Moments' }).textContent()).toBe(before);
  await screenshot(page, 'random-cancelled');

  // Still responsive: another change computes at once.
  await page.getByRole('combobox', { name: 'Sample count' }).selectOption('10000');
  await expect(caption).toContainText('10,000 samples of Irwin–Hall');
  await expect(page.getByText('Cancelled.')).toHaveCount(0);
  expect(problems).toEqual([]);
});
