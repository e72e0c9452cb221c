/**
 * What the Diffusion lab's chain computes from besides its config: the training data of a state (seeded 2D
 * data set, the drawn points or glyph images), where the chain starts, and the names the page shows.
 */
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

export const DATASET_LABELS: Record<DiffusionDataset, string> = {
  'two-moons': 'Two moons',
  'swiss-roll': 'Swiss roll',
  'eight-gaussians': '8 Gaussians',
  checkerboard: 'Checkerboard',
  rings: 'Concentric rings',
  spiral: 'Spiral',
  gaussian: 'Gaussian N(0, I)',
  draw: 'Draw your own',
  'glyphs-digits': 'Glyphs: digits',
  'glyphs-letters': 'Glyphs: letters',
};

export const DENOISER_LABELS: Record<DiffusionDenoiserChoice, string> = {
  exact: 'Exact (attention over the data)',
  mlp: 'Trained MLP',
  trained: 'Trained in this page',
};

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

/** Notices about what runs differently from what was asked for (particle caps, clamped steps and t). */
export function limitNotices(p: DiffusionState, particles: number, max: number, cpu: boolean): string[] {
  const notices: string[] = [];
  if (isImageDataset(p.dataset) && p.particles > particles) {
    notices.push(
      `Image mode shows at most ${MAX_IMAGE_PARTICLES} images (particles); running ${particles} of the ` +
        `${formatCount(p.particles)} asked for.`,
    );
  } else if (particles < p.particles) {
    notices.push(
      `The CPU backend runs at most ${formatCount(max)} particles; showing ` +
        `${formatCount(particles)} of the ${formatCount(p.particles)} asked for.`,
    );
  }
  if (cpu && particles > 20_000) {
    notices.push(
      'The CPU reference runs on this page’s thread: with this many particles each step takes a moment.',
    );
  }
  const stepping = [p.sampler, ...(p.compare === 'sampler' ? [p.samplerB] : [])];
  if (stepping.some((s) => !s.startsWith('ddpm')) && p.steps > p.T) {
    notices.push(`Sampler steps ${p.steps} exceed T = ${p.T}; using ${p.T}.`);
  }
  if (p.forward !== null && p.forward > p.T) {
    notices.push(`Forward t = ${p.forward} exceeds T = ${p.T}; using ${p.T}.`);
  }
  return notices;
}
