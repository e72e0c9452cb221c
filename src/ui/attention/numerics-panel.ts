/** The numerics panel: max |run − float64 reference| per stage, row sums, and what fully-masked rows do. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { AttentionStage } from '../../engine/attention';
import { literalMaskedSoftmaxRow } from '../../kernels/attention/ref';
import { isMaskedValue } from '../../kernels/attention/spec';
import { backendRow } from '../common/backend';
import { dataTable, type Cell } from '../common/data-table';
import { exportButtons } from '../common/export-buttons';
import { formatCount } from '../../util/format';
import { computedBy, maskedWeights, missingReason } from './numerics';
import { ALL_STAGES, REFERENCE_MAX_L, STAGE_INFO } from './stages';
import { headNumber, type LabView } from './view';

const exp2 = (x: number) => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

/** A difference with its f32 bound: "1.22e-7 (bound 2.41e-5)", or "… > bound …" (flagged) beyond it. */
function againstBound(diff: number, bound: number | null | undefined, flagged: boolean): Cell {
  if (bound == null) return { value: diff, text: exp2(diff) };
  const [a, b] = [exp2(diff), exp2(bound)];
  const text = flagged ? msg(str`${a} > bound ${b}`) : msg(str`${a} (bound ${b})`);
  return { value: diff, text, cls: flagged ? 'bad' : '' };
}

/** The first sentence of the note: where the reference runs, and whether it was skipped for this L. */
function referenceNote(L: number): string {
  return L > REFERENCE_MAX_L
    ? msg(
        str`The float64 reference runs in a worker for L ≤ ${REFERENCE_MAX_L} (this L = ${L}: reference skipped above L=${REFERENCE_MAX_L}).`,
      )
    : msg(str`The float64 reference runs in a worker for L ≤ ${REFERENCE_MAX_L}.`);
}

export function renderNumerics(v: LabView): TemplateResult {
  const { lab, numerics: view } = v;
  const { run } = lab;
  const { L } = run.shape;
  const numerics = view?.kind === 'done' ? view.numerics : null;
  const stageCell = (s: AttentionStage): Cell => {
    const diff = numerics?.maxAbsDiff[s];
    if (diff !== undefined) return againstBound(diff, numerics!.bound[s], numerics!.flagged.includes(s));
    if (lab.available.has(s) && !view) return v.numericsPending ? msg('computing…') : '—';
    return missingReason(lab, view, s);
  };
  const rowSum = numerics?.maxRowSumError;
  const rows: Cell[][] = [
    ...ALL_STAGES.map((s) => [STAGE_INFO[s].title, stageCell(s)]),
    [
      msg('max |row sum − 1|'),
      rowSum != null
        ? againstBound(rowSum, numerics!.rowSumBound, !(rowSum <= (numerics!.rowSumBound ?? Infinity)))
        : view?.kind === 'skipped'
          ? msg(str`not read back above L=${REFERENCE_MAX_L}`)
          : '—',
    ],
    [msg('Fully-masked rows'), run.fullyMaskedRows],
    // run.backend is the export's English; the page names it in the interface language.
    [msg('Backend'), backendRow(lab.backend)],
  ];
  const allMasked = literalMaskedSoftmaxRow([-Infinity, -Infinity, -Infinity, -Infinity]);
  const literal = Array.from(allMasked, (x) => String(x)).join(', ');
  return html`<section class="panel numerics" aria-labelledby="numerics-title">
    <h3 id="numerics-title">${msg('Numerics')}</h3>
    ${dataTable({
      label: msg('Numerics'),
      head: [msg('Stage'), msg(str`max |${computedBy(lab)} − reference|`)],
      rows,
    })}
    <p class="small muted">
      ${referenceNote(L)}
      ${msg(
        'Expect f32 rounding, about 1e-6 relative on each entry. Each difference is checked against its worst-case f32 bound: u = 2⁻²³ ≈ 1.2e-7 per rounding, grown by d for QKᵀ (times max ‖q‖·‖k‖), by L for the softmax and the row sums, and by max |V| for the output; only a difference beyond its bound is flagged.',
      )}
      ${maskedNote(v)}
    </p>
    <p class="small">
      ${msg(
        html`<strong>Fully-masked rows.</strong> The literal pseudocode —
          <code>masked_fill(mask == 0, −inf)</code> then <code>softmax</code> — divides 0 by 0 on a row whose
          every key is masked: softmax([−∞, −∞, −∞, −∞]) = [${literal}]. This lab, like PyTorch ≥ 2.5 and
          ONNX, gives zero weights and a zero output there.`,
      )}
      ${fullyMaskedExample(v) ?? msg('Try the padding mask with valid length 0 to see such rows.')}
    </p>
    ${exportButtons([
      { label: msg('Export numerics (CSV)'), run: () => v.exports.numerics('csv') },
      { label: msg('Export numerics (JSON)'), run: () => v.exports.numerics('json') },
    ])}
  </section>`;
}

/** "Masked weights are exactly 0", with the count measured on this run when its weights are all here. */
function maskedNote(v: LabView): TemplateResult | string {
  const m = maskedWeights(v.lab);
  if (!m || m.masked === 0) return msg('Masked weights are exactly 0.');
  const masked = formatCount(m.masked);
  if (m.nonZero === 0) return msg(str`Masked weights are exactly 0: here all ${masked} of them are.`);
  const nonZero = formatCount(m.nonZero);
  return msg(
    html`Masked weights should be exactly 0:
      <strong class="bad">here ${nonZero} of ${masked} are not</strong>.`,
  );
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
    const more = L > n ? ', …' : '';
    const literal = `[${Array.from(literalMaskedSoftmaxRow(row).subarray(0, n), String).join(', ')}${more}]`;
    const ours = weights
      ? Array.from(weights.subarray(r * L, r * L + n))
      : Array.from({ length: n }, () => 0);
    const lab = `[${ours.map(String).join(', ')}${more}]`;
    const [head, token] = [headNumber(v, h), prepared.tokens[q]];
    return msg(
      str`Here, head ${head}, query “${token}” (#${q}) is fully masked: literal softmax gives ${literal}, this lab ${lab}.`,
    );
  }
  return null;
}
