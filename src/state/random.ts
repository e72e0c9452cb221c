import { MAX_BINS, MAX_COUNT_GPU, MIN_BINS, MIN_COUNT, TRANSFORMS } from '../kernels/random/spec';
import { enumParam, intParam, type ValuesOf } from './params';

/** The Random lab's controls, as they appear in the URL (#/random?seed=…&count=…&transform=…&bins=…). */
export const randomSchema = {
  seed: intParam({ min: 0, max: 2 ** 32 - 1, default: 42 }),
  count: intParam({ min: MIN_COUNT, max: MAX_COUNT_GPU, default: 1_000_000 }),
  transform: enumParam(TRANSFORMS, 'uniform'),
  bins: intParam({ min: MIN_BINS, max: MAX_BINS, default: 64 }),
};

export type RandomState = ValuesOf<typeof randomSchema>;
