/**
 * The Diffusion lab's ε-prediction MLP: definition and float64 forward/backward (model.ts), trainer
 * (train.ts), weight files (format.ts), shipped models (datasets.ts). Layout and limits shared with the WGSL
 * kernel live in src/kernels/diffusion/spec.ts and are re-exported here.
 */
export {
  LAMBDA_CLIP,
  checkConfig,
  embeddingSize,
  frequencies,
  modelLambda,
  parameterCount,
  parameterLayout,
  type MlpConfig,
} from '../../kernels/diffusion/spec';
export { DEFAULT_MLP_CONFIG, embed, mlpDenoiserCpu, mlpForward, mlpLossAndGradient } from './model';
export {
  ADAM_BETA1,
  ADAM_BETA2,
  ADAM_EPS,
  MlpTrainer,
  adamUpdate,
  checkTrainOptions,
  initMlp,
  learningRateAt,
  trainMlp,
  trainingBatch,
  type TrainOptions,
} from './train';
export { parseMlp, serializeMlp, type MlpMeta, type MlpModel } from './format';
export { MLP_DATASETS, MLP_TRAINING, datasetTraining, datasetWeightFile, trainDatasetMlp } from './datasets';
