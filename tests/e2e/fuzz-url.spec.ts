import { expect, test, type Page } from '@playwright/test';
import { mulberry32 } from '../../src/util/rng';

// Fuzzed addresses: a few hundred random URLs from a fixed-seed generator — lab routes, each lab's own
// keys and junk keys, values that are huge, negative, NaN, unicode, empty or %-garbage. None may raise an
// uncaught error, and the shell (its nav) must still render. Most are loaded in one page by setting
// location.hash (fast); a few with page.goto (a fresh parse at start-up). GPU results are not awaited.
// The routes come from the nav's links and each lab's keys from the address it writes for its defaults,
// so new labs and controls are fuzzed without editing this file.

const rng = mulberry32;

const VALUES = [
  '',
  '0',
  '1',
  '-1',
  '-0',
  '1e308',
  '1e309',
  '-1e309',
  '99999999999999999999999',
  '4294967296',
  '2147483648',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1.5',
  '1_000',
  ' 7 ',
  'true',
  'off',
  '%',
  '%%41',
  '%E0%A4%A',
  '%00',
  '%FF%FE',
  '%uD800',
  '\u{1F600}',
  'ü𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '\u202Etxet',
  '<script>alert(1)</script>',
  '"\'`',
  '&&&',
  '===',
  '#',
  '?',
  '[]',
  '{"a":1}',
  'x'.repeat(3000),
  'causal',
  'dark',
  'cpu',
];
const JUNK_KEYS = ['', 'foo', '__proto__', 'constructor', 'toString', '%', '💥', 'seed[]', 'a=b', 'T ', 't'];
const EXTRA_PATHS = ['', 'nope', '%', '%E0%A4%A', 'random/extra', '//attention//', 'ATTENTION', '💥', '..'];

function randomUrl(next: () => number, labs: Map<string, string[]>): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const path = next() < 0.85 ? pick([...labs.keys()]) : pick(EXTRA_PATHS);
  const labKeys = labs.get(path) ?? [];
  const schema = Object.fromEntries(labKeys.map((k) => [k, true]));
  const keys = [...labKeys, 'backend', 'theme'];
  const parts: string[] = [];
  const n = Math.floor(next() * 6);
  for (let i = 0; i < n; i++) {
    const key = next() < 0.8 ? pick(keys) : pick(JUNK_KEYS);
    let value =
      next() < 0.7 ? pick(VALUES) : String(Math.floor((next() - 0.5) * 10 ** Math.floor(next() * 12)));
    // Half the time the value is encoded as a browser would; otherwise raw (the %-garbage stays garbage).
    if (next() < 0.5) value = encodeURIComponent(value);
    parts.push(next() < 0.1 ? key : `${key}=${value}`);
  }
  // The lab's viewing sizes are kept small so a valid-but-heavy URL does not stall the software adapter.
  if (schema && 'count' in schema) parts.push('count=1000');
  if (schema && 'particles' in schema) parts.push('particles=200');
  if (schema && 'L' in schema) parts.push('L=16');
  const query = parts.length ? `?${parts.join(next() < 0.9 ? '&' : ';')}` : '';
  return `#/${path}${query}`;
}

async function expectShell(page: Page, url: string) {
  const nav = page.locator('ks-app').getByRole('navigation', { name: 'Labs' });
  await expect(nav, url).toBeVisible({ timeout: 10_000 });
}

test('a few hundred fuzzed URLs never raise an uncaught error and the shell keeps rendering', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  let current = '';
  page.on('pageerror', (err) => errors.push(`${current}: ${err.message}`));
  const next = rng(20_261_129);
  // The labs' heavier GPU work is never awaited; the CPU backend keeps each parse cheap.
  await page.goto('./#/?backend=cpu');
  await expectShell(page, 'start');
  const labs = new Map<string, string[]>();
  const hrefs = await page
    .getByRole('navigation', { name: 'Labs' })
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  for (const href of hrefs) {
    const path = href.replace(/^#\/?/, '');
    if (path) {
      await page.goto(`./#/${path}?backend=cpu`);
      await expect(page).toHaveURL(new RegExp(`#/${path}`));
    }
    const hash = new URL(page.url()).hash;
    labs.set(
      path,
      [...new URLSearchParams(hash.split('?')[1] ?? '').keys()].filter((k) => k !== 'backend'),
    );
  }
  expect(labs.size).toBeGreaterThanOrEqual(5);
  expect(labs.get('random')).toContain('seed');

  const N = 300;
  for (let i = 0; i < N; i++) {
    current = randomUrl(next, labs);
    if (i % 60 === 59) {
      await page.goto(`./${current}`);
    } else {
      await page.evaluate((hash) => {
        location.hash = hash;
      }, current);
      await page.waitForTimeout(40);
    }
    if (i % 20 === 0) await expectShell(page, current);
  }
  // After all that, a valid address still shows its lab.
  await page.goto('./#/random?count=1000&backend=cpu');
  await expectShell(page, 'final');
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText('CPU');
  await expect(page.getByRole('table', { name: 'Moments' })).toBeVisible();
  expect(errors).toEqual([]);
});
