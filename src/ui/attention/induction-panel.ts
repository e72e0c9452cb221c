/**
 * The induction model's panel: the sequence with its two copies marked, every head's previous-token and
 * prefix-matching score on it, the first- and second-copy losses, and head ablation (zero a head, see the
 * second-copy loss change). All numbers come from the float64 forward of this sequence (analyseSequence).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { INDUCTION_CONFIG } from '../../models/induction';
import { tokenLabel } from '../../models/induction/sequence';
import { normaliseHeadList } from '../../state/attention';
import { formatFixed } from '../../util/format';
import { MODEL_LABELS } from './induction-controls';
import type { InductionRun } from './induction-inputs';
import type { LabView } from './view';

const LN_V = Math.log(INDUCTION_CONFIG.vocab);
const f3 = (x: number | null | undefined) => (x == null || !Number.isFinite(x) ? '—' : formatFixed(x, 3));

/** The sequence as chips: first copy, second copy (the predictable part) and the rest. */
function renderSequence(r: InductionRun): TemplateResult {
  const { ids, repeat } = r.analysis;
  const role = (t: number) => {
    if (!repeat) return '';
    const { offset: o, period: P } = repeat;
    return t >= o && t < o + P ? 'first' : t >= o + P && t < o + 2 * P ? 'second' : '';
  };
  return html`<p class="token-seq" aria-label="The token sequence">
    ${Array.from(ids, (id, t) => html`<span class="tok ${role(t)}" title="position ${t}">${tokenLabel(id)}</span>`)}
  </p>`;
}

function describeSource(r: InductionRun, v: LabView): string {
  const rep = r.analysis.repeat;
  const where = rep
    ? `a block of ${rep.period} tokens at positions ${rep.offset}–${rep.offset + rep.period - 1}, repeated at ${rep.offset + rep.period}–${rep.offset + 2 * rep.period - 1}`
    : 'no repeated block (prefix-matching and the copy losses need one)';
  return r.source === 'generated'
    ? `Generated sequence (seed ${v.params.seed}, P = ${v.params.period}): BOS, random filler and ${where}.`
    : `Your sequence (${r.analysis.n} tokens with BOS): ${where}.`;
}

/** f32 Q, K (relative 6e-8) with scores of a few units and L ≤ 64 keys: weights agree to about 1e-6. */
const AGREEMENT_BOUND = 1e-5;

/** max |lab weights − float64 model attention| of the layer shown, when the lab ran it as the model does. */
function agreement(v: LabView, r: InductionRun): number | null {
  const w = v.lab.run.stages.weights;
  const p = v.lab.prepared;
  if (!w || p.mask.kind !== 'causal' || p.bias || p.scale !== undefined) return null;
  const ref = r.analysis.attention[r.layer]!;
  if (ref.length !== w.length) return null;
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]! - ref[i]!));
  return max;
}

export function renderInductionPanel(v: LabView): TemplateResult | typeof nothing {
  const r = v.lab.prepared.induction;
  if (!r) return nothing;
  const a = r.analysis;
  const zeroed = new Set(r.ablate.map((h) => `${h.layer}.${h.head}`));
  const toggle = (key: string, on: boolean) => {
    const list = [...zeroed].filter((k) => k !== key);
    if (on) list.push(key);
    v.set({ ablate: normaliseHeadList(list) });
  };
  const cut = (layer: number, head: number) =>
    a.ablation?.find((x) => x.layer === layer && x.head === head)?.secondCopyLoss;
  const base = a.secondCopy?.loss;
  const rows = [];
  for (let layer = 0; layer < INDUCTION_CONFIG.layers; layer++)
    for (let head = 0; head < INDUCTION_CONFIG.heads; head++) {
      const key = `${layer}.${head}`;
      const prev = a.previousToken[layer]![head]!;
      const prefix = a.prefixMatching?.[layer]![head];
      const loss = cut(layer, head);
      const shown = layer === r.layer && head === v.head;
      rows.push(
        html`<tr class=${shown ? 'shown' : ''} data-head=${key}>
          <th scope="row">
            <button
              class="small link"
              aria-pressed=${shown ? 'true' : 'false'}
              @click=${() => v.set({ layer, head })}
            >
              Layer ${layer} head ${head + 1}
            </button>
          </th>
          <td data-value=${prev}>${f3(prev)}</td>
          <td data-value=${prefix ?? ''}>${f3(prefix)}</td>
          <td data-value=${loss ?? ''}>
            ${loss === undefined || base === undefined ? '—' : `${f3(loss)} (${loss - base >= 0 ? '+' : ''}${f3(loss - base)})`}
          </td>
          <td>
            <label class="check"
              ><input
                type="checkbox"
                .checked=${zeroed.has(key)}
                @change=${(e: Event) => toggle(key, (e.target as HTMLInputElement).checked)}
              /><span class="visually-hidden">Zero layer ${layer} head ${head + 1}</span></label
            >
          </td>
        </tr>`,
      );
    }
  const m = r.model.header?.metrics;
  const agree = agreement(v, r);
  return html`<section class="panel induction" aria-labelledby="induction-title">
    <h3 id="induction-title">
      Induction model: layer ${r.layer} of ${INDUCTION_CONFIG.layers} on this sequence
    </h3>
    <p class="small">${MODEL_LABELS[r.model.kind]} — ${r.model.label}. ${describeSource(r, v)}</p>
    ${renderSequence(r)}
    <p class="small muted">
      First copy <span class="tok first">■</span>, second copy <span class="tok second">■</span>. A
      previous-token head attends from each token to the one before it (score: mean of A[t][t − 1]); an
      induction head attends from a second-copy token to the token after its earlier occurrence (prefix
      matching: mean of A[o + P + j][o + j + 1]) and copies it, so the second copy becomes predictable.
    </p>
    <table aria-label="Head scores on this sequence">
      <thead>
        <tr>
          <th scope="col">Head</th>
          <th scope="col">Previous-token</th>
          <th scope="col">Prefix-matching</th>
          <th scope="col">Second-copy loss if zeroed (Δ)</th>
          <th scope="col">Zeroed</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <p class="copy-losses" role="status">
      Loss on the first copy: <strong data-value=${a.firstCopy?.loss ?? ''}>${f3(a.firstCopy?.loss)}</strong>
      nats (ln 64 = ${f3(LN_V)}: no model can predict a fresh random token) · on the second copy:
      <strong data-value=${base ?? ''}>${f3(base)}</strong> nats, top-1
      ${a.secondCopy ? `${(100 * a.secondCopy.top1).toFixed(0)} %` : '—'}.
      ${
        r.ablate.length
          ? html`Zeroed: ${r.ablate.map((h) => `layer ${h.layer} head ${h.head + 1}`).join(', ')}.
              <button class="small" @click=${() => v.set({ ablate: '' })}>Zero none</button>`
          : nothing
      }
    </p>
    ${
      agree === null
        ? nothing
        : html`<p class="small" data-agreement=${agree}>
            This layer's weights from ${v.lab.backendLabel} against the model's float64 forward: max |Δ| =
            ${agree.toExponential(2)}${agree > AGREEMENT_BOUND ? ` — more than the ${AGREEMENT_BOUND} expected` : ''}
            (Q and K are rounded to f32 once, then the softmax adds about 1e-7 per entry).
          </p>`
    }
    ${
      m
        ? html`<p class="small muted">
            On ${m.heldOut.sequences} held-out sequences (periods
            ${m.heldOut.periods[0]}–${m.heldOut.periods[1]}, never seen in training) the shipped model scores
            prefix-matching ${f3(Math.max(...m.prefixMatching[1]!))} (best layer-1 head), previous-token
            ${f3(Math.max(...m.previousToken[0]!))} (best layer-0 head), second-copy loss
            ${f3(m.secondCopy.loss)} nats (top-1 ${(100 * m.secondCopy.top1).toFixed(1)} %), first-copy
            ${f3(m.firstCopy.loss)} nats.
          </p>`
        : nothing
    }
  </section>`;
}
