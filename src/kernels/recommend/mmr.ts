import mmrWgsl from '../../../shaders/recommend/mmr.wgsl?raw';
import { RerankKernelBase } from './rerank-common';

/** MMR re-ranking (shaders/recommend/mmr.wgsl), one workgroup per (user, λ point); λ = 1 is relevance only. */
export class MmrKernel extends RerankKernelBase {
  constructor(device: GPUDevice, label = 'recommend.mmr') {
    super(device, label, mmrWgsl, 'mmr');
  }
}
