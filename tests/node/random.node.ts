/**
 * The Random lab's kernels and engine run unchanged in Node on Dawn (the `webgpu` package), proving the
 * compute code has no DOM dependency. Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { requestNodeGpu } from '../../src/gpu/node';
import { adapterName, type GpuContext } from '../../src/gpu/device';
import { RandomEngine } from '../../src/engine/random';
import { centralSums, histogramReference, rawWords } from '../../src/kernels/random/ref';
import { standardErrors, theory } from '../../src/kernels/random/theory';

let gpu: GpuContext;
let engine: RandomEngine;

export default {
  async setup() {
    const icd = process.env.VK_ICD_FILENAMES ?? '';
    if (icd && !existsSync(icd)) {
      throw new Error(
        `Vulkan driver file ${icd} is missing: install Debian's chromium (it ships SwiftShader).`,
      );
    }
    gpu = await requestNodeGpu();
    engine = new RandomEngine(gpu);
    console.log(`  adapter: ${adapterName(gpu.info)} — ${gpu.info.description}`);
  },
  teardown() {
    engine.destroy();
    gpu.destroy();
  },
  tests: [
    [
      'uniform values carry the bit-exact Philox words (top 24 bits)',
      async () => {
        const values = await engine.sample({ transform: 'uniform', seed: 5, count: 1000 });
        const want = rawWords(1000, { seed: 5 });
        for (let i = 0; i < 1000; i++) assert.equal(values[i]! * 2 ** 24, want[i]! >>> 8, `value ${i}`);
      },
    ],
    [
      'GPU moments and histogram equal float64 ones of the same GPU values; moments near theory',
      async () => {
        // 200 000 values: 49 moments workgroups and 13 histogram workgroups in flight, as in the browser test.
        for (const transform of ['uniform', 'box-muller'] as const) {
          const params = { transform, seed: 3, count: 200_000 };
          const g = await engine.run(params);
          const values = await engine.sample(params);
          const want = centralSums(values);
          assert.equal(g.sums.n, params.count);
          assert.ok(Math.abs(g.sums.mean - want.mean) < 1e-6, `mean ${g.sums.mean} vs ${want.mean}`);
          assert.ok(Math.abs(g.sums.m2 / want.m2 - 1) < 1e-5, `m2 ${g.sums.m2} vs ${want.m2}`);
          assert.ok(Math.abs(g.sums.m4 / want.m4 - 1) < 1e-5, `m4 ${g.sums.m4} vs ${want.m4}`);
          assert.deepEqual([...g.counts], [...histogramReference(values, g.spec)]);
          const t = theory(transform);
          const se = standardErrors(t, params.count);
          assert.ok(Math.abs(g.moments.mean - t.mean) < 4 * se.mean, 'mean vs theory');
          assert.ok(Math.abs(g.moments.variance - t.variance) < 4 * se.variance, 'variance vs theory');
        }
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
