/**
 * What the numerics panel shows for a run against the float64 reference: max |run − reference| per stage,
 * the f32 bound each must stay within (src/kernels/attention/bounds.ts) and which stages exceed it.
 */
import { attentionErrorBounds, rowSumBound, type AttentionMagnitudes } from '../../kernels/attention/bounds';
import type { AttentionReference } from '../../kernels/attention/ref';
import { isMaskedValue } from '../../kernels/attention/spec';
import { ATTENTION_STAGES, type AttentionRunResult, type AttentionStage } from './types';

export interface AttentionNumerics {
  /** max |run − reference| per stage read back (masked entries: 0 when both are masked, ∞ when only one is). */
  maxAbsDiff: Partial<Record<AttentionStage, number>>;
  /**
   * Per stage read back: the worst-case f32 bound on max |run − reference| for this shape, scale, path and
   * these input magnitudes (attentionErrorBounds). A difference above it is a discrepancy, not rounding.
   */
  bound: Partial<Record<AttentionStage, number>>;
  /** The stages whose maxAbsDiff exceeds their bound (∞ and NaN differences included), in stage order. */
  flagged: AttentionStage[];
  /** max over rows that are not fully masked of |Σ weights − 1| (needs the weights stage). */
  maxRowSumError: number | null;
  /** Its f32 bound, (L + 4)·2⁻²³ (null without the weights stage). */
  rowSumBound: number | null;
  fullyMaskedRows: number;
  backend: string;
}

/** max |a − b| with masked entries matched (∞ when only one side is masked or a value is NaN). */
function maxDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    const ma = isMaskedValue(a);
    const mb = isMaskedValue(b);
    if (ma || mb) {
      if (ma !== mb) return Infinity;
      continue;
    }
    const diff = Math.abs(a - b);
    if (!(diff <= worst)) worst = Number.isNaN(diff) ? Infinity : diff;
  }
  return worst;
}

function maxRowSumError(run: AttentionRunResult, ref: AttentionReference): number | null {
  const w = run.stages.weights;
  if (!w) return null;
  const { heads, L } = run.shape;
  let worst = 0;
  for (let r = 0; r < heads * L; r++) {
    let sum = 0;
    for (let j = 0; j < L; j++) sum += w[r * L + j]!;
    if (sum === 0 && ref.stats.fullyMasked[r]) continue;
    worst = Math.max(worst, Math.abs(sum - 1));
  }
  return worst;
}

/**
 * Compares a run with the float64 reference of the same inputs. `magnitudes` (attentionMagnitudes of the
 * inputs and bias) scale the bounds; `run.path` picks the staged or fused output bound.
 */
export function attentionNumerics(
  run: AttentionRunResult,
  ref: AttentionReference,
  magnitudes: AttentionMagnitudes,
): AttentionNumerics {
  const bounds = attentionErrorBounds(run.shape, ref.scale, run.path, magnitudes);
  const maxAbsDiff: Partial<Record<AttentionStage, number>> = {};
  const bound: Partial<Record<AttentionStage, number>> = {};
  const flagged: AttentionStage[] = [];
  for (const s of ATTENTION_STAGES) {
    const got = run.stages[s];
    if (!got) continue;
    maxAbsDiff[s] = maxDiff(got, ref[s]);
    bound[s] = bounds[s];
    if (!(maxAbsDiff[s] <= bounds[s])) flagged.push(s);
  }
  const rowSum = maxRowSumError(run, ref);
  return {
    maxAbsDiff,
    bound,
    flagged,
    maxRowSumError: rowSum,
    rowSumBound: rowSum === null ? null : rowSumBound(run.shape.L),
    fullyMaskedRows: run.fullyMaskedRows,
    backend: run.backend,
  };
}
