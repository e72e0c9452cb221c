/**
 * Painting the Diffusion lab's charts after a render: the particle plots (points on a canvas under SVG
 * axes) and the noise-schedule plots. The canvas colours are the theme's CSS custom properties
 * (index.html: --ks-bar, --ks-accent, --ks-scatter-*), the same ones the legend swatches use.
 */
import { msg, str } from '@lit/localize';
import { renderScatter, type ScatterColors } from '../../charts/scatter';
import { renderSchedulePlot } from '../../charts/schedule-plot';
import { SCHEDULE_KINDS, makeSchedule } from '../../models/schedules';
import type { DiffusionState } from '../../state/diffusion';
import { EXTENT, paneLabel, scheduleLabel, type ChainPane } from './chain';
import { drawnPoints } from './inputs';

/** The CSS custom property behind each layer of the particle plot (drawn points are stronger than data). */
export const SCATTER_VARS = {
  points: '--ks-bar',
  x0: '--ks-accent',
  data: '--ks-scatter-data',
  drawn: '--ks-scatter-drawn',
  trail: '--ks-scatter-trail',
  field: '--ks-scatter-field',
  density: '--ks-scatter-density',
} as const;

/** The plot colours as the page resolves them now; a property that resolves to nothing keeps the chart's default. */
export function scatterColors(cssVar: (name: string) => string, drawing: boolean): Partial<ScatterColors> {
  const colors: Partial<ScatterColors> = {};
  const set = (key: keyof ScatterColors, name: string) => {
    const v = cssVar(name);
    if (v) colors[key] = v;
  };
  set('points', SCATTER_VARS.points);
  set('x0', SCATTER_VARS.x0);
  set('data', drawing ? SCATTER_VARS.drawn : SCATTER_VARS.data);
  set('trail', SCATTER_VARS.trail);
  set('field', SCATTER_VARS.field);
  set('density', SCATTER_VARS.density);
  return colors;
}

/** Sizes a plot's container to a square that fits it; returns the side (CSS px). */
function fitSquare(canvas: HTMLCanvasElement): number {
  const container = canvas.parentElement!;
  const width = Math.max(300, Math.min(560, container.clientWidth || 480));
  container.style.height = `${width}px`;
  return width;
}

/**
 * Draws every pane's particle plot (or, in draw mode before the first point, the empty plot to draw on).
 * Returns pane A's plot side, for mapping pointer positions to data coordinates.
 */
export function paintParticles(
  root: ParentNode,
  panes: readonly ChainPane[],
  p: DiffusionState,
  colors: Partial<ScatterColors>,
): number | null {
  const target = (i: number) => ({
    canvas: root.querySelector<HTMLCanvasElement>(`canvas.scatter[data-pane="${i}"]`),
    svg: root.querySelector<SVGSVGElement>(`svg.scatter-axes[data-pane="${i}"]`),
  });
  const drawing = p.dataset === 'draw' ? drawnPoints(p) : null;
  let side: number | null = null;
  if (drawing && panes.length === 0) {
    const { canvas, svg } = target(0);
    if (canvas && svg) {
      side = fitSquare(canvas);
      renderScatter(
        { canvas, svg },
        { positions: new Float32Array(0), data: drawing },
        { width: side, height: side, extent: EXTENT, title: msg('Draw the training data here'), colors },
      );
    }
  }
  panes.forEach((pane, i) => {
    const { canvas, svg } = target(i);
    const f = pane.frame;
    if (!canvas || !svg || !f) return;
    const width = fitSquare(canvas);
    if (i === 0) side = width;
    renderScatter(
      { canvas, svg },
      {
        positions: f.positions ?? new Float32Array(0),
        // While drawing, the newest points show before the chain has been set up with them.
        data: drawing ?? pane.data,
        ...(f.x0 ? { x0: f.x0 } : {}),
        ...(p.trails ? { trails: pane.trails() } : {}),
        ...(f.density ? { density: f.density } : {}),
        ...(f.field ? { field: f.field } : {}),
      },
      {
        width,
        height: width,
        extent: EXTENT,
        title: msg(str`Particles x_t at t = ${f.t} (${paneLabel(pane.config, p.eta)})`),
        colors,
      },
    );
  });
  return side;
}

/** The five schedule plots (every schedule kind at pane A's T, its own highlighted, the current t marked). */
export function paintSchedules(svg: SVGSVGElement | null, a: ChainPane | undefined): void {
  if (!a || !svg) return;
  const T = a.config.T;
  const series = SCHEDULE_KINDS.map((kind) => {
    const s =
      kind === a.schedule.kind ? a.schedule : makeSchedule({ kind, T, zeroTerminalSnr: a.config.ztsnr });
    return {
      label: scheduleLabel(kind),
      beta: s.beta,
      alphaBar: s.alphaBar,
      highlight: kind === a.schedule.kind,
    };
  });
  // Fit the panel: five charts in a row when wide, fewer (down to one) on a narrow screen.
  const available = svg.parentElement?.clientWidth || 900;
  const width = Math.max(260, Math.min(1220, available));
  const columns = width > 900 ? 5 : width > 640 ? 3 : width > 420 ? 2 : 1;
  renderSchedulePlot(
    svg,
    { T, series, t: a.frame?.t ?? T },
    {
      width,
      columns,
      panelHeight: columns === 1 ? 170 : 190,
      title: scheduleTitle(T, a.config.ztsnr, scheduleLabel(a.schedule.kind)),
    },
  );
}

function scheduleTitle(T: number, ztsnr: boolean, kind: string): string {
  return ztsnr
    ? msg(
        str`Noise schedules at T = ${T} (zero terminal SNR): β, ᾱ, √ᾱ, √(1 − ᾱ) and log-SNR; ${kind} highlighted, current t marked`,
      )
    : msg(
        str`Noise schedules at T = ${T}: β, ᾱ, √ᾱ, √(1 − ᾱ) and log-SNR; ${kind} highlighted, current t marked`,
      );
}
