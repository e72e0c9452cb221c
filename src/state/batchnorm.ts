import { LAB_TASKS } from '../models/mlp';
import { ACTIVATIONS } from '../kernels/nn/spec';
import { enumParam, floatParam, intParam, type ValuesOf } from './params';

/** Input resolutions of the image tasks: 16×16 (32×32 glyphs average-pooled 2×2) or the full 28×28. */
export const IMAGE_PIXELS = ['16', '28'] as const;

/** The BatchNorm lab's controls, as they appear in the URL (#/batchnorm?task=…&lr=…&batch=…). */
export const batchnormSchema = {
  task: enumParam(LAB_TASKS, 'spirals'),
  lr: floatParam({ min: 1e-5, max: 1, default: 0.01 }),
  batch: intParam({ min: 8, max: 1024, default: 64 }),
  depth: intParam({ min: 1, max: 8, default: 3 }),
  width: intParam({ min: 4, max: 128, default: 32 }),
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 1 }),
  activation: enumParam(ACTIVATIONS, 'relu'),
  layer: intParam({ min: 0, max: 7, default: 0 }),
  unit: intParam({ min: 0, max: 127, default: 0 }),
  view: enumParam(['train', 'eval'] as const, 'train'),
  pixels: enumParam(IMAGE_PIXELS, '16'),
  /** Per-channel mean/variance charts: one bar per channel, or a histogram over the channels. */
  channels: enumParam(['bars', 'histogram'] as const, 'bars'),
};

export type BatchnormState = ValuesOf<typeof batchnormSchema>;
