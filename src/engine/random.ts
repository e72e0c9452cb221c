/**
 * Random lab engine: generate → moments → histogram in one submit, reading back only the 20-byte
 * moments and the bin counts. A CPU path computes the same outputs from the float64 references.
 *
 * Long runs (more than `batchValues` values, 2²¹ by default: the lab's 10⁷) generate in batches, one submit
 * each, then reduce moments and histogram in a last submit; between submits the engine reports progress
 * and checks the AbortSignal (RunControl), so Cancel takes effect within one batch. The batches write
 * exactly the values of a single dispatch, so results do not depend on the batching.
 */
import { msg, str } from '@lit/localize';
import type { GpuContext } from '../gpu/device';
import { withErrorScopes } from '../gpu/device';
import { checkStorageSize } from '../gpu/limits';
import { ReadbackPool, encodeReadback } from '../gpu/readback';
import { createStorageBuffer, submitCheckpoint, throwIfAborted, type RunControl } from '../gpu/compute';
import { formatCount } from '../util/format';
import { RandomKernel } from '../kernels/random/random';
import { MomentsKernel, MOMENTS_BYTES } from '../kernels/random/moments';
import { HistogramKernel } from '../kernels/random/histogram';
import { centralSums, histogramReference, momentsFromSums, sampleReference } from '../kernels/random/ref';
import {
  histogramSpec,
  type CentralSums,
  type HistogramSpec,
  type Moments,
  type Transform,
} from '../kernels/random/spec';

export interface RandomParams {
  transform: Transform;
  seed: number;
  count: number;
  bins?: number;
}

export interface RandomResult {
  params: RandomParams;
  sums: CentralSums;
  moments: Moments;
  spec: HistogramSpec;
  /** bins + 2 counts: the last two are underflow and overflow. */
  counts: Uint32Array;
  backend: string;
  /** Wall time from submit to results on the CPU side, ms. */
  elapsedMs: number;
  /** Bytes copied from GPU to JavaScript for this run. */
  bytesRead: number;
  /** Queue submits this run made (1, or batches + 1 for a long run; 0 on the CPU). */
  submits: number;
}

/** Above this many values a run generates in batches of about this many, one submit each. */
const BATCH_VALUES = 2 ** 21;

export class RandomEngine {
  private readonly generator: RandomKernel;
  private readonly moments: MomentsKernel;
  private readonly histogram: HistogramKernel;
  private readonly readback: ReadbackPool;
  private samples: GPUBuffer | null = null;

  /** Values per generation submit in a long run (tests use a small one to exercise batching). */
  private readonly batchValues: number;

  constructor(
    private readonly gpu: Pick<GpuContext, 'device' | 'info'>,
    options: { batchValues?: number } = {},
  ) {
    const { device } = gpu;
    this.batchValues = options.batchValues ?? BATCH_VALUES;
    this.generator = new RandomKernel(device, 'random.generate');
    this.moments = new MomentsKernel(device, 'random.moments');
    this.histogram = new HistogramKernel(device, 'random.histogram');
    this.readback = new ReadbackPool(device, 'random');
  }

  /** The samples buffer, grown (never shrunk) to hold `count` values. */
  private samplesFor(count: number): GPUBuffer {
    const bytes = count * 4;
    checkStorageSize(this.gpu.info, `${count.toLocaleString('en-US')} samples`, bytes);
    if (!this.samples || this.samples.size < bytes) {
      this.samples?.destroy();
      this.samples = createStorageBuffer(this.gpu.device, 'random.samples', bytes);
    }
    return this.samples;
  }

  get buffersCreated(): number {
    return this.readback.buffersCreated;
  }

  /**
   * Generates `params.count` values and reduces them. Up to `batchValues` values: ONE submit. Longer runs:
   * ⌈count / batchValues⌉ generation submits and one reduction submit, with progress and cancellation
   * between them (`control`); rejects with an AbortError when cancelled, leaving the engine usable.
   */
  async run(params: RandomParams, control: RunControl = {}): Promise<RandomResult> {
    const { device } = this.gpu;
    const { signal, onProgress } = control;
    throwIfAborted(signal);
    const spec = histogramSpec(params.transform, params.bins);
    const start = performance.now();
    return withErrorScopes(device, msg('Random lab'), async () => {
      const samples = this.samplesFor(params.count);
      const options = { transform: params.transform, count: params.count, key: { seed: params.seed } };
      const threads = RandomKernel.threads(params.transform, params.count);
      const perBatch = RandomKernel.threads(params.transform, this.batchValues);
      const batches = params.count > this.batchValues ? Math.ceil(threads / perBatch) : 0;
      const total = batches + 1;
      for (let b = 0; b < batches; b++) {
        onProgress?.({
          phase: 'run',
          message: msg(str`Generating ${formatCount(params.count)} values: batch ${b + 1} of ${batches}…`),
          done: b,
          total,
        });
        const encoder = device.createCommandEncoder({ label: 'random.generateBatch' });
        const first = b * perBatch;
        this.generator.encode(encoder, samples, {
          ...options,
          threads: { first, count: Math.min(perBatch, threads - first) },
        });
        device.queue.submit([encoder.finish()]);
        await submitCheckpoint(device, signal);
      }
      onProgress?.({
        phase: 'run',
        message: batches
          ? msg('Reducing moments and histogram (one GPU submit)…')
          : msg('Generating and reducing (one GPU submit)…'),
        done: batches,
        total,
      });
      const encoder = device.createCommandEncoder({ label: 'random.run' });
      if (!batches) this.generator.encode(encoder, samples, options);
      const momentsBuffer = this.moments.encode(encoder, samples, params.count);
      const countsBuffer = this.histogram.encode(encoder, samples, params.count, spec);
      const countBytes = (spec.bins + 2) * 4;
      const momentsRead = encodeReadback(encoder, this.readback, momentsBuffer, MOMENTS_BYTES);
      const countsRead = encodeReadback(encoder, this.readback, countsBuffer, countBytes);
      device.queue.submit([encoder.finish()]);
      const [mBytes, cBytes] = await Promise.all([
        this.readback.read(momentsRead, MOMENTS_BYTES),
        this.readback.read(countsRead, countBytes),
      ]);
      const sums = MomentsKernel.decode(mBytes);
      return {
        params,
        sums,
        moments: momentsFromSums(sums),
        spec,
        counts: new Uint32Array(cBytes),
        backend: 'gpu',
        elapsedMs: performance.now() - start,
        bytesRead: MOMENTS_BYTES + countBytes,
        submits: total,
      };
    });
  }

  /** Reads back the first `n` generated values (tests and the KS check only; the lab never does this). */
  async sample(params: RandomParams, n = params.count): Promise<Float32Array> {
    const { device } = this.gpu;
    return withErrorScopes(device, msg('Random samples'), async () => {
      const samples = this.samplesFor(params.count);
      const encoder = device.createCommandEncoder({ label: 'random.sample' });
      this.generator.encode(encoder, samples, {
        transform: params.transform,
        count: params.count,
        key: { seed: params.seed },
      });
      const read = encodeReadback(encoder, this.readback, samples, n * 4);
      device.queue.submit([encoder.finish()]);
      return new Float32Array(await this.readback.read(read, n * 4));
    });
  }

  destroy(): void {
    this.generator.destroy();
    this.moments.destroy();
    this.histogram.destroy();
    this.readback.destroy();
    this.samples?.destroy();
  }
}

/** The same outputs computed on the CPU from the float64 references (values rounded to f32 like the GPU's). */
export function runRandomCpu(params: RandomParams): RandomResult {
  const start = performance.now();
  const spec = histogramSpec(params.transform, params.bins);
  const values = Float32Array.from(sampleReference(params.transform, params.count, { seed: params.seed }));
  const sums = centralSums(values);
  return {
    params,
    sums,
    moments: momentsFromSums(sums),
    spec,
    counts: histogramReference(values, spec),
    backend: 'cpu',
    elapsedMs: performance.now() - start,
    bytesRead: 0,
    submits: 0,
  };
}
