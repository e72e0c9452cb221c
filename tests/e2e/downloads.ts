import type { Page } from '@playwright/test';

/** Clicks the button with the given accessible name (exact) and returns the downloaded file's name and text. */
export async function downloadText(page: Page, buttonName: string): Promise<{ name: string; text: string }> {
  // Chromium silently drops a download when a page starts more than about ten within a second (measured
  // here: every 11th of back-to-back clicks vanished, none with 150 ms between them); a person never
  // clicks that fast, a test does.
  await page.waitForTimeout(250);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}

/**
 * Parses RFC 4180 CSV strictly: quoted cells may hold commas, quotes ("") and line breaks; every record
 * must have as many cells as the header. Throws on anything malformed, so a test that parses a download
 * also checks it is valid CSV.
 */
export function parseCsv(text: string): string[][] {
  if (!text.endsWith('\n')) throw new Error('CSV does not end with a line break');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\n')
          throw new Error(`text after a quote at ${i}`);
        continue;
      }
      cell += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (cell !== '') throw new Error(`quote inside an unquoted cell at ${i}`);
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else {
      cell += c;
    }
    i++;
  }
  if (quoted) throw new Error('unterminated quoted cell');
  const width = rows[0]?.length ?? 0;
  rows.forEach((r, k) => {
    if (r.length !== width) throw new Error(`CSV record ${k} has ${r.length} cells, the header ${width}`);
  });
  return rows;
}

/** A CSV number cell: a finite decimal, or -inf / inf. */
export function csvNumber(cell: string): number {
  if (cell === '-inf') return -Infinity;
  if (cell === 'inf') return Infinity;
  const v = Number(cell);
  if (cell.trim() === '' || !Number.isFinite(v)) throw new Error(`not a number: ${JSON.stringify(cell)}`);
  return v;
}
