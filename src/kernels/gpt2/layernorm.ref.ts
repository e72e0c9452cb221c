/** Float64 reference of shaders/gpt2/layernorm.wgsl: y = (x − μ)/√(σ² + ε)·g + b per row (two passes). */

/** LayerNorm over each of `rows` rows of C values of x ([rows][C]); biased variance, as PyTorch. */
export function layerNormRows(
  x: ArrayLike<number>,
  rows: number,
  C: number,
  gain: ArrayLike<number>,
  bias: ArrayLike<number>,
  eps: number,
): Float64Array {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += x[o + c]!;
    const mean = sum / C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += (x[o + c]! - mean) ** 2;
    const inv = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) y[o + c] = (x[o + c]! - mean) * inv * gain[c]! + bias[c]!;
  }
  return y;
}
