/** Every head's softmax weights as a thumbnail; pressing one selects that head. */
import { html, type TemplateResult } from 'lit';
import type { HeatmapEntry } from './heatmap-canvas';
import { describeCell, stripMatrix } from './matrices';
import { weightsScale, type LabView } from './view';

export function renderHeads(v: LabView): TemplateResult {
  const { lab, params: p } = v;
  const { heads } = lab.run.shape;
  const size = v.layout.headThumb(heads);
  return html`<section class="panel" aria-labelledby="heads-title">
    <h3 id="heads-title">All ${heads} heads (softmax weights) — pick one to enlarge</h3>
    <div class="heads">
      ${Array.from({ length: heads }, (_, i) => {
        const m = stripMatrix(v.pic, 'weights', i);
        if (!m) return html`<span class="muted small">Head ${i + 1}: pooling…</span>`;
        const entry: HeatmapEntry = {
          key: `${lab.id}:${p.weightRange}:${p.pool}:${size}:${m.rows}:${v.themeVersion}`,
          data: { rows: m.rows, cols: m.cols, values: m.data },
          options: {
            width: size,
            height: size,
            scale: weightsScale(m.data, p.weightRange),
            textColor: v.colors.text,
          },
          exportTitle: `Softmax weights, head ${i + 1}`,
          fileBase: `kernelscope-attention-weights-head${i + 1}`,
          describe: (r, col) => describeCell(v.pic, m, i, r, col, 'weights'),
        };
        return html`<button
          aria-pressed=${i === v.head ? 'true' : 'false'}
          @click=${() => v.set({ head: i })}
        >
          ${v.canvases.canvas(`head-${i}`, entry, { label: `Weights of head ${i + 1}`, hidden: true })}
          <span>Head ${i + 1}</span>
        </button>`;
      })}
    </div>
    <p class="small muted">
      ${
        v.lab.prepared.induction
          ? `Layer ${v.lab.prepared.induction.layer} of the induction model: each head has its own learned W_q, W_k, W_v;`
          : v.lab.prepared.source === 'model' && v.params.model === 'gpt2'
            ? `GPT-2 layer ${v.params.layer} (numbered from 0): each head has its own learned W_q, W_k, W_v;`
            : 'Each head has its own W_q, W_k, W_v (seeded);'
      }
      the enlarged view and its data table show the selected head.
    </p>
  </section>`;
}
