import { expect, test, type Page } from '@playwright/test';
import { buildGpt2Safetensors } from '../helpers/gpt2-fixture';
import { downloadText } from './downloads';
import { watchConsole } from './helpers';

// GPT-2 loading as a person does it (issue #14): dropping the files on the drop zone, and Cancel while a
// checkpoint streams in, which keeps the model already loaded and leaves the lab working.

const small = buildGpt2Safetensors({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  nPositions: 64,
  dtype: 'F16',
  prefix: true,
  seed: 15,
  scale: 0.5,
});

async function chooseGpt2(page: Page) {
  await page.goto('./#/attention');
  await page.getByRole('combobox', { name: 'Model' }).selectOption('gpt2');
  await expect(page.getByRole('region', { name: 'GPT-2 model' })).toBeVisible();
}

/** Drops files on the drop zone, as dragging them from the desktop does. */
async function dropFiles(page: Page, files: Array<{ name: string; bytes: Uint8Array; type: string }>) {
  // Bytes travel as base64 (a plain array of a few MB would be slow to serialise).
  const dataTransfer = await page.evaluateHandle(
    (list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      return dt;
    },
    files.map((f) => ({ name: f.name, type: f.type, base64: Buffer.from(f.bytes).toString('base64') })),
  );
  await page.locator('.gpt2-drop').dispatchEvent('drop', { dataTransfer });
}

test('GPT-2: drop the weights with their config.json; Cancel a slow load and keep the loaded model', async ({
  page,
}) => {
  const problems = watchConsole(page);
  await chooseGpt2(page);
  await dropFiles(page, [
    { name: 'model.safetensors', bytes: small.bytes, type: 'application/octet-stream' },
    { name: 'config.json', bytes: new TextEncoder().encode('{"n_head": 2}'), type: 'application/json' },
  ]);
  const panel = page.getByRole('region', { name: 'GPT-2 model' });
  await expect(panel).toContainText('2 layers, 2 heads, width 32');
  await expect(page.getByRole('list', { name: 'Top 5 next tokens' }).locator('li')).toHaveCount(5);
  const before = await page.getByRole('list', { name: 'Top 5 next tokens' }).textContent();

  // A slow disk: every read of the file after its header takes 100 ms, so the load is still streaming when
  // Cancel is pressed.
  await page.evaluate(() => {
    const read = Blob.prototype.arrayBuffer;
    Blob.prototype.arrayBuffer = async function (this: Blob) {
      if (this.size > 1024) await new Promise((r) => setTimeout(r, 100));
      return read.call(this);
    };
  });
  const other = buildGpt2Safetensors({
    nLayer: 2,
    nHead: 4,
    nEmbd: 64,
    nPositions: 64,
    dtype: 'F32',
    prefix: false,
    seed: 16,
    scale: 0.5,
  });
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles([
    { name: 'other.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(other.bytes) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"n_head": 4}') },
  ]);
  const progress = panel.getByRole('status').filter({ has: page.getByRole('progressbar') });
  // Streaming tensors (past the header): the progress names the tensor being read.
  await expect(progress).toContainText(/Loading (?!the header)\S+…/);
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel).toContainText('Loading other.safetensors was cancelled.');
  await expect(progress).toHaveCount(0);
  // Cancel while the header is still being read ends the load too (it used to run on to the tensors).
  await page.getByLabel('Load GPT-2 weights (.safetensors)').setInputFiles([
    { name: 'third.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(other.bytes) },
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"n_head": 4}') },
  ]);
  await expect(progress).toContainText('Loading the header…');
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel).toContainText('Loading third.safetensors was cancelled.');
  await expect(progress).toHaveCount(0);
  // The model loaded before is still the one shown, and it still runs.
  await expect(panel).toContainText('2 layers, 2 heads, width 32');
  await expect(page.getByRole('list', { name: 'Top 5 next tokens' })).toHaveText(before!);
  await page.getByRole('button', { name: 'Layer 1 head 0' }).click();
  await expect(page.getByRole('combobox', { name: 'Layer' })).toHaveValue('1');
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toBeVisible();
  expect(problems).toEqual([]);
});

test('GPT-2 with 20 heads: a head past the kernels’ 16 opens in every stage view under its own number', async ({
  page,
}) => {
  const problems = watchConsole(page);
  const wide = buildGpt2Safetensors({
    nLayer: 2,
    nHead: 20,
    nEmbd: 40,
    nPositions: 64,
    dtype: 'F16',
    prefix: false,
    seed: 20,
    scale: 0.5,
  });
  await chooseGpt2(page);
  await dropFiles(page, [
    { name: 'model.safetensors', bytes: wide.bytes, type: 'application/octet-stream' },
    { name: 'config.json', bytes: new TextEncoder().encode('{"n_head": 20}'), type: 'application/json' },
  ]);
  const panel = page.getByRole('region', { name: 'GPT-2 model' });
  await expect(panel).toContainText('2 layers, 20 heads, width 40');
  // Grid head 17 (numbered from 0 there) is "Head 18" in the stage views, which run heads 17 … 20.
  await page.getByRole('button', { name: 'Layer 1 head 17' }).click();
  await expect(page.locator('.results[aria-busy="false"] .backend-line')).toBeVisible();
  await expect(page).toHaveURL(/[?&]head=17(&|$)/);
  await expect(page.locator('#heads-title')).toHaveText(
    'Heads 17 … 20 of 20 (softmax weights) — pick one to enlarge',
  );
  await expect(page.getByRole('button', { name: 'Head 18', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  await expect(page.locator('#enlarged-title')).toHaveText('Head 18: Softmax weights');
  const enlarged = page.getByRole('img', { name: /^Softmax weights of head 18, queries/ });
  const box = (await enlarged.boundingBox())!;
  await enlarged.hover({ position: { x: box.width * 0.75, y: box.height * 0.75 } });
  await expect(page.locator('.cell-info')).toContainText(/raw score QKᵀ = .+ · weight = /);
  await page.getByLabel('Query row (−1 = none)').fill('2');
  await page.getByLabel('Query row (−1 = none)').press('Enter');
  await expect(page.locator('#row-title')).toContainText('(#2), head 18');

  // The stage views' weights are the model's layer 1, head 17 (not head 1 of the block). Both are f32
  // softmaxes of the same f32 Q·K (d = 2) by different kernels: (d + 2T + 8)·2⁻²³·(1 + score range ≲ 4)
  // < 1e-5 for T ≤ 16.
  const model = JSON.parse((await downloadText(page, 'Export model attention (JSON)')).text) as {
    attention: number[][][][];
  };
  const stage = JSON.parse((await downloadText(page, 'Export weights of head 18 (JSON)')).text) as {
    head: number;
    values: number[][];
  };
  expect(stage.head).toBe(18);
  const want = model.attention[1]![17]!;
  expect(stage.values).toHaveLength(want.length);
  let worst = 0;
  want.forEach((row, q) =>
    row.forEach((w, k) => (worst = Math.max(worst, Math.abs(stage.values[q]![k]! - w)))),
  );
  expect(worst).toBeLessThanOrEqual(1e-5);

  // A head picked in the block's own panel: the URL and the stage views keep the model's numbering.
  await page.getByRole('button', { name: 'Head 17', exact: true }).click();
  await expect(page).toHaveURL(/[?&]head=16(&|$)/);
  await expect(page.locator('#enlarged-title')).toHaveText('Head 17: Softmax weights');

  // A head the model does not have (the URL allows up to 63): said, and its last head is shown.
  await page.evaluate(() => (location.hash = location.hash.replace(/head=\d+/, 'head=30')));
  await expect(page.getByText(/This model has 20 heads \(0 … 19\); head 30 does not exist/)).toBeVisible();
  await expect(page.locator('#enlarged-title')).toHaveText('Head 20: Softmax weights');
  expect(problems).toEqual([]);
});
