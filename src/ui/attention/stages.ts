/** The Attention lab's stages (titles, pseudocode) and the page's size limits. */
import type { AttentionStage } from '../../engine/attention';

/** Every stage is read back at full resolution up to this L; above it the GPU pools to screen size. */
export const FULL_MAX_L = 256;
/** Pooled and zoomed views have at most this many cells per side (the enlarged canvas is ~500 px). */
export const POOL_PIX = 256;
/** Path "auto" runs staged (every stage on screen) up to this L when its buffers fit, else fused. */
export const AUTO_STAGED_MAX_L = 1024;
/** The float64 reference for the numerics panel runs (in the CPU worker) up to this L. */
export const REFERENCE_MAX_L = 256;
/** Data-table alternatives are offered up to this L (keeps the DOM small). */
export const TABLE_MAX_L = 32;
/** Largest heads·L² a weights export writes (JSON text grows ~20 bytes per number). */
export const EXPORT_MAX_NUMBERS = 2 ** 22;
/**
 * GPU memory this page lets the staged path's [heads][L][L] stages take (it keeps four: raw, scaled, masked,
 * weights). An adapter may allow larger single buffers than the device can actually allocate at once.
 */
export const STAGED_BUDGET_BYTES = 2 ** 30;
/** Smallest zoom window (cells per side). */
export const MIN_ZOOM = 4;

export const ALL_STAGES: readonly AttentionStage[] = ['scores', 'scaled', 'masked', 'weights', 'output'];

/** Titles, the interview pseudocode line of each stage, and the short form the strip panels show. */
export const STAGE_INFO: Record<
  AttentionStage,
  { title: string; short: string; code: string; brief: string }
> = {
  scores: { title: 'QKᵀ (raw scores)', short: 'QKᵀ', code: 'scores = Q · Kᵀ', brief: 'Q · Kᵀ' },
  scaled: { title: 'Scaled scores', short: 'scaled', code: 'scores = scores / √d', brief: 'scores / √d' },
  masked: {
    title: 'Masked scores',
    short: 'masked',
    code: 'scores = scores.masked_fill(mask == 0, −inf)',
    brief: 'masked_fill(mask == 0, −inf)',
  },
  weights: {
    title: 'Softmax weights',
    short: 'weights',
    code: 'weights = softmax(scores)',
    brief: 'softmax(scores)',
  },
  output: { title: 'Output', short: 'output', code: 'output = weights · V', brief: 'weights · V' },
};
