import calibrationWgsl from '../../../shaders/recommend/calibration.wgsl?raw';
import { RerankKernelBase } from './rerank-common';

/** Calibrated re-ranking (shaders/recommend/calibration.wgsl), one workgroup per (user, λ point). */
export class CalibrationKernel extends RerankKernelBase {
  constructor(device: GPUDevice, label = 'recommend.calibration') {
    super(device, label, calibrationWgsl, 'calibration');
  }
}
