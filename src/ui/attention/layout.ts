/**
 * Canvas and chart sizes from the lab's own width (a ResizeObserver on the host): the stage strip's columns,
 * the enlarged heatmap and the row chart, one or two columns like the @container query in styles.ts.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The lab is two columns wide above this host width (px); styles.ts has the same @container query. */
const TWO_COLUMN_MIN = 960;

export class LabLayout implements ReactiveController {
  hostWidth = 1200;
  private readonly resize = new ResizeObserver((entries) => {
    const w = Math.round(entries[0]?.contentRect.width ?? 0);
    // Small changes are ignored, except across the one/two-column breakpoint (the CSS container query).
    const crossed = w > TWO_COLUMN_MIN !== this.hostWidth > TWO_COLUMN_MIN;
    if (w > 0 && (crossed || Math.abs(w - this.hostWidth) > 8)) {
      this.hostWidth = w;
      this.host.requestUpdate();
    }
  });

  constructor(private readonly host: ReactiveControllerHost & Element) {
    host.addController(this);
  }

  hostConnected(): void {
    this.resize.observe(this.host);
  }

  hostDisconnected(): void {
    this.resize.disconnect();
  }

  get content(): number {
    return Math.max(320, this.hostWidth - 36);
  }

  get legend(): number {
    return Math.min(760, this.content);
  }

  get stripColumns(): number {
    const w = this.content;
    return w >= 1000 ? 5 : w >= 620 ? 3 : 2;
  }

  get stripCell(): number {
    const cols = this.stripColumns;
    return Math.floor((this.content - (cols - 1) * 12 - 12) / cols);
  }

  private get twoColumn(): boolean {
    return this.hostWidth > TWO_COLUMN_MIN;
  }

  get enlarged(): number {
    const w = this.twoColumn ? (this.content - 16) * 0.535 - 34 : this.content - 34;
    return Math.max(260, Math.min(600, Math.floor(w)));
  }

  get bars(): number {
    const w = this.twoColumn ? (this.content - 16) * 0.465 - 34 : this.content - 34;
    return Math.max(260, Math.floor(w));
  }

  /** Side of each head's thumbnail (up to 8 per row). */
  headThumb(heads: number): number {
    return Math.max(96, Math.min(150, Math.floor((this.content - 40) / Math.min(heads, 8)) - 22));
  }
}
