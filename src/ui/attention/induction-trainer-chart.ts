/**
 * The induction trainer's two small charts (renderLines): the training loss of each chunk, and the two
 * watched head scores against step with the target as a dashed line. Each svg's aria-label states the
 * latest values.
 */
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
  if (n === 0) return 'Training loss per chunk: no steps yet.';
  return `Training loss per chunk: ${h.losses[n - 1]!.toFixed(3)} nats at step ${h.steps[n - 1]}.`;
}

export function scoresLabel(h: TrainerHistory): string {
  const p = h.points.at(-1);
  const what = `Head scores on ${h.sequences} held-out sequences`;
  if (!p) return `${what}: not evaluated yet (target ${h.target}).`;
  return (
    `${what} at step ${p.step}: best layer-1 prefix-matching ${p.prefixMatching.toFixed(3)}, best ` +
    `layer-0 previous-token ${p.previousToken.toFixed(3)} (target ${h.target}); second-copy loss ` +
    `${p.secondCopyLoss.toFixed(2)} nats.`
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
    { lines: [{ label: 'training loss', color: colors.loss, x: h.steps, y: h.losses }] },
    { width, height: 170, title: 'Training loss per chunk (nats)', xLabel: 'step', yLabel: 'loss' },
  );
  lossSvg.setAttribute('aria-label', lossLabel(h));
  const steps = h.points.map((p) => p.step);
  const end = Math.max(1, steps.at(-1) ?? 1);
  renderLines(
    scoresSvg,
    {
      lines: [
        {
          label: 'prefix-matching (layer 1)',
          color: colors.prefix,
          x: steps,
          y: h.points.map((p) => p.prefixMatching),
        },
        {
          label: 'previous-token (layer 0)',
          color: colors.previous,
          x: steps,
          y: h.points.map((p) => p.previousToken),
        },
        {
          label: `target ${h.target}`,
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
      title: 'Best head scores on held-out sequences',
      xLabel: 'step',
      yLabel: 'score',
      yDomain: [0, 1],
    },
  );
  scoresSvg.setAttribute('aria-label', scoresLabel(h));
}
