/**
 * Shared set-up for the training-core kernel tests (tests/gpu/nn-*.test.ts): one device, op resources and
 * readback pool per test file (call useNnGpu() at the top of the file), buffer helpers, seeded f32 inputs,
 * the elementwise bound check and the kernel-style switch.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/compute';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import * as ops from '../../src/kernels/nn/ops';
import {
  encodeDispatches,
  nnPipelines,
  type Dispatch,
  type NnKernelStyle,
} from '../../src/kernels/nn/pipelines';
import * as ref from '../../src/kernels/nn/ref';
import { testGpu, testRng } from './gpu-test-context';

export let gpu: GpuContext;
export let res: ops.OpResources;
export let pool: ReadbackPool;
const temp: GPUBuffer[] = [];
/** Registers the file's beforeAll / afterAll: device, op resources, readback pool, temporary buffers. */
export function useNnGpu(): void {
  beforeAll(async () => {
    gpu = await testGpu(navigator.gpu);
    res = new ops.OpResources(gpu.device);
    pool = new ReadbackPool(gpu.device, 'test.nn');
  });
  afterAll(() => {
    for (const b of temp) b.destroy();
    temp.length = 0;
    res?.destroy();
    pool?.destroy();
    gpu?.destroy();
  });
}

export function upload(values: ArrayLike<number>, u32 = false): GPUBuffer {
  const b = createStorageBuffer(gpu.device, 'test.nn.buf', values.length * 4);
  gpu.device.queue.writeBuffer(b, 0, u32 ? Uint32Array.from(values) : Float32Array.from(values));
  temp.push(b);
  return b;
}
export const empty = (n: number) => upload(new Float32Array(n));
export async function run(list: Dispatch[]): Promise<void> {
  const enc = gpu.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  encodeDispatches(pass, list);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
}
export async function read(b: GPUBuffer, n: number): Promise<Float32Array> {
  const enc = gpu.device.createCommandEncoder();
  const dst = encodeReadback(enc, pool, b, n * 4);
  gpu.device.queue.submit([enc.finish()]);
  return new Float32Array(await pool.read(dst, n * 4));
}
/** Random values already rounded to f32. */
export function f32s(n: number, seed: number, scale = 1, offset = 0): Float64Array {
  const r = testRng(seed);
  return Float64Array.from(Float32Array.from({ length: n }, () => offset + scale * r.normal()));
}
export function expectClose(
  gpuV: Float32Array,
  refV: ArrayLike<number>,
  bound: (i: number) => number,
  what: string,
) {
  let worst = 0;
  for (let i = 0; i < refV.length; i++) {
    const err = Math.abs(gpuV[i]! - refV[i]!);
    const b = bound(i);
    if (!(err <= b)) expect.fail(`${what}[${i}]: gpu ${gpuV[i]} ref ${refV[i]} err ${err} > ${b}`);
    worst = Math.max(worst, err / b);
  }
  return worst;
}
export const U = 2 ** -24;
/** Both kernel families are checked whatever the adapter; ops record the style set when they are made. */
export const STYLES: NnKernelStyle[] = ['workgroup', 'barrier-free'];
export async function withStyle<T>(style: NnKernelStyle, fn: () => Promise<T>): Promise<T> {
  const p = nnPipelines(gpu.device);
  const before = p.style;
  p.style = style;
  try {
    return await fn();
  } finally {
    p.style = before;
  }
}

/** Float64 reference of Linear forward and backward, and the same on absolute values (for the bounds). */
export function linearRefs(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  dy: Float64Array,
  B: number,
  I: number,
  O: number,
) {
  const abs = (v: Float64Array) => v.map(Math.abs);
  const yRef = ref.linearForward(x, w, b, B, I, O);
  const yAbs = ref.linearForward(abs(x), abs(w), abs(b), B, I, O);
  const g = ref.linearBackward(x, w, dy, B, I, O);
  const gAbs = ref.linearBackward(abs(x), abs(w), abs(dy), B, I, O);
  return { yRef, yAbs, g, gAbs };
}
