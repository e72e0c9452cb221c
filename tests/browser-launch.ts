/**
 * How tests start Chromium with a WebGPU adapter on machines without a GPU (see ../shared/TOOLCHAIN.md).
 * SwiftShader gives a software Vulkan adapter; the Vulkan/ANGLE flags make WebGPU canvases work too.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-angle=vulkan',
  '--disable-vulkan-surface',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * The benchmark's Chromium (bench/run-browser.mjs): the flags above plus unquantised GPU timestamps —
 * Chromium rounds timestamp queries to 100 µs unless WebGPU developer features are on, and Dawn's own
 * `timestamp_quantization` toggle is turned off where Chromium honours --disable-dawn-features.
 */
export const benchTimestampArgs = [
  '--enable-webgpu-developer-features',
  '--disable-dawn-features=timestamp_quantization',
];
export const benchChromiumArgs = [...chromiumArgs, ...benchTimestampArgs];
