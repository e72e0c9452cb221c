/** How much each family measures (full or --quick), and the size predictor that skips calls over budget. */
import { formatMs } from './stats';
import type { BenchOptions } from './types';

export interface Plan {
  /** Warm-up before each case's timed calls: calls until this much time has passed (at least one call). */
  warmupMs: number;
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
  /** Steps encoded back to back before one wait, per call of the pipelined training variant (≥ 100). */
  pipelinedSteps: number;
  /** A pipelined training call predicted (from the awaited step) over this is skipped; its reps are ≤ 3. */
  maxPipelinedRunMs: number;
  diffusionN: number[];
  /** Item counts of the recommendation funnel, users on the GPU and on the CPU reference. */
  recommendItems: number[];
  recommendUsers: number;
  recommendCpuUsers: number;
  /** Induction-model training steps submitted back to back per call (one loss readback at the end). */
  inductionPipelinedSteps: number;
}

export function plan(options: BenchOptions): Plan {
  return options.quick
    ? {
        // --quick: 0.2 s of warm-up per case (the full run's 0.5 s would add about a minute on SwiftShader).
        warmupMs: 200,
        reps: 5,
        repBudgetMs: 8_000,
        maxGpuRunMs: 4_000,
        maxCpuRunMs: 3_000,
        randomCounts: [1e4, 1e5, 1e6],
        attentionL: [128, 256, 512],
        trainingBatches: [64, 128, 256, 512, 1024],
        // --quick: the networks alone at 64 and 256 (100 pipelined steps at 1024 take ~30 s on SwiftShader).
        trainingNetBatches: [64, 256],
        pipelinedSteps: 100,
        maxPipelinedRunMs: 12_000,
        diffusionN: [1e3, 1e4],
        recommendItems: [1024, 4096],
        recommendUsers: 32,
        recommendCpuUsers: 8,
        inductionPipelinedSteps: 20,
      }
    : {
        warmupMs: 500,
        reps: 10,
        repBudgetMs: 30_000,
        maxGpuRunMs: 20_000,
        maxCpuRunMs: 5_000,
        randomCounts: [1e4, 1e5, 1e6, 1e7],
        attentionL: [128, 256, 512, 1024, 2048, 4096],
        trainingBatches: [64, 128, 256, 512, 1024],
        trainingNetBatches: [256, 1024],
        pipelinedSteps: 100,
        maxPipelinedRunMs: 60_000,
        diffusionN: [1e4, 1e5, 1e6],
        recommendItems: [1024, 4096, 16384],
        recommendUsers: 256,
        recommendCpuUsers: 16,
        inductionPipelinedSteps: 100,
      };
}

/** At most this many warm-up calls (a case whose calls take microseconds stops here, not at 0.5 s). */
export const MAX_WARMUP_CALLS = 10_000;

/**
 * Whether warm-up is over after `calls` calls taking `elapsedMs` in all: once `warmupMs` has passed and at
 * least `minCalls` calls ran (always at least one), or after MAX_WARMUP_CALLS.
 */
export function warmupDone(calls: number, elapsedMs: number, warmupMs: number, minCalls = 1): boolean {
  if (calls >= MAX_WARMUP_CALLS) return true;
  return calls >= Math.max(1, minCalls) && elapsedMs >= warmupMs;
}

/** Skips a size when the previous size's median, grown by `exponent`, predicts a call over `maxMs`. */
export class Predictor {
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

/** The fewest steps a pipelined call is cut to (below that it measures little more than the awaited step). */
export const MIN_PIPELINED_STEPS = 4;

/**
 * Steps for a pipelined call: `planned`, cut (not below MIN_PIPELINED_STEPS) so that the call, predicted as that
 * many awaited steps of `awaitedMs`, fits `maxMs`. `reason` says why when it was cut.
 */
export function fitPipelinedSteps(
  planned: number,
  awaitedMs: number | undefined,
  maxMs: number,
): { steps: number; reason: string | null } {
  if (awaitedMs === undefined || !(awaitedMs > 0) || awaitedMs * planned <= maxMs)
    return { steps: planned, reason: null };
  const steps = Math.min(planned, Math.max(MIN_PIPELINED_STEPS, Math.floor(maxMs / awaitedMs)));
  return steps === planned
    ? { steps, reason: null }
    : {
        steps,
        reason:
          `${steps} steps per call instead of ${planned}: ${planned} awaited steps of ${formatMs(awaitedMs)} ` +
          `would take ${formatMs(awaitedMs * planned)}, over the ${formatMs(maxMs)} per-call budget`,
      };
}
