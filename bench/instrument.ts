/**
 * Benchmark instrumentation around an unmodified GPUDevice: a Proxy that the engines receive instead of the
 * real device. It counts what the engines do (buffers created, compute dispatches, queue submits), records
 * when work is submitted and when the queue reports it done, and — where the device has 'timestamp-query' —
 * adds timestampWrites to every compute pass so that GPU time is measured by the GPU itself.
 *
 * Nothing here changes what the engines compute: timestamp writes and the query resolve are extra commands
 * in the engine's own encoder, and the timer's buffers are created on the real device (not counted).
 * No DOM: runs in the browser and in Node (Dawn).
 */

import { guardPairs, QuantumDetector } from './timestamps';

/** What happened during one measured call. */
export interface Probe {
  buffersCreated: number;
  /** Labels of the buffers created (the engines label every GPU object). */
  bufferLabels: string[];
  dispatches: number;
  passes: number;
  submits: number;
  /** Bytes copied into MAP_READ buffers (copyBufferToBuffer whose destination is mappable): what a
   *  call reads back, counted whatever the engine reports. The harness's own timestamp copy is not counted. */
  bytesToReadback: number;
  /** performance.now() at the first and last queue.submit, and when the last submit's work was done. */
  firstSubmit: number | null;
  lastSubmit: number | null;
  workDone: Promise<number> | null;
}

/** What end() adds: GPU time (null without timestamps, or when every pair was rejected) and the pair counts. */
export interface Measured extends Probe {
  gpuMs: number | null;
  workDoneAt: number | null;
  /** Timestamp pairs (one per compute pass) read in this call, and how many were rejected (bench/timestamps.ts). */
  tsPairs: number;
  tsRejected: number;
}

function freshProbe(): Probe {
  return {
    buffersCreated: 0,
    bufferLabels: [],
    dispatches: 0,
    passes: 0,
    submits: 0,
    bytesToReadback: 0,
    firstSubmit: null,
    lastSubmit: null,
    workDone: null,
  };
}

/** The most a query set may hold (WebGPU): 128 encoder blocks, so a call of up to 128 submits is timed. */
const QUERY_CAPACITY = 4096;
/** Queries per encoder block: resolveQuerySet needs 256-byte-aligned destination offsets (32 × 8 bytes). */
const BLOCK = 32;

type Method = (...a: unknown[]) => unknown;

/**
 * A Proxy `get` that serves `overrides` first and the target's own methods bound once (cached per property),
 * so that hot paths (setPipeline, dispatchWorkgroups, writeBuffer) do not bind a new function per access.
 */
function forwarding<T extends object>(overrides: Record<PropertyKey, unknown>): ProxyHandler<T> {
  const bound = new Map<PropertyKey, { from: Method; to: Method }>();
  return {
    get: (target, prop) => {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const hit = bound.get(prop);
      if (hit?.from === value) return hit.to;
      const to = (value as Method).bind(target);
      bound.set(prop, { from: value as Method, to });
      return to;
    },
  };
}

export class Instrument {
  /** The device to hand to engines. */
  readonly device: GPUDevice;
  readonly timestamps: boolean;
  /** Accepted pass durations of the whole run: were they quantised? */
  readonly quantum = new QuantumDetector();
  private probe: Probe = freshProbe();
  private querySet: GPUQuerySet | null = null;
  private resolveBuffer: GPUBuffer | null = null;
  private mapBuffer: GPUBuffer | null = null;
  /** Query slots handed out in this measurement: [begin, end] index pairs. */
  private pairs: Array<[number, number]> = [];
  private nextBlock = 0;
  private overflow = false;

  constructor(
    readonly real: GPUDevice,
    /** Switches for diagnosing driver problems (bench:node --no-timestamps / --no-workdone). */
    private readonly options: { timestamps?: boolean; workDone?: boolean } = {},
  ) {
    this.timestamps = (options.timestamps ?? true) && real.features.has('timestamp-query');
    if (this.timestamps) {
      this.querySet = real.createQuerySet({
        label: 'bench.timestamps',
        type: 'timestamp',
        count: QUERY_CAPACITY,
      });
      this.resolveBuffer = real.createBuffer({
        label: 'bench.timestamps.resolve',
        size: QUERY_CAPACITY * 8,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      this.mapBuffer = real.createBuffer({
        label: 'bench.timestamps.read',
        size: QUERY_CAPACITY * 8,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    this.device = this.wrapDevice(real);
  }

  /** Starts a measurement: zeroes the counters and the timestamp slots. */
  begin(): void {
    this.probe = freshProbe();
    this.pairs = [];
    this.nextBlock = 0;
    this.overflow = false;
  }

  /** Ends a measurement (after the engine call resolved): counters and, where available, GPU time. */
  async end(): Promise<Measured> {
    const probe = this.probe;
    const workDoneAt = probe.workDone ? await probe.workDone : null;
    let gpuMs: number | null = null;
    let tsPairs = 0;
    let tsRejected = 0;
    if (this.timestamps && this.pairs.length > 0 && !this.overflow) {
      const used = this.nextBlock * BLOCK * 8;
      const encoder = this.real.createCommandEncoder({ label: 'bench.timestamps' });
      encoder.copyBufferToBuffer(this.resolveBuffer!, 0, this.mapBuffer!, 0, used);
      this.real.queue.submit([encoder.finish()]);
      await this.mapBuffer!.mapAsync(GPUMapMode.READ, 0, used);
      const ticks = new BigUint64Array(this.mapBuffer!.getMappedRange(0, used).slice(0));
      this.mapBuffer!.unmap();
      const guarded = guardPairs(ticks, this.pairs);
      this.quantum.add(guarded.durationsNs);
      gpuMs = guarded.gpuMs;
      tsPairs = this.pairs.length;
      tsRejected = guarded.rejected;
    }
    return { ...probe, gpuMs, workDoneAt, tsPairs, tsRejected };
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuffer?.destroy();
    this.mapBuffer?.destroy();
  }

  private wrapDevice(real: GPUDevice): GPUDevice {
    const queue = this.wrapQueue(real.queue);
    return new Proxy(
      real,
      forwarding<GPUDevice>({
        queue,
        createBuffer: (descriptor: unknown) => {
          const d = descriptor as GPUBufferDescriptor;
          this.probe.buffersCreated++;
          this.probe.bufferLabels.push(d.label ?? '(unlabelled)');
          return real.createBuffer(d);
        },
        createCommandEncoder: (descriptor: unknown) =>
          this.wrapEncoder(real.createCommandEncoder(descriptor as GPUCommandEncoderDescriptor | undefined)),
      }),
    );
  }

  private wrapQueue(real: GPUQueue): GPUQueue {
    return new Proxy(
      real,
      forwarding<GPUQueue>({
        submit: (buffers: unknown) => {
          const p = this.probe;
          real.submit(buffers as Iterable<GPUCommandBuffer>);
          const now = performance.now();
          p.submits++;
          p.firstSubmit ??= now;
          p.lastSubmit = now;
          if (this.options.workDone ?? true) {
            p.workDone = real.onSubmittedWorkDone().then(() => performance.now());
          }
        },
      }),
    );
  }

  private wrapEncoder(real: GPUCommandEncoder): GPUCommandEncoder {
    let block = -1;
    let used = 0;
    /** Blocks this encoder wrote: block index → queries used. */
    const mine = new Map<number, number>();
    return new Proxy(
      real,
      forwarding<GPUCommandEncoder>({
        beginComputePass: (d: unknown) => {
          const descriptor = (d ?? {}) as GPUComputePassDescriptor;
          let desc = descriptor;
          if (this.timestamps && !descriptor.timestampWrites) {
            if (block < 0 || used + 2 > BLOCK) {
              block = (this.nextBlock + 1) * BLOCK <= QUERY_CAPACITY ? this.nextBlock++ : -1;
              used = 0;
            }
            if (block >= 0) {
              const b = block * BLOCK + used;
              used += 2;
              mine.set(block, used);
              this.pairs.push([b, b + 1]);
              desc = {
                ...descriptor,
                timestampWrites: {
                  querySet: this.querySet!,
                  beginningOfPassWriteIndex: b,
                  endOfPassWriteIndex: b + 1,
                },
              };
            } else this.overflow = true;
          }
          this.probe.passes++;
          return this.wrapPass(real.beginComputePass(desc));
        },
        copyBufferToBuffer: (...args: unknown[]) => {
          // (src, srcOffset, dst, dstOffset, size) or the short form (src, dst, size?).
          const long = typeof args[1] === 'number';
          const src = args[0] as GPUBuffer;
          const dst = (long ? args[2] : args[1]) as GPUBuffer;
          const size = (long ? args[4] : args[2]) as number | undefined;
          if (dst.usage & GPUBufferUsage.MAP_READ) {
            const srcOffset = long ? (args[1] as number) : 0;
            this.probe.bytesToReadback += size ?? src.size - srcOffset;
          }
          return (real.copyBufferToBuffer as Method).apply(real, args);
        },
        finish: (descriptor: unknown) => {
          // Resolve this encoder's blocks (an encoder may span several blocks when it has many passes).
          for (const [k, n] of mine) {
            real.resolveQuerySet(this.querySet!, k * BLOCK, n, this.resolveBuffer!, k * BLOCK * 8);
          }
          return real.finish(descriptor as GPUCommandBufferDescriptor | undefined);
        },
      }),
    );
  }

  private wrapPass(real: GPUComputePassEncoder): GPUComputePassEncoder {
    const count = (name: 'dispatchWorkgroups' | 'dispatchWorkgroupsIndirect'): Method => {
      const method = real[name] as Method;
      return (...args) => {
        this.probe.dispatches++;
        return method.apply(real, args);
      };
    };
    return new Proxy(
      real,
      forwarding<GPUComputePassEncoder>({
        dispatchWorkgroups: count('dispatchWorkgroups'),
        dispatchWorkgroupsIndirect: count('dispatchWorkgroupsIndirect'),
      }),
    );
  }
}
