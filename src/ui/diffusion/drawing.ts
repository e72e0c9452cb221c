/**
 * "Draw your own" training data: clicks and drags on pane A's particle plot, the keyboard form ("Add
 * point") and the typed list of points. The drawing lives in the URL (`drawing`, state/diffusion.ts).
 */
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { scatterScales } from '../../charts/scatter';
import {
  MAX_DRAWN_POINTS,
  drawingToText,
  encodeDrawing,
  parseDrawingText,
  quantiseDrawn,
  type DiffusionState,
} from '../../state/diffusion';
import { EXTENT } from './chain';
import { drawnPoints } from './inputs';

/** A drag adds a point once the pointer has moved this far (data units) from the last one. */
const DRAG_SPACING = 0.06;

export class DrawingInput {
  /** The message of a refused point or list (shown as an alert in the drawing panel). */
  error: string | null = null;
  /** Width of pane A's plot as last drawn (CSS px), for mapping pointer positions to data coordinates. */
  plotWidth = 480;
  private dragLast: [number, number] | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & { renderRoot: ParentNode },
    private readonly params: () => DiffusionState,
    private readonly set: (patch: Partial<DiffusionState>) => void,
  ) {}

  private fail(message: string | null): void {
    this.error = message;
    this.host.requestUpdate();
  }

  /** The particle canvas; in draw mode a click or drag on pane A's adds training points. */
  plotCanvas(i: number): TemplateResult {
    const drawable = i === 0 && this.params().dataset === 'draw';
    return html`<canvas
      class="scatter ${drawable ? 'drawable' : ''}"
      data-pane=${i}
      aria-hidden="true"
      @pointerdown=${drawable ? this.onDown : nothing}
      @pointermove=${drawable ? this.onMove : nothing}
      @pointerup=${drawable ? this.onUp : nothing}
      @pointercancel=${drawable ? this.onUp : nothing}
    ></canvas>`;
  }

  /** The data point under the pointer (quantised), or null outside the view. */
  private pointAt(e: PointerEvent): [number, number] | null {
    const rect = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const { x, y } = scatterScales({ width: this.plotWidth, height: this.plotWidth, extent: EXTENT });
    const dx = x.invert(e.clientX - rect.left);
    const dy = y.invert(e.clientY - rect.top);
    if (!(Math.abs(dx) <= EXTENT && Math.abs(dy) <= EXTENT)) return null;
    return [quantiseDrawn(dx), quantiseDrawn(dy)];
  }

  private onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    const pt = this.pointAt(e);
    if (!pt) return;
    (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
    this.dragLast = pt;
    this.add(pt);
  };

  private onMove = (e: PointerEvent) => {
    if (!this.dragLast) return;
    const pt = this.pointAt(e);
    if (!pt) return;
    if (Math.hypot(pt[0] - this.dragLast[0], pt[1] - this.dragLast[1]) < DRAG_SPACING) return;
    this.dragLast = pt;
    this.add(pt);
  };

  private onUp = () => {
    this.dragLast = null;
  };

  /** Appends points to the drawing (refused, with a message, beyond MAX_DRAWN_POINTS). */
  private add(...points: Array<[number, number]>) {
    const current = drawnPoints(this.params());
    const room = MAX_DRAWN_POINTS - current.length / 2;
    if (room <= 0) {
      this.dragLast = null;
      this.fail(msg(str`The drawing is full: it holds at most ${MAX_DRAWN_POINTS} points.`));
      return;
    }
    const next = new Float32Array(current.length + 2 * Math.min(room, points.length));
    next.set(current);
    points.slice(0, room).forEach(([x, y], k) => {
      next[current.length + 2 * k] = x;
      next[current.length + 2 * k + 1] = y;
    });
    this.fail(null);
    this.set({ drawing: encodeDrawing(next) });
  }

  private onAddPoint(e: SubmitEvent) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const read = (name: string) => {
      const input = form.querySelector<HTMLInputElement>(`input[name="${name}"]`)!;
      return input.value.trim() === '' ? NaN : Number(input.value);
    };
    const x = read('x');
    const y = read('y');
    if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > EXTENT || Math.abs(y) > EXTENT) {
      this.fail(msg(str`A point needs x and y between −${EXTENT} and ${EXTENT}.`));
      return;
    }
    this.add([quantiseDrawn(x), quantiseDrawn(y)]);
  }

  private onUseText() {
    const area = this.host.renderRoot.querySelector<HTMLTextAreaElement>('textarea.drawing-text');
    if (!area) return;
    const parsed = parseDrawingText(area.value);
    if (!(parsed instanceof Float32Array)) {
      this.fail(parsed.error);
      return;
    }
    this.fail(null);
    this.set({ drawing: encodeDrawing(parsed) });
  }

  /** The drawing panel: the point count, the keyboard form, the typed list and Clear. */
  renderPanel(p: DiffusionState): TemplateResult {
    const points = drawnPoints(p);
    const n = points.length / 2;
    return html`<section class="panel drawing" aria-label=${msg('Drawing')}>
      <h3>${msg(str`Your training data: ${n} of ${MAX_DRAWN_POINTS} points`)}</h3>
      <p class="small muted">
        ${msg(
          str`Click or drag on the particle plot to add points (kept to 0.01 within ±${EXTENT}, and in the address so a link shares the drawing). Or add them with the keyboard:`,
        )}
      </p>
      <div class="drawing-row">
        <form class="drawing-add" @submit=${(e: SubmitEvent) => this.onAddPoint(e)}>
          <label class="field"
            >${msg('Point x')}
            <input name="x" type="number" step="0.01" min=${-EXTENT} max=${EXTENT} required
          /></label>
          <label class="field"
            >${msg('Point y')}
            <input name="y" type="number" step="0.01" min=${-EXTENT} max=${EXTENT} required
          /></label>
          <button type="submit">${msg('Add point')}</button>
        </form>
        <label class="field drawing-text-field"
          >${msg('Points (one “x, y” per line)')}
          <textarea
            class="drawing-text"
            rows="4"
            spellcheck="false"
            .value=${drawingToText(points)}
          ></textarea>
        </label>
        <div class="buttons">
          <button @click=${() => this.onUseText()}>${msg('Use these points')}</button>
          <button
            @click=${() => {
              this.fail(null);
              this.set({ drawing: '' });
            }}
            ?disabled=${n === 0}
          >
            ${msg('Clear drawing')}
          </button>
        </div>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    </section>`;
  }

  /** Pane A's plot before any point is drawn. */
  renderEmptyPane(): TemplateResult {
    return html`<figure class="panel" aria-label=${msg(str`Pane ${'A'}`)}>
      <h3 class="pane-title">${msg('Draw the training data')}</h3>
      <div class="plot">${this.plotCanvas(0)}<svg class="scatter-axes" data-pane="0"></svg></div>
      <figcaption>${msg('No points yet: click or drag here, or use the drawing panel.')}</figcaption>
    </figure>`;
  }
}
