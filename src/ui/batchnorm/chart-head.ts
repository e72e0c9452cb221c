/**
 * A chart's heading with its small PNG and SVG export buttons beside it. The buttons read "PNG" / "SVG";
 * their accessible names say which chart ("Export loss (PNG)"). Failures reach the shell's alert through
 * runExport, like every other export.
 */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { runExport } from '../common/export-buttons';
import { chartName, type ChartKey } from './exports';

export type ChartExport = (key: ChartKey, kind: 'png' | 'svg') => Promise<void>;

export function chartHead(
  key: ChartKey,
  heading: string,
  exportChart: ChartExport,
  disabled: boolean,
): TemplateResult {
  const name = chartName(key);
  const button = (kind: 'png' | 'svg') => {
    const format = kind.toUpperCase();
    return html`<button
      type="button"
      aria-label=${msg(str`Export ${name} (${format})`)}
      title=${
        kind === 'png'
          ? msg(str`Save the ${name} chart as a PNG image`)
          : msg(str`Save the ${name} chart as an SVG file`)
      }
      ?disabled=${disabled}
      @click=${() =>
        runExport(() =>
          exportChart(key, kind).catch((e: unknown) => {
            const reason = (e as Error).message;
            throw new Error(msg(str`Could not export the ${name} chart: ${reason}`));
          }),
        )}
    >
      ${format}
    </button>`;
  };
  return html`<div class="chart-head">
    <h3>${heading}</h3>
    <span class="chart-exports" role="group" aria-label=${msg(str`Export the ${name} chart`)}>
      ${button('png')} ${button('svg')}
    </span>
  </div>`;
}

/** Series colours shared by the charts (the same in both themes; text and axes follow the theme). */
export const COLORS = {
  bn: '#1f77b4',
  plain: '#d62728',
  heldBN: '#9467bd',
  heldPlain: '#ff7f0e',
  preBN: '#ff7f0e',
  runningMean: '#2ca02c',
  batchVar: '#9467bd',
  runningVar: '#8c564b',
};

/** Chart size: the panel's width (300–620 px) and a fixed height. */
export function chartSize(svg: SVGSVGElement): { width: number; height: number } {
  return { width: Math.max(300, Math.min(620, (svg.parentElement?.clientWidth ?? 560) - 8)), height: 230 };
}
