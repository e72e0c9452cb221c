/**
 * checkCase: one attention case through the staged and the fused path, every stage, pool and window checked
 * against the float64 reference within the bounds listed in attention-helpers.ts.
 */
import { expect } from 'vitest';
import { attentionNumerics } from '../../src/engine/attention';
import { MASKED_SENTINEL, isMaskedValue, type PoolMode, type Rect } from '../../src/kernels/attention/spec';
import {
  attentionReference,
  poolReference,
  referenceSoftmax,
  referenceWeightsTimesV,
  windowReference,
} from '../../src/kernels/attention/ref';
import { attentionMagnitudes } from '../../src/kernels/attention/bounds';
import {
  U,
  ATOL_S,
  ATOL_W,
  engine,
  flashEngine,
  type Case,
  absDots,
  expectWithin,
  scaledTolerance,
  rowInfo,
  e2eWeightTol,
  fusedWeightTol,
  passPoolWeightTol,
  outputTol,
  expectFullyMaskedRowsZero,
} from './attention-helpers';

export const POOL_RECT = (L: number): Rect => ({
  row0: Math.floor(L / 5),
  col0: Math.floor(L / 7),
  rows: L - Math.floor(L / 5),
  cols: L - Math.floor(L / 7),
});

export async function checkCase(c: Case, poolMode: PoolMode) {
  const { inputs, options } = c;
  const { heads, L, d } = inputs.shape;
  const ref = attentionReference(inputs, options);
  const dots = absDots(inputs);
  const rect = POOL_RECT(L);
  const poolRows = Math.max(1, Math.ceil(rect.rows / 3));
  const poolCols = Math.max(1, Math.ceil(rect.cols / 2));
  const win: Rect = { row0: Math.floor(L / 3), col0: 0, rows: Math.ceil(L / 2), cols: L };

  const staged = await engine.runStaged(inputs, {
    ...options,
    stages: ['scores', 'scaled', 'masked', 'weights', 'output'],
    pool: { rows: poolRows, cols: poolCols, mode: poolMode, rect },
    window: { stage: 'masked', rect: win },
  });
  expect(staged.dispatches).toBe(5);
  expect(staged.submits).toBe(1);
  const s = staged.stages;

  // Stage 1: scores, scaled, masked.
  const tolScaled = scaledTolerance(inputs, options, ref, dots);
  expectWithin(c.name, `scores`, s.scores!, ref.scores, (i) => d * U * dots[i]! + ATOL_S);
  expectWithin(c.name, `scaled`, s.scaled!, ref.scaled, (i) => tolScaled[i]!);
  let maskMismatch = 0;
  for (let i = 0; i < ref.masked.length; i++) {
    if ((ref.masked[i] === -Infinity) !== (s.masked![i] === MASKED_SENTINEL)) maskMismatch++;
  }
  expect(maskMismatch, `${c.name}: masked positions differ from the reference`).toBe(0);
  expectWithin(c.name, `masked`, s.masked!, ref.masked, (i) =>
    ref.masked[i] === -Infinity ? Infinity : tolScaled[i]!,
  );

  // Stage 2: softmax of the GPU's own masked stage.
  const sm = referenceSoftmax(inputs.shape, s.masked!);
  const wTolStage = new Float64Array(sm.weights.length);
  for (let r = 0; r < heads * L; r++) {
    let n = 0;
    for (let j = 0; j < L; j++) if (!isMaskedValue(s.masked![r * L + j]!)) n++;
    for (let j = 0; j < L; j++) {
      const i = r * L + j;
      const xm = isMaskedValue(s.masked![i]!) ? 0 : sm.stats.max[r]! - s.masked![i]!;
      wTolStage[i] = sm.weights[i]! * (90 + n + 2.5 * xm) * U + ATOL_W;
    }
  }
  expectWithin(c.name, `weights (stage)`, s.weights!, sm.weights, (i) => wTolStage[i]!);
  let nonZeroMasked = 0;
  for (let i = 0; i < ref.masked.length; i++)
    if (ref.masked[i] === -Infinity && s.weights![i] !== 0) nonZeroMasked++;
  expect(nonZeroMasked, `${c.name}: masked weights must be exactly 0`).toBe(0);
  const rowSums: number[] = [];
  for (let r = 0; r < heads * L; r++) {
    let sum = 0;
    for (let j = 0; j < L; j++) sum += s.weights![r * L + j]!;
    if (ref.stats.fullyMasked[r]) expect(sum, `${c.name}: fully-masked row ${r}`).toBe(0);
    else rowSums.push(Math.abs(sum - 1));
  }
  // Tree-ordered sum in the softmax shader (module comment): (⌈L/256⌉ + 12)·u.
  const rowSumTol = (Math.ceil(L / 256) + 12) * U;
  expect(Math.max(0, ...rowSums), `${c.name}: max |row sum − 1|`).toBeLessThanOrEqual(rowSumTol);
  expect(staged.fullyMaskedRows).toBe(ref.stats.fullyMaskedCount);
  expect([...staged.stats!.fullyMasked]).toEqual([...ref.stats.fullyMasked]);
  for (let r = 0; r < heads * L; r++) {
    if (ref.stats.fullyMasked[r]) {
      expect(staged.stats!.max[r]).toBe(MASKED_SENTINEL);
      expect(staged.stats!.sum[r]).toBe(0);
    }
  }

  // Stage 3: weights·V from the GPU's own weights.
  const ov = referenceWeightsTimesV(inputs.shape, s.weights!, inputs.v);
  const zero = new Float64Array(s.weights!.length);
  const oTolStage = outputTol(ref, inputs.v, s.weights!, zero);
  expectWithin(c.name, `output (stage)`, s.output!, ov, (i) => oTolStage[i]!);
  expectFullyMaskedRowsZero(s.output!, ref);

  // End to end.
  const info = rowInfo(ref, tolScaled);
  const wTolE2e = e2eWeightTol(ref, info, (r, xm) => (90 + info.kept[r]! + 2.5 * xm) * U);
  expectWithin(c.name, `weights (end to end)`, s.weights!, ref.weights, (i) => wTolE2e[i]!);
  const oTolE2e = outputTol(ref, inputs.v, ref.weights, wTolE2e);
  expectWithin(c.name, `output (end to end)`, s.output!, ref.output, (i) => oTolE2e[i]!);

  // Pool (GPU weights, on the GPU) vs the reference pool of the same f32 weights; window exact.
  const pooledRef = poolReference(s.weights!, inputs.shape, poolRows, poolCols, poolMode, rect);
  const cellArea = Math.ceil(rect.rows / poolRows) * Math.ceil(rect.cols / poolCols);
  expectWithin(c.name, `pool ${poolMode}`, staged.pooled!.data, pooledRef, (i) =>
    poolMode === 'max' ? 0 : cellArea * U * Math.abs(pooledRef[i]!) + ATOL_W,
  );
  const winRef = windowReference(s.masked!, inputs.shape, win);
  expect([...staged.window!.data]).toEqual([...winRef]);
  expect(staged.window!.stage).toBe('masked');

  // Fused, both kernel families (tiled: the software-adapter family; flash: the GPU family).
  const fusedRuns = [];
  for (const e of [engine, flashEngine]) {
    const fused = await e.runFused(inputs, {
      ...options,
      pool: { rows: poolRows, cols: poolCols, mode: poolMode, rect },
    });
    const label = `fused ${e.fusedFamily}`;
    expect(fused.dispatches).toBe(2);
    expect(fused.submits).toBe(1);
    const wTolFused = fusedWeightTol(ref, info);
    const oTolFused = outputTol(ref, inputs.v, ref.weights, wTolFused);
    expectWithin(c.name, `${label} output`, fused.stages.output!, ref.output, (i) => oTolFused[i]!);
    expectWithin(
      c.name,
      `${label} vs staged`,
      fused.stages.output!,
      s.output!,
      (i) => oTolFused[i]! + oTolE2e[i]!,
    );
    expect([...fused.stats!.fullyMasked]).toEqual([...ref.stats.fullyMasked]);
    expectFullyMaskedRowsZero(fused.stages.output!, ref);
    // Fused pooled weights from the pass (partials + reduce) vs the reference pool of the float64 weights,
    // both modes (the second from the same partials by pool()): the pooled per-weight bound
    // (passPoolWeightTol, columns of ≤ ⌈rect.cols/poolCols⌉ keys) plus the reduce's sum over the cell and
    // its division, cellArea·u·|ref|.
    expect(fused.pooled!.via).toBe('pass');
    const passTol = passPoolWeightTol(ref, info, Math.ceil(rect.cols / poolCols));
    for (const mode of [poolMode, poolMode === 'max' ? 'mean' : 'max'] as const) {
      const view =
        mode === poolMode ? fused.pooled! : await e.pool({ rows: poolRows, cols: poolCols, mode, rect });
      expect(view.via).toBe('pass');
      const fusedPoolRef = poolReference(ref.weights, inputs.shape, poolRows, poolCols, mode, rect);
      const fusedPoolTol = poolReference(passTol, inputs.shape, poolRows, poolCols, mode, rect);
      expectWithin(
        c.name,
        `${label} pool ${mode} (pass)`,
        view.data,
        fusedPoolRef,
        (i) => fusedPoolTol[i]! + cellArea * U * Math.abs(fusedPoolRef[i]!) + ATOL_W,
      );
      // Fully-masked rows pool to exactly 0 (every cell of a fully-masked row band is 0).
      if (ref.stats.fullyMaskedCount === heads * L) expect(view.data.every((x) => x === 0)).toBe(true);
    }
    fusedRuns.push(fused);
  }
  const fused = fusedRuns[0]!;
  // The numerics panel's bounds (attentionErrorBounds) hold for both paths: nothing is flagged.
  const magnitudes = attentionMagnitudes(inputs, options.bias);
  for (const run of [staged, ...fusedRuns]) {
    const n = attentionNumerics(run, ref, magnitudes);
    expect(
      n.flagged,
      `${c.name} ${run.path}: ${JSON.stringify(n.maxAbsDiff)} vs ${JSON.stringify(n.bound)}`,
    ).toEqual([]);
  }
  return { staged, fused, ref };
}
