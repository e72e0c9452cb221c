/**
 * What the Diffusion lab's chain computes from besides its config: the training data of a state (seeded 2D
 * data set, the drawn points or glyph images), where the chain starts, and the names the page shows.
 */
import { msg, str } from '@lit/localize';
import type { StartSpec } from '../../engine/diffusion';
import { makeDataset2D } from '../../models/datasets2d';
import {
  decodeDrawing,
  isImageDataset,
  type DiffusionDataset,
  type DiffusionDenoiserChoice,
  type DiffusionState,
  type GlyphDataset,
} from '../../state/diffusion';
import { formatCount } from '../../util/format';
import { cachedGlyphs, type GlyphImages } from '../common/glyphs';
import { DATA_SEED, GLYPHS_PER_CLASS, MAX_IMAGE_PARTICLES } from './chain';
import type { Notice } from '../common/notice';

/** The data sets' names in the interface language (a function: msg() answers in the language of the moment). */
export function datasetLabels(): Record<DiffusionDataset, string> {
  return {
    'two-moons': msg('Two moons'),
    'swiss-roll': msg('Swiss roll'),
    'eight-gaussians': msg('8 Gaussians'),
    checkerboard: msg('Checkerboard'),
    rings: msg('Concentric rings'),
    spiral: msg('Spiral'),
    gaussian: msg('Gaussian N(0, I)'),
    draw: msg('Draw your own'),
    'glyphs-digits': msg('Glyphs: digits'),
    'glyphs-letters': msg('Glyphs: letters'),
  };
}

/** The denoisers' names in the interface language. */
export function denoiserLabels(): Record<DiffusionDenoiserChoice, string> {
  return {
    exact: msg('Exact (attention over the data)'),
    mlp: msg('Trained MLP'),
    trained: msg('Trained in this page'),
  };
}

/** Where the chain starts: pure noise, or the data noised forward to `forward` (clamped to T). */
export function startOf(p: DiffusionState): StartSpec {
  return p.forward === null ? { from: 'noise' } : { from: 'data', t: Math.min(p.forward, p.T) };
}

/** Identifies the training data of a state (the trainer's models are kept per data). */
export function dataKey(p: DiffusionState): string {
  return p.dataset === 'draw' ? `draw:${p.drawing}` : `${p.dataset}:${p.points}`;
}

/** The drawn points of a state (the URL parameter was validated when parsed; empty if it holds none). */
export function drawnPoints(p: DiffusionState): Float32Array {
  const d = decodeDrawing(p.drawing);
  return d instanceof Float32Array ? d : new Float32Array(0);
}

/** The training glyphs of an image dataset (rendered once per set and size from the browser's fonts). */
function glyphImages(dataset: GlyphDataset, size: number): GlyphImages {
  return cachedGlyphs({
    set: dataset === 'glyphs-digits' ? 'digits' : 'letters',
    size: size === 32 ? 32 : 28,
    perClass: GLYPHS_PER_CLASS,
    seed: DATA_SEED,
    jitter: true,
  });
}

/** The last few 2D training sets, so one data set keeps one array (the trainer panel restarts on a new one). */
const dataCache = new Map<string, Float32Array>();

/** The training data of a state and its dimension: a seeded 2D dataset, the drawn points, or glyph images. */
export function trainingData(p: DiffusionState): { data: Float32Array; dim: number } {
  if (isImageDataset(p.dataset)) {
    const size = Number(p.size);
    return { data: glyphImages(p.dataset, size).images, dim: size * size };
  }
  const key = dataKey(p);
  let data = dataCache.get(key);
  if (!data) {
    data =
      p.dataset === 'draw'
        ? drawnPoints(p)
        : makeDataset2D({ kind: p.dataset, n: p.points, seed: DATA_SEED });
    if (dataCache.size >= 8) dataCache.delete(dataCache.keys().next().value!);
    dataCache.set(key, data);
  }
  return { data, dim: 2 };
}

/**
 * A notice the page shows above the panes: a sentence, or a function that words it in the language of the
 * moment (so a language switch rewords the notices of a chain that is already set up).
 */
export { noticeText, type Notice } from '../common/notice';

/** Notices about what runs differently from what was asked for (particle caps, clamped steps and t). */
export function limitNotices(p: DiffusionState, particles: number, max: number, cpu: boolean): Notice[] {
  const notices: Notice[] = [];
  const { steps, T, forward } = p;
  const asked = p.particles;
  if (isImageDataset(p.dataset) && asked > particles) {
    notices.push(() =>
      msg(
        str`Image mode shows at most ${MAX_IMAGE_PARTICLES} images (particles); running ${particles} of the ${formatCount(asked)} asked for.`,
      ),
    );
  } else if (particles < asked) {
    notices.push(() =>
      msg(
        str`The CPU backend runs at most ${formatCount(max)} particles; showing ${formatCount(particles)} of the ${formatCount(asked)} asked for.`,
      ),
    );
  }
  if (cpu && particles > 20_000) {
    notices.push(() =>
      msg('The CPU reference runs on this page’s thread: with this many particles each step takes a moment.'),
    );
  }
  const stepping = [p.sampler, ...(p.compare === 'sampler' ? [p.samplerB] : [])];
  if (stepping.some((s) => !s.startsWith('ddpm')) && steps > T) {
    notices.push(() => msg(str`Sampler steps ${steps} exceed T = ${T}; using ${T}.`));
  }
  if (forward !== null && forward > T) {
    notices.push(() => msg(str`Forward t = ${forward} exceeds T = ${T}; using ${T}.`));
  }
  return notices;
}
