/**
 * The benchmark's plan and derived figures without a GPU: the pipelined-call sizing (bench/plan.ts), the
 * per-step ratios of the induction family (bench/derive.ts), and bench/tables.mjs rendering that family.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { derive, inductionModelKey, perStepMs } from '../../bench/derive';
import { MIN_PIPELINED_STEPS, fitPipelinedSteps, plan } from '../../bench/plan';
import type { Stat } from '../../bench/stats';
import type { CaseResult, SuiteResult } from '../../bench/types';

const stat = (median: number): Stat => ({ n: 3, median, q1: median, q3: median, min: median, max: median });
const model = { layers: 2, heads: 4, dModel: 64, batch: 32, T: 64, optimizer: 'adam' };
const counts = { dispatchesPerStep: 90, submitsPerStep: 1 };

function induction(variant: string, wall: number | null, steps: number, extra = {}): CaseResult {
  return {
    family: 'induction',
    variant,
    params: { ...model, ...extra },
    size: 32,
    backend: variant === 'cpu' ? 'CPU (JavaScript float64 reference)' : 'test adapter',
    stepsPerCall: steps,
    ...(wall === null ? { skipped: 'skipped: test' } : { wallMs: stat(wall), reps: 3 }),
  };
}

function result(cases: CaseResult[]): SuiteResult {
  return {
    schema: 1,
    date: '2026-12-03T00:00:00.000Z',
    runner: 'node',
    host: 'test',
    adapter: { name: 'test adapter', isFallback: true, vendor: '', architecture: '', description: '' },
    timestampQuery: false,
    options: { quick: true, filter: 'induction' },
    setup: [],
    cases,
    growth: [],
    ratios: [],
    notes: [],
  };
}

describe('plan: the induction family', () => {
  it('plans K pipelined steps in both modes', () => {
    expect(plan({ quick: true, filter: null }).inductionPipelinedSteps).toBe(20);
    expect(plan({ quick: false, filter: null }).inductionPipelinedSteps).toBe(100);
  });

  it('keeps K when the awaited step is unknown or K such steps fit the per-call budget', () => {
    expect(fitPipelinedSteps(20, undefined, 4000)).toEqual({ steps: 20, reason: null });
    expect(fitPipelinedSteps(20, 200, 4000)).toEqual({ steps: 20, reason: null });
  });

  it('cuts K to what fits the budget, not below the minimum, and says why', () => {
    const cut = fitPipelinedSteps(20, 500, 4000);
    expect(cut.steps).toBe(8);
    expect(cut.reason).toContain('8 steps per call instead of 20');
    expect(cut.reason).toContain('10.0 s');
    expect(fitPipelinedSteps(20, 3000, 4000).steps).toBe(MIN_PIPELINED_STEPS);
    // Never more than planned, even when the minimum is larger.
    expect(fitPipelinedSteps(2, 3000, 4000).steps).toBe(2);
  });
});

describe('derive: the induction family', () => {
  it('compares per-step medians: CPU ÷ each GPU variant, awaited ÷ pipelined', () => {
    const r = result([
      induction('gpu-step', 3000, 1, counts),
      induction('gpu-pipelined', 10_000, 4, { stepsPerCall: 4, ...counts }),
      induction('cpu', 1500, 1),
    ]);
    derive(r);
    const by = Object.fromEntries(r.ratios.map((q) => [q.what, q.ratio]));
    // The same divisions in the same order as derive.ts: exact equality, no tolerance needed.
    expect(by['CPU reference ÷ gpu-step']).toBe(1500 / 3000);
    expect(by['CPU reference ÷ gpu-pipelined']).toBe(1500 / (10_000 / 4));
    expect(by['gpu-step ÷ gpu-pipelined']).toBe(3000 / (10_000 / 4));
    expect(r.ratios).toHaveLength(3);
    expect(r.ratios.every((q) => q.family === 'induction' && q.size === 32)).toBe(true);
    // One size only: no growth slope.
    expect(r.growth).toHaveLength(0);
  });

  it('pairs only cases of the same model, and nothing with a skipped case', () => {
    const other = induction('cpu', 1500, 1);
    other.params.batch = 16;
    const r = result([induction('gpu-step', 3000, 1, counts), induction('cpu', null, 1), other]);
    derive(r);
    expect(r.ratios).toHaveLength(0);
  });

  it('keys the model without the GPU-only counts and divides a call into steps', () => {
    const g = induction('gpu-pipelined', 10_000, 4, { stepsPerCall: 4, ...counts });
    expect(inductionModelKey(g)).toBe(inductionModelKey(induction('cpu', 1, 1)));
    expect(perStepMs(g)).toBe(2500);
    expect(perStepMs(induction('cpu', null, 1))).toBeUndefined();
  });

  it('leaves the training family’s pipelined ratio as it was', () => {
    const params = { net: 'bn', batch: 256, width: 128, depth: 4, activation: 'relu' };
    const r = result([
      {
        family: 'training',
        variant: 'gpu',
        params,
        size: 256,
        backend: 'a',
        stepsPerCall: 1,
        wallMs: stat(10),
      },
      {
        family: 'training',
        variant: 'gpu-pipelined',
        params: { ...params, stepsPerCall: 8 },
        size: 256,
        backend: 'a',
        stepsPerCall: 8,
        wallMs: stat(40),
      },
    ]);
    derive(r);
    expect(r.ratios.map((q) => [q.what, q.ratio])).toEqual([['awaited ÷ pipelined step', 2]]);
  });

  it('compares the pipelined call one submit per step with the one-command-buffer call, per step', () => {
    const params = { net: 'plain', batch: 64, width: 128, depth: 4, activation: 'relu' };
    const piped = { ...params, stepsPerCall: 100 };
    const c = (variant: string, p: CaseResult['params'], steps: number, wall: number): CaseResult => ({
      family: 'training',
      variant,
      params: p,
      size: 64,
      backend: 'a',
      stepsPerCall: steps,
      wallMs: stat(wall),
    });
    const r = result([
      c('gpu', params, 1, 30),
      c('gpu-pipelined', piped, 100, 1500),
      c('gpu-pipelined-submits', piped, 100, 2400),
    ]);
    derive(r);
    expect(r.ratios.map((q) => [q.what, q.ratio])).toEqual([
      ['awaited ÷ pipelined step', 2],
      ['one submit per step ÷ one command buffer', 1.6],
    ]);
  });
});

describe('bench/tables.mjs: the induction table', () => {
  it('renders one row per variant with per-step times, steps/s, CPU ÷ GPU and the counts', () => {
    const gs = induction('gpu-step', 3000, 1, counts);
    Object.assign(gs, { stepsPerSecond: 1000 / 3000, dispatches: 90, submits: 2, bytesRead: 8 });
    Object.assign(gs, { buffersCreatedPerRun: 0 });
    const gp = induction('gpu-pipelined', 10_000, 4, { stepsPerCall: 4, ...counts });
    Object.assign(gp, { stepsPerSecond: 0.4, dispatches: 360, submits: 5, bytesRead: 32 });
    Object.assign(gp, { buffersCreatedPerRun: 0 });
    const cpu = induction('cpu', 1500, 1);
    cpu.stepsPerSecond = 1000 / 1500;
    const dir = mkdtempSync(join(tmpdir(), 'ks-tables-'));
    try {
      const file = join(dir, 'r.json');
      writeFileSync(file, JSON.stringify(result([gs, gp, cpu])));
      const out = execFileSync(process.execPath, ['bench/tables.mjs', file, '--family=induction'], {
        encoding: 'utf8',
      });
      const rows = out.split('\n').filter((l) => l.startsWith('| gpu') || l.startsWith('| cpu'));
      const m = 'layers=2 heads=4 dModel=64 batch=32 T=64 optimizer=adam';
      expect(out).toContain('### induction');
      expect(rows).toEqual([
        `| gpu-step | ${m} | 1 | 3000 ms | 0.33 | 0.50× | 90 / 1 | 90 / 2 | 8 B | 0 |`,
        `| gpu-pipelined | ${m} | 4 | 2500 ms | 0.40 | 0.60× | 90 / 1 | 360 / 5 | 8 B | 0 |`,
        `| cpu | ${m} | 1 | 1500 ms | 0.67 | — | — | — | — | — |`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
