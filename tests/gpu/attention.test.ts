/**
 * Attention kernels on a real WebGPU adapter against the float64 reference (src/kernels/attention/ref.ts).
 *
 * Tolerances, all of the form |gpu − ref| ≤ atol + (bound), derived from f32 (u = 2⁻²³ below, one ulp at 1)
 * and the WGSL accuracy rules (+ − * correctly rounded, / 2.5 ulp, exp(x) 3 + 2|x| ulp, flushing allowed).
 * [m: …] is the measured worst |gpu − ref| / tolerance over this file's cases on SwiftShader (and the
 * worst |gpu − ref|), printed once when the tolerances were last reviewed.
 * - scores (raw QKᵀ), length-d dot products:   d·u·Σ_c |q_c k_c| + 1e-35           [m: 0.45; 3.2e-5]
 * - scaled / masked (kept entries): (d+2)·u·scale·Σ_c |q_c k_c| + u·(|bias| + |ref|) + 1e-35   [m: 0.27; 1.9e-5]
 *   masked entries: exactly MASKED_SENTINEL (reference −∞).
 * - weights, stage by stage (reference softmax of the GPU's own masked stage), N kept keys in the row:
 *   w·(90 + N + 2.5·|x − m|)·u + 1e-37  [exp error 3 + 2.5|x − m| ulp incl. the rounding of x − m; the row
 *   sum's error ≤ (80 + N)·u because terms with |x − m| > 30 are below e⁻³⁰; 1/l and the product 4 ulp].
 *   [m: 0.22; 2.0e-7]. Masked weights exactly 0; fully-masked rows all 0; every other row sums to 1 within
 *   (⌈L/256⌉ + 12)·u: the softmax shader sums ⌈L/256⌉ exps per thread, then a tree of depth 8 (no
 *   reordering crosses its barriers), then 1/l (2.5 ulp) and one product per weight   [m: 0.16; 2.5e-7].
 * - output, stage by stage (reference weights·V from the GPU's own weights): L·u·Σ_k |w_k v_k| + 1e-30
 *   [m: 0.18; 1.2e-6].
 * - end to end (GPU stage vs the float64 reference from the inputs): with E the row's largest scaled-logit
 *   bound above, exact-arithmetic softmax of the GPU logits differs by a factor within e^{±2E}, so
 *   weights: w·(e^{2E} − 1 + e^{2E}·δ) + 1e-37 with δ the stage-by-stage relative bound (|x − m| + 2E)
 *   [m: 0.052; 2.3e-6]; output: Σ_k tol_w(k)|v_k| + L·u·Σ_k (w_k + tol_w(k))|v_k| + 1e-30 [m: 0.019; 8.7e-6].
 *   These are worst cases (every rounding in the same direction); random rounding measures ~√ of them.
 * - fused output: as end to end, with δ_f = (10·T + 40 + N + 2.5·|x − m| + 4·R)·u for T key tiles and R the
 *   row's logit range (online softmax rescales the accumulators once per tile with exp(m_old − m_new))
 *   [m: 0.017; 8.7e-6]. fused vs staged: the sum of the two end-to-end bounds (triangle inequality)
 *   [m: 0.0064; 1.4e-6].
 * - pool of the GPU weights vs the reference pool of the same f32 weights: max and window exact; mean
 *   n·u·|ref| + 1e-37 for n entries per cell [m: 0.24; 3.2e-8]. Fused pooled / windowed weights
 *   (recomputed per cell from the row stats) vs the float64 weights: twice the end-to-end fused weight
 *   bound, maxed/averaged over the cell, plus n·u·|ref| [m: 0.015; 3.8e-7 pooled, 0.011; 7.1e-8 window].
 * - the numerics panel's per-stage bounds (attentionErrorBounds, from input magnitudes only) hold on every
 *   case for both paths, so nothing is flagged [m: scores 0.10, scaled/masked 0.062, weights 0.005,
 *   output 0.0035 staged, 0.0026 fused].
 * Shapes are small (SwiftShader runs WGSL slower than plain JavaScript); the whole file takes well under 60 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { LimitError } from '../../src/gpu/limits';
import {
  AttentionEngine,
  attentionNumerics,
  matrixStageBytes,
  type AttentionRunResult,
} from '../../src/engine/attention';
import {
  MASKED_SENTINEL,
  biasAt,
  isMaskedValue,
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
  type PoolMode,
  type Rect,
} from '../../src/kernels/attention/spec';
import {
  attentionReference,
  poolReference,
  referenceSoftmax,
  referenceWeightsTimesV,
  windowReference,
  type AttentionReference,
} from '../../src/kernels/attention/ref';
import { attentionMagnitudes } from '../../src/kernels/attention/bounds';
import { testGpu, testRng } from './gpu-test-context';

const U = 2 ** -23;
const ATOL_S = 1e-35;
const ATOL_W = 1e-37;
const ATOL_O = 1e-30;

let gpu: GpuContext;
let engine: AttentionEngine;
beforeAll(async () => {
  gpu = await testGpu(navigator.gpu);
  engine = new AttentionEngine(gpu);
});
afterAll(() => {
  engine?.destroy();
  gpu?.destroy();
});

type Rng = ReturnType<typeof testRng>;

interface Case {
  name: string;
  inputs: AttentionInputs;
  options: AttentionOptions;
}

function randomTensor(rng: Rng, n: number, spread = 1): Float32Array {
  return Float32Array.from({ length: n }, () => spread * rng.normal());
}

function makeCase(
  name: string,
  rng: Rng,
  heads: number,
  L: number,
  d: number,
  options: AttentionOptions,
): Case {
  const n = heads * L * d;
  return {
    name,
    inputs: {
      shape: { heads, L, d },
      q: randomTensor(rng, n),
      k: randomTensor(rng, n),
      v: randomTensor(rng, n),
    },
    options,
  };
}

function randomMask(rng: Rng, kind: AttentionMask['kind'] | 'window-sym', L: number): AttentionMask {
  switch (kind) {
    case 'padding':
      return { kind: 'padding', validLength: rng.int(0, L) };
    case 'window':
      return { kind: 'window', width: rng.int(1, Math.max(1, Math.ceil(L / 3))), causal: true };
    case 'window-sym':
      return { kind: 'window', width: rng.int(1, Math.max(1, Math.ceil(L / 3))), causal: false };
    case 'custom': {
      const keep = Uint8Array.from({ length: L * L }, () => (rng.next() < 0.6 ? 1 : 0));
      const empty = rng.int(0, L - 1);
      keep.fill(0, empty * L, empty * L + L); // always one fully-masked row
      return { kind: 'custom', keep };
    }
    default:
      return { kind } as AttentionMask;
  }
}

/** Σ_c |q_c k_c| per (head, query, key): the scale of the dot product's rounding error. */
function absDots(x: AttentionInputs): Float64Array {
  const { heads, L, d } = x.shape;
  const out = new Float64Array(heads * L * L);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < L; i++)
      for (let j = 0; j < L; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += Math.abs(x.q[(h * L + i) * d + c]! * x.k[(h * L + j) * d + c]!);
        out[(h * L + i) * L + j] = s;
      }
  return out;
}

/** Counts entries outside |got − want| ≤ tol(i); reports the worst one. */
function check(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (i: number) => number,
): { bad: number; worst: string } {
  let bad = 0;
  let worstRatio = 0;
  let worst = 'none';
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const t = tol(i);
    const diff = g === w ? 0 : Math.abs(g - w);
    const ratio = diff === 0 ? 0 : diff / t;
    if (!(diff <= t)) bad++;
    if (!(ratio <= worstRatio)) {
      worstRatio = Number.isNaN(ratio) ? Infinity : ratio;
      worst = `${what}[${i}] gpu ${g} ref ${w} tol ${t.toExponential(2)}`;
    }
  }
  return { bad, worst };
}

function expectWithin(
  caseName: string,
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: (i: number) => number,
) {
  expect(got.length, `${caseName} ${what} length`).toBe(want.length);
  const r = check(`${caseName} ${what}`, got, want, tol);
  expect(r.bad, r.worst).toBe(0);
}

/** Per-entry bound on the GPU's scaled logits: (d+2)·u·scale·Σ|q_c k_c| + u·(|bias| + |ref|) + atol. */
function scaledTolerance(
  inputs: AttentionInputs,
  options: AttentionOptions,
  ref: AttentionReference,
  dots: Float64Array = absDots(inputs),
): Float64Array {
  const { heads, L, d } = inputs.shape;
  const tol = new Float64Array(dots.length);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < L; i++)
      for (let j = 0; j < L; j++) {
        const idx = (h * L + i) * L + j;
        const b = Math.abs(biasAt(options.bias, L, h, i, j));
        tol[idx] =
          (d + 2) * U * Math.abs(ref.scale) * dots[idx]! + U * (b + Math.abs(ref.scaled[idx]!)) + ATOL_S;
      }
  return tol;
}

/** Per-row quantities the bounds need, from the float64 reference. */
function rowInfo(ref: AttentionReference, tolScaled: Float64Array) {
  const { heads, L } = ref.shape;
  const E = new Float64Array(heads * L);
  const kept = new Float64Array(heads * L);
  const range = new Float64Array(heads * L);
  for (let r = 0; r < heads * L; r++) {
    let e = 0;
    let n = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < L; j++) {
      const x = ref.masked[r * L + j]!;
      if (x === -Infinity) continue;
      e = Math.max(e, tolScaled[r * L + j]!);
      n++;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    E[r] = e;
    kept[r] = n;
    range[r] = n ? hi - lo : 0;
  }
  return { E, kept, range };
}

/** End-to-end weight bound for entry i (row r) with relative softmax error δ(|x − m|). */
function e2eWeightTol(
  ref: AttentionReference,
  info: ReturnType<typeof rowInfo>,
  delta: (r: number, xm: number) => number,
): Float64Array {
  const { heads, L } = ref.shape;
  const tol = new Float64Array(heads * L * L);
  for (let r = 0; r < heads * L; r++) {
    const g = Math.exp(2 * info.E[r]!);
    for (let j = 0; j < L; j++) {
      const i = r * L + j;
      const w = ref.weights[i]!;
      const xm = ref.masked[i] === -Infinity ? 0 : ref.stats.max[r]! - ref.masked[i]! + 2 * info.E[r]!;
      tol[i] = w * (g - 1 + g * delta(r, xm)) + ATOL_W;
    }
  }
  return tol;
}

/** End-to-end bound on weights the fused kernels compute (online softmax over T = ⌈L/16⌉ key tiles). */
function fusedWeightTol(ref: AttentionReference, info: ReturnType<typeof rowInfo>): Float64Array {
  const T = Math.ceil(ref.shape.L / 16);
  return e2eWeightTol(
    ref,
    info,
    (r, xm) => (10 * T + 40 + info.kept[r]! + 2.5 * xm + 4 * info.range[r]!) * U,
  );
}

function outputTol(
  ref: AttentionReference,
  v: ArrayLike<number>,
  weights: ArrayLike<number>,
  wTol: ArrayLike<number>,
) {
  const { heads, L, d } = ref.shape;
  const tol = new Float64Array(heads * L * d);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < L; i++)
      for (let c = 0; c < d; c++) {
        let a = 0;
        let b = 0;
        for (let j = 0; j < L; j++) {
          const vv = Math.abs(v[(h * L + j) * d + c]!);
          const wi = (h * L + i) * L + j;
          a += wTol[wi]! * vv;
          b += (Math.abs(weights[wi]!) + wTol[wi]!) * vv;
        }
        tol[(h * L + i) * d + c] = a + L * U * b + ATOL_O;
      }
  return tol;
}

const POOL_RECT = (L: number): Rect => ({
  row0: Math.floor(L / 5),
  col0: Math.floor(L / 7),
  rows: L - Math.floor(L / 5),
  cols: L - Math.floor(L / 7),
});

async function checkCase(c: Case, poolMode: PoolMode) {
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
  for (let r = 0; r < heads * L; r++) {
    if (!ref.stats.fullyMasked[r]) continue;
    for (let cIdx = 0; cIdx < d; cIdx++) expect(s.output![r * d + cIdx]).toBe(0);
  }

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

  // Fused.
  const fused = await engine.runFused(inputs, {
    ...options,
    pool: { rows: poolRows, cols: poolCols, mode: poolMode, rect },
  });
  expect(fused.dispatches).toBe(2);
  expect(fused.submits).toBe(1);
  const wTolFused = fusedWeightTol(ref, info);
  const oTolFused = outputTol(ref, inputs.v, ref.weights, wTolFused);
  expectWithin(c.name, `fused output`, fused.stages.output!, ref.output, (i) => oTolFused[i]!);
  expectWithin(
    c.name,
    `fused vs staged`,
    fused.stages.output!,
    s.output!,
    (i) => oTolFused[i]! + oTolE2e[i]!,
  );
  expect([...fused.stats!.fullyMasked]).toEqual([...ref.stats.fullyMasked]);
  for (let r = 0; r < heads * L; r++) {
    if (!ref.stats.fullyMasked[r]) continue;
    for (let cIdx = 0; cIdx < d; cIdx++) expect(fused.stages.output![r * d + cIdx]).toBe(0);
  }
  // Fused pooled weights (recomputed from the row stats) vs the reference pool of the float64 weights.
  const fusedPoolRef = poolReference(ref.weights, inputs.shape, poolRows, poolCols, poolMode, rect);
  const fusedPoolTol = poolReference(wTolFused, inputs.shape, poolRows, poolCols, poolMode, rect);
  expectWithin(
    c.name,
    `fused pool ${poolMode}`,
    fused.pooled!.data,
    fusedPoolRef,
    (i) =>
      // the recomputed logits carry their own rounding (one more factor e^{2E} at most): use the bound twice
      2 * fusedPoolTol[i]! + cellArea * U * Math.abs(fusedPoolRef[i]!) + ATOL_W,
  );
  // The numerics panel's bounds (attentionErrorBounds) hold for both paths: nothing is flagged.
  const magnitudes = attentionMagnitudes(inputs, options.bias);
  for (const run of [staged, fused]) {
    const n = attentionNumerics(run, ref, magnitudes);
    expect(
      n.flagged,
      `${c.name} ${run.path}: ${JSON.stringify(n.maxAbsDiff)} vs ${JSON.stringify(n.bound)}`,
    ).toEqual([]);
  }
  return { staged, fused, ref };
}

describe('attention on the GPU vs the float64 reference', () => {
  const kinds = ['none', 'causal', 'padding', 'window', 'window-sym', 'custom'] as const;
  // Property-based: fixed seeds, random shapes within L 1…300, d 1…128, heads 1…8, every mask kind; shapes
  // are shrunk to heads·L²·d ≤ 2M multiply-adds so SwiftShader stays fast.
  const rng = testRng(20241129);
  const cases: Case[] = [];
  for (let n = 0; n < 20; n++) {
    let heads = rng.int(1, 8);
    let L = rng.int(1, 300);
    let d = rng.int(1, 128);
    while (heads * L * L * d > 2e6) {
      if (heads > 1) heads = Math.ceil(heads / 2);
      else if (d > 4) d = Math.ceil(d / 2);
      else L = Math.ceil(L * 0.8);
    }
    const kind = kinds[n % kinds.length]!;
    const options: AttentionOptions = { mask: randomMask(rng, kind, L) };
    if (n % 4 === 1) options.scale = 0.05 + 2 * rng.next();
    if (n % 3 === 2) {
      const perHead = rng.next() < 0.5;
      options.bias = randomTensor(rng, (perHead ? heads : 1) * L * L, 0.5);
    }
    const name = `#${n} H${heads} L${L} d${d} ${kind}${options.bias ? ' +bias' : ''}${options.scale ? ' scale' : ''}`;
    cases.push(makeCase(name, rng, heads, L, d, options));
  }
  const fixed = testRng(7);
  cases.push(
    makeCase('L 300 (19 tiles, not a multiple of 16) causal', fixed, 1, 300, 3, { mask: { kind: 'causal' } }),
    makeCase('d 128, 2 heads, symmetric window', fixed, 2, 24, 128, {
      mask: { kind: 'window', width: 5, causal: false },
    }),
    makeCase('d 256 (largest tier)', fixed, 1, 9, 256, {}),
    makeCase('8 heads, L 33, d 17, per-head bias', fixed, 8, 33, 17, {
      mask: { kind: 'causal' },
      bias: randomTensor(fixed, 8 * 33 * 33, 1),
    }),
    makeCase('L 1, d 1', fixed, 1, 1, 1, {}),
    makeCase('L 16 (one full tile) causal window', fixed, 2, 16, 16, {
      mask: { kind: 'window', width: 4, causal: true },
    }),
    makeCase('L 17 padding 0: every row fully masked', fixed, 2, 17, 5, {
      mask: { kind: 'padding', validLength: 0 },
    }),
    makeCase('custom mask with an empty row', fixed, 3, 21, 6, { mask: randomMask(fixed, 'custom', 21) }),
  );
  cases.forEach((c, n) => {
    it(c.name, async () => {
      await checkCase(c, n % 2 ? 'mean' : 'max');
    });
  });

  it('logits near ±1e4 (scale override): exact logits, stable softmax, fused = staged', async () => {
    // Small integer Q and K and a power-of-two scale make QKᵀ·scale exact in f32, so every GPU logit equals
    // the reference exactly and the softmax bound is the only tolerance.
    const rng2 = testRng(99);
    const heads = 2;
    const L = 40;
    const d = 32;
    const ints = () => Float32Array.from({ length: heads * L * d }, () => rng2.int(-3, 3));
    const inputs: AttentionInputs = {
      shape: { heads, L, d },
      q: ints(),
      k: ints(),
      v: randomTensor(rng2, heads * L * d),
    };
    for (const mask of [{ kind: 'none' }, { kind: 'causal' }] as AttentionMask[]) {
      const { staged, fused, ref } = await checkCase(
        { name: `±1e4 ${mask.kind}`, inputs, options: { scale: 64, mask } },
        'max',
      );
      let maxLogit = 0;
      for (let i = 0; i < ref.scaled.length; i++) maxLogit = Math.max(maxLogit, Math.abs(ref.scaled[i]!));
      expect(maxLogit).toBeGreaterThan(5e3);
      expect([...staged.stages.scaled!]).toEqual([...ref.scaled]);
      for (const x of [...staged.stages.weights!, ...staged.stages.output!, ...fused.stages.output!]) {
        expect(Number.isFinite(x)).toBe(true);
      }
    }
  });
});

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
