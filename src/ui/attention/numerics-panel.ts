/** The numerics panel: max |run − float64 reference| per stage, row sums, and what fully-masked rows do. */
import { html, type TemplateResult } from 'lit';
import type { AttentionStage } from '../../engine/attention';
import { literalMaskedSoftmaxRow } from '../../kernels/attention/ref';
import { isMaskedValue } from '../../kernels/attention/spec';
import { dataTable, type Cell } from '../common/data-table';
import { exportButtons } from '../common/export-buttons';
import { computedBy, maskedWeights, missingReason } from './numerics';
import { ALL_STAGES, REFERENCE_MAX_L, STAGE_INFO } from './stages';
import type { LabView } from './view';

const exp2 = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

/** A difference with its f32 bound: "1.22e-7 (bound 2.41e-5)", or "… > bound …" (flagged) beyond it. */
function againstBound(diff: number, bound: number | null | undefined, flagged: boolean): Cell {
  if (bound == null) return { value: diff, text: exp2(diff) };
  const text = flagged ? `${exp2(diff)} > bound ${exp2(bound)}` : `${exp2(diff)} (bound ${exp2(bound)})`;
  return { value: diff, text, cls: flagged ? 'bad' : '' };
}

export function renderNumerics(v: LabView): TemplateResult {
  const { lab, numerics: view } = v;
  const { run } = lab;
  const { L } = run.shape;
  const numerics = view?.kind === 'done' ? view.numerics : null;
  const stageCell = (s: AttentionStage): Cell => {
    const diff = numerics?.maxAbsDiff[s];
    if (diff !== undefined) return againstBound(diff, numerics!.bound[s], numerics!.flagged.includes(s));
    if (lab.available.has(s) && !view) return v.numericsPending ? 'computing…' : '—';
    return missingReason(lab, view, s);
  };
  const rowSum = numerics?.maxRowSumError;
  const rows: Cell[][] = [
    ...ALL_STAGES.map((s) => [STAGE_INFO[s].title, stageCell(s)]),
    [
      'max |row sum − 1|',
      rowSum != null
        ? againstBound(rowSum, numerics!.rowSumBound, !(rowSum <= (numerics!.rowSumBound ?? Infinity)))
        : view?.kind === 'skipped'
          ? `not read back above L=${REFERENCE_MAX_L}`
          : '—',
    ],
    ['Fully-masked rows', run.fullyMaskedRows],
    ['Backend', run.backend],
  ];
  const allMasked = literalMaskedSoftmaxRow([-Infinity, -Infinity, -Infinity, -Infinity]);
  return html`<section class="panel numerics" aria-labelledby="numerics-title">
    <h3 id="numerics-title">Numerics</h3>
    ${dataTable({
      label: 'Numerics',
      head: ['Stage', `max |${computedBy(lab)} − reference|`],
      rows,
    })}
    <p class="small muted">
      The float64 reference runs in a worker for L ≤
      ${REFERENCE_MAX_L}${L > REFERENCE_MAX_L ? ` (this L = ${L}: reference skipped above L=${REFERENCE_MAX_L})` : ''}.
      Expect f32 rounding, about 1e-6 relative on each entry. Each difference is checked against its
      worst-case f32 bound: u = 2⁻²³ ≈ 1.2e-7 per rounding, grown by d for QKᵀ (times max ‖q‖·‖k‖), by L for
      the softmax and the row sums, and by max |V| for the output; only a difference beyond its bound is
      flagged. ${maskedNote(v)}
    </p>
    <p class="small">
      <strong>Fully-masked rows.</strong> The literal pseudocode —
      <code>masked_fill(mask == 0, −inf)</code> then <code>softmax</code> — divides 0 by 0 on a row whose
      every key is masked: softmax([−∞, −∞, −∞, −∞]) =
      [${Array.from(allMasked, (x) => String(x)).join(', ')}]. This lab, like PyTorch ≥ 2.5 and ONNX, gives
      zero weights and a zero output there.
      ${fullyMaskedExample(v) ?? 'Try the padding mask with valid length 0 to see such rows.'}
    </p>
    ${exportButtons([
      { label: 'Export numerics (CSV)', run: () => v.exports.numerics('csv') },
      { label: 'Export numerics (JSON)', run: () => v.exports.numerics('json') },
    ])}
  </section>`;
}

/** "Masked weights are exactly 0", with the count measured on this run when its weights are all here. */
function maskedNote(v: LabView): TemplateResult {
  const m = maskedWeights(v.lab);
  if (!m || m.masked === 0) return html`Masked weights are exactly 0.`;
  if (m.nonZero === 0) return html`Masked weights are exactly 0: here all ${m.masked} of them are.`;
  return html`Masked weights should be exactly 0:
    <strong class="bad">here ${m.nonZero} of ${m.masked} are not</strong>.`;
}

/** The first fully-masked row: what the literal softmax gives there against what this lab gives. */
function fullyMaskedExample(v: LabView): string | null {
  const { run, prepared } = v.lab;
  const { heads, L } = run.shape;
  const stats = run.stats;
  if (!stats || !stats.fullyMaskedCount) return null;
  const { masked, weights } = run.stages;
  for (let r = 0; r < heads * L; r++) {
    if (!stats.fullyMasked[r]) continue;
    const h = Math.floor(r / L);
    const q = r % L;
    const n = Math.min(L, 6);
    const row = masked
      ? Array.from(masked.subarray(r * L, r * L + L), (x) => (isMaskedValue(x) ? -Infinity : x))
      : Array.from({ length: L }, () => -Infinity);
    const literal = Array.from(literalMaskedSoftmaxRow(row).subarray(0, n), String).join(', ');
    const ours = weights
      ? Array.from(weights.subarray(r * L, r * L + n))
      : Array.from({ length: n }, () => 0);
    const more = L > n ? ', …' : '';
    return `Here, head ${h + 1}, query “${prepared.tokens[q]}” (#${q}) is fully masked: literal softmax gives [${literal}${more}], this lab [${ours.map(String).join(', ')}${more}].`;
  }
  return null;
}
