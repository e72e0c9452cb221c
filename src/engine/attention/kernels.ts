/** The kernels one attention engine owns, each with its GPU label. */
import { AttentionScoresKernel } from '../../kernels/attention/scores';
import { SoftmaxKernel } from '../../kernels/attention/softmax';
import { WeightsTimesVKernel } from '../../kernels/attention/weights-v';
import { FusedAttentionKernel, type FusedFamily } from '../../kernels/attention/fused';
import { PoolKernel, WindowKernel } from '../../kernels/attention/pool';
import { WeightsPoolKernel } from '../../kernels/attention/weights-pool';
import { PoolReduceKernel } from '../../kernels/attention/pool-reduce';

export interface AttentionKernels {
  scores: AttentionScoresKernel;
  softmax: SoftmaxKernel;
  weightsV: WeightsTimesVKernel;
  fused: FusedAttentionKernel;
  pool: PoolKernel;
  window: WindowKernel;
  /** Pooled / windowed weights recomputed per cell from Q, K and the row stats (after a fused run). */
  weightsPool: WeightsPoolKernel;
  weightsWindow: WeightsPoolKernel;
  /** The pooled map from the partials a fused pass wrote (no Q Kᵀ recomputation). */
  poolReduce: PoolReduceKernel;
}

export function createAttentionKernels(device: GPUDevice, fusedFamily: FusedFamily): AttentionKernels {
  return {
    scores: new AttentionScoresKernel(device, 'attention.scores'),
    softmax: new SoftmaxKernel(device, 'attention.softmax'),
    weightsV: new WeightsTimesVKernel(device, 'attention.weightsV'),
    fused: new FusedAttentionKernel(device, 'attention.fused', fusedFamily),
    pool: new PoolKernel(device, 'attention.pool'),
    window: new WindowKernel(device, 'attention.window'),
    weightsPool: new WeightsPoolKernel(device, 'attention.weightsPool'),
    weightsWindow: new WeightsPoolKernel(device, 'attention.weightsWindow'),
    poolReduce: new PoolReduceKernel(device, 'attention.poolReduce'),
  };
}

export function destroyAttentionKernels(kernels: AttentionKernels): void {
  for (const kernel of Object.values(kernels)) kernel.destroy();
}
