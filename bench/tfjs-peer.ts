/**
 * The peer: attention built from TensorFlow.js's WebGPU backend (matMul + softmax + matMul) on the same Q, K,
 * V as our engines, in both runners (in Node on Dawn's GPU object, the same adapter as ours). Each call
 * uploads Q, K, V (tensor creation), computes softmax(Q Kᵀ·scale + causal bias) V and reads the output back
 * (`data()`), like our runs do. The causal bias (0 kept, −1e9 masked; [L][L], broadcast over heads) is built
 * once per L, outside the timing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { AttentionPeer } from './cases';
import { provideNavigatorGpu } from './navigator-gpu';

/** tfjs's own device on an adapter of `gpu` (the backend package registers one only if navigator.gpu
 *  existed when it was imported, which in Node it did not). */
function registerWebgpu(gpu: GPU): void {
  if (tf.findBackendFactory('webgpu')) return;
  tf.registerBackend('webgpu', async () => {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('tfjs: no adapter');
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
      requiredLimits: {
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      },
    });
    return new WebGPUBackend(device, adapter.info);
  });
}

/** The peer; `gpu` (Node: Dawn's GPU object) is installed as navigator.gpu first. */
export async function createTfjsPeer(gpu?: GPU): Promise<AttentionPeer> {
  if (gpu) {
    provideNavigatorGpu(gpu);
    registerWebgpu(gpu);
  }
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new Error('tfjs: the webgpu backend did not initialise');
  await tf.ready();
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } })
    .adapterInfo;
  const adapter = [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const biases = new Map<number, tf.Tensor2D>();
  const causalBias = (L: number) => {
    let b = biases.get(L);
    if (!b) {
      const data = new Float32Array(L * L);
      for (let q = 0; q < L; q++) for (let k = q + 1; k < L; k++) data[q * L + k] = -1e9;
      b = tf.tensor2d(data, [L, L]);
      biases.set(L, b);
    }
    return b;
  };
  return {
    name: 'tfjs',
    backend: `tfjs-backend-webgpu ${tf.version_core} (${adapter})`,
    async run(inputs, causal) {
      const { heads, L, d } = inputs.shape;
      const bias = causal ? causalBias(L) : null;
      const out = tf.tidy(() => {
        const q = tf.tensor3d(inputs.q, [heads, L, d]);
        const k = tf.tensor3d(inputs.k, [heads, L, d]);
        const v = tf.tensor3d(inputs.v, [heads, L, d]);
        let s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d));
        if (bias) s = tf.add(s, bias);
        return tf.matMul(tf.softmax(s), v);
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    dispose() {
      for (const b of biases.values()) b.dispose();
      biases.clear();
    },
  };
}
