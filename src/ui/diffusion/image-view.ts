import { css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { msg, str } from '@lit/localize';
import { renderImageGrid } from '../../charts/image-grid';
import { formatFixed } from '../../util/format';
import { dataTable, type Cell } from '../common/data-table';
import { downloadCanvasPng } from '../common/export';
import { exportButtons } from '../common/export-buttons';
import { sharedStyles } from '../common/styles';
import { KsElement } from '../common/localized';

/** Per-image summary shown in the data-table alternative of a grid. */
export interface ImageStats {
  mean: number;
  std: number;
  /** Root-mean-square distance per pixel to the nearest training image (null without training images). */
  nearest: number | null;
  /** Index of that training image. */
  nearestIndex: number | null;
}

/**
 * Mean and (population) standard deviation of each of `count` images of px values (two passes), and the RMS
 * per-pixel distance to the nearest of the `data` images when given.
 */
export function imageStats(
  images: Float32Array,
  px: number,
  count: number,
  data: Float32Array | null,
): ImageStats[] {
  const out: ImageStats[] = [];
  const dataCount = data ? Math.floor(data.length / px) : 0;
  for (let n = 0; n < count; n++) {
    const o = n * px;
    let sum = 0;
    for (let p = 0; p < px; p++) sum += images[o + p]!;
    const mean = sum / px;
    let ss = 0;
    for (let p = 0; p < px; p++) ss += (images[o + p]! - mean) ** 2;
    let nearest: number | null = null;
    let nearestIndex: number | null = null;
    for (let m = 0; m < dataCount; m++) {
      let d = 0;
      const q = m * px;
      for (let p = 0; p < px; p++) d += (images[o + p]! - data![q + p]!) ** 2;
      const rms = Math.sqrt(d / px);
      if (nearest === null || rms < nearest) {
        nearest = rms;
        nearestIndex = m;
      }
    }
    out.push({ mean, std: Math.sqrt(ss / px), nearest, nearestIndex });
  }
  return out;
}

type GridKey = 'xt' | 'x0' | 'data';

/**
 * <ks-diffusion-image-view>: the Diffusion lab's image mode as a pure view. Grids of the current x_t and the
 * predicted x̂₀ (k images of size×size each, values in about [−1, 1], drawn grey and clamped), plus a few
 * training images for reference. Each grid has a data-table alternative (mean, std, nearest training
 * image) in a <details>, and the two main grids export as PNG. No engine calls.
 */
@customElement('ks-diffusion-image-view')
export class KsDiffusionImageView extends KsElement {
  static override styles = [
    sharedStyles,
    css`
      .grids {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem 1.5rem;
        align-items: start;
      }
      figure {
        margin: 0;
      }
      figcaption {
        font-weight: 600;
        margin-bottom: 0.35rem;
      }
      canvas {
        display: block;
        image-rendering: pixelated;
        max-width: 100%;
        background: var(--ks-border);
      }
      .actions {
        display: block;
        margin-top: 0.4rem;
      }
      details {
        margin-top: 0.4rem;
        font-size: 0.85rem;
      }
      .message {
        color: var(--ks-muted);
      }
    `,
  ];

  /** Side of one image in pixels. */
  @property({ type: Number }) size = 28;
  /** Images shown from xt and x0 (each has at least count·size² values). */
  @property({ type: Number }) count = 0;
  /** The current step t (shown in the caption). */
  @property({ type: Number }) t = 0;
  @property({ attribute: false }) xt: Float32Array | null = null;
  @property({ attribute: false }) x0: Float32Array | null = null;
  /** A few training images for reference (any number of size² blocks). */
  @property({ attribute: false }) data: Float32Array | null = null;

  /** Columns of the grids: a square-ish layout, at most 8 wide. */
  private get columns(): number {
    return Math.max(1, Math.min(8, Math.ceil(Math.sqrt(this.count))));
  }

  /**
   * Canvas pixels per image pixel: large for small images; 28/32-pixel images at 3, or at 2 when there are
   * more than 16 of them, so the x_t and x̂₀ grids of 64 images (8 columns, ≈ 500 px) fit side by side.
   */
  private scaleFor(count: number): number {
    if (this.size <= 16) return 5;
    return count > 16 ? 2 : 3;
  }

  /** Why a grid cannot be drawn, or null when it can. */
  private problem(values: Float32Array | null, count: number): string | null {
    const px = this.size * this.size;
    const size = this.size;
    if (!Number.isInteger(size) || size < 1) return msg(str`Image size ${size} is not a positive integer.`);
    if (!values) return null;
    if (values.length < count * px) {
      const [want, got] = [count * px, values.length];
      return msg(str`Expected ${count} images of ${size}×${size} (${want} values); got ${got}.`);
    }
    return null;
  }

  private dataCount(): number {
    const px = this.size * this.size;
    return this.data && px > 0 ? Math.min(Math.floor(this.data.length / px), 16) : 0;
  }

  protected override updated(_changed: PropertyValues): void {
    const draw = (key: GridKey, values: Float32Array | null, count: number, columns: number) => {
      const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas[data-grid="${key}"]`);
      if (!canvas || !values || count === 0 || this.problem(values, count)) return;
      // One scale for all three grids (the training images match the x_t and x̂₀ ones).
      renderImageGrid(canvas, values, { size: this.size, count, columns, scale: this.scaleFor(this.count) });
    };
    draw('xt', this.xt, this.count, this.columns);
    draw('x0', this.x0, this.count, this.columns);
    const dc = this.dataCount();
    draw('data', this.data, dc, Math.min(8, dc));
  }

  private exportPng(key: 'xt' | 'x0') {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>(`canvas[data-grid="${key}"]`);
    if (canvas) return downloadCanvasPng(`diffusion-${key === 'xt' ? 'xt' : 'x0hat'}-t${this.t}.png`, canvas);
  }

  private table(label: string, values: Float32Array, count: number) {
    const stats = imageStats(values, this.size * this.size, count, this.data);
    const withData = this.data !== null && this.data.length >= this.size * this.size;
    const nearest = (s: ImageStats): Cell => ({
      value: s.nearest ?? '',
      text: s.nearest === null ? '—' : `#${(s.nearestIndex ?? 0) + 1} (${formatFixed(s.nearest, 3)})`,
    });
    return html`<details>
      <summary>${msg(str`Data table: ${label}`)}</summary>
      ${dataTable({
        label,
        head: [
          msg('Image'),
          msg('Mean'),
          msg('Std'),
          ...(withData ? [msg('Nearest training image (RMS distance)')] : []),
        ],
        rows: stats.map((s, i) => [String(i + 1), s.mean, s.std, ...(withData ? [nearest(s)] : [])]),
        format: (v) => formatFixed(v, 3),
      })}
    </details>`;
  }

  private grid(key: 'xt' | 'x0', caption: string, values: Float32Array | null, exportName: string) {
    const problem = this.problem(values, this.count);
    return html`<figure>
      <figcaption id="cap-${key}">${caption}</figcaption>
      ${
        problem
          ? html`<p class="message" role="alert">${problem}</p>`
          : values && this.count > 0
            ? html`<canvas data-grid=${key} role="img" aria-labelledby="cap-${key}"></canvas>
                ${exportButtons([{ label: exportName, run: () => this.exportPng(key) }], 'actions')}
                ${this.table(caption, values, this.count)}`
            : html`<p class="message">${msg('No images yet.')}</p>`
      }
    </figure>`;
  }

  override render() {
    const dc = this.dataCount();
    return html`<div class="grids">
      ${this.grid('xt', msg(str`x_t at t = ${this.t}`), this.xt, msg('Export x_t grid (PNG)'))}
      ${this.grid('x0', msg('Predicted x̂₀'), this.x0, msg('Export x̂₀ grid (PNG)'))}
      ${
        dc > 0 && !this.problem(this.data, 0)
          ? html`<figure>
              <figcaption id="cap-data">${msg(str`Training images (${dc} shown)`)}</figcaption>
              <canvas data-grid="data" role="img" aria-labelledby="cap-data"></canvas>
            </figure>`
          : nothing
      }
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ks-diffusion-image-view': KsDiffusionImageView;
  }
}
