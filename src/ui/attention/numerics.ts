/** The numerics of a run as the panel and its exports state them: max |run − reference| per stage and more. */
import type { AttentionStage } from '../../engine/attention';
import { maskMatrix } from '../../kernels/attention/spec';
import type { CsvRow } from '../common/export';
import type { LabRun, NumericsView } from './session';
import { ALL_STAGES, STAGE_INFO } from './stages';

/** Who computed the numbers compared with the float64 reference. */
export function computedBy(lab: LabRun): string {
  return lab.run.path === 'cpu' ? 'CPU f32' : 'GPU';
}

/** Why a stage has no difference to show. */
export function missingReason(lab: LabRun, view: NumericsView | undefined, s: AttentionStage): string {
  if (!lab.available.has(s)) return 'not computed (fused path)';
  if (view?.kind === 'skipped') return view.reason;
  return view ? 'not read back' : 'not computed yet';
}

/** The numerics table as rows: quantity, value (a number, or why there is none). */
export function numericsRows(lab: LabRun, view: NumericsView | undefined): CsvRow[] {
  const numerics = view?.kind === 'done' ? view.numerics : null;
  const rows: CsvRow[] = [['quantity', 'value']];
  for (const s of ALL_STAGES) {
    rows.push([
      `max |${computedBy(lab)} − reference| ${STAGE_INFO[s].title}`,
      numerics?.maxAbsDiff[s] ?? missingReason(lab, view, s),
    ]);
  }
  rows.push(
    [
      'max |row sum − 1|',
      numerics?.maxRowSumError ?? (view?.kind === 'skipped' ? view.reason : 'not computed yet'),
    ],
    ['fully-masked rows', lab.run.fullyMaskedRows],
    ['backend', lab.run.backend],
  );
  return rows;
}

/** How many weights the mask excludes, and how many of those are not exactly 0 (should be none). */
export interface MaskedWeights {
  masked: number;
  nonZero: number;
}

const maskedCache = new WeakMap<LabRun, MaskedWeights | null>();

/** Counts the masked weights of a run read back whole (null when its weights are not all on the page). */
export function maskedWeights(lab: LabRun): MaskedWeights | null {
  if (maskedCache.has(lab)) return maskedCache.get(lab)!;
  const w = lab.run.stages.weights;
  let out: MaskedWeights | null = null;
  if (lab.full && w) {
    const { heads, L } = lab.run.shape;
    const keep = maskMatrix(lab.run.mask, L);
    out = { masked: 0, nonZero: 0 };
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < L * L; i++) {
        if (keep[i]) continue;
        out.masked++;
        if (w[h * L * L + i] !== 0) out.nonZero++;
      }
    }
  }
  maskedCache.set(lab, out);
  return out;
}
