import type { Page } from '@playwright/test';

/** Per-channel batch statistics as exported by the BatchNorm lab. */
export interface Stats {
  mean: number[];
  var: number[];
}
/** The lab's "Export statistics (JSON)" file. */
export interface Export {
  lab: string;
  step: number;
  layers: { index: number; preBN: Stats; postBN: Stats; runningMean: number[]; runningVar: number[] }[];
  loss: { withBN: number[]; withoutBN: number[] };
  backend: string;
}

/** Clicks a button and returns the downloaded file as UTF-8 text. */
export async function downloadText(page: Page, buttonName: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Clicks (or, with `key`, focuses and presses that key on) a button and returns the downloaded file. */
export async function downloadFile(
  page: Page,
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
