import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { downloadJson, expectWebGpuBadge, screenshot, watchConsole } from './helpers';
import { csvNumber, downloadText, parseCsv } from './downloads';

interface AttentionExport {
  lab: string;
  tokens: string[];
  mask: string;
  heads: number;
  L: number;
  d: number;
  scale: number;
  q: number[][][];
  k: number[][][];
  v: number[][][];
  weights: number[][][];
  output: number[][][];
  backend: string;
}

const KEYS = [
  'lab',
  'tokens',
  'mask',
  'heads',
  'L',
  'd',
  'scale',
  'q',
  'k',
  'v',
  'weights',
  'output',
  'backend',
];

/** Waits until the lab shows a finished run with the given mask (the summary line names it). */
async function waitForRun(page: Page, text: RegExp) {
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(text);
}

function checkShape(e: AttentionExport) {
  expect(Object.keys(e).sort()).toEqual([...KEYS].sort());
  expect(e.lab).toBe('attention');
  expect(e.tokens).toHaveLength(e.L);
  for (const name of ['q', 'k', 'v', 'output'] as const) {
    expect(e[name], name).toHaveLength(e.heads);
    for (const head of e[name]) {
      expect(head).toHaveLength(e.L);
      for (const row of head) expect(row).toHaveLength(e.d);
    }
  }
  expect(e.weights).toHaveLength(e.heads);
  for (const head of e.weights) {
    expect(head).toHaveLength(e.L);
    for (const row of head) expect(row).toHaveLength(e.L);
  }
}

/** Every row sums to 1 within 1e-5 (f32 weights, summed here in float64). */
function expectRowsSumToOne(e: AttentionExport) {
  for (let h = 0; h < e.heads; h++) {
    for (let q = 0; q < e.L; q++) {
      const sum = e.weights[h]![q]!.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1), `head ${h} row ${q} sums to ${sum}`).toBeLessThanOrEqual(1e-5);
    }
  }
}

function upperTriangle(e: AttentionExport): number[] {
  const out: number[] = [];
  for (let h = 0; h < e.heads; h++)
    for (let q = 0; q < e.L; q++) for (let k = q + 1; k < e.L; k++) out.push(e.weights[h]![q]![k]!);
  return out;
}

test('Attention lab: type a sentence, toggle the causal mask, export the weights', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention');
  await expect(page.getByRole('heading', { level: 2 })).toContainText('Masked attention');
  await expectWebGpuBadge(page);

  const sentence = page.getByRole('textbox', { name: 'Sentence' });
  await sentence.fill('The quick brown fox jumps over the lazy dog');
  await sentence.press('Enter');
  await expect(page).toHaveURL(/text=The\+quick\+brown/);
  await waitForRun(page, /L = 9 .*mask none/);

  const causal = page.getByRole('checkbox', { name: /Causal mask/ });
  await expect(causal).not.toBeChecked();
  await causal.check();
  await expect(page).toHaveURL(/mask=causal/);
  await waitForRun(page, /mask causal/);
  await expect(page.getByRole('combobox', { name: 'Mask' })).toHaveValue('causal');

  const on = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  checkShape(on);
  expect(on).toMatchObject({ lab: 'attention', mask: 'causal', heads: 4, L: 9, d: 16 });
  expect(on.tokens).toEqual(['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog']);
  expect(on.scale).toBeCloseTo(0.25, 7);
  expect(on.backend).toMatch(/swiftshader|gpu|nvidia|amd|intel|apple/i);
  expect(upperTriangle(on).every((w) => w === 0)).toBe(true);
  expectRowsSumToOne(on);

  // Hover a cell of the enlarged heatmap: query, key, raw score and weight.
  const enlarged = page.getByRole('img', { name: /Softmax weights of head 1, queries 0–8/ });
  const box = (await enlarged.boundingBox())!;
  const at = { x: box.width * 0.75, y: box.height * 0.75 };
  await enlarged.hover({ position: at });
  await expect(page.locator('.cell-info')).toContainText(
    /query “.+” \(#\d\) · key “.+” \(#\d\) · raw score QKᵀ = .+ · weight = /,
  );
  // Click a row: its weights as a bar chart.
  await enlarged.click({ position: at });
  await expect(page.getByRole('heading', { name: /Weights of query “.+” \(#\d\), head 1/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Softmax weights of query/ })).toBeVisible();
  await expect(page).toHaveURL(/row=\d/);
  await expect(page.getByRole('table', { name: 'Numerics' })).toContainText('Fully-masked rows');
  await expect(
    page.getByRole('table', { name: 'Numerics' }).getByRole('row', { name: /Softmax weights/ }),
  ).toContainText(/\d\.\d\de-\d|^0$|\b0\b/);
  await page.mouse.move(0, 0);
  await screenshot(page, 'attention-causal');

  await causal.uncheck();
  await expect(page).toHaveURL(/mask=none/);
  await waitForRun(page, /mask none/);
  const off = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  checkShape(off);
  expect(off.mask).toBe('none');
  expect(upperTriangle(off).every((w) => w === 0)).toBe(false);
  expectRowsSumToOne(off);
  // Same inputs: Q, K, V do not depend on the mask.
  expect(off.q).toEqual(on.q);
  expect(problems).toEqual([]);
});

test('Attention lab: the "c" key toggles the causal mask, except while typing', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?text=one+two+three+four&heads=2&d=8');
  await waitForRun(page, /mask none/);
  const causal = page.getByRole('checkbox', { name: /Causal mask/ });
  await page.getByRole('heading', { level: 2 }).click();
  await page.keyboard.press('c');
  await expect(causal).toBeChecked();
  await expect(page).toHaveURL(/mask=causal/);
  await waitForRun(page, /mask causal/);
  await page.keyboard.press('c');
  await expect(causal).not.toBeChecked();
  await expect(page).toHaveURL(/mask=none/);
  // Typing a "c" into the sentence does not toggle the mask.
  const sentence = page.getByRole('textbox', { name: 'Sentence' });
  await sentence.focus();
  await page.keyboard.press('End');
  await page.keyboard.type(' c');
  await expect(sentence).toHaveValue('one two three four c');
  await expect(causal).not.toBeChecked();
  expect(problems).toEqual([]);
});

test('Attention lab: a malformed import shows an alert naming the problem; a valid one is used', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?heads=2&d=8');
  await waitForRun(page, /mask none/);
  const input = page.getByLabel('Import Q, K, V (JSON)');
  await input.setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"q": [[[1, 2]]], "k": '),
  });
  await expect(page.getByRole('alert')).toContainText(
    'Could not import broken.json: not valid JSON at position',
  );
  await input.setInputFiles({
    name: 'shapes.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ q: [[[1, 2]]], k: [[[1]]], v: [[[1, 2]]] })),
  });
  await expect(page.getByRole('alert')).toContainText('"k" rows have length 1 but "q" rows have length 2');
  await screenshot(page, 'attention-import-error');

  // The app keeps working: a valid file replaces the sentence's Q, K, V.
  const q = [
    [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
  ];
  await input.setInputFiles({
    name: 'tiny.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ tokens: ['a', 'b', 'c'], q, k: q, v: q })),
  });
  await expect(page.getByText('Using Q, K, V from tiny.json')).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await waitForRun(page, /1 head · L = 3 · d = 2/);
  const e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  checkShape(e);
  expect(e).toMatchObject({ heads: 1, L: 3, d: 2, tokens: ['a', 'b', 'c'] });
  expect(e.q).toEqual(q);
  expectRowsSumToOne(e);
  expect(problems).toEqual([]);
});

test('Attention lab: a long sequence is pooled on the GPU; zoom fetches full resolution', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?L=512&heads=2&d=8&mask=causal');
  await waitForRun(page, /L = 512/);
  await expect(page.getByText(/max-pooled on the GPU to 256×256/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Numerics' })).toContainText('reference skipped above L=256');
  await expect(page.getByText('The 11 tokens repeat to fill L = 512.')).toBeVisible();
  await screenshot(page, 'attention-long-pooled');
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(
    page.getByText(/Queries 128–383 × keys 128–383, full resolution \(a window fetched from the GPU\)/),
  ).toBeVisible();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Pan right' }).click();
  await expect(page.getByText(/Queries 192–319 × keys 224–351, full resolution/)).toBeVisible();
  await page.getByRole('combobox', { name: 'Weights colour' }).selectOption('max');
  await expect(page).toHaveURL(/weightRange=max/);
  await screenshot(page, 'attention-long-zoomed');
  // The export re-runs the staged path for every weight at full resolution.
  const e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  expect(e).toMatchObject({ heads: 2, L: 512, d: 8, mask: 'causal' });
  expect(upperTriangle(e).every((w) => w === 0)).toBe(true);
  expectRowsSumToOne(e);
  expect(problems).toEqual([]);
});

test('Attention lab on the CPU reference: fully-masked rows give zeros, not NaN', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?backend=cpu&mask=padding&validLength=0&heads=2&d=8');
  await expect(page.getByRole('status', { name: 'Compute backend' })).toHaveText('CPU');
  await waitForRun(page, /CPU float64 reference · 2 heads · L = 11 .* mask padding \(valid length 0\)/);
  const numerics = page.getByRole('table', { name: 'Numerics' });
  await expect(numerics.getByRole('row', { name: /Fully-masked rows/ })).toContainText('22');
  await expect(
    page.getByText(/query “the” \(#0\) is fully masked: literal softmax gives \[NaN, NaN/),
  ).toBeVisible();
  const e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  checkShape(e);
  expect(e.backend).toBe('CPU');
  expect(e.mask).toBe('padding');
  expect(e.weights.flat(2).every((w) => w === 0)).toBe(true);
  expect(e.output.flat(2).every((x) => x === 0)).toBe(true);
  await screenshot(page, 'attention-cpu-fully-masked');
  expect(problems).toEqual([]);
});

test('Attention lab: paint a custom mask with the keyboard', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?text=a+b+c+d&mask=custom&heads=1&d=8');
  await waitForRun(page, /mask custom/);
  let e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  expect(e.mask).toBe('custom');
  expect(upperTriangle(e).every((w) => w === 0)).toBe(true); // the custom mask starts as causal
  const canvas = page.getByRole('img', { name: /Softmax weights of head 1, queries 0–3/ });
  await canvas.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await expect(page.locator('.cell-info')).toContainText('query “a” (#0) · key “d” (#3)');
  await expect(page.locator('.cell-info')).toContainText('masked');
  await page.keyboard.press('Space');
  await expect(page.locator('.cell-info')).not.toContainText('masked');
  e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  expect(e.weights[0]![0]![3]).toBeGreaterThan(0);
  expect(e.weights[0]![0]![1]).toBe(0);
  expectRowsSumToOne(e);
  // Enter picks the cursor's row for the bar chart.
  await canvas.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Weights of query “a” (#0), head 1' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('Attention lab: no serious or critical accessibility violations', async ({ page }) => {
  await page.goto('./#/attention?row=2');
  await waitForRun(page, /mask none/);
  await expect(page.getByRole('img', { name: /Softmax weights of query/ })).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
});

test('Attention lab: sizes beyond the staged limits are refused with a message naming the limit', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?L=4096&heads=16&d=8&path=staged');
  await expect(page.getByRole('alert')).toContainText(
    /Could not compute attention: .*(staged budget of 1\.00 GiB|maxStorageBufferBindingSize|maxBufferSize)/,
  );
  // The controls still work: back to a small size.
  await page.getByRole('spinbutton', { name: 'L (0 = token count)' }).fill('16');
  await page.getByRole('spinbutton', { name: 'L (0 = token count)' }).press('Enter');
  await waitForRun(page, /staged path · 16 heads · L = 16 /);
  await expect(page.getByRole('alert')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('Attention lab: the fused path agrees with the reference and exports the same layout', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?path=fused&mask=window&window=3&heads=2&d=8');
  await waitForRun(page, /fused path · 2 heads · L = 11 .* mask window \(causal, width 3\)/);
  await expect(page.getByText('The fused path never materialises this stage').first()).toBeVisible();
  const numerics = page.getByRole('table', { name: 'Numerics' });
  await expect(numerics.getByRole('row', { name: /QKᵀ/ })).toContainText('not computed (fused path)');
  const weightsDiff = numerics.getByRole('row', { name: /Softmax weights/ }).getByRole('cell');
  await expect(weightsDiff).toHaveAttribute('data-value', /.+/);
  expect(Number(await weightsDiff.getAttribute('data-value'))).toBeLessThan(1e-5);
  const e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  checkShape(e);
  expect(e.mask).toBe('window');
  expectRowsSumToOne(e);
  for (let h = 0; h < e.heads; h++)
    for (let q = 0; q < e.L; q++)
      for (let k = 0; k < e.L; k++) {
        const kept = k <= q && q - k < 3;
        if (!kept) expect(e.weights[h]![q]![k], `head ${h} (${q}, ${k})`).toBe(0);
      }
  expect(problems).toEqual([]);
});

test('Attention lab: every stage, Q/K/V, the numerics and a row download as valid CSV and JSON', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?text=one+two+three+four&heads=2&d=8&mask=causal&head=1&row=2');
  await waitForRun(page, /2 heads · L = 4 · d = 8 .*mask causal/);
  await expect(
    page.getByRole('table', { name: 'Numerics' }).getByRole('row', { name: /Output/ }),
  ).toContainText(/\d|^0$/);
  const full = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  const h = 1; // head=1 in the URL is the second head (0-based), "head 2" on the page
  const names = full.tokens.map((t, i) => `${i}:${t}`);
  for (const [short, stage] of [
    ['QKᵀ', 'scores'],
    ['scaled', 'scaled'],
    ['masked', 'masked'],
    ['weights', 'weights'],
    ['output', 'output'],
  ] as const) {
    const cols = stage === 'output' ? 8 : 4;
    const csv = parseCsv((await downloadText(page, `Export ${short} of head 2 (CSV)`)).text);
    expect(csv, stage).toHaveLength(5);
    expect(csv[0]!.slice(1), stage).toEqual(
      stage === 'output' ? [0, 1, 2, 3, 4, 5, 6, 7].map((j) => `dim${j}`) : names,
    );
    expect(
      csv.slice(1).map((r) => r[0]),
      stage,
    ).toEqual(names);
    const csvValues = csv.slice(1).map((r) => r.slice(1).map(csvNumber));
    const json = JSON.parse((await downloadText(page, `Export ${short} of head 2 (JSON)`)).text) as {
      lab: string;
      stage: string;
      head: number;
      L: number;
      values: Array<Array<number | null>>;
    };
    expect(json, stage).toMatchObject({ lab: 'attention', stage, head: 2, L: 4 });
    expect(json.values, stage).toHaveLength(4);
    for (const row of json.values) expect(row).toHaveLength(cols);
    // CSV and JSON hold the same numbers (masked: -inf in CSV, null in JSON).
    expect(
      json.values.map((r) => r.map((v) => (v === null ? -Infinity : v))),
      stage,
    ).toEqual(csvValues);
    if (stage === 'weights') expect(json.values, stage).toEqual(full.weights[h]);
    if (stage === 'output') expect(json.values, stage).toEqual(full.output[h]);
    if (stage === 'masked') {
      for (let q = 0; q < 4; q++)
        for (let k = 0; k < 4; k++) expect(json.values[q]![k] === null, `masked (${q}, ${k})`).toBe(k > q);
    }
  }

  const qkv = JSON.parse((await downloadText(page, 'Export Q, K, V and output (JSON)')).text) as Record<
    string,
    unknown
  >;
  expect(qkv).toMatchObject({ lab: 'attention', head: 2, L: 4, d: 8, tokens: full.tokens });
  for (const name of ['q', 'k', 'v', 'output'] as const) expect(qkv[name], name).toEqual(full[name][h]);
  const qkvCsv = parseCsv((await downloadText(page, 'Export Q, K, V and output (CSV)')).text);
  expect(qkvCsv).toHaveLength(5);
  expect(qkvCsv[1]!.slice(2, 10).map(csvNumber)).toEqual(full.q[h]![0]);

  const numCsv = parseCsv((await downloadText(page, 'Export numerics (CSV)')).text);
  expect(numCsv[0]).toEqual(['quantity', 'value']);
  const numJson = JSON.parse((await downloadText(page, 'Export numerics (JSON)')).text) as {
    rows: Array<{ quantity: string; value: number | string }>;
  };
  expect(numJson.rows.map((r) => [r.quantity, String(r.value)])).toEqual(numCsv.slice(1));
  const weightsDiff = numJson.rows.find((r) => r.quantity.includes('Softmax weights'))!.value;
  expect(typeof weightsDiff).toBe('number');
  expect(weightsDiff as number).toBeLessThan(1e-5);
  expect(numJson.rows.find((r) => r.quantity === 'fully-masked rows')!.value).toBe(0);

  await expect(page.getByRole('heading', { name: /Weights of query “three” \(#2\), head 2/ })).toBeVisible();
  const rowCsv = parseCsv((await downloadText(page, 'Export row weights (CSV)')).text);
  expect(rowCsv.slice(1).map((r) => csvNumber(r[2]!))).toEqual(full.weights[h]![2]);
  const rowJson = JSON.parse((await downloadText(page, 'Export row weights (JSON)')).text) as {
    query: number;
    head: number;
    weights: number[];
  };
  expect(rowJson).toMatchObject({ query: 2, head: 2, weights: full.weights[h]![2] });
  const svg = await downloadText(page, 'Export row chart (SVG)');
  expect(svg.text.startsWith('<svg')).toBe(true);
  expect(svg.text).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(problems).toEqual([]);
});

test('Attention lab: L = 4096 runs in batches with progress; Cancel keeps the last result', async ({
  page,
}) => {
  const problems = watchConsole(page);
  // A pooled result first (L > 256): its zoom reads the GPU buffers that the cancelled run replaces.
  await page.goto('./#/attention?heads=2&d=8&L=300');
  await waitForRun(page, /2 heads · L = 300 /);
  const L = page.getByRole('spinbutton', { name: 'L (0 = token count)' });
  await L.fill('4096');
  await L.press('Enter');
  const status = page.getByRole('status').filter({ hasText: /Running 1 of 2 batches \(head 1 of 2\)/ });
  await expect(status).toBeVisible();
  await screenshot(page, 'attention-progress');
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Cancelled.' })).toContainText(
    'Showing the last completed result',
  );
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toContainText(/2 heads · L = 300 /);
  await expect(page.getByText(/max-pooled on the GPU to 256×256/)).toBeVisible();
  // Zooming needs the result's GPU buffers, which the cancelled run overwrote: the page says so.
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.locator('#enlarged-help')).toContainText(
    'cannot fetch the zoomed window: the GPU no longer holds this result',
  );
  // The controls work: the same L computes again, and zoom fetches from the GPU again.
  await L.fill('300');
  await L.press('Enter');
  await expect(page.getByText('Cancelled.')).toHaveCount(0);
  await waitForRun(page, /2 heads · L = 300 /);
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(page.getByText(/full resolution \(a window fetched from the GPU\)/)).toBeVisible();
  const e = (await downloadJson(page, 'Export weights (JSON)')) as AttentionExport;
  expect(e).toMatchObject({ heads: 2, L: 300, d: 8 });
  expectRowsSumToOne(e);
  expect(problems).toEqual([]);
});

test('Attention lab: the fused path pools the overview inside the attention pass, in either mode', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await page.goto('./#/attention?L=300&heads=2&d=8&path=fused&mask=causal');
  await waitForRun(page, /L = 300 /);
  await expect(page.getByText(/max-pooled on the GPU to 256×256 inside the attention pass/)).toBeVisible();
  await page.getByRole('combobox', { name: /Pooling/ }).selectOption('mean');
  await expect(page.getByText(/mean-pooled on the GPU to 256×256 inside the attention pass/)).toBeVisible();
  expect(problems).toEqual([]);
});
