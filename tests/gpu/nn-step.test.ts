/**
 * The training step with its step counter on the GPU (src/kernels/nn/adam.ts, shaders/nn/adam_step.wgsl,
 * src/engine/nn.ts): bias corrections from the GPU counter against float64, Adam with the counter against
 * the reference, N steps encoded into one command buffer equal to N steps in N submits (bit for bit), and
 * no queue write in encodeStep while the learning rate is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { GpuMlp } from '../../src/engine/nn';
import { createStorageBuffer } from '../../src/gpu/compute';
import * as ops from '../../src/kernels/nn/ops';
import * as ref from '../../src/kernels/nn/ref';
import { makeBatch, type MlpShape } from '../../src/models/mlp';
import {
  STYLES,
  empty,
  expectClose,
  f32s,
  gpu,
  read,
  res,
  run,
  upload,
  useNnGpu,
  withStyle,
} from './nn-helpers';

useNnGpu();

async function readState(adam: ops.AdamState) {
  const f = await read(adam.state, 4);
  return { t: new Uint32Array(f.buffer, f.byteOffset, 1)[0]!, bc1: f[1]!, bc2: f[2]! };
}

describe('Adam step counter on the GPU', () => {
  // bc = 1 − β^t from t·ln β (ln β rounded once to f32, the product rounded once): the series branch and
  // 1 − exp(x) are each within 2⁻²⁰ relative of the float64 value (derivation in adam_step.wgsl).
  it('bias corrections from the counter match float64 for t from 1 to 2²⁰', async () => {
    const adam = new ops.AdamState(gpu.device, 't.adam.bc');
    adam.set({ lr: 0.01 });
    const tick = ops.adamStep(
      res,
      't.tick',
      adam,
      {
        grad: empty(4),
        param: empty(4),
        m: empty(4),
        v: empty(4),
      },
      4,
    );
    let worst = 0;
    for (const t of [1, 2, 3, 7, 10, 50, 100, 500, 693, 694, 1000, 4000, 20000, 1 << 20]) {
      adam.setStep(t - 1);
      await run([tick[0]!]);
      const s = await readState(adam);
      expect(s.t).toBe(t);
      for (const [got, beta] of [
        [s.bc1, 0.9],
        [s.bc2, 0.999],
      ] as const) {
        const want = 1 - beta ** t;
        const err = Math.abs(got - want) / want;
        expect(err, `t ${t} β ${beta}: ${got} vs ${want}`).toBeLessThanOrEqual(2 ** -20);
        worst = Math.max(worst, err / 2 ** -20);
      }
    }
    console.log(`bias corrections: max error/bound ${worst.toFixed(3)}`);
    adam.destroy();
  });

  // The reference's bias corrections are float64; the counter's are within 2⁻²⁰ relative, which moves a
  // step lr·m̂/(√v̂ + ε) by ≤ 1.5·2⁻²⁰·lr — well inside the kernel test's 1e-6·|p| + 1e-3·lr.
  for (const style of STYLES) {
    it(`${style}: five counted steps on 1000 parameters match the reference (AdamW decay 0.1)`, async () => {
      const n = 1000;
      const p = f32s(n, 15);
      const lr = 0.01;
      const wd = 0.1;
      const [bp, m, v, grad] = [upload(p), empty(n), empty(n), empty(n)];
      const pref = Float64Array.from(p);
      const [mr, vr] = [new Float64Array(n), new Float64Array(n)];
      const adam = new ops.AdamState(gpu.device, 't.adam.steps');
      adam.setStep(0);
      adam.set({ lr, weightDecay: wd });
      const list = await withStyle(style, async () =>
        ops.adamStep(res, 't.adam', adam, { grad, param: bp, m, v }, n),
      );
      expect(list.length).toBe(2);
      for (let t = 1; t <= 5; t++) {
        const g = f32s(n, 20 + t, 0.1);
        gpu.device.queue.writeBuffer(grad, 0, Float32Array.from(g));
        await run(list);
        ref.adamStep(pref, g, mr, vr, t, { lr, weightDecay: wd });
      }
      expectClose(await read(bp, n), pref, (i) => 1e-6 * Math.abs(pref[i]!) + 1e-3 * lr, 'param');
      expect((await readState(adam)).t).toBe(5);
      adam.destroy();
    });
  }
});

describe('GpuMlp training steps in one command buffer', () => {
  const B = 37;
  const task = 'spirals' as const;
  const seed = 4;

  /** All of the net's state (tensors, moments, running statistics) and the counter, as f32 arrays. */
  async function state(mlp: GpuMlp) {
    const out: Record<string, Float32Array> = {};
    for (const [name, buffer, floats, at] of mlp.stateTensors())
      out[name] = (await read(buffer, at + floats)).slice(at);
    out['counter'] = await read(mlp.adam.state, 4);
    out['result'] = await read(mlp.result, 2);
    return out;
  }

  for (const shape of [
    { depth: 3, width: 20, batchNorm: true, activation: 'gelu' },
    { depth: 2, width: 13, batchNorm: false, activation: 'relu' },
  ] as MlpShape[]) {
    it(`4 steps in one submit equal 4 submits, bit for bit (bn=${shape.batchNorm})`, async () => {
      const K = 4;
      const lr = 0.02;
      const a = new GpuMlp(gpu.device, shape, B, seed, 't.one');
      const b = new GpuMlp(gpu.device, shape, B, seed, 't.many');
      // a: one submit; the batches travel in one buffer and are copied into x/labels between the steps.
      const batches = Array.from({ length: K }, (_, k) => makeBatch(task, seed, k, B));
      const xBytes = batches[0]!.x.byteLength;
      const lBytes = batches[0]!.labels.byteLength;
      const ring = createStorageBuffer(gpu.device, 't.ring', K * (xBytes + lBytes));
      batches.forEach((bt, k) => {
        gpu.device.queue.writeBuffer(ring, k * (xBytes + lBytes), bt.x);
        gpu.device.queue.writeBuffer(ring, k * (xBytes + lBytes) + xBytes, bt.labels);
      });
      a.setLearningRate(lr);
      const writes: string[] = [];
      const queue = gpu.device.queue;
      const original = queue.writeBuffer;
      queue.writeBuffer = function (this: GPUQueue, ...args: Parameters<GPUQueue['writeBuffer']>) {
        writes.push(args[0].label);
        return original.apply(this, args);
      } as GPUQueue['writeBuffer'];
      const enc = gpu.device.createCommandEncoder();
      try {
        for (let k = 0; k < K; k++) {
          enc.copyBufferToBuffer(ring, k * (xBytes + lBytes), a.x, 0, xBytes);
          enc.copyBufferToBuffer(ring, k * (xBytes + lBytes) + xBytes, a.labels, 0, lBytes);
          const pass = enc.beginComputePass();
          a.encodeStep(pass, { train: true, lr });
          pass.end();
        }
      } finally {
        queue.writeBuffer = original;
      }
      expect(writes, 'queue writes while encoding the steps').toEqual([]);
      queue.submit([enc.finish()]);
      for (let k = 0; k < K; k++) {
        b.setBatch(batches[k]!);
        const e = gpu.device.createCommandEncoder();
        const pass = e.beginComputePass();
        b.encodeStep(pass, { train: true, lr });
        pass.end();
        queue.submit([e.finish()]);
      }
      const [sa, sb] = [await state(a), await state(b)];
      expect(Object.keys(sa)).toEqual(Object.keys(sb));
      for (const [name, va] of Object.entries(sa)) {
        const vb = sb[name]!;
        for (let i = 0; i < va.length; i++) {
          if (!Object.is(va[i], vb[i]))
            expect.fail(`${name}[${i}]: one submit ${va[i]}, ${K} submits ${vb[i]}`);
        }
      }
      expect(new Uint32Array(sa['counter']!.buffer)[0]).toBe(K);
      expect(a.t).toBe(K);
      // A forward that does not learn (probe, eval) leaves the counter alone.
      const e = gpu.device.createCommandEncoder();
      const pass = e.beginComputePass();
      a.encodeStep(pass, { train: true, learn: false, lr });
      a.encodeStep(pass, { train: false, lr });
      pass.end();
      queue.submit([e.finish()]);
      expect((await readState(a.adam)).t).toBe(K);
      ring.destroy();
      a.destroy();
      b.destroy();
    });
  }
});

describe('GpuMlp dispatch counts (issue 15: ≤ 30 per network per training step)', () => {
  it('the BatchNorm lab shapes (batch 256, width 128, depth 4): ≤ 30 dispatches, no writes or buffers per step', () => {
    const counts: Record<string, number> = {};
    for (const batchNorm of [true, false]) {
      const shape: MlpShape = { depth: 4, width: 128, batchNorm, activation: 'relu' };
      const mlp = new GpuMlp(gpu.device, shape, 256, 1, 't.count');
      mlp.setLearningRate(0.01);
      let dispatches = 0;
      const pass = {
        setPipeline: () => {},
        setBindGroup: () => {},
        dispatchWorkgroups: () => void dispatches++,
      } as unknown as GPUComputePassEncoder;
      const made: string[] = [];
      const device = gpu.device;
      const queue = device.queue;
      const originals = {
        write: queue.writeBuffer,
        buffer: device.createBuffer,
        bindGroup: device.createBindGroup,
      };
      queue.writeBuffer = ((...a: Parameters<GPUQueue['writeBuffer']>) => {
        made.push(`write ${a[0].label}`);
        return originals.write.apply(queue, a);
      }) as GPUQueue['writeBuffer'];
      device.createBuffer = ((d: GPUBufferDescriptor) => {
        made.push(`buffer ${d.label}`);
        return originals.buffer.call(device, d);
      }) as GPUDevice['createBuffer'];
      device.createBindGroup = ((d: GPUBindGroupDescriptor) => {
        made.push(`bind group ${d.label}`);
        return originals.bindGroup.call(device, d);
      }) as GPUDevice['createBindGroup'];
      const count = (mode: Parameters<GpuMlp['encodeStep']>[1]) => {
        dispatches = 0;
        mlp.encodeStep(pass, mode);
        return dispatches;
      };
      try {
        const net = batchNorm ? 'bn' : 'plain';
        counts[`${net} train`] = count({ train: true, lr: 0.01 });
        expect(count({ train: true, lr: 0.01 })).toBe(counts[`${net} train`]);
        counts[`${net} probe`] = count({ train: true, learn: false, lr: 0.01 });
        counts[`${net} eval`] = count({ train: false, lr: 0 });
      } finally {
        queue.writeBuffer = originals.write;
        device.createBuffer = originals.buffer;
        device.createBindGroup = originals.bindGroup;
      }
      expect(made, 'queue writes and objects made by encodeStep').toEqual([]);
      mlp.destroy();
    }
    console.log(`dispatches per step: ${JSON.stringify(counts)}`);
    expect(counts['bn train']).toBeLessThanOrEqual(30);
    expect(counts['plain train']).toBeLessThanOrEqual(30);
    // The counter's tick and Adam run in the training list only.
    expect(counts['bn train']! - counts['bn probe']!).toBeGreaterThan(2);
    expect(counts['bn probe']).toBe(counts['bn eval']);
  });

  it('a changed learning rate is written once, by the next encodeStep, and then not again', () => {
    const mlp = new GpuMlp(gpu.device, { depth: 1, width: 8, batchNorm: false }, 4, 1, 't.lr');
    const pass = {
      setPipeline: () => {},
      setBindGroup: () => {},
      dispatchWorkgroups: () => {},
    } as unknown as GPUComputePassEncoder;
    const queue = gpu.device.queue;
    const original = queue.writeBuffer;
    let writes = 0;
    queue.writeBuffer = ((...a: Parameters<GPUQueue['writeBuffer']>) => {
      writes++;
      return original.apply(queue, a);
    }) as GPUQueue['writeBuffer'];
    try {
      const perStep = [0.01, 0.01, 0.02, 0.02, 0.02].map((lr) => {
        writes = 0;
        mlp.encodeStep(pass, { train: true, lr });
        return writes;
      });
      expect(perStep).toEqual([1, 0, 1, 0, 0]);
    } finally {
      queue.writeBuffer = original;
    }
    mlp.destroy();
  });
});
