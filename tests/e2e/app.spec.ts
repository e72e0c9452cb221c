import { expect, test, type Page } from '@playwright/test';
import { watchConsole } from './helpers';
import { pauseTraining } from './batchnorm-pause';

// The app shell: every lab's controls round-trip through the URL (load, reload), back/forward, the theme
// switch, the keyboard-shortcuts dialog and the Backend menu.

const field = (page: Page, role: 'combobox' | 'spinbutton' | 'textbox', name: string) =>
  page.getByRole(role, { name, exact: true });

interface RoundTrip {
  lab: string;
  url: string;
  checks: Array<[role: 'combobox' | 'spinbutton' | 'textbox', name: string, value: string]>;
  ready: (page: Page) => Promise<void>;
}

const ROUND_TRIPS: RoundTrip[] = [
  {
    lab: 'Random',
    url: './#/random?seed=1234&count=10000&transform=box-muller&bins=32',
    checks: [
      ['spinbutton', 'Seed', '1234'],
      ['combobox', 'Sample count', '10000'],
      ['combobox', 'Transform', 'box-muller'],
      ['combobox', 'Bins', '32'],
    ],
    ready: async (page) => {
      await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
    },
  },
  {
    lab: 'Attention',
    url: './#/attention?text=one+two+three+four&mask=causal&heads=2&d=8&seed=5',
    checks: [
      ['textbox', 'Sentence', 'one two three four'],
      ['combobox', 'Mask', 'causal'],
      ['spinbutton', 'Heads', '2'],
      ['spinbutton', 'Head dim d', '8'],
      ['spinbutton', 'Seed', '5'],
    ],
    ready: async (page) => {
      await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(
        /2 heads · L = 4 .*mask causal/,
      );
      await expect(page.getByRole('checkbox', { name: /Causal mask/ })).toBeChecked();
    },
  },
  {
    lab: 'Diffusion',
    url: './#/diffusion?dataset=swiss-roll&schedule=linear&T=50&seed=3&particles=500',
    checks: [
      ['combobox', 'Dataset', 'swiss-roll'],
      ['combobox', 'Schedule', 'linear'],
      ['spinbutton', 'T', '50'],
      ['spinbutton', 'Seed', '3'],
    ],
    ready: async (page) => {
      await expect(page.getByRole('status', { name: 'Current step' })).toHaveText('t = 50');
    },
  },
  {
    lab: 'Recommendation',
    url: './#/recommend?seed=9&items=2048&users=32&user=5&alpha=1&method=calibration&lambda=0.25',
    checks: [
      ['spinbutton', 'Seed', '9'],
      ['combobox', 'Items', '2048'],
      ['combobox', 'Users', '32'],
      ['combobox', 'Taste spread α', '1'],
      ['spinbutton', 'User', '5'],
    ],
    ready: async (page) => {
      await expect(page.getByRole('heading', { name: /Calibration \(λ = 0\.25\) selected/ })).toBeVisible({
        timeout: 90_000,
      });
      await expect(page.getByRole('radio', { name: 'Calibration' })).toBeChecked();
    },
  },
];

for (const rt of ROUND_TRIPS) {
  test(`URL round-trip: ${rt.lab} lab shows non-default controls from the link, and after a reload`, async ({
    page,
  }) => {
    const problems = watchConsole(page);
    await page.goto(rt.url);
    const query = rt.url.split('?')[1]!;
    for (let pass = 0; pass < 2; pass++) {
      await rt.ready(page);
      for (const [role, name, value] of rt.checks) await expect(field(page, role, name)).toHaveValue(value);
      // The address keeps every parameter of the link (plus the defaults of the others).
      const params = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
      for (const [k, v] of new URLSearchParams(query)) expect(params.get(k), k).toBe(v);
      await expect(page.locator('.notice', { hasText: 'Ignored' })).toHaveCount(0);
      if (pass === 0) await page.reload();
    }
    expect(problems).toEqual([]);
  });
}

test('back and forward after changing a control restore the previous value', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?heads=1&d=4');
  const done = page.locator('.results[aria-busy="false"] .backend-line');
  await expect(done).toContainText(/mask none/);
  const causal = page.getByRole('checkbox', { name: /Causal mask/ });
  await page.waitForTimeout(700); // changes within 600 ms of the last one share a history entry
  await causal.check();
  await expect(page).toHaveURL(/mask=causal/);
  await expect(done).toContainText(/mask causal/);
  await page.waitForTimeout(700);
  const theme = field(page, 'combobox', 'Theme');
  await theme.selectOption('dark');
  await expect(page).toHaveURL(/theme=dark/);

  await page.goBack();
  await expect(page).not.toHaveURL(/theme=dark/);
  await expect(theme).toHaveValue('system');
  await expect(causal).toBeChecked();
  await page.goBack();
  await expect(page).toHaveURL(/mask=none/);
  await expect(causal).not.toBeChecked();
  await expect(field(page, 'combobox', 'Mask')).toHaveValue('none');
  await expect(done).toContainText(/mask none/);
  await page.goForward();
  await expect(page).toHaveURL(/mask=causal/);
  await expect(causal).toBeChecked();
  await page.goForward();
  await expect(page).toHaveURL(/theme=dark/);
  await expect(theme).toHaveValue('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(problems).toEqual([]);
});

test('theme switch: dark sets html[data-theme=dark], is kept in the URL and survives a reload', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('./#/random?count=10000');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await field(page, 'combobox', 'Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page).toHaveURL(/theme=dark/);
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(field(page, 'combobox', 'Theme')).toHaveValue('dark');
  // "system" follows the browser's preference.
  await field(page, 'combobox', 'Theme').selectOption('system');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page).not.toHaveURL(/theme=/);
  expect(problems).toEqual([]);
});

test('"?" opens the keyboard-shortcuts dialog, focus stays inside, Escape closes it', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention');
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(/mask none/);
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeHidden();

  // Typing "?" in a text field types it.
  const sentence = field(page, 'textbox', 'Sentence');
  await sentence.focus();
  await page.keyboard.press('End');
  await page.keyboard.type('?');
  await expect(sentence).toHaveValue(/\?$/);
  await expect(dialog).toBeHidden();

  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  await expect(dialog).toBeVisible();
  for (const text of [
    'Space',
    'Play / pause',
    'Step back / forward',
    'Toggle the causal mask',
    'Show this list',
  ])
    await expect(dialog).toContainText(text);
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  // The modal dialog keeps focus: Tab cycles inside it (or out to the browser chrome), never onto the page.
  for (let i = 0; i < 3; i++) {
    await page.keyboard.press('Tab');
    const inside = await page.evaluate(() => {
      const app = document.querySelector('ks-app')!;
      const active = app.shadowRoot!.activeElement;
      return active === null || active.tagName === 'KS-SHORTCUTS';
    });
    expect(inside).toBe(true);
  }
  // "c" pressed while the dialog is open does not reach the page behind it.
  await page.keyboard.press('c');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('checkbox', { name: /Causal mask/ })).not.toBeChecked();

  // The header button opens it too; its Close button closes it.
  await page.getByRole('button', { name: 'Keyboard shortcuts' }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  expect(problems).toEqual([]);
});

test('the Backend menu switches the badge to "CPU" and back', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?count=10000');
  const badge = page.getByRole('status', { name: 'Compute backend' });
  await expect(badge).toContainText(/swiftshader|nvidia|amd|intel|apple|software adapter/i);
  await field(page, 'combobox', 'Backend').selectOption('cpu');
  await expect(badge).toHaveText('CPU');
  await expect(page).toHaveURL(/backend=cpu/);
  await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
  await field(page, 'combobox', 'Backend').selectOption('gpu');
  await expect(badge).not.toHaveText('CPU');
  await expect(page).not.toHaveURL(/backend=/);
  expect(problems).toEqual([]);
});

/** Clicks a button (exact accessible name) and returns the downloaded file's name and bytes. */
async function downloadBytes(page: Page, buttonName: string): Promise<{ name: string; bytes: Buffer }> {
  await page.waitForTimeout(250); // Chromium drops downloads started in quick succession
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/**
 * In the dark theme, one chart of each lab exports as a self-contained SVG (no currentColor or var() left,
 * a background rectangle that paints the corner dark when the file is drawn on its own) and as a PNG whose
 * corner is that same opaque dark colour — a transparent file of light text would be unreadable in a viewer
 * with a white background. The Diffusion particles also carry their canvas of points in the SVG.
 */
test('dark theme: a chart of every lab exports as SVG and PNG with its own dark background', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const rgb = (s: string) => (/^rgb\((\d+), (\d+), (\d+)\)$/.exec(s) ?? []).slice(1).map(Number);
  const isDark = (px: number[]) =>
    px.length >= 3 && px[0]! < 80 && px[1]! < 80 && px[2]! < 80 && (px[3] ?? 255) === 255;

  const check = async (chart: string, files: string, marks: string) => {
    const svg = await downloadBytes(page, `Export ${chart} (SVG)`);
    expect(svg.name).toBe(`${files}.svg`);
    const text = svg.bytes.toString('utf8');
    expect(text, chart).not.toMatch(/currentColor|var\(/i);
    const got = await page.evaluate(
      async ({ text, marks }) => {
        const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
        const root = doc.documentElement;
        // The file drawn on its own, on a transparent canvas: the corner it paints itself.
        const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
        const img = new Image();
        img.src = url;
        await img.decode();
        const ctx = new OffscreenCanvas(img.width, img.height).getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        URL.revokeObjectURL(url);
        return {
          errors: doc.getElementsByTagName('parsererror').length,
          root: root.localName,
          background: root.querySelector('rect.export-background')?.getAttribute('fill') ?? '',
          marks: root.querySelectorAll(marks).length,
          corner: [...ctx.getImageData(1, 1, 1, 1).data],
        };
      },
      { text, marks },
    );
    expect(got, chart).toMatchObject({ errors: 0, root: 'svg' });
    expect(got.marks, `${chart}: ${marks}`).toBeGreaterThan(0);
    const background = rgb(got.background);
    expect(isDark(background), `${chart} background ${got.background}`).toBe(true);
    expect(got.corner, chart).toEqual([...background, 255]);

    const png = await downloadBytes(page, `Export ${chart} (PNG)`);
    expect(png.name).toBe(`${files}.png`);
    expect([...png.bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const corner = await page.evaluate(async (b64) => {
      const bmp = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const ctx = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      return [...ctx.getImageData(1, 1, 1, 1).data];
    }, png.bytes.toString('base64'));
    expect(corner, `${chart} PNG corner`).toEqual([...background, 255]);
  };

  // Random: the histogram (bars coloured by a theme variable).
  await page.goto('./#/random?count=10000');
  await field(page, 'combobox', 'Theme').selectOption('dark');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
  await check('histogram', 'kernelscope-random-histogram', 'g.bars rect');

  // Attention: the chart of one query row's weights.
  await page.goto('./#/attention?text=one+two+three+four&heads=2&d=8&head=1&row=2&theme=dark');
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(/2 heads · L = 4 /);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await check('row chart', 'kernelscope-attention-row2-head2', 'g.bars rect');

  // Diffusion: the particle plot (points on a canvas under SVG axes; the SVG embeds them as an image).
  await page.goto('./#/diffusion?dataset=swiss-roll&T=50&seed=3&particles=500&theme=dark');
  await expect(page.getByRole('status', { name: 'Current step' })).toHaveText('t = 50');
  await check('particles', 'kernelscope-diffusion-particles-a', 'image.export-underlay');

  // BatchNorm: the loss chart, after a few training steps.
  await page.goto('./#/batchnorm?task=spirals&batch=32&depth=2&width=16&lr=0.03&seed=3&theme=dark');
  const status = page.getByRole('status', { name: 'Training status' });
  await expect(status).toContainText('step 0');
  await page.getByRole('button', { name: 'Train' }).click();
  await expect(status).toContainText(/step ([3-9]|\d{2,})\b/);
  const step = await pauseTraining(page);
  await check('loss', `kernelscope-batchnorm-loss-step${step}`, 'path.series');
  expect(problems).toEqual([]);
});
