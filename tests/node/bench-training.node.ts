/**
 * The benchmark's training call (bench/training.ts trainSteps, used by bench/cases.ts) on Dawn, through the instrumented device
 * (bench/instrument.ts), at a small shape: the pipelined call (3 steps submitted back to back, one read)
 * computes what 3 awaited calls compute, follows the CPU float64 trainer, and is counted as 3 submits,
 * 8 bytes read back and no GPU buffer created once warm. Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { requestNodeGpu } from '../../src/gpu/node';
import type { GpuContext } from '../../src/gpu/device';
import { ReadbackPool } from '../../src/gpu/readback';
import { GpuMlp } from '../../src/engine/nn';
import { CpuMlp, makeBatch, type MlpShape } from '../../src/models/mlp';
import { Instrument } from '../../bench/instrument';
import { trainSteps } from '../../bench/training';

let gpu: GpuContext;
let inst: Instrument;
const shape: MlpShape = { depth: 2, width: 16, batchNorm: true, activation: 'relu' };
const B = 32;
const o = { task: 'spirals' as const, seed: 5, lr: 0.01 };

export default {
  async setup() {
    gpu = await requestNodeGpu();
    inst = new Instrument(gpu.device);
  },
  teardown() {
    inst.destroy();
    gpu.destroy();
  },
  tests: [
    [
      'pipelined steps equal awaited steps and the CPU trainer; counted as K submits, 8 bytes read, 0 buffers',
      async () => {
        const piped = new GpuMlp(inst.device, shape, B, o.seed, 'test.piped');
        const awaited = new GpuMlp(inst.device, shape, B, o.seed, 'test.awaited');
        const pool = new ReadbackPool(inst.device, 'test.bench');
        const cpu = new CpuMlp(shape, o.seed);
        // Warm-up: step 0 on both (creates the pool's 256-byte readback buffer).
        const w1 = await trainSteps(piped, pool, { ...o, first: 0, steps: 1 });
        const w2 = await trainSteps(awaited, pool, { ...o, first: 0, steps: 1 });
        assert.equal(w1.loss, w2.loss);
        cpu.step(makeBatch(o.task, o.seed, 0, B), { lr: o.lr });

        inst.begin();
        const p = await trainSteps(piped, pool, { ...o, first: 1, steps: 3 });
        const probe = await inst.end();
        assert.equal(probe.submits, 3);
        assert.equal(probe.passes, 3);
        assert.equal(probe.bytesToReadback, 8);
        assert.equal(probe.buffersCreated, 0, `buffers created: ${probe.bufferLabels.join(', ')}`);
        assert.ok(probe.dispatches > 0 && probe.dispatches % 3 === 0, `dispatches ${probe.dispatches}`);

        let a = { loss: NaN, accuracy: NaN };
        for (let s = 1; s <= 3; s++) a = await trainSteps(awaited, pool, { ...o, first: s, steps: 1 });
        let r = { loss: NaN, accuracy: NaN };
        for (let s = 1; s <= 3; s++) r = cpu.step(makeBatch(o.task, o.seed, s, B), { lr: o.lr });

        // Same kernels, same inputs, same order on one device: the same f32 result.
        assert.equal(p.loss, a.loss);
        assert.equal(p.accuracy, a.accuracy);
        // The reported loss is the forward loss of the last step; f32 vs float64 training for 4 steps:
        // within 1e-3 relative (the tolerance of tests/gpu/nn-mlp.test.ts for the first five steps).
        assert.ok(Math.abs(p.loss - r.loss) <= 1e-3 * r.loss, `gpu ${p.loss} vs cpu ${r.loss}`);
        assert.ok(
          Math.abs(p.accuracy - r.accuracy) <= 1 / B + 1e-6,
          `accuracy ${p.accuracy} vs ${r.accuracy}`,
        );
        await assert.rejects(trainSteps(piped, pool, { ...o, first: 0, steps: 0 }), /at least one step/);
        pool.destroy();
        piped.destroy();
        awaited.destroy();
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
