import { expect, test } from '@playwright/test';
import { downloadJson, watchConsole } from './helpers';

test('without WebGPU the page explains why and the Random lab runs on the CPU reference', async ({
  page,
}) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=5&count=10000&transform=box-muller&bins=64');
  await expect(page.getByText('WebGPU is not available in this browser.')).toBeVisible();
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText('CPU (no WebGPU)');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('N(0, 1)');
  await expect(page.getByText('WebGPU is not available, so the CPU reference computed this.')).toBeVisible();
  const exported = (await downloadJson(page, 'Export moments (JSON)')) as Record<string, unknown>;
  expect(exported.backend).toBe('CPU');
  expect(Math.abs((exported.variance as number) - 1)).toBeLessThan(4 * Math.sqrt(2 / 10000));
  expect(problems).toEqual([]);
});

test('the start page maps the interview questions to the labs', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./');
  for (const name of ['Random numbers', 'Masked attention', 'Diffusion', 'BatchNorm', 'Recommendation']) {
    await expect(page.getByRole('main').getByRole('link', { name: new RegExp(name) })).toBeVisible();
  }
  await page
    .getByRole('main')
    .getByRole('link', { name: /Random numbers/ })
    .click();
  await expect(page).toHaveURL(/#\/random/);
  await page.goBack();
  await expect(page).toHaveURL(/kernelscope\/(#\/)?$/);
  expect(problems).toEqual([]);
});
