/**
 * Top-k (shaders/recommend/topk.wgsl) on a real WebGPU adapter against the reference, and relevance only.
 * Tolerance: none — values are copied, so indices and values are exact.
 */
import { describe, expect, it } from 'vitest';
import { createStorageBuffer } from '../../src/gpu/compute';
import { MmrKernel } from '../../src/kernels/recommend/mmr';
import { TopKKernel } from '../../src/kernels/recommend/topk';
import { rerankReference, topKReference } from '../../src/kernels/recommend/ref';
import { testRng } from './gpu-test-context';
import {
  FLT_MAX,
  gpu,
  instanceOf,
  randomBatch,
  read,
  runRerank,
  temp,
  upload,
  useRecommendGpu,
} from './recommend-helpers';

useRecommendGpu('recommend-topk.test.ts');

describe('top-k: WGSL = reference (exact)', () => {
  it('indices and values of rows of any length (ties to the lowest index, k > length padded)', async () => {
    const t0 = performance.now();
    const kernel = new TopKKernel(gpu.device);
    const rng = testRng(99);
    for (const [rows, len, k] of [
      [3, 1, 1],
      [2, 5, 8],
      [4, 1000, 100],
      [3, 1024, 512],
      [2, 3001, 500],
      [5, 777, 1],
      [2, 2049, 37],
    ] as const) {
      // Half the rows on a coarse grid (many exact ties), the rest continuous; one value is −FLT_MAX.
      const values = new Float32Array(rows * len);
      for (let i = 0; i < values.length; i++)
        values[i] = i % (2 * len) < len ? Math.floor(rng.next() * 16) / 4 : rng.normal();
      values[values.length - 1] = -FLT_MAX;
      const indices = createStorageBuffer(gpu.device, 'test.recommend.topk.i', rows * k * 4);
      const topValues = createStorageBuffer(gpu.device, 'test.recommend.topk.v', rows * k * 4);
      temp.push(indices, topValues);
      const enc = gpu.device.createCommandEncoder();
      kernel.encode(enc, { rows, len, k }, { values: upload(values), indices, topValues });
      gpu.device.queue.submit([enc.finish()]);
      const gi = new Uint32Array(await read(indices, rows * k));
      const gv = new Float32Array(await read(topValues, rows * k));
      for (let r = 0; r < rows; r++) {
        const want = topKReference(values.subarray(r * len, (r + 1) * len), k);
        const label = `rows ${rows} len ${len} k ${k} row ${r}`;
        expect(Array.from(gi.subarray(r * k, (r + 1) * k)), label).toEqual(want.indices);
        const wv = want.values.map((v) => (v === -Infinity ? -FLT_MAX : v));
        expect(Array.from(gv.subarray(r * k, (r + 1) * k)), label).toEqual(wv);
      }
    }
    kernel.destroy();
    console.log(`top-k: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  });

  it('relevance only is the top-N of the relevance rows and equals MMR with λ = 1', async () => {
    const b = randomBatch(31, 3, 300, 12);
    const n = 20;
    const indices = createStorageBuffer(gpu.device, 'test.recommend.rel.i', b.users * n * 4);
    const topValues = createStorageBuffer(gpu.device, 'test.recommend.rel.v', b.users * n * 4);
    temp.push(indices, topValues);
    const kernel = new TopKKernel(gpu.device);
    const enc = gpu.device.createCommandEncoder();
    kernel.encode(enc, { rows: b.users, len: b.m, k: n }, { values: upload(b.rel), indices, topValues });
    gpu.device.queue.submit([enc.finish()]);
    const gi = new Uint32Array(await read(indices, b.users * n));
    const mmrKernel = new MmrKernel(gpu.device);
    const mmr = await runRerank(mmrKernel, b, { n, lambda: 1 });
    mmrKernel.destroy();
    for (let s = 0; s < b.users; s++) {
      const want = rerankReference('relevance', instanceOf(b, s), { n }).picks;
      expect(Array.from(gi.subarray(s * n, (s + 1) * n))).toEqual(want);
      expect(Array.from(mmr.picks.subarray(s * n, (s + 1) * n))).toEqual(want);
    }
    kernel.destroy();
  });
});
