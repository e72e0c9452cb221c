/** Downloads: JSON / CSV / SVG / PNG from data the app already has. */

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser fetches the blob after this returns, in another process: on a busy machine that can take
  // over a second, and a revoked URL makes the download vanish without a trace. Keep it for a minute.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function downloadJson(filename: string, value: unknown): void {
  downloadBlob(filename, new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
}

export type CsvRow = Array<string | number>;

export function downloadCsv(filename: string, rows: CsvRow[]): void {
  downloadBlob(filename, new Blob([csvText(rows)], { type: 'text/csv' }));
}

/** RFC 4180 text: cells with a comma, quote or line break are quoted; one record per line. */
export function csvText(rows: CsvRow[]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * A table as JSON records: one object per row keyed by the column names (the same table a CSV export
 * writes, header row first). Non-finite numbers become null, since JSON has no ±Infinity or NaN.
 */
export function tableRecords(rows: CsvRow[]): Array<Record<string, string | number | null>> {
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((row) =>
    Object.fromEntries(
      header.map((name, j) => {
        const v = row[j];
        return [String(name), typeof v === 'number' && !Number.isFinite(v) ? null : (v ?? null)];
      }),
    ),
  );
}

/** Serialises an SVG element with computed colours inlined for the CSS variables it uses. */
export function svgMarkup(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const style = getComputedStyle(svg);
  const vars = ['--ks-bar', '--ks-accent', '--ks-fg', '--ks-bg'];
  const css = vars.map((v) => `${v}:${style.getPropertyValue(v) || 'initial'}`).join(';');
  clone.setAttribute('style', `${css};color:${style.color};background:${style.backgroundColor}`);
  return new XMLSerializer().serializeToString(clone);
}

export function downloadSvg(filename: string, svg: SVGSVGElement): void {
  downloadBlob(filename, new Blob([svgMarkup(svg)], { type: 'image/svg+xml' }));
}

export async function downloadSvgAsPng(filename: string, svg: SVGSVGElement, scale = 2): Promise<void> {
  const markup = svgMarkup(svg);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('Could not render the chart to PNG.'));
      img.src = url;
    });
    const w = svg.viewBox.baseVal.width || svg.clientWidth;
    const h = svg.viewBox.baseVal.height || svg.clientHeight;
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = getComputedStyle(svg).backgroundColor || '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (!blob) throw new Error('Could not encode PNG.');
    downloadBlob(filename, blob);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Same as downloadSvgAsPng but for a canvas. */
export async function downloadCanvasPng(filename: string, canvas: HTMLCanvasElement): Promise<void> {
  const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
  if (blob) downloadBlob(filename, blob);
}
