/**
 * Worst-case f32 error bounds of the attention kernels against the float64 reference, from the WGSL
 * accuracy rules (DESIGN.md "Numerics": + − * correctly rounded, / 2.5 ulp, exp(x) 3 + 2|x| ulp, any
 * summation order): a length-N reduction is off by at most N·u relative to its terms' magnitude,
 * u = 2⁻²³. The numerics panel flags a stage whose max |run − reference| exceeds its bound.
 */
import type { AttentionInputs, AttentionShape, FloatArray } from './spec';

/** One ulp at 1 in f32. */
const F32_ULP = 2 ** -23;
/** Added to every bound: f32 implementations may flush subnormals (below ~1.2e-38) to zero. */
const FLUSH_ATOL = 1e-30;

/** The magnitudes of a run's inputs that its rounding errors scale with. */
export interface AttentionMagnitudes {
  /** max over heads of (max_i ‖q_i‖₂)·(max_j ‖k_j‖₂): bounds Σ_c |q_c k_c| for every (query, key). */
  qk: number;
  /** max |bias| (0 without bias). */
  bias: number;
  /** max |v|. */
  v: number;
}

export function attentionMagnitudes(inputs: AttentionInputs, bias?: FloatArray): AttentionMagnitudes {
  const { heads, L, d } = inputs.shape;
  const maxNorm = (x: FloatArray, h: number) => {
    let m = 0;
    for (let i = 0; i < L; i++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[(h * L + i) * d + c]! ** 2;
      m = Math.max(m, s);
    }
    return Math.sqrt(m);
  };
  let qk = 0;
  for (let h = 0; h < heads; h++) qk = Math.max(qk, maxNorm(inputs.q, h) * maxNorm(inputs.k, h));
  const maxAbs = (x: FloatArray | undefined) => {
    let m = 0;
    for (let i = 0; i < (x?.length ?? 0); i++) m = Math.max(m, Math.abs(x![i]!));
    return m;
  };
  return { qk, bias: maxAbs(bias), v: maxAbs(inputs.v) };
}

/** Bounds on max |run − reference| per stage, absolute (the same units as the stage). */
interface AttentionErrorBounds {
  scores: number;
  scaled: number;
  masked: number;
  weights: number;
  output: number;
}

/**
 * f32 bounds for a run of `shape` with this `scale` on `path` (the fused output has its own bound; the
 * CPU backend's f32 copies of the reference are within every bound). With u = 2⁻²³, R = |scale|·qk + bias
 * (the largest |logit|) and ℓ = ln L:
 * - scores:  (d + 2)·u·qk                    length-d dot product (+2: inputs rounded to f32)
 * - scaled, masked (kept entries): E = (d + 6)·u·R      the scores' error scaled, plus the scale, the
 *   bias add and their roundings; masked entries must match exactly (reported as ∞ otherwise)
 * - weights: (e^{2E} − 1) + e^{2E}·(L + 92)·u    logits off by ≤ E move a softmax weight by a factor
 *   e^{±2E}; the row max, the sum of ≤ L exps (3 + 2|x| ulp each: w·|x − m| ≤ 1/e) and the division
 * - output:  v·(A + L·u·(1 + A)), A = (e^{2E} − 1) + e^{2E}·(L + 92 + 2.5ℓ)·u     Σ_k Δw_k·|v_k| over a
 *   row (Σ_k w_k·|x_k − m| ≤ ln L) plus the length-L weights·V sum; fused adds (10·T + 8·R)·u inside A
 *   for its T = ⌈L/16⌉ tiles and the online rescaling by exp(m_old − m_new).
 */
export function attentionErrorBounds(
  shape: AttentionShape,
  scale: number,
  path: 'staged' | 'fused' | 'cpu',
  m: AttentionMagnitudes,
): AttentionErrorBounds {
  const u = F32_ULP;
  const { L, d } = shape;
  const R = Math.abs(scale) * m.qk + m.bias;
  const E = (d + 6) * u * R;
  const grow = Math.exp(2 * E);
  const weights = Math.expm1(2 * E) + grow * (L + 92) * u;
  const fusedExtra = path === 'fused' ? 10 * Math.ceil(L / 16) + 8 * R : 0;
  const A = Math.expm1(2 * E) + grow * (L + 92 + 2.5 * Math.log(L) + fusedExtra) * u;
  return {
    scores: (d + 2) * u * m.qk + FLUSH_ATOL,
    scaled: E + FLUSH_ATOL,
    masked: E + FLUSH_ATOL,
    weights: weights + FLUSH_ATOL,
    output: m.v * (A + L * u * (1 + A)) + FLUSH_ATOL,
  };
}

/** Bound on |Σ_k w_k − 1| for a row of L f32 weights: the sum of L exps, the reciprocal and the products. */
export function rowSumBound(L: number): number {
  return (L + 4) * F32_ULP;
}
