/**
 * The GPT-2 panel of the Attention lab: the load zone (file input, drop zone, progress + Cancel, notes,
 * alerts), the layers × heads grid of weight maps (click: that layer and head in the stage views), the
 * sortable per-head score table, the top-5 next tokens and the exports.
 */
import { css, html, nothing, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { heatmapColor } from '../../charts/heatmap';
import type { AttentionState } from '../../state/attention';
import { exportButtons } from '../common/export-buttons';
import { tableActions } from '../common/export-actions';
import { HEAD_COLUMNS, headColumnLabels, nextSort, type HeadColumn } from './gpt2-inputs';
import type { Gpt2Section } from './gpt2-section';

type Set = (patch: Partial<AttentionState>) => void;

export const gpt2Styles = css`
  .gpt2-drop {
    border: 2px dashed var(--ks-border, #8c8c8c);
    border-radius: 6px;
    padding: 0.5rem 0.75rem;
  }
  .gpt2-grid {
    display: grid;
    gap: 2px;
    align-items: center;
    justify-items: center;
    width: max-content;
    max-width: 100%;
    overflow-x: auto;
  }
  .gpt2-cell {
    padding: 1px;
    border: 2px solid transparent;
    background: none;
    line-height: 0;
  }
  .gpt2-cell.on {
    border-color: var(--ks-focus, #f5a623);
  }
  .gpt2-cell canvas {
    width: 44px;
    height: 44px;
    image-rendering: pixelated;
  }
  .gpt2-tokens code {
    white-space: pre;
  }
  .gpt2-heads th button {
    font-weight: 600;
  }
  .gpt2-progress progress {
    width: 16rem;
  }
`;

const pct = (p: number) => `${(100 * p).toFixed(p < 0.001 ? 3 : 1)}%`;

function filesOf(list: FileList | null | undefined): File[] {
  return list ? Array.from(list) : [];
}

function renderLoad(s: Gpt2Section): TemplateResult {
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    void s.load(filesOf(e.dataTransfer?.files));
  };
  const onPick = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const files = filesOf(input.files);
    input.value = '';
    void s.load(files);
  };
  const pr = s.progress;
  const loaded = s.loaded;
  return html`<div class="gpt2-drop" @dragover=${(e: DragEvent) => e.preventDefault()} @drop=${onDrop}>
      <label class="field"
        >${msg('Load GPT-2 weights (.safetensors)')}
        <input
          type="file"
          multiple
          accept=".safetensors,.json,application/json"
          ?disabled=${s.loading}
          @change=${onPick}
      /></label>
      <p class="small muted">
        ${msg(
          html`Drop a GPT-2-family <code>model.safetensors</code> here (gpt2, distilgpt2, gpt2-medium …), with
            its <code>config.json</code> if you have it. It is read from disk in pieces and runs on this GPU;
            nothing is uploaded. Real checkpoints need WebGPU; without it, models up to 16 M parameters run on
            the CPU.`,
        )}
      </p>
    </div>
    ${
      pr
        ? html`<p class="gpt2-progress" role="status">
            <label
              >${pr.tensor ? msg(str`Loading ${pr.tensor}…`) : msg('Loading the header…')}
              <progress max=${pr.total || 1} value=${pr.done}></progress
            ></label>
            <button class="small" @click=${() => s.cancel()}>${msg('Cancel')}</button>
          </p>`
        : nothing
    }
    ${s.loadError ? html`<p class="error" role="alert">${s.loadError}</p>` : nothing}
    ${
      loaded
        ? html`<p class="small notice" role="status">
            ${describeLoaded(loaded.name, loaded.config)}
            ${loaded.notes.map((n) => html`<span class="note">${n}</span> `)}
          </p>`
        : nothing
    }`;
}

/** "gpt2.safetensors: 12 layers, 12 heads, width 768, context 1024 tokens." */
function describeLoaded(
  name: string,
  c: { nLayer: number; nHead: number; nEmbd: number; nPositions: number },
) {
  const { nLayer, nHead, nEmbd, nPositions } = c;
  return msg(str`${name}: ${nLayer} layers, ${nHead} heads, width ${nEmbd}, context ${nPositions} tokens.`);
}

function renderGrid(s: Gpt2Section, p: AttentionState, set: Set): TemplateResult | typeof nothing {
  const shown = s.shown;
  if (!shown) return nothing;
  const { nLayer, nHead } = s.loaded!.config;
  const S = shown.result.mapSize;
  return html`<div class="gpt2-grid-wrap">
    <h4>
      ${
        shown.result.pooled
          ? msg(str`Every head's weights (max-pooled to ${S}×${S}, causal)`)
          : msg(str`Every head's weights (${S}×${S}, causal)`)
      }
    </h4>
    <p class="small muted">
      ${msg(
        'Layers and heads are numbered from 0 here (the stage views below number heads from 1). Colour: √weight, so small weights stay visible. Click a map to enlarge that head below.',
      )}
    </p>
    <div
      class="gpt2-grid"
      role="group"
      aria-label=${msg('Attention weights of every layer and head')}
      style="grid-template-columns: auto repeat(${nHead}, 1fr)"
    >
      <span></span>
      ${Array.from({ length: nHead }, (_, h) => html`<span class="small muted">h${h}</span>`)}
      ${Array.from(
        { length: nLayer },
        (_, l) =>
          html`<span class="small muted">L${l}</span> ${Array.from({ length: nHead }, (_, h) => {
              const on = l === shown.layer && h === p.head;
              return html`<button
                class="gpt2-cell ${on ? 'on' : ''}"
                aria-label=${msg(str`Layer ${l} head ${h}`)}
                aria-pressed=${on ? 'true' : 'false'}
                @click=${() => set({ layer: l, head: h })}
              >
                <canvas width=${S} height=${S} data-layer=${l} data-head=${h}></canvas>
              </button>`;
            })}`,
      )}
    </div>
  </div>`;
}

/** Paints the grid's canvases (after the render); each remembers what it drew. */
export function paintGpt2Grid(root: ShadowRoot, s: Gpt2Section): void {
  const shown = s.shown;
  if (!shown) return;
  const S = shown.result.mapSize;
  const H = s.loaded?.config.nHead ?? 0;
  const scale = { kind: 'sequential', min: 0, max: 1 } as const;
  for (const c of root.querySelectorAll<HTMLCanvasElement>('.gpt2-grid canvas')) {
    const l = Number(c.dataset['layer']);
    const h = Number(c.dataset['head']);
    const key = `${s.version}:${shown.text}:${shown.layer}:${l}:${h}`;
    if (c.dataset['drawn'] === key) continue;
    const a = shown.result.attention[l];
    const ctx = c.getContext('2d');
    if (!a || !ctx || h >= H) continue;
    const img = ctx.createImageData(S, S);
    for (let i = 0; i < S * S; i++) {
      const v = a[h * S * S + i]!;
      // Square root: small weights stay visible at thumbnail size.
      const [r, g, b] = heatmapColor(scale, Math.sqrt(Math.max(0, v)));
      img.data.set([r, g, b, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
    c.dataset['drawn'] = key;
  }
}

function renderTable(s: Gpt2Section): TemplateResult | typeof nothing {
  if (!s.shown) return nothing;
  const rows = s.sortedRows();
  if (!rows)
    return html`<p class="small muted">
      ${msg(str`Per-head scores need the full maps (at most 256 tokens); this text has ${s.shown.ids.length}.`)}
    </p>`;
  const sortBy = (c: HeadColumn) => {
    s.sort = nextSort(s.sort, c);
    s.requestUpdate();
  };
  const ariaSort = (c: HeadColumn) =>
    s.sort.column === c ? (s.sort.descending ? 'descending' : 'ascending') : 'none';
  const labels = headColumnLabels();
  const fmt = (c: HeadColumn, v: number) => (c === 'layer' || c === 'head' ? String(v) : v.toFixed(3));
  return html`<div class="gpt2-table-wrap">
    <table class="gpt2-heads">
      <caption>
        ${msg('Per-head scores (means over query positions)')}
      </caption>
      <thead>
        <tr>
          ${HEAD_COLUMNS.map(
            (c) =>
              html`<th scope="col" aria-sort=${ariaSort(c)}>
                <button class="small" @click=${() => sortBy(c)}>${labels[c]}</button>
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              ${HEAD_COLUMNS.map((c) => html`<td>${fmt(c, r[c])}</td>`)}
            </tr>`,
        )}
      </tbody>
    </table>
    ${exportButtons(
      tableActions(
        msg('head scores'),
        () => 'kernelscope-attention-gpt2-heads',
        () => s.tableCsv(),
      ),
    )}
  </div>`;
}

function renderNext(s: Gpt2Section): TemplateResult | typeof nothing {
  const shown = s.shown;
  if (!shown) return nothing;
  const T = shown.ids.length;
  const at = s.nextAt;
  const next = at?.next ?? shown.next;
  return html`<div class="gpt2-next">
    <label class="field"
      >${msg('Next token after')}
      <select @change=${(e: Event) => void s.nextAfter(Number((e.target as HTMLSelectElement).value))}>
        ${shown.tokens.map(
          (t, i) => html`<option value=${i} .selected=${i === (at?.position ?? T - 1)}>${i}: ${t}</option>`,
        )}
      </select></label
    >
    <ol class="gpt2-top" aria-label=${msg('Top 5 next tokens')}>
      ${next.map((n) => html`<li><code>${n.token}</code> <span translate="no">(id ${n.id}) ${pct(n.p)}</span></li>`)}
    </ol>
  </div>`;
}

/** The whole panel (shown with model=gpt2). */
export function renderGpt2Panel(
  s: Gpt2Section,
  p: AttentionState,
  set: Set,
): TemplateResult | typeof nothing {
  if (p.model !== 'gpt2') return nothing;
  const shown = s.shown;
  return html`<section class="panel gpt2" aria-label=${msg('GPT-2 model')}>
    <h3>${msg('GPT-2 weights (your file)')}</h3>
    ${renderLoad(s)}
    ${
      shown
        ? html`<p class="small gpt2-tokens" aria-label=${msg('Tokens as the model sees them')}>
            ${shown.tokens.map((t) => html`<code>${t}</code> `)}
          </p>`
        : nothing
    }
    ${renderGrid(s, p, set)} ${renderNext(s)} ${renderTable(s)}
    ${
      shown
        ? exportButtons([
            {
              label: msg('Export model attention (JSON)'),
              run: () => s.exportAttention(),
              primary: true,
            },
          ])
        : nothing
    }
    ${s.message ? html`<p class="error" role="alert">${s.message}</p>` : nothing}
  </section>`;
}
