/**
 * Shared checks for the attention kernel tests (tests/gpu/attention-*.test.ts) on a real WebGPU adapter
 * against the float64 reference (src/kernels/attention/ref.ts). Call useAttentionGpu() at the top of a file.
 *
 * Tolerances, all of the form |gpu − ref| ≤ atol + (bound), derived from f32 (u = 2⁻²³ below, one ulp at 1)
 * and the WGSL accuracy rules (+ − * correctly rounded, / 2.5 ulp, exp(x) 3 + 2|x| ulp, flushing allowed).
 * [m: …] is the measured worst |gpu − ref| / tolerance over the attention-*.test.ts cases on SwiftShader (and the
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
 *   Pooled map from the fused pass (partials + reduce): passPoolWeightTol, maxed/averaged over the cell, plus
 *   n·u·|ref| [m: 0.020; 1.9e-6 both families, attention-reference and attention-pool-pass].
 *   (recomputed cells in attention-pool-pass: [m: 0.0049; 1.1e-7])
 * - the numerics panel's per-stage bounds (attentionErrorBounds, from input magnitudes only) hold on every
 *   case for both paths, so nothing is flagged [m: scores 0.10, scaled/masked 0.062, weights 0.005,
 *   output 0.0035 staged, 0.0026 fused].
 * Shapes are small (SwiftShader runs WGSL slower than plain JavaScript); each file takes well under 60 s.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { AttentionEngine } from '../../src/engine/attention';
import {
  biasAt,
  type AttentionInputs,
  type AttentionMask,
  type AttentionOptions,
} from '../../src/kernels/attention/spec';
import type { AttentionReference } from '../../src/kernels/attention/ref';
import { testGpu, testRng } from './gpu-test-context';

export const U = 2 ** -23;
export const ATOL_S = 1e-35;
export const ATOL_W = 1e-37;
export const ATOL_O = 1e-30;

export let gpu: GpuContext;
export let engine: AttentionEngine;
/** An engine whose fused path is the GPU family (flash.wgsl), whatever the adapter: both families are tested. */
export let flashEngine: AttentionEngine;
/** Registers the file's beforeAll / afterAll: the device, its AttentionEngine and a flash-family one. */
export function useAttentionGpu(): void {
  beforeAll(async () => {
    gpu = await testGpu(navigator.gpu);
    engine = new AttentionEngine(gpu);
    flashEngine = new AttentionEngine(gpu, { fusedFamily: 'flash' });
  });
  afterAll(() => {
    engine?.destroy();
    flashEngine?.destroy();
    gpu?.destroy();
  });
}

export type Rng = ReturnType<typeof testRng>;

export interface Case {
  name: string;
  inputs: AttentionInputs;
  options: AttentionOptions;
}

export function randomTensor(rng: Rng, n: number, spread = 1): Float32Array {
  return Float32Array.from({ length: n }, () => spread * rng.normal());
}

export function makeCase(
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

export function randomMask(rng: Rng, kind: AttentionMask['kind'] | 'window-sym', L: number): AttentionMask {
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
export function absDots(x: AttentionInputs): Float64Array {
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
export function check(
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

export function expectWithin(
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
export function scaledTolerance(
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
export function rowInfo(ref: AttentionReference, tolScaled: Float64Array) {
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
export function e2eWeightTol(
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

/**
 * End-to-end bound on weights the fused kernels compute (online softmax over T = ⌈L/16⌉ key tiles; the flash
 * family's 32-key tiles give fewer rescales, so the same bound holds for it).
 */
export function fusedWeightTol(ref: AttentionReference, info: ReturnType<typeof rowInfo>): Float64Array {
  const T = Math.ceil(ref.shape.L / 16);
  return e2eWeightTol(
    ref,
    info,
    (r, xm) => (10 * T + 40 + info.kept[r]! + 2.5 * xm + 4 * info.range[r]!) * U,
  );
}

/**
 * Bound on the weights the pooled map from the fused pass stands for (partials + reduce), per entry: the fused
 * bound δ_f plus what the partials add, for columns of nC keys, row range R and largest |logit| A:
 * - tiled: partial max exact (a GPU logit); s = Σ e_j / e_max with e = exp(x − m_t): 2 exps (3 + 2.5R)u each,
 *   nC additions, 1 division (2.5u) → (8.5 + nC + 5R)u;
 * - flash: partial max = m_new + log(max p): p's exp (3 + 2.5R)u, log 3 ulp of |log p| ≤ R, the addition
 *   u·(A + R) → (3 + 5.5R + A)u absolute in the logit; s as tiled;
 * - a column over several key tiles: one merge per tile, 2 exps and an addition, (7 + 5R)u each, at most
 *   ⌈nC/16⌉ + 1 tiles;
 * - the reduce: exp(x_C − m) (3 + 2.5R)u, 1/l 2.5u, 2 products.
 * Sum (both families): δ_f + (20 + nC + 13R + A + (⌈nC/16⌉ + 1)(7 + 5R))·u, on top of the fused weights'
 * e^{2E} logit factor (e2eWeightTol). Terms the pass drops because exp flushed to 0 are each below
 * 1.2e-38 ≤ ATOL_W.
 */
export function passPoolWeightTol(
  ref: AttentionReference,
  info: ReturnType<typeof rowInfo>,
  nC: number,
): Float64Array {
  const T = Math.ceil(ref.shape.L / 16);
  const { heads, L } = ref.shape;
  const A = new Float64Array(heads * L);
  for (let r = 0; r < heads * L; r++) {
    for (let j = 0; j < L; j++) {
      const x = ref.masked[r * L + j]!;
      if (x !== -Infinity) A[r] = Math.max(A[r]!, Math.abs(x) + info.E[r]!);
    }
  }
  const merges = Math.ceil(nC / 16) + 1;
  return e2eWeightTol(ref, info, (r, xm) => {
    const R = info.range[r]! + 2 * info.E[r]!;
    const fused = 10 * T + 40 + info.kept[r]! + 2.5 * xm + 4 * R;
    return (fused + 20 + nC + 13 * R + A[r]! + merges * (7 + 5 * R)) * U;
  });
}

export function outputTol(
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

/** Every output entry of a fully-masked row is exactly 0. */
export function expectFullyMaskedRowsZero(output: ArrayLike<number>, ref: AttentionReference) {
  const { heads, L, d } = ref.shape;
  for (let r = 0; r < heads * L; r++) {
    if (!ref.stats.fullyMasked[r]) continue;
    for (let cIdx = 0; cIdx < d; cIdx++) expect(output[r * d + cIdx]).toBe(0);
  }
}
