/**
 * The per-channel statistics of the layer shown: running against batch statistics, and each channel's
 * batch mean and variance before BN, after BN (x̂) and in the network without BN — by channel or as a
 * histogram over the channels.
 */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { renderChannelHistogram } from '../../charts/channel-histogram';
import { renderChannels } from '../../charts/lines';
import type { LayerReport } from '../../engine/batchnorm';
import type { BatchnormState } from '../../state/batchnorm';
import { COLORS, chartHead, chartSize, type ChartExport } from './chart-head';
import type { BatchnormSession } from './session';

export function renderChannelPanels(
  s: BatchnormSession,
  p: BatchnormState,
  exportChart: ChartExport,
): TemplateResult {
  const off = !s.latest;
  const histogram = p.channels === 'histogram';
  const evalView = p.view === 'eval';
  return html`<figure class="panel">
      ${chartHead('running', msg('Running vs batch statistics'), exportChart, off)}
      <svg class="running"></svg>
      <figcaption>
        ${msg(
          "The running mean/variance (momentum 0.1, unbiased variance) used in eval mode, against the current batch's statistics of the BN input.",
        )}
      </figcaption>
    </figure>
    <figure class="panel">
      ${chartHead('means', msg('Per-channel batch mean'), exportChart, off)}
      <svg class="means"></svg>
      <figcaption>
        ${
          histogram
            ? msg(
                'How many channels have each batch mean: before BN (Linear output), after BN (x̂, before γ and β) and in the network without BN.',
              )
            : msg('Before BN (Linear output), after BN (x̂, before γ and β) and in the network without BN.')
        }
        ${
          evalView
            ? msg('Eval view: x̂ uses the running statistics, so its batch mean is no longer exactly 0.')
            : msg('Train view: x̂ has batch mean 0 by construction.')
        }
      </figcaption>
    </figure>
    <figure class="panel">
      ${chartHead('vars', msg('Per-channel batch variance'), exportChart, off)}
      <svg class="vars"></svg>
      <figcaption>
        ${histogram ? msg('How many channels have each batch variance.') : ''}
        ${
          evalView
            ? msg('Eval view: x̂ is scaled by the running variance, so its batch variance is only near 1.')
            : msg('Train view: x̂ has batch variance σ²/(σ² + ε) ≈ 1 (ε = 10⁻⁵).')
        }
      </figcaption>
    </figure>`;
}

const stat = (L: LayerReport, k: 'mean' | 'var') => [
  { label: msg('before BN'), color: COLORS.preBN, values: L.preBN[k] },
  { label: msg('after BN (x̂)'), color: COLORS.bn, values: L.postBN[k] },
  { label: msg('no-BN net'), color: COLORS.plain, values: L.plain[k], dashed: true },
];

export function drawChannelCharts(root: ParentNode, s: BatchnormSession, p: BatchnormState): void {
  const svg = (key: string) => root.querySelector<SVGSVGElement>(`svg.${key}`);
  const [running, means, vars] = [svg('running'), svg('means'), svg('vars')];
  const r = s.latest;
  if (!r || !running || !means || !vars) return;
  const size = chartSize(running);
  const L = r.layers[r.percentiles.layer]!;
  const n = L.preBN.mean.length;
  if (p.channels === 'histogram') {
    const bins = Math.max(8, Math.min(24, n));
    const common = { ...size, bins };
    renderChannelHistogram(means, stat(L, 'mean'), {
      ...common,
      title: msg(str`Histogram over the ${n} channels of the batch mean, layer ${L.index}`),
      reference: 0,
      xLabel: msg('batch mean'),
    });
    renderChannelHistogram(vars, stat(L, 'var'), {
      ...common,
      title: msg(str`Histogram over the ${n} channels of the batch variance, layer ${L.index}`),
      reference: 1,
      xLabel: msg('batch variance'),
    });
  } else {
    renderChannels(means, stat(L, 'mean'), {
      ...size,
      title: msg(str`Batch mean of each channel, layer ${L.index}`),
      reference: 0,
    });
    renderChannels(vars, stat(L, 'var'), {
      ...size,
      title: msg(str`Batch variance of each channel, layer ${L.index}`),
      reference: 1,
    });
  }
  renderChannels(
    running,
    [
      { label: msg('batch mean'), color: COLORS.preBN, values: L.preBN.mean, shape: 'circle' },
      { label: msg('running mean'), color: COLORS.runningMean, values: L.runningMean, shape: 'circle' },
      { label: msg('batch var'), color: COLORS.batchVar, values: L.preBN.var, shape: 'circle' },
      { label: msg('running var'), color: COLORS.runningVar, values: L.runningVar, shape: 'circle' },
    ],
    { ...size, title: msg(str`Running statistics vs the current batch's, layer ${L.index} (BN input)`) },
  );
}
