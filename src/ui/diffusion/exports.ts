/**
 * The Diffusion lab's exports: its tables and tensors as CSV rows (header first; pure functions,
 * unit-tested in Node) and the download actions behind every export button (the JSON files hold the same
 * columns; see README "Export formats").
 */
import { msg, str } from '@lit/localize';
import type { DensityFrame, FieldFrame } from '../../engine/diffusion';
import { scheduleToJson, type Schedule } from '../../models/schedules';
import { downloadCsv, downloadJson, tableRecords, type CsvRow } from '../common/export';
import { chartActions, svgSource, type ChartSource } from '../common/export-actions';
import type { ExportAction } from '../common/export-buttons';
import type { ChainPane } from './chain';
import { memoOf } from './memorisation';
import type { DiffusionSession } from './session';

type Row = CsvRow;

/** The schedule table, t = 1…T: β, ᾱ, √ᾱ, √(1 − ᾱ), log-SNR (the columns of the schedule plots). */
export function scheduleRows(s: Schedule): Row[] {
  const rows: Row[] = [['t', 'beta', 'alphaBar', 'sqrtAlphaBar', 'sqrtOneMinusAlphaBar', 'logSNR']];
  for (let t = 1; t <= s.T; t++) {
    rows.push([t, s.beta[t]!, s.alphaBar[t]!, s.sqrtAlphaBar[t]!, s.sqrtOneMinusAlphaBar[t]!, s.logSNR[t]!]);
  }
  return rows;
}

/** Vectors of `dim` components, one per row: (x, y) in 2D, else c0 … c(dim−1), with an index column. */
export function vectorRows(values: ArrayLike<number>, dim: number, index = 'particle'): Row[] {
  const header = dim === 2 ? [index, 'x', 'y'] : [index, ...Array.from({ length: dim }, (_, k) => `c${k}`)];
  const rows: Row[] = [header];
  for (let i = 0; (i + 1) * dim <= values.length; i++) {
    const row: Row = [i];
    for (let k = 0; k < dim; k++) row.push(values[i * dim + k]!);
    rows.push(row);
  }
  return rows;
}

/** The memorisation readout per sample: its nearest training point (index) and the distance to it. */
export function memorisationRows(nearest: ArrayLike<number>, distance: ArrayLike<number>): Row[] {
  const rows: Row[] = [['sample', 'nearestTrainingIndex', 'distance']];
  for (let i = 0; i < distance.length; i++) rows.push([i, nearest[i]!, distance[i]!]);
  return rows;
}

/** The denoiser's vector field on its grid: cell centre, x̂₀ and ε̂ per cell (row r, column c). */
export function fieldRows(f: FieldFrame): Row[] {
  const G = f.spec.size;
  const rows: Row[] = [['row', 'col', 'x', 'y', 'x0_x', 'x0_y', 'eps_x', 'eps_y']];
  for (let r = 0; r < G; r++) {
    for (let c = 0; c < G; c++) {
      const k = r * G + c;
      rows.push([
        r,
        c,
        f.points[2 * k]!,
        f.points[2 * k + 1]!,
        f.x0[2 * k]!,
        f.x0[2 * k + 1]!,
        f.eps[2 * k]!,
        f.eps[2 * k + 1]!,
      ]);
    }
  }
  return rows;
}

/** The density histogram of x_t: cell centre and count per cell (row 0 at yMin). */
export function densityRows(d: DensityFrame): Row[] {
  const { size: G, xMin, xMax, yMin, yMax } = d.spec;
  const w = (xMax - xMin) / G;
  const h = (yMax - yMin) / G;
  const rows: Row[] = [['row', 'col', 'x', 'y', 'count']];
  for (let r = 0; r < G; r++) {
    for (let c = 0; c < G; c++)
      rows.push([r, c, xMin + (c + 0.5) * w, yMin + (r + 0.5) * h, d.counts[r * G + c]!]);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------
// Downloads (formats in the README "Export formats"); the buttons are built with exportButtons().

/** Rows of `dim` values. */
function rows(a: Float32Array, dim: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; (i + 1) * dim <= a.length; i++) out.push(Array.from(a.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function pairs(a: ArrayLike<number>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

/** Every particle of pane `i` (read back in full: the drawn frame holds at most MAX_DRAWN), as JSON or CSV. */
async function exportSamples(session: DiffusionSession, i: number, kind: 'json' | 'csv') {
  await session.exclusive(async () => {
    const a = session.panes[i];
    if (!a) return;
    const full = await a.runner.read({ positions: true });
    const pos = full.positions!;
    const c = a.config;
    const prefix = `kernelscope-diffusion-${i === 0 ? '' : 'b-'}${c.dataset}-t${full.t}`;
    if (kind === 'csv') {
      // 2D: one particle per row (x, y). Images: one image per row, pixels p0 … p(size²−1) row-major.
      const d = a.dim;
      const header = d === 2 ? ['x', 'y'] : ['image', ...Array.from({ length: d }, (_, k) => `p${k}`)];
      const out: CsvRow[] = [header];
      for (let k = 0; (k + 1) * d <= pos.length; k++) {
        const row = Array.from(pos.subarray(k * d, (k + 1) * d));
        out.push(d === 2 ? row : [k, ...row]);
      }
      return downloadCsv(`${prefix}.csv`, out);
    }
    const common = {
      lab: 'diffusion',
      dataset: c.dataset,
      schedule: c.schedule,
      sampler: c.sampler,
      denoiser: a.denoiserUsed,
      T: c.T,
      t: full.t,
      seed: c.seed,
    };
    const name = `${prefix}-seed${c.seed}.json`;
    if (a.dim === 2) {
      downloadJson(name, {
        ...common,
        points: pairs(pos),
        data: pairs(a.data),
        backend: session.backendLabel,
      });
    } else {
      // Image mode: every image (and training glyph) as a row-major array of size² pixels in [−1, 1].
      const { lab, dataset, ...rest } = common;
      downloadJson(name, {
        lab,
        dataset,
        size: c.size,
        ...rest,
        images: rows(pos, a.dim),
        data: rows(a.data, a.dim),
        backend: session.backendLabel,
      });
    }
  });
}

/** x̂₀ of every particle at the current t (read back in full), as JSON or CSV. */
async function exportX0(session: DiffusionSession, kind: 'json' | 'csv') {
  await session.exclusive(async () => {
    const a = session.panes[0];
    if (!a) return;
    const full = await a.runner.read({ x0: true });
    const name = `kernelscope-diffusion-x0-${a.config.dataset}-t${full.t}`;
    if (kind === 'csv') return downloadCsv(`${name}.csv`, vectorRows(full.x0!, a.dim));
    downloadJson(`${name}.json`, {
      lab: 'diffusion',
      dataset: a.config.dataset,
      denoiser: a.denoiserUsed,
      t: full.t,
      dim: a.dim,
      x0: rows(full.x0!, a.dim),
    });
  });
}

/** The vector field or the density grid of the frame on screen, as JSON or CSV. */
function exportGrid(pane: ChainPane, which: 'field' | 'density', kind: 'json' | 'csv') {
  const f = pane.frame;
  if (!f) return;
  const name = `kernelscope-diffusion-${which}-${pane.config.dataset}-t${f.t}`;
  if (which === 'field' && f.field) {
    const table = fieldRows(f.field);
    if (kind === 'csv') return downloadCsv(`${name}.csv`, table);
    downloadJson(`${name}.json`, {
      lab: 'diffusion',
      denoiser: pane.denoiserUsed,
      t: f.t,
      grid: f.field.spec,
      cells: tableRecords(table),
    });
  } else if (which === 'density' && f.density) {
    const table = densityRows(f.density);
    if (kind === 'csv') return downloadCsv(`${name}.csv`, table);
    downloadJson(`${name}.json`, {
      lab: 'diffusion',
      t: f.t,
      grid: f.density.spec,
      outside: f.density.outside,
      cells: tableRecords(table),
    });
  }
}

/** The memorisation readout (t = 0): per sample the nearest training point and its distance. */
function exportMemo(pane: ChainPane, kind: 'json' | 'csv') {
  const f = pane.frame;
  if (!f || f.t !== 0 || !f.positions) return;
  const m = memoOf(f.positions, pane.data, pane.dim);
  const table = memorisationRows(m.nearest, m.distance);
  const name = `kernelscope-diffusion-memorisation-${pane.config.dataset}`;
  if (kind === 'csv') return downloadCsv(`${name}.csv`, table);
  downloadJson(`${name}.json`, {
    lab: 'diffusion',
    dataset: pane.config.dataset,
    denoiser: pane.denoiserUsed,
    t: f.t,
    metric: pane.dim === 2 ? 'euclidean' : 'rms-per-pixel',
    radius: m.radius,
    fraction: m.fraction,
    median: m.median,
    samples: tableRecords(table),
  });
}

/** "Export samples (JSON/CSV)" for pane A, "Export pane B samples (JSON/CSV)" for pane B. */
export function sampleExports(session: DiffusionSession, i: number): ExportAction[] {
  const what = i === 0 ? msg('samples') : msg('pane B samples');
  return [
    { label: msg(str`Export ${what} (JSON)`), run: () => exportSamples(session, i, 'json') },
    { label: msg(str`Export ${what} (CSV)`), run: () => exportSamples(session, i, 'csv') },
  ];
}

/**
 * A particle plot as a self-contained file: its SVG of axes with the canvas of points embedded under it,
 * in the current theme's colours (PNG on an opaque background). Pane B offers the PNG only.
 */
export function scatterExports(root: ParentNode, i: number): ExportAction[] {
  const source: ChartSource = () => {
    const svg = root.querySelector<SVGSVGElement>(`svg.scatter-axes[data-pane="${i}"]`);
    const canvas = root.querySelector<HTMLCanvasElement>(`canvas.scatter[data-pane="${i}"]`);
    return svg && canvas ? { svg, options: { underlay: canvas } } : null;
  };
  if (i !== 0) return chartActions(msg('pane B'), 'kernelscope-diffusion-particles-b', source).slice(0, 1);
  return chartActions(msg('particles'), 'kernelscope-diffusion-particles-a', source);
}

/** JSON and CSV of the other tensors and tables on screen: x̂₀, the field and density grids, memorisation. */
export function dataExports(session: DiffusionSession, pane: ChainPane): ExportAction[] {
  const f = pane.frame;
  const pair = (what: string, run: (kind: 'json' | 'csv') => unknown): ExportAction[] => [
    { label: msg(str`Export ${what} (JSON)`), run: () => run('json') },
    { label: msg(str`Export ${what} (CSV)`), run: () => run('csv') },
  ];
  return [
    ...pair('x̂₀', (k) => exportX0(session, k)),
    ...(f?.field ? pair(msg('vector field'), (k) => exportGrid(pane, 'field', k)) : []),
    ...(f?.density ? pair(msg('density'), (k) => exportGrid(pane, 'density', k)) : []),
    ...(f && f.t === 0 && f.positions ? pair(msg('memorisation'), (k) => exportMemo(pane, k)) : []),
  ];
}

/** The schedule table (JSON, CSV) and the schedule charts (PNG, SVG). */
export function scheduleExports(
  pane: ChainPane | undefined,
  svg: () => SVGSVGElement | null,
): ExportAction[] {
  const s = pane?.schedule;
  const name = s ? `kernelscope-diffusion-schedule-${s.kind}-T${s.T}` : '';
  const [schedule, schedules] = [msg('schedule'), msg('schedules')];
  return [
    {
      label: msg(str`Export ${schedule} (JSON)`),
      run: () => s && downloadJson(`${name}.json`, scheduleToJson(s)),
    },
    {
      label: msg(str`Export ${schedule} (CSV)`),
      run: () => s && downloadCsv(`${name}.csv`, scheduleRows(s)),
    },
    ...chartActions(schedules, 'kernelscope-diffusion-schedules', svgSource(svg)),
  ];
}
