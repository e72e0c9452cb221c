/** The Attention lab's stages (titles, pseudocode) and the page's size limits. */
import { msg } from '@lit/localize';
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

/**
 * Each stage's title and the short form the strip panels show (both in the interface language: getters call
 * msg() when read, so read them at render time), its English title (`enTitle`, for what is written into an
 * exported file: the numerics export, exported image titles), and the interview pseudocode line (`code`,
 * `brief`: notation, the same in every language).
 */
export interface StageInfo {
  readonly title: string;
  readonly short: string;
  readonly enTitle: string;
  readonly code: string;
  readonly brief: string;
}

export const STAGE_INFO: Record<AttentionStage, StageInfo> = {
  scores: {
    get title() {
      return msg('QKᵀ (raw scores)');
    },
    short: 'QKᵀ',
    enTitle: 'QKᵀ (raw scores)',
    code: 'scores = Q · Kᵀ',
    brief: 'Q · Kᵀ',
  },
  scaled: {
    get title() {
      return msg('Scaled scores');
    },
    get short() {
      return msg('scaled', { id: 'attention-stage-short-scaled' });
    },
    enTitle: 'Scaled scores',
    code: 'scores = scores / √d',
    brief: 'scores / √d',
  },
  masked: {
    get title() {
      return msg('Masked scores');
    },
    get short() {
      return msg('masked', { id: 'attention-stage-short-masked' });
    },
    enTitle: 'Masked scores',
    code: 'scores = scores.masked_fill(mask == 0, −inf)',
    brief: 'masked_fill(mask == 0, −inf)',
  },
  weights: {
    get title() {
      return msg('Softmax weights');
    },
    get short() {
      return msg('weights', { id: 'attention-stage-short-weights' });
    },
    enTitle: 'Softmax weights',
    code: 'weights = softmax(scores)',
    brief: 'softmax(scores)',
  },
  output: {
    get title() {
      return msg('Output');
    },
    get short() {
      return msg('output', { id: 'attention-stage-short-output' });
    },
    enTitle: 'Output',
    code: 'output = weights · V',
    brief: 'weights · V',
  },
};
