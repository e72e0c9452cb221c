/** `navigator.gpu` for libraries that look for WebGPU there (TensorFlow.js), in Node. Pure; no DOM. */

/**
 * Makes `gpu` the `navigator.gpu` that tfjs checks (Node ≥ 21 has a read-only `navigator` without `gpu`;
 * Node 20 has none): defines the property on the existing object, or a minimal navigator.
 */
export function provideNavigatorGpu(gpu: GPU, global: object = globalThis): void {
  const g = global as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined || g.navigator === null)
    Object.defineProperty(global, 'navigator', { value: { gpu }, configurable: true, writable: true });
  else if (g.navigator.gpu !== gpu)
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}
