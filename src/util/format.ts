/**
 * Number formatting for what a person reads (tables, captions, tooltips, error messages). Exported files
 * keep full-precision numbers; these are only for display. One module for every lab.
 */

/** Bytes in binary units: "512 B", "1.5 KiB", "12.0 MiB", "1.25 GiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  if (bytes >= 2 ** 10) return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
  return `${bytes} B`;
}

let displayLocale = 'en-US';

/** The locale numbers are written in for a person (the interface language); exports never use it. */
export function setDisplayLocale(locale: string): void {
  displayLocale = locale === 'en' ? 'en-US' : locale;
}

/** A count with thousands separators in the interface's locale: 1,000,000. */
export function formatCount(n: number): string {
  return n.toLocaleString(displayLocale);
}

/**
 * `digits` decimals; a non-zero value below 10^−digits in magnitude switches to 2-digit exponent form
 * (so small differences never print as 0.000000). Non-finite values print as JavaScript does.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(2);
  return x.toFixed(digits);
}

/**
 * Compact value for heatmap tooltips and matrix tables: `digits` decimals between 1e-3 and 1e4, exponent
 * form outside, a true minus sign.
 */
export function formatCompact(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const s = a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toFixed(digits);
  return s.replace('-', '−');
}

/** A fraction as a whole percentage: 0.873 → "87%". */
export function formatPercent(fraction: number, digits = 0): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}

/** Milliseconds for a status line: "0.42 ms", "12.3 ms", "1.20 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}
