/**
 * The induction model's panel: the sequence with its two copies marked, every head's previous-token and
 * prefix-matching score on it, the first- and second-copy losses, and head ablation (zero a head, see the
 * second-copy loss change). All numbers come from the float64 forward of this sequence (analyseSequence).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { INDUCTION_CONFIG } from '../../models/induction';
import { tokenLabel } from '../../models/induction/sequence';
import { normaliseHeadList } from '../../state/attention';
import { formatFixed } from '../../util/format';
import { backendName } from '../common/backend';
import { modelLabels } from './induction-controls';
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
  return html`<p class="token-seq" aria-label=${msg('The token sequence')}>
    ${Array.from(
      ids,
      (id, t) => html`<span class="tok ${role(t)}" title=${msg(str`position ${t}`)}>${tokenLabel(id)}</span>`,
    )}
  </p>`;
}

function describeSource(r: InductionRun, v: LabView): string {
  const rep = r.analysis.repeat;
  const { seed, period } = v.params;
  const n = r.analysis.n;
  if (!rep)
    return r.source === 'generated'
      ? msg(
          str`Generated sequence (seed ${seed}, P = ${period}): BOS, random filler and no repeated block (prefix-matching and the copy losses need one).`,
        )
      : msg(
          str`Your sequence (${n} tokens with BOS): no repeated block (prefix-matching and the copy losses need one).`,
        );
  const P = rep.period;
  const a = rep.offset;
  const b = rep.offset + P - 1;
  const c = rep.offset + P;
  const d = rep.offset + 2 * P - 1;
  return r.source === 'generated'
    ? msg(
        str`Generated sequence (seed ${seed}, P = ${period}): BOS, random filler and a block of ${P} tokens at positions ${a}–${b}, repeated at ${c}–${d}.`,
      )
    : msg(
        str`Your sequence (${n} tokens with BOS): a block of ${P} tokens at positions ${a}–${b}, repeated at ${c}–${d}.`,
      );
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
      const h1 = head + 1;
      rows.push(
        html`<tr class=${shown ? 'shown' : ''} data-head=${key}>
          <th scope="row">
            <button
              class="small link"
              aria-pressed=${shown ? 'true' : 'false'}
              @click=${() => v.set({ layer, head })}
            >
              ${msg(str`Layer ${layer} head ${h1}`)}
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
              /><span class="visually-hidden">${msg(str`Zero layer ${layer} head ${h1}`)}</span></label
            >
          </td>
        </tr>`,
      );
    }
  const m = r.model.header?.metrics;
  const agree = agreement(v, r);
  const layers = INDUCTION_CONFIG.layers;
  return html`<section class="panel induction" aria-labelledby="induction-title">
    <h3 id="induction-title">${msg(str`Induction model: layer ${r.layer} of ${layers} on this sequence`)}</h3>
    <p class="small">${renderAbout(r, v)}</p>
    ${renderSequence(r)}
    <p class="small muted">
      ${msg(
        html`First copy <span class="tok first">■</span>, second copy <span class="tok second">■</span>. A
          previous-token head attends from each token to the one before it (score: mean of A[t][t − 1]); an
          induction head attends from a second-copy token to the token after its earlier occurrence (prefix
          matching: mean of A[o + P + j][o + j + 1]) and copies it, so the second copy becomes predictable.`,
      )}
    </p>
    <table aria-label=${msg('Head scores on this sequence')}>
      <thead>
        <tr>
          <th scope="col">${msg('Head')}</th>
          <th scope="col">${msg('Previous-token')}</th>
          <th scope="col">${msg('Prefix-matching')}</th>
          <th scope="col">${msg('Second-copy loss if zeroed (Δ)')}</th>
          <th scope="col">${msg('Zeroed')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <p class="copy-losses" role="status">${renderCopyLosses(r, v)}</p>
    ${agree === null ? nothing : renderAgreement(v, agree)} ${m ? renderMetrics(m) : nothing}
  </section>`;
}

/** The model's name and training, and where the sequence comes from. */
function renderAbout(r: InductionRun, v: LabView): string {
  const name = modelLabels()[r.model.kind];
  const trained = r.model.label;
  const source = describeSource(r, v);
  return msg(str`${name} — ${trained}. ${source}`);
}

/** First- and second-copy losses, and the heads zeroed (with "Zero none"). */
function renderCopyLosses(r: InductionRun, v: LabView): TemplateResult {
  const a = r.analysis;
  const first = a.firstCopy?.loss;
  const base = a.secondCopy?.loss;
  const top1 = a.secondCopy ? `${(100 * a.secondCopy.top1).toFixed(0)} %` : '—';
  const lnV = f3(LN_V);
  const zeroed = r.ablate
    .map((h) => {
      const h1 = h.head + 1;
      return msg(str`layer ${h.layer} head ${h1}`);
    })
    .join(msg(', '));
  return html`${msg(
    html`Loss on the first copy: <strong data-value=${first ?? ''}>${f3(first)}</strong> nats (ln 64 = ${lnV}:
      no model can predict a fresh random token) · on the second copy:
      <strong data-value=${base ?? ''}>${f3(base)}</strong> nats, top-1 ${top1}.`,
  )}
  ${
    r.ablate.length
      ? html`${msg(str`Zeroed: ${zeroed}.`)}
          <button class="small" @click=${() => v.set({ ablate: '' })}>${msg('Zero none')}</button>`
      : nothing
  }`;
}

/** How far the lab's weights of the layer shown are from the model's float64 forward. */
function renderAgreement(v: LabView, agree: number): TemplateResult {
  const backend = backendName(v.lab.backend);
  const delta = agree.toExponential(2);
  const bound = AGREEMENT_BOUND;
  return html`<p class="small" data-agreement=${agree}>
    ${
      agree > bound
        ? msg(
            str`This layer's weights from ${backend} against the model's float64 forward: max |Δ| = ${delta} — more than the ${bound} expected (Q and K are rounded to f32 once, then the softmax adds about 1e-7 per entry).`,
          )
        : msg(
            str`This layer's weights from ${backend} against the model's float64 forward: max |Δ| = ${delta} (Q and K are rounded to f32 once, then the softmax adds about 1e-7 per entry).`,
          )
    }
  </p>`;
}

/** The shipped model's scores on its held-out sequences (from its manifest). */
function renderMetrics(m: NonNullable<InductionRun['model']['header']>['metrics']): TemplateResult {
  const sequences = m.heldOut.sequences;
  const [lo, hi] = m.heldOut.periods;
  const prefix = f3(Math.max(...m.prefixMatching[1]!));
  const previous = f3(Math.max(...m.previousToken[0]!));
  const second = f3(m.secondCopy.loss);
  const top1 = (100 * m.secondCopy.top1).toFixed(1);
  const first = f3(m.firstCopy.loss);
  return html`<p class="small muted">
    ${msg(
      str`On ${sequences} held-out sequences (periods ${lo}–${hi}, never seen in training) the shipped model scores prefix-matching ${prefix} (best layer-1 head), previous-token ${previous} (best layer-0 head), second-copy loss ${second} nats (top-1 ${top1} %), first-copy ${first} nats.`,
    )}
  </p>`;
}
