import { expect, test, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { buildGpt2Safetensors, withHeaderLength } from '../helpers/gpt2-fixture';
import { gpt2Reference } from '../../src/models/gpt2/ref';
import { downloadText, parseCsv } from './downloads';
import { screenshot, watchConsole } from './helpers';

interface ModelExport {
  lab: string;
  model: { kind: string; nLayer: number; nHead: number; nEmbd: number; vocab: number; nPositions: number };
  tokens: string[];
  ids: number[];
  attention: number[][][][];
  next: { id: number; token: string; p: number }[];
  backend: string;
}

const fixture = buildGpt2Safetensors({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  nPositions: 64,
  dtype: 'F16',
  prefix: false,
  seed: 14,
  scale: 0.5,
});

async function chooseGpt2(page: Page) {
  await page.goto('./#/attention');
  await page.getByRole('combobox', { name: 'Model' }).selectOption('gpt2');
  await expect(page.getByRole('region', { name: 'GPT-2 model' })).toBeVisible();
}

test('Attention lab: load a GPT-2 file, read a head, export its attention', async ({ page }) => {
  const problems = watchConsole(page);
  await chooseGpt2(page);
  // Without a file the lab says what to do (and does not crash).
  await expect(page.getByText(/Load a GPT-2 checkpoint first/)).toBeVisible();
  // Width 32 has no standard head count: the config.json chosen with the weights gives it.
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles([
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(fixture.bytes) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"n_head": 2}') },
  ]);
  const panel = page.getByRole('region', { name: 'GPT-2 model' });
  await expect(panel).toContainText('2 layers, 2 heads, width 32');
  await expect(panel).toContainText('Weights stored as F16');
  // Tokens as the model sees them: the leading-space marker is visible.
  await expect(page.getByLabel('Tokens as the model sees them')).toContainText('Ġcat');
  const cell = page.getByRole('button', { name: 'Layer 1 head 1' });
  await cell.click();
  await expect(cell).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('combobox', { name: 'Layer' })).toHaveValue('1');
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Top 5 next tokens' }).locator('li')).toHaveCount(5);

  // The score table sorts by a header button and says so with aria-sort.
  const selfHeader = page.getByRole('columnheader', { name: 'Self' });
  await selfHeader.getByRole('button').click();
  await expect(selfHeader).toHaveAttribute('aria-sort', 'descending');
  await selfHeader.getByRole('button').click();
  await expect(selfHeader).toHaveAttribute('aria-sort', 'ascending');
  const selfCells = await page.locator('table.gpt2-heads tbody tr td:nth-child(5)').allTextContents();
  expect(selfCells).toHaveLength(4);
  expect([...selfCells].map(Number)).toEqual([...selfCells].map(Number).sort((a, b) => a - b));
  const csv = parseCsv((await downloadText(page, 'Export head scores (CSV)')).text);
  expect(csv[0]).toEqual(['layer', 'head', 'previous_token', 'first_token', 'self', 'mean_distance']);
  expect(csv).toHaveLength(5);

  const { name, text } = await downloadText(page, 'Export model attention (JSON)');
  expect(name).toMatch(/gpt2.*\.json$/);
  const e = JSON.parse(text) as ModelExport;
  expect(Object.keys(e).sort()).toEqual(
    ['lab', 'model', 'tokens', 'ids', 'attention', 'next', 'backend'].sort(),
  );
  expect(e.lab).toBe('attention');
  expect(e.model).toEqual({ kind: 'gpt2', nLayer: 2, nHead: 2, nEmbd: 32, vocab: 50257, nPositions: 64 });
  const T = e.ids.length;
  expect(e.tokens).toHaveLength(T);
  expect(e.attention).toHaveLength(2);
  const want = gpt2Reference(fixture.tensors, fixture.config, e.ids, { attention: true });
  // Tolerance: DESIGN.md's N·2⁻²³ rule for reductions, N = the summed reduction lengths on the path to
  // layer 1's weights (two LayerNorms 4C, c_attn C, c_proj C, c_fc C, mlp c_proj 4C, scores d, two softmaxes
  // and A·V 3T, GELU ~100, exp/div ULPs ~20; C = 32, d = 16, T ≤ 16): N ≈ 450 + 48 < 600, so
  // 600·2⁻²³ ≈ 7.2e-5 on weights ≤ 1. Measured error is printed below.
  const tol = 600 * 2 ** -23;
  let worst = 0;
  for (let l = 0; l < 2; l++) {
    expect(e.attention[l]).toHaveLength(2);
    for (let h = 0; h < 2; h++) {
      const rows = e.attention[l]![h]!;
      expect(rows).toHaveLength(T);
      for (let q = 0; q < T; q++) {
        const row = rows[q]!;
        expect(row).toHaveLength(T);
        // The causal upper triangle is exactly 0.
        for (let k = q + 1; k < T; k++) expect(row[k], `L${l} h${h} [${q}][${k}]`).toBe(0);
        // f32 softmax row: T·2⁻²³ for the sum plus the 2.5-ULP division ≈ 2e-6 for T ≤ 16; 1e-5 is ample.
        const sum = row.reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - 1)).toBeLessThanOrEqual(1e-5);
        for (let k = 0; k <= q; k++)
          worst = Math.max(worst, Math.abs(row[k]! - want.attention![l]![(h * T + q) * T + k]!));
      }
    }
  }
  console.log(
    `GPT-2 e2e: max |A_gpu − A_ref| = ${worst.toExponential(2)} (tolerance ${tol.toExponential(2)})`,
  );
  expect(worst).toBeLessThanOrEqual(tol);
  // The lab's stage views got layer 1's Q, K, V (read back from the GPU forward, split per head): its own
  // attention kernels reproduce the model's layer-1 weights. Both are f32 softmaxes of the same f32 Q·K
  // (d = 16) computed by different kernels: (d + 2T + 8)·2⁻²³·(1 + score range ≲ 4) < 1e-5 for T ≤ 16.
  const lab = JSON.parse((await downloadText(page, 'Export weights (JSON)')).text) as {
    weights: number[][][];
    heads: number;
    L: number;
  };
  expect([lab.heads, lab.L]).toEqual([2, T]);
  let labWorst = 0;
  for (let h = 0; h < 2; h++)
    for (let q = 0; q < T; q++)
      for (let k = 0; k < T; k++)
        labWorst = Math.max(labWorst, Math.abs(lab.weights[h]![q]![k]! - e.attention[1]![h]![q]![k]!));
  console.log(`GPT-2 e2e: lab stage weights vs model layer 1: max |Δ| = ${labWorst.toExponential(2)}`);
  expect(labWorst).toBeLessThanOrEqual(1e-5);
  expect(e.next).toHaveLength(5);
  const total = e.next.reduce((a, n) => a + n.p, 0);
  expect(total).toBeLessThanOrEqual(1 + 1e-6);
  for (let i = 1; i < 5; i++) expect(e.next[i]!.p).toBeLessThanOrEqual(e.next[i - 1]!.p);
  expect(e.backend).toMatch(/WebGPU/);
  await screenshot(page, 'attention-gpt2');
  const axe = await new AxeBuilder({ page }).analyze();
  const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  expect(problems).toEqual([]);
});

test('Attention lab: a malformed GPT-2 file shows an alert and the lab keeps working', async ({ page }) => {
  await chooseGpt2(page);
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles({
    name: 'broken.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(withHeaderLength(fixture.bytes.slice(0, 4096), 1 << 30)),
  });
  await expect(
    page.getByRole('alert').filter({ hasText: 'Could not load broken.safetensors' }),
  ).toBeVisible();
  // Without config.json, width 32 has no standard head count: refused by name.
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles({
    name: 'model.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from(fixture.bytes),
  });
  await expect(
    page.getByRole('alert').filter({ hasText: 'Width 32 has no standard head count' }),
  ).toBeVisible();
  // The lab still runs: back to the random projections.
  await page.getByRole('combobox', { name: 'Model' }).selectOption('random');
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toBeVisible();
});

test('Attention lab: GPT-2 beyond 256 tokens shows pooled maps; past n_positions it is refused', async ({
  page,
}) => {
  const long = buildGpt2Safetensors({
    nLayer: 2,
    nHead: 2,
    nEmbd: 32,
    nPositions: 300,
    dtype: 'BF16',
    prefix: true,
    seed: 3,
  });
  await chooseGpt2(page);
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles([
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(long.bytes) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"n_head": 2}') },
  ]);
  const panel = page.getByRole('region', { name: 'GPT-2 model' });
  await expect(panel).toContainText('context 300 tokens');
  const sentence = page.getByLabel('Sentence (GPT-2 tokens)');
  // "a" then " a" × 269: 270 GPT-2 tokens.
  await sentence.fill(Array(270).fill('a').join(' '));
  await sentence.press('Tab');
  await expect(panel).toContainText('max-pooled to 256×256');
  await expect(panel).toContainText('this text has 270');
  await page.getByRole('button', { name: 'Export model attention (JSON)' }).click();
  await expect(
    panel.getByRole('alert').filter({ hasText: 'full maps only, up to 256 tokens; this text has 270' }),
  ).toBeVisible();
  await sentence.fill(Array(310).fill('a').join(' '));
  await sentence.press('Tab');
  await expect(
    page.getByText(/310 GPT-2 tokens, but this model's context \(n_positions\) is 300/),
  ).toBeVisible();
});
