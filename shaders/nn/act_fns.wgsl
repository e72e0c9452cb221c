// Elementwise activations by kind: 0 ReLU, 1 sigmoid, 2 SiLU x·σ(x), 3 GELU (tanh approximation, Hendrycks
// & Gimpel 2016); act_f(kind, x) = f(x), act_df(kind, x) = f'(x). Shared by activation.wgsl and the fused
// BatchNorm kernels. tanh's argument is clamped to ±10 (tanh(10) = 1 − 4e-9 in f32 terms) so no
// implementation overflows.

const GELU_C: f32 = 0.7978845608028654; // √(2/π)
const GELU_A: f32 = 0.044715;

fn sigmoid(v: f32) -> f32 {
  if (v >= 0.0) {
    return 1.0 / (1.0 + exp(-v));
  }
  let e = exp(v);
  return e / (1.0 + e);
}

fn gelu_tanh(v: f32) -> f32 {
  return tanh(clamp(GELU_C * (v + GELU_A * v * v * v), -10.0, 10.0));
}

fn act_f(kind: u32, v: f32) -> f32 {
  switch kind {
    case 1u: { return sigmoid(v); }
    case 2u: { return v * sigmoid(v); }
    case 3u: { return 0.5 * v * (1.0 + gelu_tanh(v)); }
    default: { return max(v, 0.0); }
  }
}

fn act_df(kind: u32, v: f32) -> f32 {
  switch kind {
    case 1u: {
      let s = sigmoid(v);
      return s * (1.0 - s);
    }
    case 2u: {
      let s = sigmoid(v);
      return s * (1.0 + v * (1.0 - s));
    }
    case 3u: {
      let t = gelu_tanh(v);
      return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * v * v);
    }
    default: { return select(0.0, 1.0, v > 0.0); }
  }
}
