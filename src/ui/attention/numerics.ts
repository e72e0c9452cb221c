/** The numerics of a run as the panel and its exports state them: max |run − reference| per stage and more. */
import { msg, str } from '@lit/localize';
import type { AttentionStage } from '../../engine/attention';
import { maskMatrix } from '../../kernels/attention/spec';
import type { CsvRow } from '../common/export';
import type { LabRun, NumericsView } from './session';
import { ALL_STAGES, REFERENCE_MAX_L, STAGE_INFO } from './stages';

/** Who computed the numbers compared with the float64 reference. */
export function computedBy(lab: LabRun): string {
  return lab.run.path === 'cpu' ? 'CPU f32' : 'GPU';
}

/** Why a stage has no difference to show. */
type Missing = 'fused' | 'skipped' | 'not-read' | 'pending';

function missingOf(lab: LabRun, view: NumericsView | undefined, s: AttentionStage): Missing {
  if (!lab.available.has(s)) return 'fused';
  if (view?.kind === 'skipped') return 'skipped';
  return view ? 'not-read' : 'pending';
}

/** The reason in English, as the numerics export writes it. */
const MISSING_EN: Record<Missing, string> = {
  fused: 'not computed (fused path)',
  skipped: `reference skipped above L=${REFERENCE_MAX_L}`,
  'not-read': 'not read back',
  pending: 'not computed yet',
};

/** Why the reference was skipped, in the interface language. */
export function skippedText(): string {
  return msg(str`reference skipped above L=${REFERENCE_MAX_L}`);
}

/** Why a stage has no difference to show, in the interface language. */
export function missingReason(lab: LabRun, view: NumericsView | undefined, s: AttentionStage): string {
  switch (missingOf(lab, view, s)) {
    case 'fused':
      return msg('not computed (fused path)');
    case 'skipped':
      return skippedText();
    case 'not-read':
      return msg('not read back');
    case 'pending':
      return msg('not computed yet');
  }
}

/** The numerics table as the export writes it (English): quantity, value (a number, or why there is none). */
export function numericsRows(lab: LabRun, view: NumericsView | undefined): CsvRow[] {
  const numerics = view?.kind === 'done' ? view.numerics : null;
  const rows: CsvRow[] = [['quantity', 'value']];
  for (const s of ALL_STAGES) {
    rows.push([
      `max |${computedBy(lab)} − reference| ${STAGE_INFO[s].enTitle}`,
      numerics?.maxAbsDiff[s] ?? MISSING_EN[missingOf(lab, view, s)],
    ]);
  }
  rows.push(
    [
      'max |row sum − 1|',
      numerics?.maxRowSumError ?? MISSING_EN[view?.kind === 'skipped' ? 'skipped' : 'pending'],
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
