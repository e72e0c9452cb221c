/**
 * The pooled attention map from the fused pass (per-row partials + pool_reduce) on both kernel families:
 * cells wider than a key tile, rectangles and pool sizes that are not multiples of anything, causal /
 * padding / custom masks with fully-masked rows, bias; pool() reusing the partials; the cases the pass
 * cannot serve (another column grid, `fromPass: false`, partials over a buffer limit) recomputed by
 * weights_pool; head-batched runs. Tolerances: passPoolWeightTol and fusedWeightTol (attention-helpers.ts),
 * restated at each check.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine, type MatrixView } from '../../src/engine/attention';
import type { PoolMode, Rect } from '../../src/kernels/attention/spec';
import { attentionReference, poolReference, type AttentionReference } from '../../src/kernels/attention/ref';
import { testRng } from './gpu-test-context';
import {
  U,
  ATOL_W,
  gpu,
  engine,
  flashEngine,
  makeCase,
  randomMask,
  randomTensor,
  expectWithin,
  scaledTolerance,
  rowInfo,
  fusedWeightTol,
  passPoolWeightTol,
  useAttentionGpu,
  type Case,
} from './attention-helpers';

useAttentionGpu();

const full = (L: number): Rect => ({ row0: 0, col0: 0, rows: L, cols: L });

/** Checks a pooled weights view against the reference pool of the float64 weights. */
function expectPooled(
  name: string,
  c: Case,
  ref: AttentionReference,
  view: MatrixView,
  via: 'pass' | 'recomputed',
) {
  const { rect, rows, cols } = view;
  const mode = view.mode as PoolMode;
  expect(view.via, name).toBe(via);
  const want = poolReference(ref.weights, c.inputs.shape, rows, cols, mode, rect);
  const info = rowInfo(ref, scaledTolerance(c.inputs, c.options, ref));
  // pass: the per-weight bound of the partials path (columns of ≤ ⌈rect.cols/cols⌉ keys); recomputed: the
  // fused end-to-end weight bound twice (the recomputed logit and the row stats each carry it). Pooled like
  // the weights, plus the cell's sum and division, cellArea·u·|ref|.
  const perWeight =
    via === 'pass'
      ? passPoolWeightTol(ref, info, Math.ceil(rect.cols / cols))
      : fusedWeightTol(ref, info).map((t) => 2 * t);
  const tol = poolReference(perWeight, c.inputs.shape, rows, cols, mode, rect);
  const area = Math.ceil(rect.rows / rows) * Math.ceil(rect.cols / cols);
  expectWithin(c.name, name, view.data, want, (i) => tol[i]! + area * U * Math.abs(want[i]!) + ATOL_W);
  // Fully-masked rows contribute exact zeros: a cell whose rows are all fully masked is exactly 0.
  const { heads, L } = c.inputs.shape;
  for (let h = 0; h < heads; h++)
    for (let r = 0; r < rows; r++) {
      const r0 = rect.row0 + Math.floor((r * rect.rows) / rows);
      const r1 = rect.row0 + Math.floor(((r + 1) * rect.rows) / rows);
      let allMasked = true;
      for (let i = r0; i < r1; i++) allMasked &&= ref.stats.fullyMasked[h * L + i] === 1;
      if (allMasked)
        for (let k = 0; k < cols; k++) expect(view.data[(h * rows + r) * cols + k], name).toBe(0);
    }
}

describe('pooled attention map from the fused pass', () => {
  const rng = testRng(1515);
  const L3 = 70;
  const custom = randomMask(rng, 'custom', L3);
  const cases: { c: Case; rect: Rect; rows: number; cols: number }[] = [
    // 40-key columns: each spans 2–3 flash tiles (32 keys) and 3–4 tiled ones (16); causal skips tiles.
    {
      c: makeCase('H2 L200 d24 causal, 7×5 cells', rng, 2, 200, 24, { mask: { kind: 'causal' } }),
      rect: full(200),
      rows: 7,
      cols: 5,
    },
    // A rectangle not aligned to tiles, cells of 20–21 rows × 21–22 keys; rows past validLength fully kept,
    // keys past it masked (whole columns masked).
    {
      c: makeCase('H1 L150 d16 padding 97, rect', rng, 1, 150, 16, {
        mask: { kind: 'padding', validLength: 97 },
      }),
      rect: { row0: 13, col0: 9, rows: 120, cols: 131 },
      rows: 6,
      cols: 6,
    },
    // A custom mask with a fully-masked row and a per-head bias; 1×… and …×1 edge: 17 keys per column.
    {
      c: makeCase('H2 L70 d9 custom + bias', rng, 2, L3, 9, {
        mask: custom,
        bias: randomTensor(rng, 2 * L3 * L3, 0.5),
      }),
      rect: full(L3),
      rows: 9,
      cols: 4,
    },
    // Every row fully masked: the map is exactly 0.
    {
      c: makeCase('H1 L40 d4 padding 0', rng, 1, 40, 4, { mask: { kind: 'padding', validLength: 0 } }),
      rect: full(40),
      rows: 3,
      cols: 7,
    },
  ];
  for (const { c, rect, rows, cols } of cases) {
    it(`${c.name}: both families, both modes; other column grids recomputed`, async () => {
      const ref = attentionReference(c.inputs, c.options);
      for (const e of [engine, flashEngine]) {
        const label = e.fusedFamily;
        const run = await e.runFused(c.inputs, { ...c.options, pool: { rows, cols, mode: 'max', rect } });
        expect(run.dispatches).toBe(2);
        expectPooled(`${label} max`, c, ref, run.pooled!, 'pass');
        // The other mode and a band of the rows reduce the same partials.
        expectPooled(`${label} mean`, c, ref, await e.pool({ rows, cols, mode: 'mean', rect }), 'pass');
        const band = { ...rect, row0: rect.row0 + 3, rows: rect.rows - 5 };
        const banded = await e.pool({ rows: 2, cols, mode: 'mean', rect: band });
        expectPooled(`${label} band`, c, ref, banded, 'pass');
        // Another column grid, and the old path on request: recomputed per cell.
        const other = await e.pool({ rows, cols: cols + 1, mode: 'max', rect });
        expectPooled(`${label} other grid`, c, ref, other, 'recomputed');
        expect(other.fallback).toBeUndefined();
        const old = await e.pool({ rows, cols, mode: 'mean', rect, fromPass: false });
        expectPooled(`${label} fromPass false`, c, ref, old, 'recomputed');
      }
    });
  }

  it('partials over maxStorageBufferBindingSize: recomputed per cell, the limit named', async () => {
    const c = makeCase('limit', rng, 2, 64, 4, { mask: { kind: 'causal' } });
    // Partials 2·64·64·8 = 64 KiB > 32 KiB; Q, K, V (2 KiB), stats and the 64×64 map (32 KiB) fit.
    const limits = { ...gpu.info.limits, maxStorageBufferBindingSize: 32 * 1024 };
    const small = new AttentionEngine({ device: gpu.device, info: { ...gpu.info, limits } });
    try {
      const run = await small.runFused(c.inputs, { pool: { rows: 64, cols: 64, mode: 'max' }, ...c.options });
      expect(run.pooled!.fallback).toMatch(/maxStorageBufferBindingSize.*recomputed per cell/);
      expectPooled('limit', c, attentionReference(c.inputs, c.options), run.pooled!, 'recomputed');
      const fits = await small.runFused(c.inputs, {
        pool: { rows: 64, cols: 16, mode: 'max' },
        ...c.options,
      });
      expect(fits.pooled!.via).toBe('pass');
    } finally {
      small.destroy();
    }
  });

  it('a head-batched fused run writes the same partials: the pooled maps are equal bit for bit', async () => {
    const c = makeCase('batched', rng, 5, 37, 12, { mask: { kind: 'causal' } });
    const batched = new AttentionEngine(gpu, { workPerSubmit: 2 * 37 * 37 * 12 });
    try {
      const pool = {
        rows: 6,
        cols: 5,
        mode: 'mean' as const,
        rect: { row0: 2, col0: 3, rows: 33, cols: 31 },
      };
      const a = await engine.runFused(c.inputs, { ...c.options, pool });
      const b = await batched.runFused(c.inputs, { ...c.options, pool });
      expect(b.submits).toBe(4);
      expect(b.pooled!.via).toBe('pass');
      expect(Array.from(b.pooled!.data)).toEqual(Array.from(a.pooled!.data));
    } finally {
      batched.destroy();
    }
  });
});
