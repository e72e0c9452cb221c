/**
 * Device loss through the built page alone: the Random lab computes, `kernelscope.loseDevice()` (the page's
 * test hook) loses the GPU device as a driver reset would, the page says it is reconnecting by itself, and
 * the same moments come back on the new device with the adapter's badge — with no console error.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectWebGpuBadge, watchConsole } from './helpers';

/** The moments table's body as a user reads it (Philox is counter-based: a new device draws the same). */
async function momentsText(page: Page): Promise<string> {
  const table = page.getByRole('table', { name: 'Moments' });
  await expect(table).toBeVisible();
  return (await table.locator('tbody').innerText()).trim();
}

test('Random lab: a lost device reconnects by itself and shows the same moments', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=7&count=10000&transform=box-muller&bins=32');
  await expect(page.getByRole('table', { name: 'Moments' })).toContainText('N(0, 1)');
  await expectWebGpuBadge(page);
  const badge = await page.getByRole('status', { name: 'Compute backend' }).innerText();
  const before = await momentsText(page);
  expect(before).toMatch(/\d/);

  expect(await page.evaluate(() => window.kernelscope.loseDevice())).toBe(true);
  const line = page.getByRole('status').filter({ hasText: 'reconnecting by itself' });
  await expect(line).toBeVisible();
  await expect(line).toContainText('The GPU device was lost');
  // A status line, not a blocking alert.
  await expect(page.getByRole('alert')).toHaveCount(0);

  await expect(line).toHaveCount(0);
  await expect.poll(() => page.evaluate(() => window.kernelscope.status())).toBe('ready');
  await expectWebGpuBadge(page);
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText(badge);
  await expect(page.locator('ks-random-lab .results')).toHaveAttribute('aria-busy', 'false');
  await expect.poll(() => momentsText(page)).toBe(before);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(problems).toEqual([]);
});

declare global {
  interface Window {
    kernelscope: { loseDevice(): boolean; status(): string };
  }
}
