/**
 * The benchmark's training calls (bench/training.ts, used by bench/cases/training.ts) on Dawn, through the
 * instrumented device (bench/instrument.ts), at a small shape: the pipelined call (3 steps in one command
 * buffer, batches from one ring write, one read) computes what 3 awaited calls and the old one-submit-per-step
 * call compute, follows the CPU float64 trainer, and is counted as 1 submit, 3 passes, 8 bytes read back and
 * no GPU buffer created once warm. Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { requestNodeGpu } from '../../src/gpu/node';
import type { GpuContext } from '../../src/gpu/device';
import { ReadbackPool } from '../../src/gpu/readback';
import { GpuMlp } from '../../src/engine/nn';
import { CpuMlp, makeBatch, type MlpShape } from '../../src/models/mlp';
import { Instrument } from '../../bench/instrument';
import { benchRing, trainSteps, trainStepsPerSubmit } from '../../bench/training';

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
      'pipelined steps equal awaited steps and the CPU trainer; counted as 1 submit, 8 bytes read, 0 buffers',
      async () => {
        const piped = new GpuMlp(inst.device, shape, B, o.seed, 'test.piped');
        const awaited = new GpuMlp(inst.device, shape, B, o.seed, 'test.awaited');
        const old = new GpuMlp(inst.device, shape, B, o.seed, 'test.old');
        const pool = new ReadbackPool(inst.device, 'test.bench');
        const [ringP, ringA] = [benchRing(piped, 3), benchRing(awaited, 1)];
        const cpu = new CpuMlp(shape, o.seed);
        // Warm-up: step 0 on all (creates the pool's 256-byte readback buffer).
        const w1 = await trainSteps(piped, pool, ringP, { ...o, first: 0, steps: 1 });
        const w2 = await trainSteps(awaited, pool, ringA, { ...o, first: 0, steps: 1 });
        const w3 = await trainStepsPerSubmit(old, pool, { ...o, first: 0, steps: 1 });
        assert.equal(w1.loss, w2.loss);
        assert.equal(w3.loss, w2.loss);
        cpu.step(makeBatch(o.task, o.seed, 0, B), { lr: o.lr });

        inst.begin();
        const p = await trainSteps(piped, pool, ringP, { ...o, first: 1, steps: 3 });
        const probe = await inst.end();
        assert.equal(probe.submits, 1);
        assert.equal(probe.passes, 3);
        assert.equal(probe.bytesToReadback, 8);
        assert.equal(probe.buffersCreated, 0, `buffers created: ${probe.bufferLabels.join(', ')}`);
        assert.ok(probe.dispatches > 0 && probe.dispatches % 3 === 0, `dispatches ${probe.dispatches}`);

        let a = { loss: NaN, accuracy: NaN };
        for (let s = 1; s <= 3; s++) a = await trainSteps(awaited, pool, ringA, { ...o, first: s, steps: 1 });
        inst.begin();
        const q = await trainStepsPerSubmit(old, pool, { ...o, first: 1, steps: 3 });
        assert.equal((await inst.end()).submits, 3);
        let r = { loss: NaN, accuracy: NaN };
        for (let s = 1; s <= 3; s++) r = cpu.step(makeBatch(o.task, o.seed, s, B), { lr: o.lr });

        // Same kernels, same inputs, same order on one device: the same f32 result.
        assert.equal(p.loss, a.loss);
        assert.equal(p.accuracy, a.accuracy);
        assert.equal(q.loss, a.loss);
        // The reported loss is the forward loss of the last step; f32 vs float64 training for 4 steps:
        // within 1e-3 relative (the tolerance of tests/gpu/nn-mlp.test.ts for the first five steps).
        assert.ok(Math.abs(p.loss - r.loss) <= 1e-3 * r.loss, `gpu ${p.loss} vs cpu ${r.loss}`);
        assert.ok(
          Math.abs(p.accuracy - r.accuracy) <= 1 / B + 1e-6,
          `accuracy ${p.accuracy} vs ${r.accuracy}`,
        );
        await assert.rejects(
          trainSteps(piped, pool, ringP, { ...o, first: 0, steps: 0 }),
          /at least one step/,
        );
        for (const x of [ringP, ringA, pool, piped, awaited, old]) x.destroy();
      },
    ],
  ] as Array<[string, () => Promise<void>]>,
};
