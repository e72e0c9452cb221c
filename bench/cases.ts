/**
 * The benchmark cases, shared by the browser runner (bench/browser-entry.ts) and the Node/Dawn runner
 * (bench/node-entry.ts). DOM-free. The engines are used unmodified; they receive an instrumented device
 * (bench/instrument.ts) that counts buffers, dispatches and submits and, where the device has
 * 'timestamp-query', measures GPU time with timestamp writes around every compute pass.
 *
 * Per case and size: one warm-up call (its time is reported as "first run": lazy pipeline compilation and
 * buffer growth), then repeated calls; median and IQR / min–max of
 *   wall      call → results in JavaScript (what a lab interaction costs)
 *   encode    call → last queue.submit (validation, uploads with writeBuffer, encoding)
 *   gpu wall  first submit → queue.onSubmittedWorkDone (GPU work as seen from the CPU)
 *   readback  work done → results in JavaScript (mapAsync + copy out + decode)
 *   gpu ts    sum over compute passes of (end − begin) timestamps, where the device has timestamp-query
 * Engine construction (pipeline creation) is timed on its own.
 *
 * Training (the BatchNorm lab) and diffusion cases are steps: they also report steps per second
 * (stepsPerCall · 1000 / median wall) and the per-step counts (dispatches, submits, bytes read back, GPU
 * buffers created in steady state).
 */
import { adapterName, type GpuContext } from '../src/gpu/device';
import { RandomEngine, runRandomCpu, MAX_COUNT_CPU } from '../src/engine/random';
import { AttentionEngine, runAttentionCpu, type AttentionRunResult } from '../src/engine/attention';
import { initAttentionInputs, repeatTokens, tokenize } from '../src/models/attention-inputs';
import {
  DiffusionCpuEngine,
  DiffusionEngine,
  MAX_PARTICLES_CPU,
  type DiffusionRunner,
  type DiffusionSetup,
  type ReadRequest,
} from '../src/engine/diffusion';
import { makeSchedule } from '../src/models/schedules';
import { makeDataset2D } from '../src/models/datasets2d';
import { parseMlp, type MlpModel } from '../src/models/mlp-denoiser';
import {
  CpuBatchNormEngine,
  GpuBatchNormEngine,
  type BatchNormLabConfig,
  type StepOptions,
} from '../src/engine/batchnorm';
import { GpuMlp } from '../src/engine/nn';
import { CpuMlp, makeBatch, type MlpShape } from '../src/models/mlp';
import { ReadbackPool } from '../src/gpu/readback';
import { trainSteps } from './training';
import twoMoonsMlpUrl from '../public/models/diffusion/two-moons.ksmlp?inline';
import type { AttentionShape } from '../src/kernels/attention/spec';
import { Instrument } from './instrument';
import { formatBytes, formatMs, logLogSlope, summarize, type Stat } from './stats';

export type Family = 'random' | 'attention' | 'training' | 'diffusion';
export const FAMILIES: readonly Family[] = ['random', 'attention', 'training', 'diffusion'];

export interface BenchOptions {
  quick: boolean;
  /** Only families whose name contains this string. */
  filter: string | null;
  /** Diagnostics (Node runner): turn off timestamp queries / onSubmittedWorkDone. Default on. */
  timestamps?: boolean;
  workDone?: boolean;
  /** Seconds after which every remaining case is skipped (a bounded run on a borrowed machine). */
  timeBudgetS?: number | null;
}

/** A peer implementation of attention (TensorFlow.js WebGPU in the browser runner). */
export interface AttentionPeer {
  name: string;
  /** Backend description, e.g. "tfjs-backend-webgpu 4.22.0 (google swiftshader)". */
  backend: string;
  run(
    inputs: { shape: AttentionShape; q: Float32Array; k: Float32Array; v: Float32Array },
    causal: boolean,
  ): Promise<Float32Array>;
  dispose(): void;
}

export interface BenchEnv {
  gpu: GpuContext;
  runner: 'browser' | 'node';
  /** User agent or Node / webgpu package version. */
  host: string;
  attentionPeer?: AttentionPeer | null;
  log(line: string): void;
}

export interface CaseResult {
  family: Family;
  /** gpu | cpu (random, diffusion); staged | fused | fused+pool | cpu | tfjs (attention). */
  variant: string;
  params: Record<string, number | string | boolean>;
  /** The size used for growth slopes: count, L or particles. */
  size: number;
  /** What computed it: the adapter name, "CPU (JavaScript …)" or the peer's backend. */
  backend: string;
  skipped?: string;
  firstRunMs?: number;
  reps?: number;
  wallMs?: Stat | null;
  encodeMs?: Stat | null;
  gpuWallMs?: Stat | null;
  readbackMs?: Stat | null;
  gpuTimestampMs?: Stat | null;
  /** Per call, steady state (measured calls only). Counted by the instrumented device. */
  dispatches?: number;
  submits?: number;
  bytesRead?: number;
  buffersCreatedPerRun?: number;
  /** ReadbackPool.buffersCreated delta per measured call (engine-reported). */
  readbackPoolCreatedPerRun?: number;
  /** Bytes copied into mappable (MAP_READ) buffers per call, counted by the instrumented device. */
  bytesToReadback?: number;
  /** Steps taken by one call (training and diffusion; the pipelined training variant takes several). */
  stepsPerCall?: number;
  /** stepsPerCall · 1000 / median wall time, and the same from the median GPU timestamp time. */
  stepsPerSecond?: number;
  stepsPerSecondGpuTs?: number;
  /** Labels of the buffers created during the last measured call (when any were). */
  buffersCreatedLabels?: string[];
  /** Engine-reported dispatches / submits per call (attention results carry them). */
  engineDispatches?: number;
  engineSubmits?: number;
  /** Agreement with another path in the same run, e.g. "max |fused − staged| = 2.1e-7". */
  check?: string;
}

export interface SuiteResult {
  schema: 1;
  date: string;
  runner: 'browser' | 'node';
  host: string;
  adapter: { name: string; isFallback: boolean; vendor: string; architecture: string; description: string };
  timestampQuery: boolean;
  options: BenchOptions;
  /** Engine construction (pipeline creation), ms. */
  setup: Array<{ what: string; ms: number }>;
  cases: CaseResult[];
  growth: Array<{ family: Family; variant: string; params: string; slope: number | null; sizes: number[] }>;
  ratios: Array<{ family: Family; what: string; params: string; size: number; ratio: number }>;
  notes: string[];
}

interface Plan {
  warmup: number;
  reps: number;
  /** Time budget for the repeated calls of one case (reps shrink to fit, at least 3). */
  repBudgetMs: number;
  /** A GPU case whose predicted call time exceeds this is skipped (sizes grow until then). */
  maxGpuRunMs: number;
  /** The same for the CPU references ("finish within a few seconds"). */
  maxCpuRunMs: number;
  randomCounts: number[];
  attentionL: number[];
  /** Batch sizes of the BatchNorm-lab step sweep (width 128, depth 4). */
  trainingBatches: number[];
  /** Batch sizes at which each network is also measured alone (BN, plain; awaited and pipelined). */
  trainingNetBatches: number[];
  /** Steps submitted back to back per call in the pipelined training variant. */
  pipelinedSteps: number;
  diffusionN: number[];
}

function plan(options: BenchOptions): Plan {
  return options.quick
    ? {
        warmup: 1,
        reps: 5,
        repBudgetMs: 8_000,
        maxGpuRunMs: 4_000,
        maxCpuRunMs: 3_000,
        randomCounts: [1e4, 1e5, 1e6],
        attentionL: [128, 256, 512],
        trainingBatches: [64, 128, 256, 512, 1024],
        trainingNetBatches: [256, 1024],
        pipelinedSteps: 8,
        diffusionN: [1e3, 1e4],
      }
    : {
        warmup: 2,
        reps: 10,
        repBudgetMs: 30_000,
        maxGpuRunMs: 20_000,
        maxCpuRunMs: 5_000,
        randomCounts: [1e4, 1e5, 1e6, 1e7],
        attentionL: [128, 256, 512, 1024, 2048, 4096],
        trainingBatches: [64, 128, 256, 512, 1024],
        trainingNetBatches: [256, 1024],
        pipelinedSteps: 8,
        diffusionN: [1e4, 1e5, 1e6],
      };
}

interface Outcome {
  bytesRead?: number;
  dispatches?: number;
  submits?: number;
}

/** Skips a size when the previous size's median, grown by `exponent`, predicts a call over `maxMs`. */
class Predictor {
  private last = new Map<string, { size: number; ms: number }>();
  constructor(
    private readonly exponent: number,
    /** The run's time budget: a reason to skip when it is spent. */
    private readonly overBudget: () => string | null = () => null,
  ) {}
  record(key: string, size: number, ms: number | undefined): void {
    if (ms !== undefined) this.last.set(key, { size, ms });
  }
  tooSlow(key: string, size: number, maxMs: number): string | null {
    const spent = this.overBudget();
    if (spent) return spent;
    const p = this.last.get(key);
    if (!p) return null;
    const predicted = p.ms * (size / p.size) ** this.exponent;
    return predicted > maxMs
      ? `skipped: predicted ${formatMs(predicted)} per call exceeds the ${formatMs(maxMs)} budget`
      : null;
  }
}

export async function runSuite(env: BenchEnv, options: BenchOptions): Promise<SuiteResult> {
  const { gpu, log } = env;
  const p = plan(options);
  const name = adapterName(gpu.info);
  const inst = new Instrument(gpu.device, { timestamps: options.timestamps, workDone: options.workDone });
  const wrapped: Pick<GpuContext, 'device' | 'info'> = { device: inst.device, info: gpu.info };
  const result: SuiteResult = {
    schema: 1,
    date: new Date().toISOString(),
    runner: env.runner,
    host: env.host,
    adapter: {
      name,
      isFallback: gpu.info.isFallback,
      vendor: gpu.info.vendor,
      architecture: gpu.info.architecture,
      description: gpu.info.description,
    },
    timestampQuery: inst.timestamps,
    options,
    setup: [],
    cases: [],
    growth: [],
    ratios: [],
    notes: [],
  };
  if (gpu.info.isFallback) {
    result.notes.push(
      `SOFTWARE ADAPTER (${name}): the WGSL runs on the CPU, mostly slower than plain JavaScript (the nn kernels use a ` +
        'barrier-free family there, so training is about even). These times are not GPU performance; only ratios ' +
        'measured in the same run and the machine-independent counts carry over.',
    );
  }
  result.notes.push(
    inst.timestamps
      ? 'GPU time: timestamp queries around every compute pass (gpu ts), plus wall clock submit → onSubmittedWorkDone (gpu wall).'
      : 'No timestamp-query on this device: GPU time is wall clock from submit to onSubmittedWorkDone (gpu wall).',
  );
  const wanted = (f: Family) => !options.filter || f.includes(options.filter);
  const started = performance.now();
  /** A reason to skip every case once the run's time budget (--time-budget=SECONDS) is spent. */
  const overBudget = (): string | null =>
    options.timeBudgetS && performance.now() - started > options.timeBudgetS * 1000
      ? `skipped: the run's time budget (${options.timeBudgetS} s) is spent`
      : null;
  if (options.timeBudgetS)
    result.notes.push(
      `Time budget: cases starting after ${options.timeBudgetS} s were skipped (each skipped row says so).`,
    );

  /** Runs one case: warm-up, then reps (shrunk to the budget), collecting times and counts. */
  async function measure(
    c: CaseResult,
    fn: () => Promise<Outcome>,
    extra: { gpu: boolean; poolCount?: () => number; maxReps?: number; warmup?: number },
  ): Promise<void> {
    let first = 0;
    for (let i = 0; i < (extra.warmup ?? p.warmup); i++) {
      const t0 = performance.now();
      await fn();
      if (i === 0) first = performance.now() - t0;
    }
    c.firstRunMs = first;
    const reps = Math.max(
      3,
      Math.min(extra.maxReps ?? p.reps, Math.floor(p.repBudgetMs / Math.max(first, 1e-3))),
    );
    const wall: number[] = [];
    const encode: number[] = [];
    const gpuWall: number[] = [];
    const readback: number[] = [];
    const ts: number[] = [];
    let buffers = 0;
    let dispatches = 0;
    let submits = 0;
    let toReadback = 0;
    let last: Outcome = {};
    let labels: string[] = [];
    const pool0 = extra.poolCount?.() ?? 0;
    for (let i = 0; i < reps; i++) {
      inst.begin();
      const t0 = performance.now();
      last = await fn();
      const t1 = performance.now();
      const probe = await inst.end();
      wall.push(t1 - t0);
      buffers += probe.buffersCreated;
      labels = probe.bufferLabels;
      dispatches += probe.dispatches;
      submits += probe.submits;
      toReadback += probe.bytesToReadback;
      if (extra.gpu && probe.lastSubmit !== null && probe.firstSubmit !== null && probe.workDoneAt !== null) {
        encode.push(probe.lastSubmit - t0);
        gpuWall.push(probe.workDoneAt - probe.firstSubmit);
        readback.push(Math.max(0, t1 - probe.workDoneAt));
      }
      if (probe.gpuMs !== null) ts.push(probe.gpuMs);
    }
    c.reps = reps;
    c.wallMs = summarize(wall);
    if (extra.gpu) {
      c.encodeMs = summarize(encode);
      c.gpuWallMs = summarize(gpuWall);
      c.readbackMs = summarize(readback);
      c.gpuTimestampMs = summarize(ts);
      c.dispatches = dispatches / reps;
      c.submits = submits / reps;
      c.buffersCreatedPerRun = buffers / reps;
      c.bytesToReadback = toReadback / reps;
      if (labels.length) c.buffersCreatedLabels = labels;
      if (extra.poolCount) c.readbackPoolCreatedPerRun = (extra.poolCount() - pool0) / reps;
      if (last.dispatches !== undefined) c.engineDispatches = last.dispatches;
      if (last.submits !== undefined) c.engineSubmits = last.submits;
    }
    if (last.bytesRead !== undefined) c.bytesRead = last.bytesRead;
    else if (extra.gpu) c.bytesRead = c.bytesToReadback;
    if (c.stepsPerCall && c.wallMs) {
      c.stepsPerSecond = (c.stepsPerCall * 1000) / c.wallMs.median;
      if (c.gpuTimestampMs && c.gpuTimestampMs.median > 0)
        c.stepsPerSecondGpuTs = (c.stepsPerCall * 1000) / c.gpuTimestampMs.median;
    }
  }

  function push(c: CaseResult): void {
    result.cases.push(c);
    log(caseLine(c));
  }

  function setupTime<T>(what: string, make: () => T): T {
    const t0 = performance.now();
    const value = make();
    const ms = performance.now() - t0;
    result.setup.push({ what, ms });
    log(`setup  ${what}: ${formatMs(ms)} (engine construction: pipeline creation)`);
    return value;
  }

  // ------------------------------------------------------------------------------------------- random
  if (wanted('random')) {
    const engine = setupTime('RandomEngine', () => new RandomEngine(wrapped));
    const pred = new Predictor(1, overBudget);
    for (const count of p.randomCounts) {
      const params = { transform: 'box-muller' as const, seed: 42, count, bins: 64 };
      const g: CaseResult = {
        family: 'random',
        variant: 'gpu',
        params: { ...params },
        size: count,
        backend: name,
      };
      const slow = pred.tooSlow('gpu', count, p.maxGpuRunMs);
      if (slow) g.skipped = slow;
      else
        await measure(g, async () => engine.run(params), {
          gpu: true,
          poolCount: () => engine.buffersCreated,
        });
      pred.record('gpu', count, g.wallMs?.median);
      push(g);
      const c: CaseResult = {
        family: 'random',
        variant: 'cpu',
        params: { ...params },
        size: count,
        backend: 'CPU (JavaScript float64 reference)',
      };
      const cpuSlow =
        count > MAX_COUNT_CPU
          ? `skipped: above the CPU path's limit (${MAX_COUNT_CPU.toLocaleString('en-US')})`
          : pred.tooSlow('cpu', count, p.maxCpuRunMs);
      if (cpuSlow) c.skipped = cpuSlow;
      else await measure(c, async () => runRandomCpu(params), { gpu: false, maxReps: 5, warmup: 1 });
      pred.record('cpu', count, c.wallMs?.median);
      push(c);
    }
    engine.destroy();
  }

  // ---------------------------------------------------------------------------------------- attention
  if (wanted('attention')) {
    const engine = setupTime('AttentionEngine', () => new AttentionEngine(wrapped));
    const pred = new Predictor(2, overBudget);
    const heads = 8;
    const d = 64;
    const words = tokenize('the quick brown fox jumps over the lazy dog while the cat watches');
    for (const L of p.attentionL) {
      const init = initAttentionInputs({ tokens: repeatTokens(words, L), heads, d, seed: 1 });
      const inputs = { shape: init.shape, q: init.q, k: init.k, v: init.v };
      for (const causal of [false, true]) {
        const mask = causal ? ({ kind: 'causal' } as const) : ({ kind: 'none' } as const);
        const params = { L, heads, d, causal };
        const key = (v: string) => `${v}/${causal}`;
        const outputs: Record<string, Float32Array> = {};
        const gpuCase = async (
          variant: 'staged' | 'fused' | 'fused+pool',
          run: () => Promise<AttentionRunResult>,
          refuse: string | null,
        ) => {
          const c: CaseResult = { family: 'attention', variant, params, size: L, backend: name };
          const slow = refuse ?? pred.tooSlow(key(variant), L, p.maxGpuRunMs);
          if (slow) c.skipped = slow;
          else
            await measure(
              c,
              async () => {
                const r = await run();
                outputs[variant] = r.stages.output!;
                return r;
              },
              { gpu: true, poolCount: () => engine.buffersCreated },
            );
          pred.record(key(variant), L, c.wallMs?.median);
          return c;
        };
        const limit = engine.stagedLimit(init.shape);
        const staged = await gpuCase(
          'staged',
          () => engine.runStaged(inputs, { mask, stages: ['output'] }),
          limit ? `skipped: stagedLimit refuses (${limit.message})` : null,
        );
        push(staged);
        const fused = await gpuCase(
          'fused',
          () => engine.runFused(inputs, { mask, stages: ['output'] }),
          null,
        );
        if (outputs.staged && outputs.fused)
          fused.check = `max |fused − staged| = ${maxAbsDiff(outputs.fused, outputs.staged).toExponential(1)}`;
        push(fused);
        const pooled = await gpuCase(
          'fused+pool',
          () =>
            engine.runFused(inputs, {
              mask,
              stages: ['output'],
              pool: { rows: 256, cols: 256, mode: 'max' },
            }),
          null,
        );
        pooled.params = { ...params, pool: '256×256 max' };
        push(pooled);

        const peer = env.attentionPeer;
        if (peer) {
          const c: CaseResult = {
            family: 'attention',
            variant: 'tfjs',
            params,
            size: L,
            backend: peer.backend,
          };
          const slow = pred.tooSlow(key('tfjs'), L, p.maxGpuRunMs);
          if (slow) c.skipped = slow;
          else {
            let out: Float32Array | null = null;
            await measure(
              c,
              async () => {
                out = await peer.run(inputs, causal);
                return { bytesRead: out.byteLength };
              },
              { gpu: false },
            );
            if (out && outputs.fused)
              c.check = `max |tfjs − fused| = ${maxAbsDiff(out, outputs.fused).toExponential(1)}`;
          }
          pred.record(key('tfjs'), L, c.wallMs?.median);
          push(c);
        }

        const cpu: CaseResult = {
          family: 'attention',
          variant: 'cpu',
          params,
          size: L,
          backend: 'CPU (JavaScript float64 reference)',
        };
        const cpuSlow = pred.tooSlow(key('cpu'), L, p.maxCpuRunMs);
        if (cpuSlow) cpu.skipped = `${cpuSlow} (CPU reference capped at a few seconds per call)`;
        else {
          let out: Float32Array | null = null;
          await measure(
            cpu,
            async () => {
              const r = runAttentionCpu(inputs, { mask, stages: ['output'] });
              out = r.stages.output!;
              return {};
            },
            { gpu: false, maxReps: 3, warmup: 1 },
          );
          if (out && outputs.fused)
            cpu.check = `max |fused − float64| = ${maxAbsDiff(outputs.fused, out).toExponential(1)}`;
        }
        pred.record(key('cpu'), L, cpu.wallMs?.median);
        push(cpu);
      }
    }
    engine.destroy();
  }

  // ----------------------------------------------------------------------------------------- training
  // The BatchNorm lab's training step (src/engine/batchnorm.ts) at width 128, depth 4, ReLU, spirals,
  // lr 0.01: both networks (BN and plain) trained on the same batch, the per-layer channel statistics and
  // the chosen unit's activations read back, one submit — exactly what the lab runs each step. Its CPU twin
  // (CpuBatchNormEngine, float64) is the reference. At trainingNetBatches each network is also measured
  // alone (GpuMlp: one step, loss and accuracy read back, 8 bytes) and pipelined (K steps submitted back to
  // back, only the last loss read: the throughput when the charts read at display rate).
  if (wanted('training')) {
    const pred = new Predictor(1, overBudget);
    const width = 128;
    const depth = 4;
    const task = 'spirals' as const;
    const lr = 0.01;
    const seed = 1;
    const activation = 'relu' as const;
    const stepOptions: StepOptions = { train: true, view: 'train', layer: 0, unit: 0 };
    const K = p.pipelinedSteps;
    for (const B of p.trainingBatches) {
      const config: BatchNormLabConfig = { task, lr, batch: B, depth, width, seed, activation };
      const params = { net: 'lab (BN + plain + stats)', batch: B, width, depth, activation };
      const g: CaseResult = {
        family: 'training',
        variant: 'gpu',
        params,
        size: B,
        backend: name,
        stepsPerCall: 1,
      };
      const slow = pred.tooSlow('gpu/lab', B, p.maxGpuRunMs);
      if (slow) g.skipped = slow;
      else {
        const engine = setupTime(
          `GpuBatchNormEngine batch ${B}`,
          () => new GpuBatchNormEngine(wrapped, config),
        );
        await measure(g, async () => (await engine.step(stepOptions), {}), { gpu: true });
        engine.destroy();
      }
      pred.record('gpu/lab', B, g.wallMs?.median);
      push(g);
      const c: CaseResult = {
        family: 'training',
        variant: 'cpu',
        params,
        size: B,
        backend: 'CPU (JavaScript float64 reference)',
        stepsPerCall: 1,
      };
      const cpuSlow = pred.tooSlow('cpu/lab', B, p.maxCpuRunMs);
      if (cpuSlow) c.skipped = cpuSlow;
      else {
        const engine = new CpuBatchNormEngine(config);
        await measure(c, async () => (await engine.step(stepOptions), {}), {
          gpu: false,
          maxReps: 5,
          warmup: 1,
        });
      }
      pred.record('cpu/lab', B, c.wallMs?.median);
      push(c);

      if (!p.trainingNetBatches.includes(B)) continue;
      for (const net of ['bn', 'plain'] as const) {
        const shape: MlpShape = { depth, width, batchNorm: net === 'bn', activation };
        const netParams = { net, batch: B, width, depth, activation };
        let step = 0;
        let awaited: CaseResult | null = null;
        for (const pipelined of [false, true]) {
          const steps = pipelined ? K : 1;
          const variant = pipelined ? 'gpu-pipelined' : 'gpu';
          const gc: CaseResult = {
            family: 'training',
            variant,
            params: pipelined ? { ...netParams, stepsPerCall: K } : netParams,
            size: B,
            backend: name,
            stepsPerCall: steps,
          };
          const key = `${variant}/${net}`;
          // The pipelined call takes about K awaited steps: skip it when those predict a call over budget.
          const awaitedMs = pipelined ? awaited?.wallMs?.median : undefined;
          const netSlow =
            pred.tooSlow(key, B, p.maxGpuRunMs) ??
            (pipelined && awaited?.skipped ? 'skipped: the awaited step was skipped' : null) ??
            (awaitedMs !== undefined && awaitedMs * steps > p.maxGpuRunMs
              ? `skipped: ${steps} awaited steps took ${formatMs(awaitedMs * steps)}, over the ${formatMs(p.maxGpuRunMs)} budget`
              : null);
          if (netSlow) gc.skipped = netSlow;
          else {
            const mlp = setupTime(
              `GpuMlp ${net} batch ${B}`,
              () => new GpuMlp(inst.device, shape, B, seed, `bench.training.${net}`),
            );
            const pool = new ReadbackPool(inst.device, `bench.training.${net}`);
            await measure(
              gc,
              async () => {
                const r = await trainSteps(mlp, pool, { task, seed, lr, first: step, steps });
                step += steps;
                if (!Number.isFinite(r.loss)) throw new Error(`training ${net}: the loss is ${r.loss}`);
                return {};
              },
              { gpu: true, poolCount: () => pool.buffersCreated },
            );
            pool.destroy();
            mlp.destroy();
          }
          pred.record(key, B, gc.wallMs?.median);
          push(gc);
          if (!pipelined) awaited = gc;
        }
        const cc: CaseResult = {
          family: 'training',
          variant: 'cpu',
          params: netParams,
          size: B,
          backend: 'CPU (JavaScript float64 reference)',
          stepsPerCall: 1,
        };
        const key = `cpu/${net}`;
        const cpuNetSlow = pred.tooSlow(key, B, p.maxCpuRunMs);
        if (cpuNetSlow) cc.skipped = cpuNetSlow;
        else {
          const mlp = new CpuMlp(shape, seed);
          let cpuStep = 0;
          await measure(
            cc,
            async () => {
              mlp.step(makeBatch(task, seed, cpuStep++, B), { lr, train: true });
              return {};
            },
            { gpu: false, maxReps: 5, warmup: 1 },
          );
        }
        pred.record(key, B, cc.wallMs?.median);
        push(cc);
      }
    }
    result.notes.push(
      `Training: width ${width}, depth ${depth}, ${activation}, task ${task}, lr ${lr}, Adam. "lab" = one ` +
        'GpuBatchNormEngine.step (both networks, all statistics, the unit activations; what the BatchNorm lab ' +
        `runs per step); "bn"/"plain" = one network alone, reading back loss and accuracy; gpu-pipelined = ${K} ` +
        'steps submitted back to back, only the last loss read (per-step figures divide by the steps per call).',
    );
  }

  // ---------------------------------------------------------------------------------------- diffusion
  // One DiffusionEngine.step() reading back the 128×128 density grid the lab draws, for each denoiser
  // (exact on 1000 two-moons points, Gaussian N(μ, Σ), the shipped two-moons ε-MLP) and each sampler family
  // (DDPM σ² = β̃, DDIM η = 0, probability-flow ODE with Heun: two denoiser evaluations per step), against
  // the CPU twin (DiffusionCpuEngine, float64).
  if (wanted('diffusion')) {
    const pred = new Predictor(1, overBudget);
    const moons = makeDataset2D({ kind: 'two-moons', n: 1000, seed: 1 });
    const gaussianSpec = {
      mean: [0.5, -0.25] as [number, number],
      cov: [
        [1, 0.3],
        [0.3, 0.5],
      ] as [[number, number], [number, number]],
    };
    const gaussianData = makeDataset2D({ kind: 'gaussian', n: 1000, seed: 1, gaussian: gaussianSpec });
    const law = { mean: gaussianSpec.mean, cov: gaussianSpec.cov.flat() };
    const mlp = loadBundledMlp();
    const schedule = makeSchedule({ kind: 'cosine', T: 1000 });
    const read: ReadRequest = { density: { size: 128, xMin: -3, xMax: 3, yMin: -3, yMax: 3 } };
    const gpuEngine = setupTime('DiffusionEngine', () => new DiffusionEngine(wrapped));
    const cpuEngine = new DiffusionCpuEngine();
    const denoisers: Array<{ name: string; data: Float32Array; choice: DiffusionSetup['denoiser'] }> = [
      // The issue's target (DDIM, MLP, 10⁶ particles) first, so a time-budgeted run measures it.
      { name: 'mlp', data: moons, choice: { kind: 'mlp', model: mlp } },
      { name: 'exact', data: moons, choice: { kind: 'exact' } },
      { name: 'gaussian', data: gaussianData, choice: { kind: 'gaussian', law } },
    ];
    const samplers: Array<{ name: string; spec: DiffusionSetup['sampler'] }> = [
      { name: 'ddim', spec: { kind: 'ddim', eta: 0 } },
      { name: 'ddpm', spec: { kind: 'ddpm', variance: 'beta-tilde' } },
      { name: 'ode-heun', spec: { kind: 'ode', method: 'heun' } },
    ];
    for (const den of denoisers) {
      for (const sampler of samplers) {
        for (const count of p.diffusionN) {
          const setup: DiffusionSetup = {
            schedule,
            data: den.data,
            dim: 2,
            count,
            seed: 7,
            sampler: sampler.spec,
            steps: 1000,
            denoiser: den.choice,
          };
          const params = {
            particles: count,
            denoiser: den.name,
            sampler: sampler.name,
            data: den.name === 'exact' ? 1000 : 0,
            grid: 128,
          };
          for (const [variant, engine, maxMs] of [
            ['gpu', gpuEngine, p.maxGpuRunMs],
            ['cpu', cpuEngine, p.maxCpuRunMs],
          ] as Array<[string, DiffusionRunner, number]>) {
            const c: CaseResult = {
              family: 'diffusion',
              variant,
              params,
              size: count,
              backend: variant === 'gpu' ? name : 'CPU (JavaScript float64 reference)',
              stepsPerCall: 1,
            };
            const key = `${variant}/${den.name}/${sampler.name}`;
            const slow =
              variant === 'cpu' && count > MAX_PARTICLES_CPU
                ? `skipped: above the CPU path's limit (${MAX_PARTICLES_CPU.toLocaleString('en-US')})`
                : pred.tooSlow(key, count, maxMs);
            if (slow) c.skipped = slow;
            else {
              await engine.setup(setup);
              await measure(
                c,
                async () => {
                  if (engine.done) await engine.restart({ from: 'noise' });
                  return engine.step(read);
                },
                {
                  gpu: variant === 'gpu',
                  poolCount: variant === 'gpu' ? () => gpuEngine.buffersCreated : undefined,
                  maxReps: variant === 'cpu' ? 5 : undefined,
                  warmup: variant === 'cpu' ? 1 : undefined,
                },
              );
            }
            pred.record(key, count, c.wallMs?.median);
            push(c);
          }
        }
      }
    }
    gpuEngine.destroy();
    cpuEngine.destroy();
    result.notes.push(
      'Diffusion: cosine schedule T = 1000, 1000 sampler steps, seed 7; exact = 1000 two-moons points; ' +
        'gaussian = N((0.5, −0.25), [[1, 0.3], [0.3, 0.5]]); mlp = public/models/diffusion/two-moons.ksmlp. ' +
        'Each step reads back the 128×128 density grid. Steps use the default step-back history (256 MiB); ' +
        'the labels of every buffer created during a measured step are listed under the case.',
    );
  }

  inst.destroy();
  derive(result);
  return result;
}

/** The shipped two-moons ε-MLP, inlined into the bundle by Vite (a base64 data URL). */
function loadBundledMlp(): MlpModel {
  const comma = twoMoonsMlpUrl.indexOf(',');
  if (!twoMoonsMlpUrl.startsWith('data:') || !twoMoonsMlpUrl.slice(0, comma).endsWith(';base64'))
    throw new Error('bench: the two-moons MLP was not inlined as a base64 data URL (needs Vite ?inline).');
  const bytes = Uint8Array.from(atob(twoMoonsMlpUrl.slice(comma + 1)), (ch) => ch.charCodeAt(0));
  return parseMlp(bytes.buffer);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function paramsKey(params: CaseResult['params'], omit: string): string {
  return Object.entries(params)
    .filter(([k]) => k !== omit && k !== 'pool')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

const SIZE_KEY: Record<Family, string> = {
  random: 'count',
  attention: 'L',
  training: 'batch',
  diffusion: 'particles',
};

/** Growth slopes and ratios from the medians of one run. */
function derive(r: SuiteResult): void {
  const done = r.cases.filter((c) => c.wallMs);
  const groups = new Map<string, CaseResult[]>();
  for (const c of done) {
    const k = `${c.family}|${c.variant}|${paramsKey(c.params, SIZE_KEY[c.family])}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [k, cs] of groups) {
    const [family, variant, params] = k.split('|') as [Family, string, string];
    if (cs.length < 2) continue;
    r.growth.push({
      family,
      variant,
      params,
      slope: logLogSlope(cs.map((c) => ({ x: c.size, y: c.wallMs!.median }))),
      sizes: cs.map((c) => c.size),
    });
  }
  const find = (family: Family, variant: string, like: CaseResult) =>
    done.find(
      (c) =>
        c.family === family &&
        c.variant === variant &&
        c.size === like.size &&
        paramsKey(c.params, '') === paramsKey(like.params, ''),
    );
  for (const c of done) {
    const params = paramsKey(c.params, SIZE_KEY[c.family]);
    const ratio = (what: string, num: CaseResult | undefined, den: CaseResult | undefined) => {
      if (num?.wallMs && den?.wallMs)
        r.ratios.push({
          family: c.family,
          what,
          params,
          size: c.size,
          ratio: num.wallMs.median / den.wallMs.median,
        });
    };
    if (c.family === 'attention' && c.variant === 'fused') {
      ratio('CPU reference ÷ fused', find('attention', 'cpu', c), c);
      ratio('staged ÷ fused', find('attention', 'staged', c), c);
      ratio('tfjs ÷ fused', find('attention', 'tfjs', c), c);
      ratio('tfjs ÷ staged', find('attention', 'tfjs', c), find('attention', 'staged', c));
    }
    if (c.family !== 'attention' && c.variant === 'gpu') {
      ratio('CPU reference ÷ GPU', find(c.family, 'cpu', c), c);
    }
    if (c.family === 'training' && c.variant === 'gpu-pipelined' && c.stepsPerCall) {
      // Per step: one awaited step against one step of a pipelined call.
      const { stepsPerCall: _k, ...rest } = c.params;
      const awaited = done.find(
        (d) =>
          d.family === 'training' &&
          d.variant === 'gpu' &&
          d.size === c.size &&
          paramsKey(d.params, '') === paramsKey(rest, ''),
      );
      if (awaited?.wallMs && c.wallMs)
        r.ratios.push({
          family: c.family,
          what: 'awaited ÷ pipelined step',
          params,
          size: c.size,
          ratio: awaited.wallMs.median / (c.wallMs.median / c.stepsPerCall),
        });
    }
  }
}

function stat(s: Stat | null | undefined): string {
  if (!s) return '—';
  return `${formatMs(s.median)} [${formatMs(s.q1)}–${formatMs(s.q3)}]`;
}

function caseLine(c: CaseResult): string {
  const head = `${c.family.padEnd(9)} ${c.variant.padEnd(10)} ${paramsKey(c.params, '').padEnd(40)}`;
  if (c.skipped) return `${head} ${c.skipped}`;
  return `${head} median ${stat(c.wallMs)} (${c.reps} runs) on ${c.backend}`;
}

/** The text report both runners print. */
export function formatReport(r: SuiteResult): string {
  const lines: string[] = [];
  const bar = '='.repeat(100);
  lines.push(bar);
  lines.push(`Kernelscope benchmark — ${r.runner} — ${r.date}`);
  lines.push(`Adapter: ${r.adapter.name}${r.adapter.description ? ` — ${r.adapter.description}` : ''}`);
  lines.push(`Host: ${r.host}`);
  lines.push(
    `Options: ${r.options.quick ? '--quick' : 'full'}${r.options.filter ? ` --filter=${r.options.filter}` : ''}`,
  );
  if (r.adapter.isFallback) {
    lines.push('');
    lines.push('!'.repeat(100));
    lines.push(`!! SOFTWARE ADAPTER: ${r.adapter.name}`);
    lines.push(
      '!! WGSL runs on the CPU here, mostly slower than plain JavaScript. The times below are NOT GPU',
    );
    lines.push('!! performance. Compare only ratios from this run and the machine-independent counts.');
    lines.push('!'.repeat(100));
  }
  lines.push(bar);
  lines.push('');
  lines.push('Engine construction (pipeline creation, excluded from the runs):');
  for (const s of r.setup) lines.push(`  ${s.what.padEnd(18)} ${formatMs(s.ms)}`);
  lines.push('');
  const label = `[${r.adapter.name}]`;
  lines.push(
    'Times: median [IQR]. wall = call → results in JS; encode = call → submit; gpu wall = submit → ' +
      'onSubmittedWorkDone; readback = done → results; gpu ts = timestamp queries.',
  );
  lines.push(
    'Per call: dispatches / submits / bytes read back / GPU buffers created in steady state (engine readback-pool delta).',
  );
  for (const family of FAMILIES) {
    const cs = r.cases.filter((c) => c.family === family);
    if (cs.length === 0) continue;
    lines.push('');
    lines.push(`── ${family} ${'─'.repeat(90 - family.length)}`);
    for (const c of cs) {
      const who = c.variant === 'cpu' ? '[CPU JS]' : c.variant === 'tfjs' ? `[${c.backend}]` : label;
      const head = `${c.variant.padEnd(10)} ${paramsKey(c.params, '').padEnd(44)}`;
      if (c.skipped) {
        lines.push(`${head} ${c.skipped}`);
        continue;
      }
      lines.push(`${head} wall ${stat(c.wallMs)}  first ${formatMs(c.firstRunMs)}  n=${c.reps}  ${who}`);
      const parts: string[] = [];
      if (c.encodeMs) parts.push(`encode ${stat(c.encodeMs)}`);
      if (c.gpuWallMs) parts.push(`gpu wall ${stat(c.gpuWallMs)}`);
      if (c.readbackMs) parts.push(`readback ${stat(c.readbackMs)}`);
      if (c.gpuTimestampMs) parts.push(`gpu ts ${stat(c.gpuTimestampMs)}`);
      if (parts.length) lines.push(`${''.padEnd(11)}${parts.join('  ')}`);
      if (c.stepsPerSecond !== undefined)
        lines.push(
          `${''.padEnd(11)}${fmtRate(c.stepsPerSecond)} steps/s (wall)` +
            (c.stepsPerSecondGpuTs !== undefined
              ? `, ${fmtRate(c.stepsPerSecondGpuTs)} steps/s from GPU timestamps alone`
              : '') +
            ((c.stepsPerCall ?? 1) > 1 ? `; ${c.stepsPerCall} steps per call, counts below per call` : ''),
        );
      const counts: string[] = [];
      if (c.dispatches !== undefined) counts.push(`${fmtN(c.dispatches)} dispatches`);
      if (c.submits !== undefined) counts.push(`${fmtN(c.submits)} submits`);
      if (c.engineDispatches !== undefined)
        counts.push(`(engine says ${c.engineDispatches} dispatches, ${c.engineSubmits} submits)`);
      if (c.bytesRead !== undefined) counts.push(`${formatBytes(c.bytesRead)} read back`);
      if (c.buffersCreatedPerRun !== undefined)
        counts.push(
          `${fmtN(c.buffersCreatedPerRun)} buffers created/run (readback pool ${fmtN(c.readbackPoolCreatedPerRun ?? 0)})`,
        );
      if (c.bytesToReadback !== undefined && c.bytesToReadback !== c.bytesRead)
        counts.push(`${formatBytes(c.bytesToReadback)} copied to mappable buffers`);
      if (c.check) counts.push(c.check);
      if (counts.length) lines.push(`${''.padEnd(11)}${counts.join(', ')}`);
      if (c.buffersCreatedLabels)
        lines.push(`${''.padEnd(11)}buffers created in the last run: ${c.buffersCreatedLabels.join(', ')}`);
    }
  }
  lines.push('');
  lines.push('Growth (log-log slope of median wall time against size):');
  for (const g of r.growth) {
    lines.push(
      `  ${g.family.padEnd(9)} ${g.variant.padEnd(10)} ${g.params.padEnd(44)} slope ${g.slope === null ? '—' : g.slope.toFixed(2)} over ${g.sizes.join(', ')}`,
    );
  }
  lines.push('');
  lines.push(`Ratios of median wall times (same run, ${r.adapter.name}; > 1 means the first is slower):`);
  for (const q of r.ratios) {
    lines.push(
      `  ${q.family.padEnd(9)} ${q.what.padEnd(24)} ${SIZE_KEY[q.family]}=${String(q.size).padEnd(8)} ${q.params.padEnd(34)} ${q.ratio.toFixed(2)}×`,
    );
  }
  lines.push('');
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n');
}

function fmtRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

function fmtN(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}
