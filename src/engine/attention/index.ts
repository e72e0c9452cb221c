/**
 * Attention lab engine: masked scaled-dot-product attention on the GPU (AttentionEngine: runStaged,
 * runFused, then pool / window views of the last run) or on the float64 reference (runAttentionCpu), and
 * the numerics of a run against the reference (attentionNumerics). Each GPU call is one submit (long fused
 * runs: one per batch of heads); Q, K, V are [heads][L][d], matrix stages [heads][query][key].
 */
export { AttentionEngine } from './engine';
export { runAttentionCpu } from './cpu';
export { attentionNumerics, type AttentionNumerics } from './numerics';
export {
  MATRIX_STAGES,
  countFullyMaskedRows,
  matrixStageBytes,
  type AttentionRunOptions,
  type AttentionRunResult,
  type AttentionStage,
  type MatrixStage,
  type MatrixView,
} from './types';
