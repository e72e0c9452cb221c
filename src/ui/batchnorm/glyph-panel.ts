/** The image tasks' sample panel: the first training glyphs and what the data set holds. */
import { html, type TemplateResult } from 'lit';
import { msg, str } from '@lit/localize';
import { renderImageGrid } from '../../charts/image-grid';
import type { ImageTask } from '../../models/mlp';
import { PREVIEW_COUNT, type ImageSet } from './image-data';

export function renderGlyphPanel(task: ImageTask, img: ImageSet, heldOutEvaluated: number): TemplateResult {
  const total = img.data.labels.length;
  const classes = img.classes.length;
  const fonts = img.fonts.join(', ');
  const heldOut = img.data.test?.labels.length ?? 0;
  return html`<figure class="panel glyph-panel">
    <h3 id="glyphs-heading">${msg('Training images')}</h3>
    <canvas class="glyphs" role="img" aria-labelledby="glyphs-heading glyphs-caption"></canvas>
    <figcaption id="glyphs-caption">
      ${
        task === 'digits'
          ? msg(
              str`The first ${PREVIEW_COUNT} of ${total} digit images (${classes} classes), drawn in this browser from its own fonts (${fonts}) with random rotation, scale, shear, shift and stroke weight — nothing is downloaded.`,
            )
          : msg(
              str`The first ${PREVIEW_COUNT} of ${total} letter images (${classes} classes), drawn in this browser from its own fonts (${fonts}) with random rotation, scale, shear, shift and stroke weight — nothing is downloaded.`,
            )
      }
      ${
        img.side === 16
          ? msg(
              '16×16: rendered at 32×32 and averaged over 2×2 blocks, 256 inputs (a quarter of the 28×28 inputs; the status line shows the steps/s measured while training).',
            )
          : msg('28×28: 784 inputs.')
      }
      ${msg(
        str`Held-out: ${heldOut} other random draws of the same fonts, never trained on (${heldOutEvaluated} evaluated: whole batches).`,
      )}
    </figcaption>
  </figure>`;
}

export function drawGlyphs(root: ParentNode, img: ImageSet | null): void {
  const canvas = root.querySelector<HTMLCanvasElement>('canvas.glyphs');
  if (!img || !canvas) return;
  renderImageGrid(canvas, img.preview, {
    size: img.side,
    count: Math.min(PREVIEW_COUNT, img.preview.length / img.side ** 2),
    columns: 10,
    scale: img.side <= 16 ? 4 : 3,
  });
}
