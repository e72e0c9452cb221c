/**
 * The lab's heatmap canvases: each render registers what every canvas shows (an entry with a cache key);
 * after the render, paint() draws only the canvases whose key changed and keeps their layouts for
 * hit-testing pointer positions.
 */
import { html, type TemplateResult } from 'lit';
import {
  heatmapCellAt,
  renderHeatmap,
  type HeatmapData,
  type HeatmapLayout,
  type HeatmapOptions,
} from '../../charts/heatmap';

/** A heatmap on screen: what to draw, how, and what to say about a cell. */
export interface HeatmapEntry {
  /** Changes whenever the picture changes (the canvas is repainted only then). */
  key: string;
  data: HeatmapData;
  options: HeatmapOptions;
  exportTitle: string;
  fileBase: string;
  describe: (row: number, col: number) => string;
}

/** What the canvases answer to: the enlarged one is interactive, the strip and head ones only hover/click. */
export interface CanvasEvents {
  pointerDown(id: string, e: PointerEvent): void;
  pointerMove(id: string, e: PointerEvent): void;
  pointerUp(id: string, e: PointerEvent): void;
  pointerLeave(id: string): void;
  wheel(id: string, e: WheelEvent): void;
  key(id: string, e: KeyboardEvent): void;
  click(id: string, e: MouseEvent): void;
}

interface CanvasAttrs {
  label: string;
  interactive?: boolean;
  hidden?: boolean;
}

export class HeatmapCanvases {
  private entries = new Map<string, HeatmapEntry>();
  private layouts = new WeakMap<HTMLCanvasElement, HeatmapLayout>();
  private drawn = new WeakMap<Element, string>();

  constructor(private readonly events: CanvasEvents) {}

  /** Forgets the last render's entries (call at the start of each render). */
  reset(): void {
    this.entries = new Map();
  }

  get(id: string): HeatmapEntry | undefined {
    return this.entries.get(id);
  }

  /** Registers a heatmap for drawing and export; returns its canvas. */
  canvas(id: string, entry: HeatmapEntry, attrs: CanvasAttrs): TemplateResult {
    this.entries.set(id, entry);
    const ev = this.events;
    const style = `width:${entry.options.width}px;height:${entry.options.height}px`;
    if (attrs.interactive) {
      return html`<canvas
        data-hm=${id}
        class="interactive"
        tabindex="0"
        role="img"
        aria-label=${attrs.label}
        aria-describedby="enlarged-help"
        style=${style}
        @pointerdown=${(e: PointerEvent) => ev.pointerDown(id, e)}
        @pointermove=${(e: PointerEvent) => ev.pointerMove(id, e)}
        @pointerup=${(e: PointerEvent) => ev.pointerUp(id, e)}
        @pointerleave=${() => ev.pointerLeave(id)}
        @wheel=${(e: WheelEvent) => ev.wheel(id, e)}
        @keydown=${(e: KeyboardEvent) => ev.key(id, e)}
      ></canvas>`;
    }
    return html`<canvas
      data-hm=${id}
      role="img"
      aria-label=${attrs.label}
      aria-hidden=${attrs.hidden ? 'true' : 'false'}
      style=${style}
      @pointermove=${(e: PointerEvent) => ev.pointerMove(id, e)}
      @pointerleave=${() => ev.pointerLeave(id)}
      @click=${(e: MouseEvent) => ev.click(id, e)}
    ></canvas>`;
  }

  /** Draws every registered canvas under `root` whose entry changed since it was last drawn. */
  paint(root: ParentNode): void {
    for (const canvas of root.querySelectorAll<HTMLCanvasElement>('canvas[data-hm]')) {
      const entry = this.entries.get(canvas.dataset.hm!);
      if (!entry) continue;
      this.once(canvas, entry.key, () =>
        this.layouts.set(canvas, renderHeatmap(canvas, entry.data, entry.options)),
      );
    }
  }

  /** Runs `draw` unless `el` was last drawn with the same key. */
  once(el: Element, key: string, draw: () => void): void {
    if (this.drawn.get(el) === key) return;
    draw();
    this.drawn.set(el, key);
  }

  layoutOf(canvas: HTMLCanvasElement): HeatmapLayout | undefined {
    return this.layouts.get(canvas);
  }

  /** The cell under the pointer of an event on canvas `id` (null outside the plot). */
  cellAt(id: string, e: MouseEvent): { row: number; col: number } | null {
    const canvas = e.currentTarget as HTMLCanvasElement;
    const layout = this.layouts.get(canvas);
    if (!layout || !this.entries.get(id)) return null;
    const r = canvas.getBoundingClientRect();
    return heatmapCellAt(layout, e.clientX - r.left, e.clientY - r.top);
  }
}
