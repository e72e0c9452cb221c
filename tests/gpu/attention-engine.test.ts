/**
 * AttentionEngine behaviour on a real WebGPU adapter: pool() / window() reuse, fused-window recomputation,
 * the numerics panel's figures, readback-buffer reuse and the limits it refuses. Tolerances as derived in
 * attention-helpers.ts (restated at each check).
 */
import { describe, expect, it } from 'vitest';
import { LimitError } from '../../src/gpu/limits';
import {
  AttentionEngine,
  attentionNumerics,
  matrixStageBytes,
  type AttentionRunResult,
} from '../../src/engine/attention';
import { MASKED_SENTINEL } from '../../src/kernels/attention/spec';
import { attentionReference, poolReference, windowReference } from '../../src/kernels/attention/ref';
import { attentionMagnitudes } from '../../src/kernels/attention/bounds';
import { testRng } from './gpu-test-context';
import {
  U,
  ATOL_S,
  ATOL_W,
  gpu,
  engine,
  makeCase,
  absDots,
  expectWithin,
  scaledTolerance,
  rowInfo,
  fusedWeightTol,
  useAttentionGpu,
} from './attention-helpers';

useAttentionGpu();

describe('engine behaviour', () => {
  const rng = testRng(3);
  const base = makeCase('base', rng, 2, 20, 8, { mask: { kind: 'causal' } });

  it('pool() and window() reuse the last run without recomputing; stages not kept are refused', async () => {
    const run = await engine.runStaged(base.inputs, {
      ...base.options,
      stages: ['weights'],
      materialize: ['scores'],
      pool: { rows: 5, cols: 4, mode: 'mean' },
    });
    const again = await engine.pool({ rows: 5, cols: 4, mode: 'mean' });
    expect([...again.data]).toEqual([...run.pooled!.data]);
    const scoresWin = await engine.window({ stage: 'scores', rect: { row0: 2, col0: 3, rows: 4, cols: 5 } });
    const ref = attentionReference(base.inputs, base.options);
    const want = windowReference(ref.scores, base.inputs.shape, scoresWin.rect);
    // Raw QKᵀ: length-d dot products, d·u·Σ_c |q_c k_c| (as for the scores stage above).
    const dotsWin = windowReference(absDots(base.inputs), base.inputs.shape, scoresWin.rect);
    const d = base.inputs.shape.d;
    expectWithin('scores window', 'window scores', scoresWin.data, want, (i) => d * U * dotsWin[i]! + ATOL_S);
    await expect(engine.pool({ stage: 'scaled', rows: 2, cols: 2, mode: 'max' })).rejects.toThrow(
      /"scaled" stage was not kept/,
    );
    // The mean of the masked stage skips masked entries; cells with only masked entries stay MASKED_SENTINEL.
    const masked = await engine.runStaged(base.inputs, { ...base.options, stages: ['masked', 'weights'] });
    const mp = await engine.pool({ stage: 'masked', rows: 7, cols: 6, mode: 'mean' });
    const mpRef = poolReference(masked.stages.masked!, base.inputs.shape, 7, 6, 'mean');
    // Mean of ≤ ⌈20/7⌉·⌈20/6⌉ = 12 f32 values: 12·u·|mean| (sum of 12 terms, then one division).

    expect(mpRef.some((x) => x === -Infinity)).toBe(true);
    mp.data.forEach((x, i) => {
      if (mpRef[i] === -Infinity) expect(x).toBe(MASKED_SENTINEL);
      else expect(Math.abs(x - mpRef[i]!)).toBeLessThanOrEqual(12 * U * Math.abs(mpRef[i]!) + 1e-37);
    });
    // A bad rectangle is refused before anything is encoded; the last run stays poolable.
    await expect(
      engine.runStaged(base.inputs, {
        ...base.options,
        window: { rect: { row0: 15, col0: 0, rows: 6, cols: 1 } },
      }),
    ).rejects.toThrow(/not inside the 20×20 matrix/);
    await expect(engine.pool({ rows: 2, cols: 2, mode: 'max' })).rejects.toThrow(/No attention run yet/);
    await engine.runStaged(base.inputs, { ...base.options, stages: ['masked', 'weights'] });
    // Asking for more rows than L clamps to L (a 1:1 pool equals the weights).
    const full = await engine.pool({ rows: 999, cols: 999, mode: 'max' });
    expect([full.rows, full.cols]).toEqual([20, 20]);
    expect([...full.data]).toEqual([...masked.stages.weights!]);
  });

  it('after a fused run, window() recomputes full-resolution weights from the row stats', async () => {
    await engine.runFused(base.inputs, base.options);
    const rect = { row0: 0, col0: 0, rows: 20, cols: 20 };
    const w = await engine.window({ rect });
    const ref = attentionReference(base.inputs, base.options);
    // Weights recomputed per cell from the fused run's row stats: the fused end-to-end weight bound, twice
    // (the recomputed logit and the stats each carry it), as for the fused pool above.
    const wTol = fusedWeightTol(ref, rowInfo(ref, scaledTolerance(base.inputs, base.options, ref)));
    expectWithin('fused window', 'fused window weights', w.data, ref.weights, (i) => 2 * wTol[i]! + ATOL_W);
    for (let q = 0; q < 20; q++) for (let k = q + 1; k < 20; k++) expect(w.data[q * 20 + k]).toBe(0);
    await expect(engine.window({ stage: 'scores', rect })).rejects.toThrow(/only the weights/);
    await expect(engine.runFused(base.inputs, { stages: ['weights'] })).rejects.toThrow(/needs runStaged/);
  });

  it('numerics panel figures: max |GPU − reference| per stage, row sums, fully-masked rows, backend', async () => {
    const run = await engine.runStaged(base.inputs, {
      ...base.options,
      stages: ['masked', 'weights', 'output'],
    });
    const n = attentionNumerics(
      run,
      attentionReference(base.inputs, base.options),
      attentionMagnitudes(base.inputs, base.options.bias),
    );
    // Each stage within its f32 bound (attentionErrorBounds), so nothing is flagged.
    for (const s of ['masked', 'weights', 'output'] as const) {
      expect(n.maxAbsDiff[s]!, s).toBeLessThanOrEqual(n.bound[s]!);
    }
    expect(n.flagged).toEqual([]);
    expect(n.maxRowSumError!).toBeLessThanOrEqual(n.rowSumBound!);
    expect(n.fullyMaskedRows).toBe(0);
    expect(n.backend).toMatch(/^GPU \(/);
  });

  it('steady-state runs create no new readback buffers', async () => {
    const opts = { ...base.options, stages: ['weights', 'output'] } as const;
    await engine.runStaged(base.inputs, { ...opts });
    const before = engine.buffersCreated;
    for (let i = 0; i < 3; i++) await engine.runStaged(base.inputs, { ...opts });
    expect(engine.buffersCreated).toBe(before);
  });

  it('staged refuses a [heads][L][L] stage over maxStorageBufferBindingSize and names the fused path', async () => {
    const limits = { ...gpu.info.limits, maxStorageBufferBindingSize: 1 << 20 };
    const small = new AttentionEngine({ device: gpu.device, info: { ...gpu.info, limits } });
    try {
      const c = makeCase('big', rng, 1, 600, 2, {});
      const err = small.stagedLimit(c.inputs.shape);
      expect(err).toBeInstanceOf(LimitError);
      expect(err!.limit).toBe('maxStorageBufferBindingSize');
      await expect(small.runStaged(c.inputs)).rejects.toThrow(
        /maxStorageBufferBindingSize.*Use the fused path \(runFused\)/,
      );
      const fused: AttentionRunResult = await small.runFused(c.inputs, {
        pool: { rows: 10, cols: 10, mode: 'max' },
      });
      expect(fused.stages.output!.length).toBe(600 * 2);
      expect(fused.pooled!.data.length).toBe(100);
    } finally {
      small.destroy();
    }
    // With this adapter's own limit, L = 4096 and 8 heads needs 512 MiB per stage.
    const big = { heads: 8, L: 4096, d: 64 };
    expect(matrixStageBytes(big)).toBe(512 * 2 ** 20);
    expect(engine.stagedLimit(big) === null).toBe(
      512 * 2 ** 20 <= gpu.info.limits.maxStorageBufferBindingSize!,
    );
  });

  it('refuses sizes above the lab limits', async () => {
    const c = makeCase('too many heads', rng, 1, 2, 2, {});
    await expect(engine.runFused({ ...c.inputs, shape: { heads: 17, L: 2, d: 2 } })).rejects.toThrow(
      /heads must be/,
    );
  });
});
