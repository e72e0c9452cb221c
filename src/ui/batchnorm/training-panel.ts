/** The loss and accuracy charts: both networks' batch loss and accuracy, and held-out accuracy. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { renderLines, type LineSeries } from '../../charts/lines';
import { isImageTask } from '../../models/mlp';
import type { BatchnormState } from '../../state/batchnorm';
import { COLORS, chartHead, chartSize, type ChartExport } from './chart-head';
import { drawnCurve, type Curve } from './history';
import { EVAL_EVERY, type BatchnormSession } from './session';

export function renderTrainingPanels(
  s: BatchnormSession,
  p: BatchnormState,
  exportChart: ChartExport,
): TemplateResult {
  const off = !s.latest;
  return html`<figure class="panel">
      ${chartHead('loss', msg('Loss'), exportChart, off)}
      <svg class="loss"></svg>
      <figcaption>${msg('Cross-entropy of each training batch (log scale).')}</figcaption>
    </figure>
    <figure class="panel">
      ${chartHead('accuracy', msg('Accuracy'), exportChart, off)}
      <svg class="accuracy"></svg>
      <figcaption>
        ${
          isImageTask(p.task)
            ? msg(
                str`Fraction of the current batch classified correctly; held-out: accuracy on ${s.heldOut?.count ?? '≥ 1024'} images never trained on (eval mode, running statistics), every ${EVAL_EVERY} steps and whenever training pauses.`,
              )
            : msg('Fraction of the current batch classified correctly.')
        }
      </figcaption>
    </figure>`;
}

/**
 * The training history's curves of one quantity, or — before the first training step — the single point
 * of the initial forward pass (step 0), so the charts show where training starts.
 */
function curves(s: BatchnormSession, which: 'loss' | 'accuracy'): [Curve, Curve] {
  const h = s.history;
  const r = s.latest!;
  if (h.steps === 0) {
    return [
      { x: [r.step], y: [r[which].withBN] },
      { x: [r.step], y: [r[which].withoutBN] },
    ];
  }
  return [drawnCurve(h[which].withBN.values), drawnCurve(h[which].withoutBN.values)];
}

const pairLines = (bn: Curve, plain: Curve): LineSeries[] => [
  { label: msg('with BN'), color: COLORS.bn, ...bn },
  { label: msg('without BN'), color: COLORS.plain, ...plain, dashed: true },
];

export function drawTrainingCharts(root: ParentNode, s: BatchnormSession): void {
  const lossSvg = root.querySelector<SVGSVGElement>('svg.loss');
  const accSvg = root.querySelector<SVGSVGElement>('svg.accuracy');
  if (!lossSvg || !accSvg || !s.latest) return;
  const size = chartSize(lossSvg);
  renderLines(
    lossSvg,
    { lines: pairLines(...curves(s, 'loss')) },
    {
      ...size,
      title: msg('Training loss (cross-entropy) of both networks'),
      xLabel: msg('step'),
      logY: true,
    },
  );
  const held = s.history.held;
  const heldLines: LineSeries[] =
    held.step.length > 0
      ? [
          { label: msg('BN, held-out'), color: COLORS.heldBN, x: held.step, y: held.withBN },
          {
            label: msg('no BN, held-out'),
            color: COLORS.heldPlain,
            x: held.step,
            y: held.withoutBN,
            dashed: true,
          },
        ]
      : [];
  renderLines(
    accSvg,
    { lines: [...pairLines(...curves(s, 'accuracy')), ...heldLines] },
    {
      ...size,
      title: heldLines.length
        ? msg('Batch and held-out accuracy of both networks')
        : msg('Batch accuracy of both networks'),
      xLabel: msg('step'),
      yDomain: [0, 1],
    },
  );
}
