/**
 * WebGPU in Node through the `webgpu` package (Dawn). Used by the Node test of the kernels and by
 * `npm run bench:node`. Not imported by the app.
 * On a machine without a GPU, point Vulkan at Chromium's SwiftShader:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json.
 */
import { requestGpu, type GpuContext } from './device';

/**
 * The `GPU` object that `create()` returned for each context and device we hand out.
 *
 * dawn.node owns its `dawn::native::Instance` through that JS object alone (see the package README,
 * "Lifetime"): adapters and devices do not keep it alive. Once nothing references it, V8 may collect it
 * at any GC and the instance is freed while the device is still in use; the next event poll
 * (InstanceBase::ProcessEvents, driven by mapAsync / onSubmittedWorkDone) then locks a freed mutex and the
 * process dies with "std::system_error: Invalid argument" (SIGABRT), a SIGSEGV, or hangs. Whether it
 * happens depends only on when V8 collects, which is why it looked like a flaky SwiftShader problem.
 * A WeakMap entry keeps the `GPU` alive exactly as long as its context or device is reachable.
 */
const instances = new WeakMap<object, GPU>();

export async function requestNodeGpu(options: { adapter?: string } = {}): Promise<GpuContext> {
  const webgpu = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, webgpu.globals);
  const flags: string[] = [];
  if (options.adapter) flags.push(`adapter=${options.adapter}`);
  const gpu = webgpu.create(flags);
  // eslint-disable-next-line ks-i18n/no-raw-text -- a WebGPU debug label, never shown on the page
  const context = await requestGpu({ gpu, label: 'node' });
  instances.set(context, gpu);
  instances.set(context.device, gpu);
  instances.set(context.adapter, gpu);
  return context;
}
