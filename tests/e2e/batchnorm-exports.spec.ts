import { expect, test } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SCREENSHOTS, screenshot, watchConsole } from './helpers';
import { pauseTraining } from './batchnorm-pause';
import { downloadFile } from './batchnorm-helpers';

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
