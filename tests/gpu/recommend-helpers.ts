/**
 * Shared harness of the recommendation GPU tests: the test GPU (one per test file, set up by
 * useRecommendGpu), buffers in and out, seeded user batches, the re-rank kernels and their cases.
 */
import { afterAll, beforeAll } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { createStorageBuffer } from '../../src/gpu/compute';
import { ReadbackPool, encodeReadback } from '../../src/gpu/readback';
import { CalibrationKernel } from '../../src/kernels/recommend/calibration';
import { DppKernel } from '../../src/kernels/recommend/dpp';
import { MmrKernel } from '../../src/kernels/recommend/mmr';
import type { RerankKernelBase } from '../../src/kernels/recommend/rerank-common';
import { rerankReference } from '../../src/kernels/recommend/ref';
import {
  NO_PICK,
  RECOMMEND_DIM,
  type RerankInstance,
  type RerankOptions,
  type SweepSetting,
} from '../../src/kernels/recommend/spec';
import { expect } from 'vitest';
import { testGpu, testRng } from './gpu-test-context';
import { wellPosed, type Method } from './recommend-bounds';

const D = RECOMMEND_DIM;
export const FLT_MAX = 3.4028234663852886e38;

export let gpu: GpuContext;
let pool: ReadbackPool;
export const temp: GPUBuffer[] = [];

/** Opens the test GPU before the calling file's tests and frees it (and every test buffer) after them. */
export function useRecommendGpu(file: string): void {
  const started = performance.now();
  beforeAll(async () => {
    gpu = await testGpu(navigator.gpu);
    pool = new ReadbackPool(gpu.device, 'test.recommend');
  });
  afterAll(() => {
    for (const b of temp) b.destroy();
    temp.length = 0;
    pool?.destroy();
    gpu?.destroy();
    console.log(`${file}: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
  });
}

export function upload(values: Float32Array | Uint32Array): GPUBuffer {
  const b = createStorageBuffer(gpu.device, 'test.recommend.buf', values.byteLength);
  gpu.device.queue.writeBuffer(b, 0, values.buffer as ArrayBuffer, values.byteOffset, values.byteLength);
  temp.push(b);
  return b;
}
export async function read(b: GPUBuffer, n: number): Promise<ArrayBuffer> {
  const enc = gpu.device.createCommandEncoder();
  const dst = encodeReadback(enc, pool, b, n * 4);
  gpu.device.queue.submit([enc.finish()]);
  return pool.read(dst, n * 4);
}

/** One batch of users: f32 inputs, candidates of user u are items u·M … u·M + M − 1. */
export interface Batch {
  users: number;
  m: number;
  k: number;
  rel: Float32Array;
  emb: Float32Array;
  cat: Uint32Array;
  history: Float32Array;
}
export function randomBatch(seed: number, users: number, m: number, k: number): Batch {
  const rng = testRng(seed);
  const emb = new Float32Array(users * m * D);
  for (let i = 0; i < users * m; i++) {
    const v = Array.from({ length: D }, rng.normal);
    const norm = Math.hypot(...v);
    v.forEach((x, c) => (emb[i * D + c] = x / norm));
  }
  const rel = Float32Array.from({ length: users * m }, rng.next);
  const cat = Uint32Array.from({ length: users * m }, () => rng.int(0, k - 1));
  const history = new Float32Array(users * k);
  for (let s = 0; s < users; s++) {
    // One category absent from the history (p_c = 0 is skipped by KL), the others random.
    const h = Array.from({ length: k }, (_, c) => (c === s % k ? 0 : rng.next() + 0.05));
    const sum = h.reduce((a, b) => a + b, 0);
    h.forEach((x, c) => (history[s * k + c] = x / sum));
  }
  return { users, m, k, rel, emb, cat, history };
}
export function instanceOf(b: Batch, s: number): RerankInstance {
  const { m, k } = b;
  return {
    rel: b.rel.subarray(s * m, (s + 1) * m),
    emb: b.emb.subarray(s * m * D, (s + 1) * m * D),
    cat: b.cat.subarray(s * m, (s + 1) * m),
    history: b.history.subarray(s * k, (s + 1) * k),
  };
}

export const KERNELS: Record<Method, (d: GPUDevice) => RerankKernelBase> = {
  mmr: (d) => new MmrKernel(d),
  dpp: (d) => new DppKernel(d),
  calibration: (d) => new CalibrationKernel(d),
};

export interface Case {
  seed: number;
  users: number;
  m: number;
  n: number;
  lambda?: number;
  theta?: number;
  epsilon?: number;
}
/** MMR and calibration run the same shapes and λ (M ∤ 256, N = 1, N = M); seeds seed0, seed0 + 1, … */
const lambdaCases = (seed0: number): Case[] =>
  [
    { users: 4, m: 7, n: 1, lambda: 0.5 },
    { users: 4, m: 7, n: 7, lambda: 0.25 },
    { users: 3, m: 50, n: 10, lambda: 0.7 },
    { users: 3, m: 300, n: 16, lambda: 0.5 },
    { users: 4, m: 512, n: 64, lambda: 0.9 },
    { users: 3, m: 257, n: 12, lambda: 1 },
    { users: 3, m: 33, n: 8, lambda: 0 },
  ].map((c, i) => ({ seed: seed0 + i, ...c }));
export const CASES: Record<Method, Case[]> = {
  mmr: lambdaCases(1),
  dpp: [
    { seed: 11, users: 4, m: 7, n: 1, theta: 0.5 },
    { seed: 12, users: 4, m: 7, n: 7, theta: 0.3 },
    { seed: 13, users: 3, m: 50, n: 10, theta: 0.7 },
    { seed: 14, users: 3, m: 300, n: 16, theta: 0.5 },
    { seed: 15, users: 4, m: 512, n: 24, theta: 0.6 },
    { seed: 16, users: 3, m: 257, n: 12, theta: 0 },
    // Stops early: ε = 0.3 ends the list once every remaining d² is small.
    { seed: 17, users: 4, m: 40, n: 40, theta: 0.2, epsilon: 0.3 },
  ],
  calibration: lambdaCases(21),
};

/** The batch's inputs on the GPU and output buffers for `points` lists of length n per user. */
export function batchBuffers(b: Batch, n: number, points = 1) {
  const ids = Uint32Array.from({ length: b.users * b.m }, (_, i) => i);
  const picks = createStorageBuffer(gpu.device, 'test.recommend.picks', points * b.users * n * 4);
  const gains = createStorageBuffer(gpu.device, 'test.recommend.gains', points * b.users * n * 4);
  temp.push(picks, gains);
  return {
    items: upload(ids),
    embeddings: upload(b.emb),
    categories: upload(b.cat),
    relevance: upload(b.rel),
    history: upload(b.history),
    picks,
    gains,
  };
}

/** Reads `lists` lists of length n (picks and gains) back. */
export async function readLists(bufs: { picks: GPUBuffer; gains: GPUBuffer }, lists: number, n: number) {
  return {
    picks: new Uint32Array(await read(bufs.picks, lists * n)),
    gains: new Float32Array(await read(bufs.gains, lists * n)),
  };
}

export async function runRerank(kernel: RerankKernelBase, b: Batch, opts: RerankOptions) {
  const bufs = batchBuffers(b, opts.n);
  const enc = gpu.device.createCommandEncoder({ label: 'test.recommend' });
  kernel.encode(enc, { users: b.users, m: b.m, categories: b.k }, opts, bufs);
  gpu.device.queue.submit([enc.finish()]);
  return readLists(bufs, b.users, opts.n);
}

/** One encodeSweep of `settings` over the batch: picks/gains [points][users][n]. */
export async function runSweep(
  kernel: RerankKernelBase,
  b: Batch,
  n: number,
  settings: readonly SweepSetting[],
  epsilon?: number,
) {
  const bufs = batchBuffers(b, n, settings.length);
  const enc = gpu.device.createCommandEncoder({ label: 'test.recommend.sweep' });
  kernel.encodeSweep(enc, { users: b.users, m: b.m, categories: b.k }, n, settings, bufs, epsilon);
  gpu.device.queue.submit([enc.finish()]);
  return readLists(bufs, settings.length * b.users, n);
}

/**
 * Checks one GPU list (picks gp, gains gg) against the float64 reference of `inst` at `opts`: identical
 * picks up to the first ill-posed step (the whole list when well-posed), each gain within its f32 bound,
 * gain 0 after a DPP stop. Returns whether the list is well-posed and the worst gain error (÷ bound, abs).
 */
export function checkList(
  method: Method,
  inst: RerankInstance,
  opts: RerankOptions,
  gp: ArrayLike<number>,
  gg: ArrayLike<number>,
  label: string,
) {
  const n = opts.n;
  const ref = rerankReference(method, inst, opts, true);
  const { bad, pickBound } = wellPosed(method, inst, opts, ref);
  const want = [...ref.picks, ...Array<number>(n - ref.picks.length).fill(NO_PICK)];
  const upTo = bad < 0 ? n : bad;
  expect(Array.from(gp).slice(0, upTo), label).toEqual(want.slice(0, upTo));
  let worst = 0;
  let worstAbs = 0;
  for (let k = 0; k < Math.min(upTo, ref.picks.length); k++) {
    const err = Math.abs(gg[k]! - ref.gains[k]!);
    expect(err, `${label} gain ${k}`).toBeLessThanOrEqual(pickBound[k]!);
    worstAbs = Math.max(worstAbs, err);
    if (err > 0) worst = Math.max(worst, err / pickBound[k]!);
  }
  for (let k = ref.picks.length; k < upTo; k++) expect(gg[k], `${label} gain ${k}`).toBe(0);
  return { posed: bad < 0, worst, worstAbs };
}
