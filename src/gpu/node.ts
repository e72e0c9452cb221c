/**
 * WebGPU in Node through the `webgpu` package (Dawn). Used by the Node test of the kernels and by
 * `npm run bench:node`. Not imported by the app.
 * On a machine without a GPU, point Vulkan at Chromium's SwiftShader:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { requestGpu, type GpuContext } from './device';

export async function requestNodeGpu(options: { adapter?: string } = {}): Promise<GpuContext> {
  const webgpu = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, webgpu.globals);
  const flags: string[] = [];
  if (options.adapter) flags.push(`adapter=${options.adapter}`);
  return requestGpu({ gpu: webgpu.create(flags), label: 'node' });
}
