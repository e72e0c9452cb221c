/**
 * The attention jobs the CPU worker runs (src/engine/cpu-jobs.ts): the CPU backend with its numerics, the
 * comparison of another run's stages with the float64 reference (what the numerics panel shows for a GPU
 * run), the L limit and the seeded initialisation. The comparison is exact arithmetic on given arrays:
 * results are compared exactly or against the f32 bounds the job reports.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ATTENTION_L_CPU, runCpuJob, type CpuJobResult } from '../../src/engine/cpu-jobs';
import { runAttentionCpu } from '../../src/engine/attention';
import { initAttentionInputs, tokenize } from '../../src/models/attention-inputs';

const init = initAttentionInputs({
  tokens: tokenize('one two three four five six'),
  heads: 2,
  d: 8,
  seed: 3,
});
const inputs = { shape: init.shape, q: init.q, k: init.k, v: init.v };
const options = { mask: { kind: 'causal' as const }, stages: ['weights', 'output'] as const };

/** Asserts the result's kind and narrows to it. */
function ofKind<K extends CpuJobResult['kind']>(
  r: CpuJobResult,
  kind: K,
): Extract<CpuJobResult, { kind: K }> {
  expect(r.kind).toBe(kind);
  return r as Extract<CpuJobResult, { kind: K }>;
}

describe('attention CPU jobs', () => {
  it('the CPU backend returns the run and its numerics, nothing flagged', () => {
    const job = ofKind(
      runCpuJob({ kind: 'attention', inputs, options: { ...options, stages: [...options.stages] } }),
      'attention',
    );
    expect(job.result!.path).toBe('cpu');
    expect(Object.keys(job.numerics.bound).sort()).toEqual(['output', 'weights']);
    expect(job.numerics.flagged).toEqual([]);
    expect(job.numerics.rowSumBound).toBe((6 + 4) * 2 ** -23);
  });

  it('compare: a run within rounding is not flagged; a wrong stage is, by name', () => {
    const run = runAttentionCpu(inputs, { ...options, stages: [...options.stages] });
    const compare = { stages: run.stages, shape: run.shape, fullyMaskedRows: 0, backend: 'GPU (test)' };
    const ok = ofKind(
      runCpuJob({ kind: 'attention', inputs, options: { ...options, stages: [] }, compare }),
      'attention',
    );
    expect(ok.result).toBeUndefined();
    expect(ok.numerics.backend).toBe('GPU (test)');
    expect(ok.numerics.flagged).toEqual([]);
    // A causal run compared as if unmasked: the weights above the diagonal differ by far more than rounding.
    const wrong = runAttentionCpu(inputs, { stages: ['weights'] });
    const bad = ofKind(
      runCpuJob({
        kind: 'attention',
        inputs,
        options: { ...options, stages: [] },
        compare: { ...compare, stages: { weights: wrong.stages.weights!, output: run.stages.output! } },
      }),
      'attention',
    );
    expect(bad.numerics.flagged).toEqual(['weights']);
    expect(bad.numerics.maxAbsDiff.weights!).toBeGreaterThan(1000 * bad.numerics.bound.weights!);
  });

  it(`refuses L above ${MAX_ATTENTION_L_CPU} and runs the seeded initialisation`, () => {
    const L = MAX_ATTENTION_L_CPU + 1;
    const big = {
      shape: { heads: 1, L, d: 1 },
      q: new Float32Array(L),
      k: new Float32Array(L),
      v: new Float32Array(L),
    };
    expect(() => runCpuJob({ kind: 'attention', inputs: big, options: {} })).toThrow(/up to L = 256/);
    const job = ofKind(
      runCpuJob({ kind: 'attention-init', options: { tokens: init.tokens, heads: 2, d: 8, seed: 3 } }),
      'attention-init',
    );
    expect(job.shape).toEqual(init.shape);
    expect([...job.q]).toEqual([...init.q]);
  });
});
