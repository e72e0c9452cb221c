/**
 * What each heatmap shows of a run: one head of a stage at full resolution, the GPU's pooled overview, or
 * the zoom window; and what a cell of it says in the tooltip. Plain functions of the run and the views.
 */
import { msg, str } from '@lit/localize';
import type { AttentionStage, MatrixStage } from '../../engine/attention';
import { maskKeeps, poolCellRange, type PoolMode, type Rect } from '../../kernels/attention/spec';
import { crop, fmtValue, poolName, headOf, poolRows, type HeadMatrix } from './model';
import type { LabRun, Views } from './session';
import { POOL_PIX, STAGE_INFO } from './stages';

/** A run with the views fetched for it (null: none, or not yet) and the page's zoom and pooling. */
export interface Picture {
  lab: LabRun;
  views: Views | null;
  zoom: Rect | null;
  pool: PoolMode;
}

export function fullRect(lab: LabRun): Rect {
  const L = lab.run.shape.L;
  return { row0: 0, col0: 0, rows: L, cols: L };
}

export function rectKey(r: Rect): string {
  return `${r.row0},${r.col0},${r.rows},${r.cols}`;
}

export function maxOf(values: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > m) m = values[i]!;
  return m;
}

/** The displayed row index (of `count` cells over start…start+span−1) holding source row `row`, if any. */
export function rowIndexOf(row: number, count: number, start: number, span: number): number | undefined {
  if (row < start || row >= start + span) return undefined;
  return Math.min(count - 1, Math.floor(((row - start + 1) * count - 1) / span));
}

/** One head of a stage, as the stage strip shows it (full, or the pooled overview). */
export function stripMatrix(pic: Picture, stage: AttentionStage, h: number): HeadMatrix | null {
  const { lab } = pic;
  const { L, d } = lab.run.shape;
  if (!lab.available.has(stage)) return null;
  if (stage === 'output') {
    const o = lab.run.stages.output;
    return o ? poolRows(headOf(o, h, L, d), POOL_PIX, pic.pool) : null;
  }
  if (lab.full) {
    const a = lab.run.stages[stage];
    return a ? headOf(a, h, L, L) : null;
  }
  const v = pic.views?.overview[stage];
  return v ? headOf(v.data, h, v.rows, v.cols, v.rect) : null;
}

/** One head of a stage in the enlarged view: the zoom window when zoomed. */
export function enlargedMatrix(pic: Picture, stage: MatrixStage, h: number): HeadMatrix | null {
  const { lab, zoom } = pic;
  const L = lab.run.shape.L;
  if (lab.full) {
    const a = lab.run.stages[stage];
    if (!a) return null;
    const m = headOf(a, h, L, L);
    return zoom ? crop(m, zoom) : m;
  }
  if (zoom) {
    const z = pic.views?.zoom[stage];
    if (z && rectKey(z.rect) === rectKey(zoom)) return headOf(z.data, h, z.rows, z.cols, z.rect);
  }
  const v = pic.views?.overview[stage];
  return v ? { ...headOf(v.data, h, v.rows, v.cols, v.rect), ...(v.via ? { via: v.via } : {}) } : null;
}

/** A single entry of a stage at full resolution when the page has it (else undefined). */
function valueAt(pic: Picture, stage: MatrixStage, h: number, q: number, k: number): number | undefined {
  const { lab } = pic;
  const L = lab.run.shape.L;
  if (lab.full) return lab.run.stages[stage]?.[(h * L + q) * L + k];
  const z = pic.views?.zoom[stage];
  if (z && z.mode === 'window') {
    const { row0, col0, rows, cols } = z.rect;
    if (q >= row0 && q < row0 + rows && k >= col0 && k < col0 + cols) {
      return z.data[(h * rows + q - row0) * cols + k - col0];
    }
  }
  return undefined;
}

/** The source (query, key) range of displayed cell (row, col) of `m`. */
export function cellRange(
  m: HeadMatrix,
  row: number,
  col: number,
): { q: [number, number]; k: [number, number] } {
  return {
    q: poolCellRange(row, m.rows, m.rect.row0, m.rect.rows),
    k: poolCellRange(col, m.cols, m.rect.col0, m.rect.cols),
  };
}

/** The tooltip of cell (row, col) of `m`, head h of `stage`: tokens, raw score, weight, masked. */
export function describeCell(
  pic: Picture,
  m: HeadMatrix,
  h: number,
  row: number,
  col: number,
  stage: AttentionStage,
): string {
  const { lab } = pic;
  const tokens = lab.prepared.tokens;
  const {
    q: [q0, q1],
    k: [k0, k1],
  } = cellRange(m, row, col);
  const value = fmtValue(m.data[row * m.cols + col]!);
  const token = tokens[q0];
  const last = q1 - 1;
  const qText = q1 - q0 === 1 ? msg(str`query “${token}” (#${q0})`) : msg(str`queries #${q0}–${last}`);
  const pool = poolName(pic.pool);
  if (stage === 'output') {
    return q1 - q0 > 1
      ? msg(str`${qText} · output dim ${col} = ${value} (${pool} of rows)`)
      : msg(str`${qText} · output dim ${col} = ${value}`);
  }
  if (q1 - q0 > 1 || k1 - k0 > 1) {
    const short = STAGE_INFO[stage].short;
    const lastKey = k1 - 1;
    return msg(
      str`${qText} × keys #${k0}–${lastKey} · ${pool} ${short} = ${value} (pooled; zoom in for single cells)`,
    );
  }
  const raw = valueAt(pic, 'scores', h, q0, k0);
  const weight = valueAt(pic, 'weights', h, q0, k0);
  const kept = maskKeeps(lab.prepared.mask, lab.run.shape.L, q0, k0);
  const key = tokens[k0];
  const rawText = raw === undefined ? msg('n/a (fused path)') : fmtValue(raw);
  const weightText = weight === undefined ? value : fmtValue(weight);
  return [
    msg(str`${qText} · key “${key}” (#${k0})`),
    msg(str`raw score QKᵀ = ${rawText}`),
    msg(str`weight = ${weightText}`),
    kept ? '' : msg('masked'),
  ]
    .filter(Boolean)
    .join(' · ');
}
