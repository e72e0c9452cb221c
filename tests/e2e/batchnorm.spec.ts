import { expect, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SCREENSHOTS, downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';
import { pauseTraining } from './batchnorm-pause';

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
  await pauseTraining(page);
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
  // The lab re-looks at the batch in the eval view; the charts are drawn in the render that shows it.
  await expect(page.locator('summary', { hasText: 'Per-channel statistics' })).toContainText('(eval view)');
  await screenshot(page, 'batchnorm-eval');
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('step 0');
  expect(problems).toEqual([]);
});

async function downloadText(page: import('@playwright/test').Page, buttonName: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

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
 * The high-learning-rate demo: spirals, lr 0.3, 5 hidden layers. The plain network's loss blows up
 * (measured ≈ 330 after its first update on the CPU reference) and then sits near ln 2 (dead ReLUs); the BN
 * network's does not blow up and ends lower. Bounds: plain peak > 20, BN peak < 10, and over the last 20 of
 * ≥ 60 steps BN's mean loss < plain's − 0.1.
 */
test('BatchNorm lab: high learning rate demo — the plain network diverges, the BN one trains', async ({
  page,
}) => {
  // Room for the 110 s wait for 60 steps below plus the rest (the default 120 s would cut that wait short).
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'High learning rate demo' }).click();
  await expect(page).toHaveURL(/lr=0\.3/);
  await expect(page).toHaveURL(/depth=5/);
  await expect(page).toHaveURL(/task=spirals/);
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([6-9]\d|\d{3,})\b/, { timeout: 110_000 });
  await pauseTraining(page);
  await screenshot(page, 'batchnorm-high-lr');
  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  const { withBN, withoutBN } = data.loss;
  expect(Math.max(...withoutBN)).toBeGreaterThan(20);
  expect(Math.max(...withBN)).toBeLessThan(10);
  const tail = (a: number[]) => a.slice(-20).reduce((s, v) => s + v, 0) / 20;
  expect(tail(withBN)).toBeLessThan(tail(withoutBN) - 0.1);

  // The per-channel charts as histograms over the channels: all 32 post-BN batch means fall in the bin
  // holding 0, while the pre-BN means spread over several bins.
  await page.getByRole('radio', { name: 'histogram' }).check();
  await expect(page).toHaveURL(/channels=histogram/);
  const hist = page.locator('ks-batchnorm-lab svg.means path.hist');
  await expect(hist).toHaveCount(3);
  const counts = async (series: string) =>
    (await page
      .locator(`ks-batchnorm-lab svg.means path.hist[data-series="${series}"]`)
      .getAttribute('data-counts'))!
      .split(',')
      .map(Number);
  const post = await counts('after BN (x̂)');
  expect(post.reduce((a, b) => a + b, 0)).toBe(32);
  expect(Math.max(...post)).toBe(32);
  const pre = await counts('before BN');
  expect(pre.filter((c) => c > 0).length).toBeGreaterThan(2);
  await expect(page.locator('ks-batchnorm-lab svg.vars path.hist')).toHaveCount(3);
  await screenshot(page, 'batchnorm-histograms');
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

/** Clicks (or, with `key`, focuses and presses that key on) a button and returns the downloaded file. */
async function downloadFile(
  page: import('@playwright/test').Page,
  buttonName: string,
  key?: 'Enter' | 'Space',
): Promise<{ name: string; bytes: Buffer }> {
  // Chromium drops downloads started faster than about ten a second (see downloads.ts); a person is slower.
  await page.waitForTimeout(250);
  const button = page.getByRole('button', { name: buttonName, exact: true });
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    key ? button.focus().then(() => page.keyboard.press(key)) : button.click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/** Marks of each chart: what the live chart and its exported copy must both contain. */
const CHART_MARKS: Record<string, { name: string; marks: string; count: number }> = {
  loss: { name: 'loss', marks: 'path.series', count: 2 },
  accuracy: { name: 'accuracy', marks: 'path.series', count: 2 },
  percentiles: { name: 'unit input percentiles', marks: 'path.band', count: 2 },
  running: { name: 'running statistics', marks: 'g.channel-series circle', count: 4 * 16 },
  means: { name: 'channel means', marks: 'g.channel-series rect', count: 3 * 16 },
  vars: { name: 'channel variances', marks: 'g.channel-series rect', count: 3 * 16 },
};
const DARK_FG = 'rgb(231, 234, 238)'; // --ks-fg, dark theme
const DARK_PANEL = 'rgb(26, 30, 36)'; // --ks-panel, dark theme

/**
 * Every chart exports as PNG and SVG from the small buttons in its heading, in the dark theme. Each SVG
 * parses as XML with an <svg> root in the SVG namespace, has the live chart's title and marks, and carries
 * its own colours (no currentColor or var(), the theme's text colour, a background rectangle in the panel's
 * colour). Each PNG has the PNG signature, decodes at twice the chart's size, and its corner is the opaque
 * dark panel (a transparent PNG of light text would be unreadable elsewhere). The per-channel charts also
 * export in their histogram view. The buttons work from the keyboard and sit beside the headings at 1280 px
 * and inside the panels at 400 px.
 */
test('BatchNorm lab: every chart exports as PNG and SVG, self-contained in the dark theme', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm?task=spirals&batch=32&depth=2&width=16&lr=0.03&seed=3');
  await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([5-9]|\d{2,})\b/);
  const step = await pauseTraining(page);

  const checkSvg = async (key: string, marks: string, count: number, view = '') => {
    const { name, bytes } = await downloadFile(page, `Export ${CHART_MARKS[key]!.name} (SVG)`);
    expect(name).toBe(`kernelscope-batchnorm-${fileOf(key)}${view}-step${step}.svg`);
    const text = bytes.toString('utf8');
    expect(text).not.toMatch(/currentColor|var\(/i);
    const live = page.locator(`ks-batchnorm-lab svg.${key}`);
    const liveTitle = await live.locator('title').textContent();
    expect(await live.locator(marks).count()).toBe(count);
    const got = await page.evaluate(
      async ({ text, marks }) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const root = doc.documentElement;
        return {
          errors: doc.getElementsByTagName('parsererror').length,
          root: root.localName,
          ns: root.namespaceURI,
          color: root.getAttribute('color'),
          background: root.querySelector('rect.export-background')?.getAttribute('fill'),
          title: root.querySelector('title')?.textContent,
          marks: root.querySelectorAll(marks).length,
          texts: root.querySelectorAll('text').length,
          corner: await corner(text),
        };
        /** Draws the file as an image on a transparent canvas: the corner pixel it paints itself. */
        async function corner(svgText: string): Promise<number[]> {
          const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
          const img = new Image();
          img.src = url;
          await img.decode();
          const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          URL.revokeObjectURL(url);
          return [...ctx.getImageData(1, 1, 1, 1).data];
        }
      },
      { text, marks },
    );
    expect(got).toMatchObject({ errors: 0, root: 'svg', ns: 'http://www.w3.org/2000/svg' });
    expect(got).toMatchObject({ color: DARK_FG, background: DARK_PANEL, title: liveTitle, marks: count });
    expect(got.texts).toBeGreaterThan(4);
    // Opened on its own (no page styles), the file paints the dark panel colour.
    expect(got.corner).toEqual([26, 30, 36, 255]);
  };
  const checkPng = async (key: string, press?: 'Enter' | 'Space', view = '') => {
    const { name, bytes } = await downloadFile(page, `Export ${CHART_MARKS[key]!.name} (PNG)`, press);
    expect(name).toBe(`kernelscope-batchnorm-${fileOf(key)}${view}-step${step}.png`);
    expect(bytes.length).toBeGreaterThan(1000);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const box = await page
      .locator(`ks-batchnorm-lab svg.${key}`)
      .evaluate((s: SVGSVGElement) => [s.viewBox.baseVal.width, s.viewBox.baseVal.height]);
    const decoded = await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
      const bmp = await createImageBitmap(blob);
      const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      return { size: [bmp.width, bmp.height], corner: [...ctx.getImageData(1, 1, 1, 1).data] };
    }, bytes.toString('base64'));
    expect(decoded.size).toEqual([2 * box[0]!, 2 * box[1]!]);
    expect(decoded.corner).toEqual([26, 30, 36, 255]);
    // Kept beside the screenshots, for a reviewer to open.
    if (key === 'loss' || view === '-histogram') {
      mkdirSync(SCREENSHOTS, { recursive: true });
      writeFileSync(`${SCREENSHOTS}/batchnorm-export-${fileOf(key)}${view}.png`, bytes);
    }
  };
  const fileOf = (key: string) =>
    ({
      loss: 'loss',
      accuracy: 'accuracy',
      percentiles: 'unit-percentiles',
      running: 'running-stats',
      means: 'channel-means',
      vars: 'channel-variances',
    })[key]!;

  for (const [key, c] of Object.entries(CHART_MARKS)) {
    const view = key === 'means' || key === 'vars' ? '-bars' : '';
    await checkSvg(key, c.marks, c.count, view);
    // The first two PNGs from the keyboard (Enter, Space), the rest by mouse.
    await checkPng(key, key === 'loss' ? 'Enter' : key === 'accuracy' ? 'Space' : undefined, view);
  }
  // The histogram view of the per-channel charts: three step outlines each.
  await page.getByRole('radio', { name: 'histogram' }).check();
  await expect(page.locator('ks-batchnorm-lab svg.means path.hist')).toHaveCount(3);
  for (const key of ['means', 'vars']) {
    await checkSvg(key, 'path.hist', 3, '-histogram');
    await checkPng(key, undefined, '-histogram');
  }

  // Layout: at 1280 px each button pair sits on its heading's line, inside the panel.
  const layout = () =>
    page.locator('ks-batchnorm-lab .chart-head').evaluateAll((heads) =>
      heads.map((h) => {
        const title = h.querySelector('h3')!.getBoundingClientRect();
        const group = h.querySelector('.chart-exports')!.getBoundingClientRect();
        const panel = h.closest('figure')!.getBoundingClientRect();
        return {
          sameLine: group.top < title.bottom && group.bottom > title.top,
          inside: group.left >= panel.left && group.right <= panel.right + 0.5,
          height: group.height,
        };
      }),
    );
  const wide = await layout();
  expect(wide).toHaveLength(6);
  for (const h of wide) expect(h).toMatchObject({ sameLine: true, inside: true });
  await screenshot(page, 'batchnorm-exports-dark');
  await page.setViewportSize({ width: 400, height: 900 });
  // The panels re-lay out over the next frames (container queries, ResizeObserver): poll until they have.
  await expect
    .poll(async () => (await layout()).map((h) => ({ inside: h.inside, short: h.height < 40 })))
    .toEqual(Array.from({ length: 6 }, () => ({ inside: true, short: true })));
  await screenshot(page, 'batchnorm-exports-narrow');
  expect(problems).toEqual([]);
});

/**
 * Pause turns the button back into Train at once while the step in flight finishes. Clicking Train again
 * before that step ends must not start a second loop on the same engine (double-speed, interleaved steps and
 * overlapping reads of the one staging buffer). Observed through the lab's page state, every change of
 * which is recorded as it happens (MutationObserver with old values): `data-steps-in-flight` (engine steps
 * running at once) never exceeds 1, and `data-step` (the step shown) advances by exactly one at a time.
 */
test('BatchNorm lab: a quick Pause → Train never runs two training loops at once', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/batchnorm');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]|\d{2,})\b/);

  const lab = page.locator('ks-batchnorm-lab');
  const WATCHED = ['data-step', 'data-steps-in-flight', 'data-state'];
  await lab.evaluate((el, watched) => {
    const records: MutationRecord[] = [];
    new MutationObserver((list) => records.push(...list)).observe(el, {
      attributes: true,
      attributeOldValue: true,
      attributeFilter: watched,
    });
    (window as unknown as { bnRecords: MutationRecord[] }).bnRecords = records;
  }, WATCHED);
  // Pause and Train three times in quick succession, each time while a step is in flight.
  const pausedMidStep = await lab.evaluate(async (el) => {
    const host = el as HTMLElement & { updateComplete: Promise<unknown> };
    const button = () =>
      [...host.shadowRoot!.querySelectorAll('button')].find((b) =>
        /^(Train|Pause)$/.test(b.textContent!.trim()),
      )!;
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      while (host.getAttribute('aria-busy') !== 'true') await new Promise((r) => setTimeout(r, 0));
      button().click(); // Pause
      await host.updateComplete;
      states.push(`${button().textContent!.trim()}:${host.dataset.state}`);
      button().click(); // Train
      await host.updateComplete;
      states.push(`${button().textContent!.trim()}:${host.dataset.state}`);
    }
    return states;
  });
  expect(pausedMidStep).toEqual(Array.from({ length: 3 }, () => ['Train:pausing', 'Pause:training']).flat());
  const resumedAt = Number(await lab.getAttribute('data-step'));
  await expect
    .poll(async () => Number(await lab.getAttribute('data-step')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(resumedAt + 5);
  // While training, the status shows the speed measured in this run.
  await expect(status).toContainText(/ · \d+\.\d steps\/s$/);
  const stopped = await pauseTraining(page);
  await expect(status).not.toContainText('steps/s');

  // Each attribute's values in order: every record's old value, then the current value.
  const seen = await lab.evaluate((el, watched) => {
    const records = (window as unknown as { bnRecords: MutationRecord[] }).bnRecords;
    return Object.fromEntries(
      watched.map((name) => [
        name,
        [...records.filter((r) => r.attributeName === name).map((r) => r.oldValue), el.getAttribute(name)],
      ]),
    );
  }, WATCHED);
  const inFlight = seen['data-steps-in-flight']!.map(Number);
  expect(new Set(inFlight)).toEqual(new Set([0, 1]));
  const steps = seen['data-step']!.map(Number).filter((v, i, a) => i === 0 || v !== a[i - 1]);
  expect(steps.at(-1)).toBe(stopped);
  expect(steps.length).toBeGreaterThan(5);
  for (let i = 1; i < steps.length; i++)
    expect(steps[i]! - steps[i - 1]!, `after step ${steps[i - 1]}`).toBe(1);
  expect(seen['data-state']!.at(-1)).toBe('paused');

  const data = (await downloadJson(page, 'Export statistics (JSON)')) as Export;
  expect(data.step).toBe(stopped);
  expect(data.loss.withBN.length).toBe(data.step);
  expect(problems).toEqual([]);
});
