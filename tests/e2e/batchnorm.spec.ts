import { expect, test } from '@playwright/test';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';

interface Stats {
  mean: number[];
  var: number[];
}
interface Export {
  lab: string;
  step: number;
  layers: { index: number; preBN: Stats; postBN: Stats; runningMean: number[]; runningVar: number[] }[];
  loss: { withBN: number[]; withoutBN: number[] };
  backend: string;
}

/**
 * As a user: train both networks for a while, pause, export the statistics. Post-BN (x̂) batch statistics
 * are per channel |mean| < 1e-3 and |var − 1| < 1e-2 (var = σ²/(σ²+ε), f32 reductions); pre-BN ones are not.
 */
test('BatchNorm lab: train, pause, export — post-BN channels standardised, pre-BN not', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  await expect(page.getByRole('heading', { level: 2 })).toContainText('BatchNorm');
  await expectWebGpuBadge(page);
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');

  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]\d|\d{3,})\b/);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByRole('button', { name: 'Train' })).toBeVisible();
  await page.waitForTimeout(300);
  await screenshot(page, 'batchnorm-trained');

  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  expect(data.lab).toBe('batchnorm');
  expect(data.step).toBeGreaterThanOrEqual(30);
  expect(data.backend).not.toMatch(/CPU/);
  expect(data.loss.withBN.length).toBe(data.step);
  expect(data.loss.withoutBN.length).toBe(data.step);
  expect(data.layers.length).toBe(3);
  let preNotStandard = 0;
  for (const layer of data.layers) {
    expect(layer.postBN.mean.length).toBe(32);
    for (const m of layer.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-3);
    for (const v of layer.postBN.var) expect(Math.abs(v - 1)).toBeLessThan(1e-2);
    for (let c = 0; c < 32; c++) {
      if (Math.abs(layer.preBN.mean[c]!) > 1e-2 || Math.abs(layer.preBN.var[c]! - 1) > 1e-1) preNotStandard++;
    }
    expect(layer.runningVar.every((v) => v > 0)).toBe(true);
  }
  expect(preNotStandard).toBeGreaterThan(48);
  // Training lowered the BN network's loss.
  expect(data.loss.withBN.at(-1)!).toBeLessThan(data.loss.withBN[0]!);

  await page.getByRole('radio', { name: /eval/ }).check();
  await expect(page).toHaveURL(/view=eval/);
  await page.waitForTimeout(500);
  await screenshot(page, 'batchnorm-eval');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('step 0');
  expect(problems).toEqual([]);
});
