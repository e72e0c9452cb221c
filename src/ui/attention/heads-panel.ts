/** Every head's softmax weights as a thumbnail; pressing one selects that head. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import type { HeatmapEntry } from './heatmap-canvas';
import { describeCell, stripMatrix } from './matrices';
import { headNumber, weightsScale, type LabView } from './view';

export function renderHeads(v: LabView): TemplateResult {
  const { lab, params: p } = v;
  const { heads } = lab.run.shape;
  const size = v.layout.headThumb(heads);
  const win = lab.prepared.headWindow;
  const first = win?.first ?? 0;
  const [from, to] = [first + 1, first + heads];
  const total = win?.total ?? heads;
  return html`<section class="panel" aria-labelledby="heads-title">
    <h3 id="heads-title">
      ${
        total > heads
          ? msg(str`Heads ${from} … ${to} of ${total} (softmax weights) — pick one to enlarge`)
          : msg(str`All ${heads} heads (softmax weights) — pick one to enlarge`)
      }
    </h3>
    <div class="heads">
      ${Array.from({ length: heads }, (_, i) => {
        const m = stripMatrix(v.pic, 'weights', i);
        const head = headNumber(v, i);
        if (!m) return html`<span class="muted small">${msg(str`Head ${head}: pooling…`)}</span>`;
        const entry: HeatmapEntry = {
          key: `${lab.id}:${p.weightRange}:${p.pool}:${size}:${m.rows}:${v.themeVersion}`,
          data: { rows: m.rows, cols: m.cols, values: m.data },
          options: {
            width: size,
            height: size,
            scale: weightsScale(m.data, p.weightRange),
            textColor: v.colors.text,
          },
          exportTitle: `Softmax weights, head ${head}`,
          fileBase: `kernelscope-attention-weights-head${head}`,
          describe: (r, col) => describeCell(v.pic, m, i, r, col, 'weights'),
        };
        return html`<button
          aria-pressed=${i === v.head ? 'true' : 'false'}
          @click=${() => v.set({ head: first + i })}
        >
          ${v.canvases.canvas(`head-${i}`, entry, { label: msg(str`Weights of head ${head}`), hidden: true })}
          <span>${msg(str`Head ${head}`)}</span>
        </button>`;
      })}
    </div>
    <p class="small muted">${headsNote(v)}</p>
  </section>`;
}

/** Where each head's projections come from; one sentence, whole. */
function headsNote(v: LabView): string {
  const induction = v.lab.prepared.induction;
  if (induction) {
    const layer = induction.layer;
    return msg(
      str`Layer ${layer} of the induction model: each head has its own learned W_q, W_k, W_v; the enlarged view and its data table show the selected head.`,
    );
  }
  if (v.lab.prepared.source === 'model' && v.params.model === 'gpt2') {
    const layer = v.params.layer;
    return msg(
      str`GPT-2 layer ${layer} (numbered from 0): each head has its own learned W_q, W_k, W_v; the enlarged view and its data table show the selected head.`,
    );
  }
  return msg(
    'Each head has its own W_q, W_k, W_v (seeded); the enlarged view and its data table show the selected head.',
  );
}
