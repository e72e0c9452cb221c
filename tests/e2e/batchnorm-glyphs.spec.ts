import { expect, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { downloadJson, screenshot, watchConsole } from './helpers';
import { pauseTraining } from './batchnorm-pause';
import { downloadText, type Export } from './batchnorm-helpers';

/**
 * As a user: before training the charts already show step 0; pick the digit-glyph task (16×16), train,
 * pause, and export. The statistics keep their format (16 channels per layer, post-BN standardised), the
 * config names the image data, and the held-out accuracy — on 1024 images never trained on — is shown and
 * exported, at least 30% (chance is 10%; measured ≈ 60–90% after 30–40 steps at this setting).
 */
test('BatchNorm lab: glyph digits — step-0 charts, train, held-out accuracy, exports', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm?task=spirals&batch=32&depth=2&width=16&lr=0.03&seed=3');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  // Step 0 from the initial forward pass: one point per curve, and a hint to press Train.
  await expect(page.locator('ks-batchnorm-lab svg.loss circle.point')).toHaveCount(2);
  await expect(page.locator('ks-batchnorm-lab svg.percentiles circle.point')).toHaveCount(2);
  await expect(page.getByText('Press Train to start; the curves fill as the networks learn.')).toBeVisible();
  await screenshot(page, 'batchnorm-step0');

  await page.getByRole('combobox', { name: 'Task' }).selectOption({ label: 'Glyphs (digits)' });
  await expect(page).toHaveURL(/task=digits/);
  await expect(page.getByRole('combobox', { name: 'Image size' })).toHaveValue('16');
  await expect(status).toContainText(
    /step 0 [\s\S]*held-out accuracy \d+%\s*\/\s*\d+%\s*\(1024 images, after step\s+0\)/,
  );
  const glyphs = page.locator('ks-batchnorm-lab canvas.glyphs');
  await expect(glyphs).toBeVisible();
  // 10 columns of 16×16 images at scale 4 with 2-pixel gaps.
  expect(await glyphs.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([
    10 * 66 - 2,
    2 * 66 - 2,
  ]);
  await expect(page.locator('ks-batchnorm-lab #glyphs-caption')).toContainText(
    'The first 20 of 3000 digit images (10 classes)',
  );

  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]\d|\d{3,})\b/);
  const stopped = await pauseTraining(page);
  // Pausing evaluates the held-out split where training stopped.
  await expect(status).toContainText(new RegExp(`after step\\s+${stopped}\\)`));
  await screenshot(page, 'batchnorm-glyphs');

  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export & {
    view: string;
    config: Record<string, unknown>;
  };
  expect(data.lab).toBe('batchnorm');
  expect(data.step).toBeGreaterThanOrEqual(30);
  expect(data.step, 'the export is of the step where training stopped').toBe(stopped);
  expect(data.loss.withBN.length).toBe(data.step);
  expect(data.layers.map((l) => l.index)).toEqual([0, 1]);
  for (const layer of data.layers) {
    for (const k of ['preBN', 'postBN'] as const) {
      expect(layer[k].mean).toHaveLength(16);
      expect(layer[k].var).toHaveLength(16);
    }
    expect(layer.runningMean).toHaveLength(16);
    for (const m of layer.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-3);
    for (const v of layer.postBN.var) expect(Math.abs(v - 1)).toBeLessThan(1e-2);
  }
  expect(data.view).toBe('train');
  expect(data.config).toMatchObject({
    task: 'digits',
    pixels: 16,
    inputs: 256,
    trainImages: 3000,
    heldOutImages: 1024,
  });
  expect(data.config.classes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  expect((data.config.fonts as string[]).slice(0, 3)).toEqual(['serif', 'sans-serif', 'monospace']);
  expect(data.config).not.toHaveProperty('data');

  // The latest-step table as JSON and CSV: held-out accuracy of both networks.
  const latest = JSON.parse(await downloadText(page, 'Export latest step (JSON)')) as Array<
    Record<string, unknown>
  >;
  const row = (q: string) => latest.find((r) => r.quantity === q)!;
  expect(row('step')['with BN']).toBe(data.step);
  expect(row('held-out images')['with BN']).toBe(1024);
  expect(row('held-out evaluated after step')['with BN']).toBe(data.step);
  const acc = row('held-out accuracy');
  expect(acc['with BN'] as number).toBeGreaterThanOrEqual(0.3);
  expect(acc['with BN'] as number).toBeLessThanOrEqual(1);
  expect(acc['without BN'] as number).toBeGreaterThanOrEqual(0);
  const csv = (await downloadText(page, 'Export latest step (CSV)')).trim().split('\n');
  expect(csv[0]).toBe('quantity,with BN,without BN');
  expect(csv).toContain(`held-out accuracy,${acc['with BN']},${acc['without BN']}`);
  // The other tables export too, with their headers.
  await page.getByText(/^Per-channel statistics, layer 0/).click();
  const channels = (await downloadText(page, 'Export channel statistics (CSV)')).trim().split('\n');
  expect(channels[0]).toBe(
    'layer,channel,pre-BN mean,pre-BN var,post-BN mean,post-BN var,running mean,running var,no-BN mean,no-BN var',
  );
  expect(channels).toHaveLength(17);
  await page.getByText(/^Training history/).click();
  const history = JSON.parse(await downloadText(page, 'Export training history (JSON)')) as Array<
    Record<string, number>
  >;
  expect(history).toHaveLength(data.step);
  expect(history.map((r) => r['loss with BN'])).toEqual(data.loss.withBN);
  await page.getByText(/^Held-out accuracy \(/).click();
  const held = JSON.parse(await downloadText(page, 'Export held-out accuracy (JSON)')) as Array<
    Record<string, number>
  >;
  expect(held[0]!.step).toBe(0);
  expect(held.at(-1)!.step).toBe(data.step);
  expect(held.at(-1)!['held-out accuracy with BN']).toBe(acc['with BN']);
  // The image panel, the open tables and their export buttons pass axe (no serious or critical issues).
  const axe = await new AxeBuilder({ page }).analyze();
  expect(
    axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([]);
  expect(problems).toEqual([]);
});

/**
 * The letters task at full 28×28 resolution (784 inputs, 26 classes) on both backends' shared path: the
 * images render, the held-out split evaluates 1024 images, and training runs.
 */
test('BatchNorm lab: glyph letters at 28×28 — 26 classes, held-out evaluated, trains', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm?task=letters&pixels=28&batch=64&depth=1&width=16&lr=0.01&seed=2');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText(/step 0 [\s\S]*\(1024 images, after step\s+0\)/);
  await expect(page.locator('ks-batchnorm-lab #glyphs-caption')).toContainText(
    'The first 20 of 3120 letter images (26 classes)',
  );
  await expect(page.getByRole('combobox', { name: 'Image size' })).toHaveValue('28');
  const glyphs = page.locator('ks-batchnorm-lab canvas.glyphs');
  expect(await glyphs.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([
    10 * 86 - 2,
    2 * 86 - 2,
  ]);
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([1-9]\d|\d{3,})\b/);
  await page.getByRole('button', { name: 'Pause' }).click();
  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export & {
    config: Record<string, unknown>;
  };
  expect(data.config).toMatchObject({
    task: 'letters',
    pixels: 28,
    inputs: 784,
    trainImages: 3120,
    heldOutImages: 1024,
  });
  expect(data.config.classes as string[]).toHaveLength(26);
  expect(data.layers[0]!.postBN.mean).toHaveLength(16);
  expect(problems).toEqual([]);
});

/**
 * Without WebGPU the glyph task runs on the CPU engine (float64 references): same controls, held-out
 * accuracy, export with backend "CPU" (and the fallback notice on the page).
 */
test('BatchNorm lab without WebGPU: the digits task trains on the CPU engine', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm?task=digits&pixels=16&batch=32&depth=2&width=16&lr=0.03&seed=3');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText(/step 0 [\s\S]*\(1024 images, after step\s+0\)/);
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]\d|\d{3,})\b/);
  const step = await pauseTraining(page);
  // Pausing evaluates the held-out split at the step where training stopped.
  await expect(status).toContainText(new RegExp(`after step\\s+${step}\\)`));
  await page.getByText(/^Held-out accuracy \(/).click();
  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  expect(data.backend).toMatch(/^CPU/);
  expect(data.step).toBeGreaterThanOrEqual(30);
  expect(data.step, 'the export is of the step where training stopped').toBe(step);
  for (const layer of data.layers) for (const m of layer.postBN.mean) expect(Math.abs(m)).toBeLessThan(1e-6);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export held-out accuracy (JSON)', exact: true }).click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  const held = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<Record<string, number>>;
  expect(held.at(-1)!.step).toBe(data.step);
  expect(held.at(-1)!['held-out accuracy with BN']).toBeGreaterThanOrEqual(0.3);
  expect(problems).toEqual([]);
});
