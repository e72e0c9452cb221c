/**
 * Colours, names and number formats of the recommendation lab's views. One palette serves both themes:
 * every colour has a relative luminance in [0.15, 0.28], so it keeps ≥ 3:1 contrast on the light panel
 * (#ffffff) and the dark one (#1a1e24), and exported SVGs carry plain hex values. The 12 category
 * colours are ≥ 0.13 apart in OKLab.
 */
import type { RerankMethod } from '../../kernels/recommend/spec';

export const CATEGORY_COLORS: readonly string[] = [
  '#1f8efe',
  '#f45c29',
  '#419e05',
  '#7b53db',
  '#b2890d',
  '#c9426e',
  '#439c9c',
  '#89664e',
  '#cb5bcc',
  '#0c7c53',
  '#b08395',
  '#2e70ab',
];

/** Category c's colour (the palette repeats past 12 categories). */
export function categoryColor(c: number): string {
  return CATEGORY_COLORS[((c % CATEGORY_COLORS.length) + CATEGORY_COLORS.length) % CATEGORY_COLORS.length]!;
}

/** Short category name used in every view ("C3"). */
export function categoryName(c: number): string {
  return `C${c}`;
}

/** One colour per re-ranker (lines of the Pareto charts, bars of the category chart). */
export const METHOD_COLORS: Readonly<Record<RerankMethod, string>> = {
  relevance: '#8a8f98',
  mmr: '#f45c29',
  dpp: '#419e05',
  calibration: '#7b53db',
};

/** The re-rankers' names in the exported tables (English, the documented format); views use methodLabel(). */
export const METHOD_LABELS: Readonly<Record<RerankMethod, string>> = {
  relevance: 'Relevance only',
  mmr: 'MMR',
  dpp: 'DPP',
  calibration: 'Calibration',
};

/** The parameter each method sweeps, as printed (λ for MMR and calibration, θ for the DPP). */
export function paramSymbol(method: RerankMethod): string {
  return method === 'dpp' ? 'θ' : 'λ';
}

/** WCAG relative luminance of a #rrggbb colour. */
export function relativeLuminance(hex: string): number {
  const ch = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * ch[0]! + 0.7152 * ch[1]! + 0.0722 * ch[2]!;
}

/** WCAG contrast ratio of two #rrggbb colours (1…21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text on a chip of colour `bg`: black or white, whichever contrasts more (≥ 4.5:1 for this palette). */
export function chipTextColor(bg: string): '#000000' | '#ffffff' {
  return contrastRatio(bg, '#000000') >= contrastRatio(bg, '#ffffff') ? '#000000' : '#ffffff';
}

/** A metric as printed: fixed decimals, never "−0.000" (KL of a matching list rounds to ±1e-16). */
export function metricText(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** File names of the lab's chart and table exports: kernelscope-recommend-<what>-seed<s>-user<u>. */
export function recommendFileBase(what: string, r: { seed: number; user: number }): string {
  return `kernelscope-recommend-${what}-seed${r.seed}-user${r.user}`;
}

/** A chart's width: its container's, within [min, max] px (the SVG scales down with CSS below min). */
export function chartWidth(container: Element | null, min = 320, max = 640): number {
  return Math.max(min, Math.min(max, (container?.clientWidth ?? max) - 8));
}

/** λ or θ as printed: at most 3 decimals, no trailing zeros (0.5, 0.35, 0.99). */
export function paramText(v: number): string {
  return String(Number(v.toFixed(3)));
}
