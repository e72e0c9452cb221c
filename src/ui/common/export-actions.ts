/**
 * The standard export actions of a chart (PNG, SVG) and of a table (CSV, JSON records), so that every lab
 * names its buttons ("Export histogram (PNG)") and files (`<base>.<ext>`) the same way.
 */
import { msg, str } from '@lit/localize';
import {
  downloadCsv,
  downloadJson,
  downloadSvg,
  downloadSvgAsPng,
  tableRecords,
  type ChartImageOptions,
  type CsvRow,
} from './export';
import type { ExportAction } from './export-buttons';

/** Saves a drawn chart as `<base>.png` (on an opaque background) or `<base>.svg`. */
export function downloadChart(
  base: string,
  svg: SVGSVGElement,
  kind: 'png' | 'svg',
  options: ChartImageOptions = {},
): Promise<void> | void {
  if (kind === 'svg') return downloadSvg(`${base}.svg`, svg, options);
  return downloadSvgAsPng(`${base}.png`, svg, options);
}

/** What a chart export saves: its <svg> and the image options (a canvas underlay), or null if not drawn. */
export type ChartSource = () => { svg: SVGSVGElement; options?: ChartImageOptions } | null;

/** "Export <what> (PNG)" and "Export <what> (SVG)"; nothing is saved while the chart is not drawn. */
export function chartActions(what: string, base: string, source: ChartSource): ExportAction[] {
  const save = (kind: 'png' | 'svg') => () => {
    const chart = source();
    return chart ? downloadChart(base, chart.svg, kind, chart.options) : undefined;
  };
  return [
    { label: msg(str`Export ${what} (PNG)`), run: save('png') },
    { label: msg(str`Export ${what} (SVG)`), run: save('svg') },
  ];
}

/** A chart source for an <svg> element that needs no image options. */
export function svgSource(svg: () => SVGSVGElement | null): ChartSource {
  return () => {
    const el = svg();
    return el ? { svg: el } : null;
  };
}

/**
 * "Export <what> (CSV)" and "Export <what> (JSON)" of a table: `rows()` (header first) as `<base>.csv`
 * and as JSON records `<base>.json`; both are built when clicked.
 */
export function tableActions(what: string, base: () => string, rows: () => CsvRow[]): ExportAction[] {
  return [
    { label: msg(str`Export ${what} (CSV)`), run: () => downloadCsv(`${base()}.csv`, rows()) },
    {
      label: msg(str`Export ${what} (JSON)`),
      run: () => downloadJson(`${base()}.json`, tableRecords(rows())),
    },
  ];
}
