/** One unit's activation input over training: 15th/50th/85th percentiles in both networks. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { renderLines } from '../../charts/lines';
import { COLORS, chartHead, chartSize, type ChartExport } from './chart-head';
import { strided } from './history';
import type { BatchnormSession } from './session';

export function renderPercentilesPanel(s: BatchnormSession, exportChart: ChartExport): TemplateResult {
  return html`<figure class="panel">
    ${chartHead('percentiles', msg("A unit's input over training"), exportChart, !s.latest)}
    <svg class="percentiles"></svg>
    <figcaption>
      ${msg(
        html`15th/50th/85th percentiles over the batch of the input to the activation of one unit (after BN in
        the blue net, straight from the Linear layer in the red one) — Ioffe &amp; Szegedy (2015), Fig. 1.`,
      )}
    </figcaption>
  </figure>`;
}

/** The bands: the history since the unit was chosen, or the initial forward pass's single point. */
function bands(s: BatchnormSession) {
  const h = s.history;
  const r = s.latest!;
  if (h.steps === 0) {
    const [a, b, c] = r.percentiles.withBN;
    const [d, e, f] = r.percentiles.withoutBN;
    return { x: [r.step], columns: [[a], [b], [c], [d], [e], [f]] };
  }
  return strided(
    [...h.pBN, ...h.pPlain].map((col) => col.values),
    h.pX.values,
  );
}

export function drawPercentilesChart(root: ParentNode, s: BatchnormSession): void {
  const svg = root.querySelector<SVGSVGElement>('svg.percentiles');
  const r = s.latest;
  if (!svg || !r) return;
  const { x, columns } = bands(s);
  const [lo, mid, hi, plo, pmid, phi] = columns as [
    number[],
    number[],
    number[],
    number[],
    number[],
    number[],
  ];
  renderLines(
    svg,
    {
      bands: [
        { label: msg('with BN'), color: COLORS.bn, x, lo, mid, hi },
        { label: msg('without BN'), color: COLORS.plain, x, lo: plo, mid: pmid, hi: phi },
      ],
    },
    {
      ...chartSize(svg),
      title: msg(
        str`15th, 50th and 85th percentiles of the activation input of unit ${r.percentiles.unit}, layer ${r.percentiles.layer}`,
      ),
      xLabel: msg('step'),
    },
  );
}
