/** The benchmark's options, environment and result types (the results JSON that bench/tables.mjs reads). */
import type { GpuContext } from '../src/gpu/device';
import type { AttentionShape } from '../src/kernels/attention/spec';
import type { Stat } from './stats';
import type { Quantisation } from './timestamps';

export type Family = 'random' | 'attention' | 'training' | 'diffusion' | 'recommend' | 'induction' | 'gpt2';
export const FAMILIES: readonly Family[] = [
  'random',
  'attention',
  'training',
  'diffusion',
  'recommend',
  'induction',
  'gpt2',
];

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
  /** How the runner asked for unquantised timestamps (Dawn toggles / Chromium flags), for the result file. */
  timestampRequest?: string;
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
  /** Warm-up calls before the timed ones, and how long they took in all (≥ plan.warmupMs). */
  warmupCalls?: number;
  warmupMs?: number;
  reps?: number;
  wallMs?: Stat | null;
  encodeMs?: Stat | null;
  gpuWallMs?: Stat | null;
  readbackMs?: Stat | null;
  gpuTimestampMs?: Stat | null;
  /** Timestamp pairs read over the measured calls, pairs rejected (zero, reversed, absurd) and calls whose every
   *  pair was rejected (their GPU time is none, left out of gpuTimestampMs). */
  timestamps?: { pairs: number; rejected: number; callsWithoutTime: number };
  /** Per call, steady state (measured calls only). Counted by the instrumented device. */
  dispatches?: number;
  submits?: number;
  bytesRead?: number;
  buffersCreatedPerRun?: number;
  /** ReadbackPool.buffersCreated delta per measured call (engine-reported). */
  readbackPoolCreatedPerRun?: number;
  /** Bytes copied into mappable (MAP_READ) buffers per call, counted by the instrumented device. */
  bytesToReadback?: number;
  /** Pipelined training, per step of one network: dispatches, buffers created, and submits per 100 steps
   *  (issue 15's machine-independent targets: ≤ 30, 0 and ≤ 2). */
  perStep?: { dispatches: number; buffersCreated: number; submitsPer100: number };
  /** Steps taken by one call (training, diffusion, induction; the pipelined variants take several). */
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
  adapter: {
    name: string;
    /** The result file's adapter part (absent before 2026-12-03): the name in lower-case words joined by '-'. */
    slug?: string;
    isFallback: boolean;
    vendor: string;
    architecture: string;
    /** GPUAdapterInfo.device (absent in result files before 2026-12-03). */
    device?: string;
    description: string;
  };
  timestampQuery: boolean;
  /** What the runner asked for, and what the durations show (bench/timestamps.ts). */
  timestampRequest?: string;
  timestampQuantisation?: Quantisation;
  options: BenchOptions;
  /** Engine construction (pipeline creation), ms. */
  setup: Array<{ what: string; ms: number }>;
  cases: CaseResult[];
  growth: Array<{ family: Family; variant: string; params: string; slope: number | null; sizes: number[] }>;
  ratios: Array<{ family: Family; what: string; params: string; size: number; ratio: number }>;
  notes: string[];
}
