/**
 * The induction trainer's two small charts (renderLines): the training loss of each chunk, and the two
 * watched head scores against step with the target as a dashed line. Each svg's aria-label states the
 * latest values.
 */
import { msg, str } from '@lit/localize';
import { renderLines } from '../../charts/lines';
import type { WatchPoint } from './induction-watch';

export interface TrainerHistory {
  /** Step and mean training loss (nats) after each chunk. */
  steps: readonly number[];
  losses: readonly number[];
  /** Evaluations on the held-out batch. */
  points: readonly WatchPoint[];
  target: number;
  sequences: number;
}

export interface TrainerColors {
  loss: string;
  prefix: string;
  previous: string;
  target: string;
}

export function lossLabel(h: TrainerHistory): string {
  const n = h.steps.length;
  if (n === 0) return msg('Training loss per chunk: no steps yet.');
  const loss = h.losses[n - 1]!.toFixed(3);
  const step = h.steps[n - 1];
  return msg(str`Training loss per chunk: ${loss} nats at step ${step}.`);
}

export function scoresLabel(h: TrainerHistory): string {
  const p = h.points.at(-1);
  const { sequences, target } = h;
  if (!p)
    return msg(str`Head scores on ${sequences} held-out sequences: not evaluated yet (target ${target}).`);
  const prefix = p.prefixMatching.toFixed(3);
  const previous = p.previousToken.toFixed(3);
  const loss = p.secondCopyLoss.toFixed(2);
  return msg(
    str`Head scores on ${sequences} held-out sequences at step ${p.step}: best layer-1 prefix-matching ${prefix}, best layer-0 previous-token ${previous} (target ${target}); second-copy loss ${loss} nats.`,
  );
}

export function drawTrainerCharts(
  lossSvg: SVGSVGElement,
  scoresSvg: SVGSVGElement,
  h: TrainerHistory,
  colors: TrainerColors,
  width: number,
): void {
  renderLines(
    lossSvg,
    { lines: [{ label: msg('training loss'), color: colors.loss, x: h.steps, y: h.losses }] },
    {
      width,
      height: 170,
      title: msg('Training loss per chunk (nats)'),
      xLabel: msg('step'),
      yLabel: msg('loss'),
    },
  );
  lossSvg.setAttribute('aria-label', lossLabel(h));
  const steps = h.points.map((p) => p.step);
  const end = Math.max(1, steps.at(-1) ?? 1);
  renderLines(
    scoresSvg,
    {
      lines: [
        {
          label: msg('prefix-matching (layer 1)'),
          color: colors.prefix,
          x: steps,
          y: h.points.map((p) => p.prefixMatching),
        },
        {
          label: msg('previous-token (layer 0)'),
          color: colors.previous,
          x: steps,
          y: h.points.map((p) => p.previousToken),
        },
        {
          label: msg(str`target ${h.target}`),
          color: colors.target,
          x: [0, end],
          y: [h.target, h.target],
          dashed: true,
        },
      ],
    },
    {
      width,
      height: 170,
      title: msg('Best head scores on held-out sequences'),
      xLabel: msg('step'),
      yLabel: msg('score'),
      yDomain: [0, 1],
    },
  );
  scoresSvg.setAttribute('aria-label', scoresLabel(h));
}
