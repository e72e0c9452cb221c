/**
 * Pointer and keyboard on the heatmaps: hover tooltips and the cell cursor, zoom (wheel, +/−, buttons) and
 * pan (drag, Shift+arrows, buttons) of the enlarged view, picking a query row (click, Enter), and painting
 * the custom mask (click or drag, Space). Zoom is component state: a new L resets it.
 */
import type { AttentionStage, MatrixStage } from '../../engine/attention';
import type { Rect } from '../../kernels/attention/spec';
import { VIEW_STAGES, type AttentionState } from '../../state/attention';
import type { CustomMask } from './custom-mask';
import type { CanvasEvents, HeatmapCanvases } from './heatmap-canvas';
import { cellRange, fullRect } from './matrices';
import { clampRect, type HeadMatrix } from './model';
import type { LabRun } from './session';
import { MIN_ZOOM } from './stages';

interface InteractionHost {
  requestUpdate(): void;
  /** The run on screen. */
  shown(): LabRun | undefined;
  /** The enlarged heatmap's matrix (selected head and stage, zoom window when zoomed). */
  enlarged(lab: LabRun): HeadMatrix | null;
  /** Head `selected` of `stage` as the strip shows it. */
  strip(lab: LabRun, stage: AttentionStage): HeadMatrix | null;
  set(patch: Partial<AttentionState>): void;
}

type Cell = { row: number; col: number };

interface Drag {
  x: number;
  y: number;
  moved: boolean;
  rect: Rect;
  paint: 0 | 1 | null;
  /** Pooled runs fetch the panned window once the drag ends. */
  pending?: Rect;
}

const MOVES: Record<string, [number, number]> = {
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
};

export class HeatmapInteraction implements CanvasEvents {
  zoom: Rect | null = null;
  hover: ({ id: string } & Cell) | null = null;
  tooltip: { x: number; y: number; text: string } | null = null;
  /** Set by the host once its canvases exist (they need these events first). */
  canvases!: HeatmapCanvases;
  private drag: Drag | null = null;

  constructor(
    private readonly host: InteractionHost,
    private readonly custom: CustomMask,
  ) {}

  setZoom(rect: Rect | null): void {
    this.zoom = rect;
    this.host.requestUpdate();
  }

  private setHover(hover: HeatmapInteraction['hover'], tooltip: HeatmapInteraction['tooltip']) {
    this.hover = hover;
    this.tooltip = tooltip;
    this.host.requestUpdate();
  }

  /** The first source row of displayed `cell` of the enlarged matrix picks the query row. */
  private pickRow(lab: LabRun, cell: Cell | null) {
    const m = this.host.enlarged(lab);
    if (cell && m) this.host.set({ row: cellRange(m, cell.row, cell.col).q[0] });
  }

  private paintable(lab: LabRun): boolean {
    return lab.prepared.mask.kind === 'custom' && !!this.custom.keep;
  }

  pointerMove(id: string, e: PointerEvent): void {
    const lab = this.host.shown();
    const entry = this.canvases.get(id);
    if (!lab || !entry) return;
    if (this.drag && id === 'enlarged') {
      this.dragMove(lab, e);
      if (this.drag?.moved) return;
    }
    const cell = this.canvases.cellAt(id, e);
    if (!cell) return this.pointerLeave(id);
    const same = this.hover?.id === id && this.hover.row === cell.row && this.hover.col === cell.col;
    const text = entry.describe(cell.row, cell.col);
    this.setHover(same ? this.hover : { id, ...cell }, { x: e.clientX + 14, y: e.clientY + 14, text });
  }

  pointerLeave(id: string): void {
    this.setHover(this.hover?.id === id ? null : this.hover, null);
  }

  /** A click on a strip (or head) heatmap enlarges its stage and picks the clicked row. */
  click(id: string, e: MouseEvent): void {
    const cell = this.canvases.cellAt(id, e);
    const stage = id.replace(/^strip-/, '') as AttentionStage;
    const patch: Partial<AttentionState> = {};
    if ((VIEW_STAGES as readonly string[]).includes(stage)) patch.stage = stage as MatrixStage;
    const lab = this.host.shown();
    if (cell && this.canvases.get(id) && lab) {
      const m = this.host.strip(lab, stage);
      if (m) patch.row = cellRange(m, cell.row, 0).q[0];
    }
    this.host.set(patch);
  }

  pointerDown(id: string, e: PointerEvent): void {
    const lab = this.host.shown();
    if (!lab || e.button !== 0) return;
    (e.currentTarget as HTMLCanvasElement).setPointerCapture?.(e.pointerId);
    const cell = this.canvases.cellAt(id, e);
    let paint: 0 | 1 | null = null;
    const m = this.host.enlarged(lab);
    if (cell && m && this.paintable(lab)) {
      const L = lab.run.shape.L;
      paint = this.custom.keeps(m, cell, L) ? 0 : 1;
      this.custom.paint(m, cell, paint, L);
    }
    this.drag = { x: e.clientX, y: e.clientY, moved: false, rect: this.zoom ?? fullRect(lab), paint };
  }

  private dragMove(lab: LabRun, e: PointerEvent) {
    const drag = this.drag!;
    if (drag.paint !== null) {
      const cell = this.canvases.cellAt('enlarged', e);
      const m = this.host.enlarged(lab);
      if (cell && m) this.custom.paint(m, cell, drag.paint, lab.run.shape.L);
      drag.moved = true;
      return;
    }
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    drag.moved = true;
    const layout = this.canvases.layoutOf(e.currentTarget as HTMLCanvasElement);
    if (!this.zoom || !layout) return;
    const perPx = drag.rect.rows / layout.plot.h;
    const next = clampRect(
      { ...drag.rect, row0: drag.rect.row0 - dy * perPx, col0: drag.rect.col0 - dx * perPx },
      lab.run.shape.L,
    );
    // Full-resolution data pans live; pooled runs fetch the new window once the drag ends.
    if (lab.full) this.setZoom(next);
    else drag.pending = next;
  }

  pointerUp(id: string, e: PointerEvent): void {
    const drag = this.drag;
    this.drag = null;
    const lab = this.host.shown();
    if (!drag || !lab) return;
    if (drag.paint !== null) this.custom.commit();
    else if (drag.pending) this.setZoom(drag.pending);
    else if (!drag.moved) this.pickRow(lab, this.canvases.cellAt(id, e));
  }

  wheel(id: string, e: WheelEvent): void {
    const lab = this.host.shown();
    if (!lab) return;
    e.preventDefault();
    const cell = this.canvases.cellAt(id, e);
    const m = this.host.enlarged(lab);
    let center: [number, number] | undefined;
    if (cell && m) {
      const { q, k } = cellRange(m, cell.row, cell.col);
      center = [q[0], k[0]];
    }
    this.zoomBy(lab, e.deltaY < 0 ? 0.5 : 2, center);
  }

  /** Zooms by `factor` (0.5: in), keeping `center` (default: the window's centre) where it is. */
  zoomBy(lab: LabRun, factor: number, center?: [number, number]): void {
    const L = lab.run.shape.L;
    const rect = this.zoom ?? fullRect(lab);
    const size = Math.round(Math.max(Math.min(MIN_ZOOM, L), Math.min(L, rect.rows * factor)));
    if (size >= L) return this.setZoom(null);
    const [cr, cc] = center ?? [rect.row0 + rect.rows / 2, rect.col0 + rect.cols / 2];
    const fr = (cr - rect.row0) / rect.rows;
    const fc = (cc - rect.col0) / rect.cols;
    this.setZoom(clampRect({ row0: cr - fr * size, col0: cc - fc * size, rows: size, cols: size }, L));
  }

  /** Moves the zoom window by a quarter of its size per step. */
  pan(lab: LabRun, dr: number, dc: number): void {
    const z = this.zoom;
    if (!z) return;
    const step = Math.max(1, Math.round(z.rows / 4));
    this.setZoom(clampRect({ ...z, row0: z.row0 + dr * step, col0: z.col0 + dc * step }, lab.run.shape.L));
  }

  /** Keyboard for the enlarged heatmap: arrows move the cell cursor, Shift+arrows pan, +/− zoom. */
  key(id: string, e: KeyboardEvent): void {
    const lab = this.host.shown();
    const entry = this.canvases.get(id);
    if (!lab || !entry) return;
    const cur = this.hover?.id === id ? this.hover : { id, row: 0, col: 0 };
    const move = MOVES[e.key];
    if (move && e.shiftKey) {
      this.pan(lab, move[0], move[1]);
    } else if (move) {
      const row = Math.max(0, Math.min(entry.data.rows - 1, cur.row + move[0]));
      const col = Math.max(0, Math.min(entry.data.cols - 1, cur.col + move[1]));
      this.setHover({ id, row, col }, null);
    } else if (e.key === '+' || e.key === '=') {
      this.zoomBy(lab, 0.5);
    } else if (e.key === '-' || e.key === '_') {
      this.zoomBy(lab, 2);
    } else if (e.key === '0') {
      this.setZoom(null);
    } else if (e.key === 'Enter') {
      this.pickRow(lab, cur);
    } else if (e.key === ' ' && this.paintable(lab)) {
      const m = this.host.enlarged(lab);
      if (m) {
        const L = lab.run.shape.L;
        this.custom.paint(m, cur, this.custom.keeps(m, cur, L) ? 0 : 1, L);
        this.custom.commit();
      }
    } else {
      return;
    }
    e.preventDefault();
  }
}
