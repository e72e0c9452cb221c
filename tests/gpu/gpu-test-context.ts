/**
 * A WebGPU device for kernel tests, in the browser (navigator.gpu) or in Node (the `webgpu` package).
 * A missing adapter is a failure with instructions, never a silent skip.
 */
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { mulberry32 } from '../../src/util/rng';

export const NO_ADAPTER_HELP =
  "No WebGPU adapter in the test browser. GPU tests need Chromium with WebGPU: install Debian's chromium " +
  '(apt-get install -y chromium, giving /usr/bin/chromium or set CHROMIUM_PATH) and launch it with the flags in ' +
  'tests/browser-launch.ts (--enable-unsafe-webgpu, --use-vulkan=swiftshader …); see ../shared/TOOLCHAIN.md.';

/** A device on `gpu`, by default the browser's navigator.gpu (Node tests pass the `webgpu` package's). */
export async function testGpu(gpu?: GPU): Promise<GpuContext> {
  try {
    return await requestGpu({ gpu: gpu ?? globalThis.navigator?.gpu, label: 'test' });
  } catch (e) {
    throw new Error(`${NO_ADAPTER_HELP}\nCause: ${(e as Error).message}`);
  }
}

/** Seeded generator for property-based test cases (mulberry32). */
export function testRng(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
}
