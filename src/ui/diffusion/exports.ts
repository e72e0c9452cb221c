/**
 * The Diffusion lab's tables and tensors as CSV rows (header first); the JSON exports hold the same
 * columns (see README "Export formats"). Pure functions, no DOM: unit-tested in Node.
 */
import type { DensityFrame, FieldFrame } from '../../engine/diffusion';
import type { Schedule } from '../../models/schedules';

export type Row = Array<string | number>;

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
