import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { readUnits } from '../../scripts/i18n.mjs';
import { downloadJson, screenshot, seriousAxeViolations, watchConsole } from './helpers';

// The journey in Chinese (issue #16): switch in the header, the URL keeps lang=zh-CN, a reload and a new visit
// keep it, the browser's language picks the default, and every lab renders in Chinese with Chinese accessible
// names and no serious axe violations (each lab in the dark theme here; a11y.spec.ts checks the light one).
// Chinese texts are looked up in src/locales/zh-CN.xlf by their English source, so a changed translation
// cannot leave this spec behind.

const units = readUnits(readFileSync('src/locales/zh-CN.xlf', 'utf8')) as Array<{
  id: string;
  source: string;
  target: string | null;
}>;

/** The Chinese of an English message without placeholders, as the page shows it. */
function zh(source: string): string {
  const unit = units.find((u) => u.source === source);
  if (!unit?.target) throw new Error(`No Chinese for “${source}” in src/locales/zh-CN.xlf`);
  return unit.target
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

const CJK = /[\u3400-\u9fff]/;
/** A word of English prose (not an acronym such as GPU or a CamelCase name such as WebGPU). */
const ENGLISH_WORD = /\b[A-Za-z][a-z]{2,}\b/;
/** Names that stay as they are in every language. */
const KEEP = /^(Kernelscope|English|\?.*)$/;

const navLink = (page: Page, name: string) =>
  page.getByRole('navigation', { name: zh('Labs') }).getByRole('link', { name, exact: true });

/** Controls, headings and column headers whose accessible name is English prose with no Chinese. */
async function englishNames(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  const roles =
    'button|link|combobox|checkbox|radio|spinbutton|slider|textbox|tab|switch|heading|columnheader';
  const out: string[] = [];
  for (const m of snapshot.matchAll(new RegExp(`- (${roles}) "((?:[^"\\\\]|\\\\.)*)"`, 'g'))) {
    const name = m[2]!.replace(/\\"/g, '"');
    if (KEEP.test(name)) continue;
    if (ENGLISH_WORD.test(name) && !CJK.test(name)) out.push(`${m[1]} “${name}”`);
  }
  return out;
}

test('the language switch: Chinese at once, kept in the URL, across a reload and a new visit; back to English', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/random?seed=1&count=10000&bins=32');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByText('Moments').first()).toBeVisible();

  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-CN');
  await expect(page).toHaveURL(/lang=zh-CN/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  // The lab re-rendered in place: same run, Chinese words.
  await expect(navLink(page, zh('Random numbers'))).toHaveAttribute('aria-current', 'page');
  await expect(page.getByText(zh('Moments')).first()).toBeVisible();
  await expect(page).toHaveTitle(`${zh('Random numbers')} · Kernelscope`);

  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page.getByRole('combobox', { name: zh('Language') })).toHaveValue('zh-CN');
  await expect(page.getByText(zh('Moments')).first()).toBeVisible();

  // A new visit without lang= remembers the choice, and writes it into the address.
  await page.goto('./#/attention');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(navLink(page, zh('Masked attention'))).toHaveAttribute('aria-current', 'page');
  await expect(page).toHaveURL(/lang=zh-CN/);

  await page.getByRole('combobox', { name: zh('Language') }).selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page).not.toHaveURL(/lang=/);
  await expect(
    page
      .getByRole('navigation', { name: 'Labs' })
      .getByRole('link', { name: 'Masked attention', exact: true }),
  ).toHaveAttribute('aria-current', 'page');
  expect(problems).toEqual([]);
});

test.describe('with a Chinese browser', () => {
  test.use({ locale: 'zh-CN' });
  test('the browser language picks Chinese when neither the URL nor a choice says otherwise', async ({
    page,
  }) => {
    await page.goto('./');
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await expect(navLink(page, zh('Start'))).toHaveAttribute('aria-current', 'page');
    // A link that asks for English wins over the browser.
    await page.goto('./#/?lang=en');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  });
});

const shows = (english: string) => (page: Page) => expect(page.getByText(zh(english)).first()).toBeVisible();

/** [lab, address, a check that passes once the lab has computed, in Chinese]. */
const LABS: Array<[string, string, (page: Page) => Promise<void>]> = [
  ['home', './#/?', shows('Masked attention')],
  ['random', './#/random?seed=1&count=10000&transform=uniform&bins=32', shows('Moments')],
  ['attention', './#/attention?mask=causal&heads=2&row=3', shows('staged path')],
  [
    'diffusion',
    './#/diffusion?compare=schedule&x0=1',
    (page) => expect(page.getByRole('status', { name: zh('Current step') })).toHaveText('t = 100'),
  ],
  ['batchnorm', './#/batchnorm?', shows('Per-channel batch variance')],
  [
    'recommend',
    './#/recommend?users=8&items=1024',
    shows('A user with narrow tastes: how do you recommend diversely yet accurately?'),
  ],
];

for (const [lab, url, ready] of LABS) {
  test(`${lab} in Chinese (dark theme): Chinese names, no serious axe violations`, async ({ page }) => {
    const problems = watchConsole(page);
    await page.goto(`${url}${url.endsWith('?') ? '' : '&'}lang=zh-CN&theme=dark`);
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await ready(page);
    expect(await englishNames(page)).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, `zh-${lab}`);
    expect(problems).toEqual([]);
  });
}

/** The Chinese of a message with an explicit id. */
function zhId(id: string): string {
  const unit = units.find((u) => u.id === id);
  if (!unit?.target) throw new Error(`No Chinese for id ${id} in src/locales/zh-CN.xlf`);
  return unit.target;
}

/** [lab, address, the English title of its backend badge]. */
const BADGES: Array<[string, string, string]> = [
  ['attention', './#/attention?heads=2&L=16', 'What computed these numbers'],
  ['diffusion', './#/diffusion?particles=500&T=20', 'What computed these particles'],
  ['batchnorm', './#/batchnorm?', 'Compute backend of this lab'],
  ['recommend', './#/recommend?users=8&items=1024', 'What computed these numbers'],
  ['random', './#/random?seed=1&count=10000&bins=32', 'What computed these numbers'],
];

test('every lab badge names its backend in the interface language; English again after a switch; exports stay English', async ({
  page,
}) => {
  const problems = watchConsole(page);
  const badge = (title: string) => page.locator(`.badge[title="${title}"]`);
  for (const [lab, url, title] of BADGES) {
    await page.goto(`${url}&backend=cpu&lang=zh-CN`);
    await expect(badge(zh(title)), lab).toHaveText(zhId('backend.badge-cpu'));
  }
  // Still the random lab's run: switching to English renames the badge in place.
  await page.getByRole('combobox', { name: zh('Language') }).selectOption('en');
  await expect(badge('What computed these numbers')).toHaveText('CPU');
  // On the GPU in Chinese: the adapter's words translated on the page, the export's label English.
  await page.goto('./#/random?seed=1&count=10000&bins=32&backend=gpu&lang=zh-CN');
  const gpu = badge(zh('What computed these numbers'));
  await expect(gpu).toContainText(/swiftshader|nvidia|amd|intel|apple|qualcomm|arm/i);
  await expect(gpu).not.toContainText('software adapter');
  const exported = (await downloadJson(page, zh('Export moments (JSON)'))) as { backend: string };
  expect(exported.backend).toMatch(/swiftshader|nvidia|amd|intel|apple|qualcomm|arm/i);
  expect(exported.backend).not.toMatch(CJK);
  if (/software adapter/.test(exported.backend)) await expect(gpu).toContainText('软件适配器');
  expect(problems).toEqual([]);
});
