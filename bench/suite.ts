/**
 * What every family's cases share in one run: the instrumented device, the plan, the result being filled,
 * and `measure` (one warm-up call timed as "first run", then repeated calls; median and IQR of wall, encode,
 * gpu wall, readback and gpu ts, plus the per-call counts from the instrumented device).
 */
import { adapterName, type GpuContext } from '../src/gpu/device';
import { Instrument } from './instrument';
import { plan, Predictor, warmupDone, type Plan } from './plan';
import { caseLine } from './report';
import { formatMs, summarize } from './stats';
import type { BenchEnv, BenchOptions, CaseResult, Family, SuiteResult } from './types';

/** What one measured call may report about itself. */
export interface Outcome {
  bytesRead?: number;
  dispatches?: number;
  submits?: number;
}

export interface MeasureOptions {
  gpu: boolean;
  poolCount?: () => number;
  maxReps?: number;
  /** The fewest warm-up calls (default 1); warm-up lasts at least plan.warmupMs as well. */
  warmup?: number;
}

/** "nvidia hopper — nvidia-h200" → "nvidia-hopper-nvidia-h200": the adapter part of a result file's name. */
export function adapterSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

export class Suite {
  readonly p: Plan;
  /** The adapter's name, the `backend` of every GPU case. */
  readonly name: string;
  readonly inst: Instrument;
  /** The context handed to the engines: the instrumented device. */
  readonly wrapped: Pick<GpuContext, 'device' | 'info'>;
  readonly result: SuiteResult;
  private readonly started = performance.now();

  constructor(
    readonly env: BenchEnv,
    readonly options: BenchOptions,
  ) {
    const { gpu } = env;
    this.p = plan(options);
    this.name = adapterName(gpu.info);
    this.inst = new Instrument(gpu.device, { timestamps: options.timestamps, workDone: options.workDone });
    this.wrapped = { device: this.inst.device, info: gpu.info };
    this.result = {
      schema: 1,
      date: new Date().toISOString(),
      runner: env.runner,
      host: env.host,
      adapter: {
        name: this.name,
        slug: adapterSlug(this.name),
        isFallback: gpu.info.isFallback,
        vendor: gpu.info.vendor,
        architecture: gpu.info.architecture,
        device: gpu.info.device,
        description: gpu.info.description,
      },
      timestampQuery: this.inst.timestamps,
      ...(env.timestampRequest ? { timestampRequest: env.timestampRequest } : {}),
      options,
      setup: [],
      cases: [],
      growth: [],
      ratios: [],
      notes: [],
    };
  }

  wanted(f: Family): boolean {
    return !this.options.filter || f.includes(this.options.filter);
  }

  /** A reason to skip every case once the run's time budget (--time-budget=SECONDS) is spent. */
  overBudget(): string | null {
    const { timeBudgetS } = this.options;
    return timeBudgetS && performance.now() - this.started > timeBudgetS * 1000
      ? `skipped: the run's time budget (${timeBudgetS} s) is spent`
      : null;
  }

  /** A size predictor (call time ∝ size^exponent) that also skips once the time budget is spent. */
  predictor(exponent: number): Predictor {
    return new Predictor(exponent, () => this.overBudget());
  }

  note(text: string): void {
    this.result.notes.push(text);
  }

  push(c: CaseResult): void {
    this.result.cases.push(c);
    this.env.log(caseLine(c));
  }

  setupTime<T>(what: string, make: () => T): T {
    const t0 = performance.now();
    const value = make();
    const ms = performance.now() - t0;
    this.result.setup.push({ what, ms });
    this.env.log(`setup  ${what}: ${formatMs(ms)} (engine construction: pipeline creation)`);
    return value;
  }

  /** Runs one case: warm-up, then reps (shrunk to the budget), collecting times and counts into `c`. */
  async measure(c: CaseResult, fn: () => Promise<Outcome>, extra: MeasureOptions): Promise<void> {
    const { p, inst } = this;
    // Warm-up by time (plan.warmupMs), the first call timed as "first run"; reps sized from the last call.
    let first = 0;
    let lastCall = 0;
    let calls = 0;
    const w0 = performance.now();
    do {
      const t0 = performance.now();
      await fn();
      lastCall = performance.now() - t0;
      if (calls === 0) first = lastCall;
      calls++;
    } while (!warmupDone(calls, performance.now() - w0, p.warmupMs, extra.warmup));
    c.firstRunMs = first;
    c.warmupCalls = calls;
    c.warmupMs = performance.now() - w0;
    const reps = Math.max(
      3,
      Math.min(extra.maxReps ?? p.reps, Math.floor(p.repBudgetMs / Math.max(lastCall, 1e-3))),
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
    let tsPairs = 0;
    let tsRejected = 0;
    let tsNone = 0;
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
      tsPairs += probe.tsPairs;
      tsRejected += probe.tsRejected;
      if (probe.tsPairs > 0 && probe.gpuMs === null) tsNone++;
    }
    c.reps = reps;
    c.wallMs = summarize(wall);
    if (extra.gpu) {
      c.encodeMs = summarize(encode);
      c.gpuWallMs = summarize(gpuWall);
      c.readbackMs = summarize(readback);
      c.gpuTimestampMs = summarize(ts);
      if (inst.timestamps) c.timestamps = { pairs: tsPairs, rejected: tsRejected, callsWithoutTime: tsNone };
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
}
