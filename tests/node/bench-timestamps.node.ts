/**
 * The harness's GPU timestamps on Dawn (bench/instrument.ts, bench/timestamps.ts): with the `webgpu`
 * package's default toggles the pass durations are quantised (multiples of one quantum ≥ 1 µs, Dawn's 65.5 µs),
 * and with `disable-dawn-features=timestamp_quantization` (what bench/node-entry.ts passes) they are not;
 * every pair is accepted and the call's GPU time is the sum of its passes. Run by tests/node/run.mjs.
 */
import assert from 'node:assert/strict';
import { requestGpu, type GpuContext } from '../../src/gpu/device';
import { Instrument } from '../../bench/instrument';

const PASSES = 24;
/** A pass that takes long enough (tens of µs or more on SwiftShader) to give non-zero durations. */
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  var x = f32(id.x);
  for (var i = 0u; i < 2000u; i++) { x = fma(x, 0.999, 0.5); }
  out[id.x] = x;
}`;

const created: Array<{ gpu: GPU; ctx: GpuContext }> = [];

async function timedPasses(flags: string[]) {
  const webgpu = (await import('webgpu')) as unknown as {
    create: (flags: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create(flags);
  const ctx = await requestGpu({ gpu, label: 'test.ts' });
  created.push({ gpu, ctx }); // keeps Dawn's instance alive (src/gpu/node.ts)
  const inst = new Instrument(ctx.device);
  assert.ok(inst.timestamps, 'the adapter has timestamp-query');
  const d = inst.device;
  const out = d.createBuffer({ label: 'test.ts.out', size: 64 * 64 * 4, usage: GPUBufferUsage.STORAGE });
  const module = d.createShaderModule({ label: 'test.ts', code: SHADER });
  const pipeline = d.createComputePipeline({ label: 'test.ts', layout: 'auto', compute: { module } });
  const group = d.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }],
  });
  inst.begin();
  const enc = d.createCommandEncoder({ label: 'test.ts' });
  for (let k = 0; k < PASSES; k++) {
    const pass = enc.beginComputePass({ label: 'test.ts' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(64);
    pass.end();
  }
  d.queue.submit([enc.finish()]);
  const probe = await inst.end();
  const q = inst.quantum.summary();
  inst.destroy();
  out.destroy();
  return { probe, q };
}

export default {
  teardown() {
    for (const { ctx } of created) ctx.destroy();
  },
  tests: [
    [
      'Dawn quantises pass timestamps by default; with timestamp_quantization off it does not',
      async () => {
        const quantised = await timedPasses([]);
        assert.equal(quantised.probe.tsPairs, PASSES);
        assert.equal(quantised.probe.tsRejected, 0);
        assert.equal(quantised.q.samples, PASSES);
        // Default toggles: every non-zero duration a multiple of one quantum ≥ 1 µs (65536 ns in Dawn).
        assert.equal(quantised.q.quantised, true, JSON.stringify(quantised.q));
        assert.equal((quantised.q.quantumNs ?? 0) % 65_536, 0, 'the quantum is a multiple of 2^16 ns');

        const fine = await timedPasses(['disable-dawn-features=timestamp_quantization']);
        assert.equal(fine.probe.tsPairs, PASSES);
        assert.equal(fine.probe.tsRejected, 0, 'no zero or reversed pair');
        assert.equal(fine.q.zeros, 0, 'an unquantised pass of this length is never 0 ns');
        assert.equal(fine.q.quantised, false, JSON.stringify(fine.q));
        assert.ok(fine.probe.gpuMs !== null && fine.probe.gpuMs > 0);
        assert.equal(fine.probe.passes, PASSES);
        assert.equal(fine.probe.dispatches, PASSES);
      },
    ],
  ],
};
