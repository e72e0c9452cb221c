import dppWgsl from '../../../shaders/recommend/dpp.wgsl?raw';
import { RerankKernelBase } from './rerank-common';

/** Fast greedy DPP MAP (shaders/recommend/dpp.wgsl), one workgroup per (user, θ point); no sliding window. */
export class DppKernel extends RerankKernelBase {
  constructor(device: GPUDevice, label = 'recommend.dpp') {
    super(device, label, dppWgsl, 'dpp');
  }
}
