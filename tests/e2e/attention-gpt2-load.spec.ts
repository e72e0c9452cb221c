import { expect, test, type Page } from '@playwright/test';
import { buildGpt2Safetensors } from '../helpers/gpt2-fixture';
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
