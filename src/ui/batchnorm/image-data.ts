/**
 * The glyph data sets of the image tasks, from the app's one glyph cache (cachedGlyphs): training images
 * and a held-out split (other random jitter of the same fonts, never trained on) of ≥ 1024 images, so every
 * batch size evaluates at least one whole batch.
 */
import type { ImageTask, LabData } from '../../models/mlp';
import type { IMAGE_PIXELS } from '../../state/batchnorm';
import { cachedGlyphs, downsampleImages } from '../common/glyphs';

/** Images per class for training and for the held-out split. */
const IMAGE_SPLITS: Record<ImageTask, { train: number; test: number }> = {
  digits: { train: 300, test: 103 },
  letters: { train: 120, test: 40 },
};
const TRAIN_GLYPH_SEED = 101;
const TEST_GLYPH_SEED = 202;
/** Training images shown above the charts. */
export const PREVIEW_COUNT = 20;

/** A rendered glyph data set and what the page shows about it. */
export interface ImageSet {
  data: LabData;
  /** Side of the images the networks see. */
  side: number;
  classes: string[];
  fonts: string[];
  preview: Float32Array;
}

/**
 * The glyphs of an image task at the chosen input size: 16×16 is rendered at 32×32 and average-pooled 2×2
 * (a quarter of the inputs); 28×28 is rendered directly.
 */
export function imageSet(task: ImageTask, pixels: (typeof IMAGE_PIXELS)[number]): ImageSet {
  const size = pixels === '16' ? 32 : 28;
  const factor = pixels === '16' ? 2 : 1;
  const split = IMAGE_SPLITS[task];
  const tr = cachedGlyphs({ set: task, size, perClass: split.train, seed: TRAIN_GLYPH_SEED });
  const te = cachedGlyphs({ set: task, size, perClass: split.test, seed: TEST_GLYPH_SEED });
  const pool = (images: Float32Array, count: number) =>
    factor === 1 ? images : downsampleImages(images, size, count, factor);
  const inputs = pool(tr.images, tr.count);
  const side = size / factor;
  return {
    data: {
      inputs,
      labels: tr.labels,
      classes: tr.classes.length,
      test: { inputs: pool(te.images, te.count), labels: te.labels },
    },
    side,
    classes: tr.classes,
    fonts: tr.fonts,
    preview: inputs.slice(0, PREVIEW_COUNT * side * side),
  };
}
