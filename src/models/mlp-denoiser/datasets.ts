/** The shipped MLPs: which datasets have one, and the settings `npm run train:diffusion` trains them with. */
import { makeSchedule } from '../schedules';
import { DATASETS_2D, makeDataset2D, type Dataset2DKind } from '../datasets2d';
import type { MlpConfig } from '../../kernels/diffusion/spec';
import { serializeMlp, type MlpModel } from './format';
import { DEFAULT_MLP_CONFIG } from './model';
import { trainMlp, type TrainOptions } from './train';

/** Datasets that ship a trained MLP (the user Gaussian has an exact linear denoiser instead). */
export type MlpDataset = Exclude<Dataset2DKind, 'gaussian'>;
export const MLP_DATASETS: readonly MlpDataset[] = DATASETS_2D.filter(
  (d): d is MlpDataset => d !== 'gaussian',
);

/** What `node scripts/train-diffusion-mlp.mjs` trains for each dataset. */
export const MLP_TRAINING = {
  points: 4000,
  dataSeed: 1,
  schedule: { kind: 'cosine', T: 1000 },
  steps: 12000,
  batch: 256,
  seed: 0,
} as const;

/** The data and trainer options of one dataset's shipped MLP (MLP_TRAINING settings; steps overridable). */
export function datasetTraining(
  kind: (typeof MLP_DATASETS)[number],
  steps: number = MLP_TRAINING.steps,
): TrainOptions & { steps: number; data: Float32Array } {
  const s = MLP_TRAINING;
  return {
    data: makeDataset2D({ kind, n: s.points, seed: s.dataSeed }),
    schedule: makeSchedule(s.schedule),
    config: { ...DEFAULT_MLP_CONFIG },
    steps,
    batch: s.batch,
    seed: s.seed,
    every: 100,
  };
}

/**
 * A trained model of one dataset with its training record in the KSMLP1 header (settings, final loss and
 * `trainer`, e.g. "typescript-f64" or "webgpu: <adapter>"), and the weight file bytes.
 */
export function datasetWeightFile(
  kind: (typeof MLP_DATASETS)[number],
  trained: { config: MlpConfig; params: Float32Array; losses: number[] },
  steps: number,
  trainer: string,
): { bytes: ArrayBuffer; model: MlpModel } {
  const s = MLP_TRAINING;
  const model: MlpModel = {
    config: trained.config,
    params: trained.params,
    meta: {
      dataset: kind,
      points: s.points,
      dataSeed: s.dataSeed,
      schedule: s.schedule,
      trainSteps: steps,
      batch: s.batch,
      seed: s.seed,
      finalLoss: trained.losses[trained.losses.length - 1] ?? null,
      trainer,
    },
  };
  return { bytes: serializeMlp(model), model };
}

/**
 * Trains the shipped MLP of one dataset with the float64 TypeScript trainer (MLP_TRAINING settings unless
 * overridden) and returns the weight file bytes, with the training settings and final loss in its header.
 */
export function trainDatasetMlp(
  kind: (typeof MLP_DATASETS)[number],
  overrides: { steps?: number; onProgress?: (step: number, loss: number) => void } = {},
): { bytes: ArrayBuffer; model: MlpModel; losses: number[] } {
  const options = datasetTraining(kind, overrides.steps);
  const trained = trainMlp({ ...options, onProgress: overrides.onProgress });
  const { bytes, model } = datasetWeightFile(kind, trained, options.steps, 'typescript-f64');
  return { bytes, model, losses: trained.losses };
}
