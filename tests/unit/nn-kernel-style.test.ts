/**
 * The nn kernels' style choice (src/kernels/nn/pipelines.ts): barrier-free kernels on software adapters, the
 * tiled/workgroup kernels on everything else, decided from the device's adapter info alone.
 */
import { describe, expect, it } from 'vitest';
import { isSoftwareDevice } from '../../src/kernels/nn/pipelines';

const device = (info?: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }) =>
  (info
    ? { adapterInfo: { vendor: '', architecture: '', device: '', description: '', ...info } }
    : {}) as GPUDevice;

describe('isSoftwareDevice', () => {
  it('recognises software adapters by the fallback flag or by name', () => {
    expect(isSoftwareDevice(device({ vendor: 'google', architecture: 'swiftshader' }))).toBe(true);
    expect(isSoftwareDevice(device({ description: 'SwiftShader driver 5.0.0' }))).toBe(true);
    expect(isSoftwareDevice(device({ description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe(true);
    expect(isSoftwareDevice(device({ description: 'Microsoft Basic Render Driver (WARP)' }))).toBe(true);
    expect(isSoftwareDevice(device({ vendor: 'acme', isFallbackAdapter: true }))).toBe(true);
  });

  it('treats GPUs, and devices without adapter info, as hardware', () => {
    expect(
      isSoftwareDevice(device({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' })),
    ).toBe(false);
    expect(isSoftwareDevice(device({ vendor: 'apple', architecture: 'metal-3' }))).toBe(false);
    expect(isSoftwareDevice(device())).toBe(false);
  });
});
