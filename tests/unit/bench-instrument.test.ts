/**
 * The benchmark's bookkeeping, without a GPU: the instrumented device (bench/instrument.ts) around a fake
 * GPUDevice that records calls, and the summary statistics (bench/stats.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Instrument } from '../../bench/instrument';
import { logLogSlope, summarize } from '../../bench/stats';

const MAP_READ = 0x0001;
const COPY_DST = 0x0008;
const STORAGE = 0x0080;

beforeAll(() => {
  // Node has no WebGPU globals; the instrument reads GPUBufferUsage.MAP_READ.
  const g = globalThis as unknown as { GPUBufferUsage?: unknown };
  g.GPUBufferUsage ??= { MAP_READ, COPY_DST, STORAGE, COPY_SRC: 0x0004, QUERY_RESOLVE: 0x0200 };
});

interface FakeBuffer {
  label: string;
  size: number;
  usage: number;
}

function fakeDevice() {
  const log = { copies: [] as unknown[][], submits: 0, dispatches: 0, buffers: 0 };
  const device = {
    features: new Set<string>(),
    queue: {
      submit: () => {
        log.submits++;
      },
      onSubmittedWorkDone: async () => undefined,
      writeBuffer: () => undefined,
    },
    createBuffer: (d: GPUBufferDescriptor): FakeBuffer => {
      log.buffers++;
      return { label: d.label ?? '', size: d.size, usage: d.usage };
    },
    createCommandEncoder: () => ({
      beginComputePass: () => ({
        dispatchWorkgroups: () => {
          log.dispatches++;
        },
        end: () => undefined,
      }),
      copyBufferToBuffer: (...args: unknown[]) => {
        log.copies.push(args);
      },
      finish: () => ({}),
    }),
  };
  return { device: device as unknown as GPUDevice, log };
}

describe('Instrument (bench/instrument.ts)', () => {
  it('counts buffers, passes, dispatches, submits and bytes copied into mappable buffers per measurement', async () => {
    const { device: real, log } = fakeDevice();
    const inst = new Instrument(real);
    expect(inst.timestamps).toBe(false); // the fake has no 'timestamp-query'
    const d = inst.device;
    const storage = d.createBuffer({ label: 'x.storage', size: 4096, usage: STORAGE });
    const mappable = d.createBuffer({ label: 'x.read', size: 1024, usage: MAP_READ | COPY_DST });

    inst.begin();
    const enc = d.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.dispatchWorkgroups(4);
    pass.dispatchWorkgroups(2, 2);
    pass.end();
    enc.copyBufferToBuffer(storage, 0, mappable, 0, 256); // long form: 256 bytes read back
    enc.copyBufferToBuffer(storage, 1024, storage, 0, 512); // not mappable: not counted
    (enc.copyBufferToBuffer as unknown as (s: GPUBuffer, t: GPUBuffer, n?: number) => void)(
      storage,
      mappable,
      100,
    ); // short form: 100 bytes
    (enc.copyBufferToBuffer as unknown as (s: GPUBuffer, t: GPUBuffer) => void)(storage, mappable); // whole source
    d.createBuffer({ label: 'x.fresh', size: 16, usage: STORAGE });
    d.queue.submit([enc.finish()]);
    const probe = await inst.end();

    expect(probe.passes).toBe(1);
    expect(probe.dispatches).toBe(2);
    expect(probe.submits).toBe(1);
    expect(probe.buffersCreated).toBe(1);
    expect(probe.bufferLabels).toEqual(['x.fresh']);
    expect(probe.bytesToReadback).toBe(256 + 100 + 4096);
    expect(probe.gpuMs).toBeNull();
    expect(probe.workDoneAt).not.toBeNull();
    // Every call reached the real (fake) device unchanged.
    expect(log.dispatches).toBe(2);
    expect(log.submits).toBe(1);
    expect(log.buffers).toBe(3);
    expect(log.copies).toHaveLength(4);
    expect(log.copies[0]).toEqual([storage, 0, mappable, 0, 256]);

    inst.begin();
    const again = await inst.end();
    expect(again.buffersCreated).toBe(0);
    expect(again.bytesToReadback).toBe(0);
    expect(again.submits).toBe(0);
  });
});

describe('bench statistics (bench/stats.ts)', () => {
  it('median and quartiles interpolate between order statistics; non-finite values are dropped', () => {
    const s = summarize([5, 1, 3, 2, 4, Number.NaN])!;
    expect(s).toEqual({ n: 5, median: 3, q1: 2, q3: 4, min: 1, max: 5 });
    expect(summarize([1, 2, 3, 4])!.median).toBe(2.5);
    expect(summarize([])).toBeNull();
  });

  it('the log-log slope recovers the exponent of a power law', () => {
    const pts = [64, 128, 256, 512, 1024].map((x) => ({ x, y: 3 * x ** 1.5 }));
    expect(logLogSlope(pts)).toBeCloseTo(1.5, 12);
    expect(logLogSlope([{ x: 10, y: 1 }])).toBeNull();
  });
});
