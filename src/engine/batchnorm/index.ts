/**
 * BatchNorm lab engine: two MLPs of the same shape and the same initial Linear weights — one with
 * BatchNorm1d after every Linear, one without — trained side by side on the same batches, on the GPU
 * (gpu.ts: one submit and one readback per call, a call being one step or a run of many) or on the CPU
 * from the float64 references (cpu.ts).
 */
import type { GpuContext } from '../../gpu/device';
import { CpuBatchNormEngine } from './cpu';
import { GpuBatchNormEngine } from './gpu';
import type { BatchNormEngine, BatchNormLabConfig, BatchNormSnapshot } from './types';

export { CpuBatchNormEngine, GpuBatchNormEngine };
export { MAX_STEPS_PER_CALL, heldOutRows } from './common';
export type * from './types';

export function createBatchNormEngine(
  gpu: Pick<GpuContext, 'device'> | null,
  config: BatchNormLabConfig,
  /** GPU only: continue from this snapshot of an engine with the same config. */
  from?: BatchNormSnapshot,
): BatchNormEngine {
  return gpu ? new GpuBatchNormEngine(gpu, config, from) : new CpuBatchNormEngine(config);
}
