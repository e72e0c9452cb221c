/**
 * The benchmark's induction call (bench/cases/induction.ts inductionSteps) on Dawn through the instrumented
 * device (bench/instrument.ts), on a tiny model: a pipelined call of 3 steps computes what 3 awaited calls
 * compute (same losses, same weights, bit for bit: same kernels and inputs on one device), and is counted as
 * the trainer says — 3 passes of dispatchesPerStep dispatches, 3 + 1 submits (the + 1 is readLosses), 24 bytes
 * read back, no GPU buffer created once warm. Run by tests/node/run.mjs (npm run test:node-gpu).
 */
import assert from 'node:assert/strict';
import { inductionSteps } from '../../bench/cases/induction';
import { Instrument } from '../../bench/instrument';
import { GpuInductionTrainer, type TokenSource } from '../../src/engine/induction/index';
import { initInduction, type InductionConfig } from '../../src/models/induction/params';
import { mulberry32 } from '../../src/util/rng';
import { gpuSuite } from './suite';

let inst: Instrument;
const TINY: InductionConfig = { layers: 2, heads: 2, dModel: 16, dHead: 4, vocab: 12, context: 12 };
const T = TINY.context + 1;

/** BOS, then 6 random tokens repeated once (the copy task at this size). */
const tokens: TokenSource = (step, batch) => {
  const r = mulberry32(700 + step);
  const out = new Uint32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    out[b * T] = TINY.vocab;
    for (let j = 0; j < 6; j++) out[b * T + 1 + j] = out[b * T + 7 + j] = Math.floor(r() * TINY.vocab);
  }
  return out;
};

function trainer(label: string): GpuInductionTrainer {
  const init = Float32Array.from(initInduction(3, TINY));
  return new GpuInductionTrainer(inst.device, {
    seed: 3,
    config: TINY,
    init,
    tokens,
    settings: { batch: 4 },
    label,
  });
}

export default gpuSuite(
  (gpu) => {
    inst = new Instrument(gpu.device);
  },
  [
    [
      'pipelined induction steps equal awaited steps; counted as the trainer says, 8 bytes per step, 0 buffers',
      async () => {
        const piped = trainer('test.piped');
        const awaited = trainer('test.awaited');
        const D = piped.dispatchesPerStep;
        assert.ok(D > 0 && piped.submitsPerStep === 1, `${D} dispatches, ${piped.submitsPerStep} submits`);
        // Warm-up: one pipelined call (creates the readback pool's buffer of that size class).
        await inductionSteps(piped, 3);
        await inductionSteps(awaited, 3);

        inst.begin();
        const out = await inductionSteps(piped, 3);
        const probe = await inst.end();
        const { losses: piped3, ...counts } = out;
        assert.deepEqual(counts, { dispatches: 3 * D, submits: 4, bytesRead: 24 });
        assert.equal(probe.dispatches, 3 * D);
        assert.equal(probe.passes, 3);
        assert.equal(probe.submits, 4);
        assert.equal(probe.bytesToReadback, 24);
        assert.equal(probe.buffersCreated, 0, `buffers created: ${probe.bufferLabels.join(', ')}`);

        // The same three steps awaited one by one.
        const losses: number[] = [];
        for (let k = 0; k < 3; k++) {
          awaited.trainStep();
          losses.push((await awaited.readLosses()).losses[0]!);
        }
        assert.equal(piped.step, 6);
        assert.equal(awaited.step, 6);
        assert.deepEqual([...piped3], losses);
        assert.deepEqual(await piped.weights(), await awaited.weights());
        await assert.rejects(inductionSteps(piped, 0), /whole number of steps/);
        piped.destroy();
        awaited.destroy();
      },
    ],
    [
      'a pipelined call of more submits than 32 is still timed by the GPU (timestamp capacity)',
      async () => {
        assert.ok(inst.timestamps, 'this Dawn adapter has timestamp-query');
        const t = trainer('test.timed');
        await inductionSteps(t, 1);
        // 40 submits, each its own encoder (one 32-query block each): more than a 1024-query set holds.
        inst.begin();
        await inductionSteps(t, 40);
        const probe = await inst.end();
        assert.equal(probe.passes, 40);
        assert.ok(probe.gpuMs !== null && probe.gpuMs > 0, `gpu time ${probe.gpuMs}`);
        t.destroy();
      },
    ],
  ],
);
