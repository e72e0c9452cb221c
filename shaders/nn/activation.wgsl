// Elementwise activations, forward y = f(x) and backward dx = dy · f'(x) (x is the forward input).
// kind: 0 ReLU, 1 sigmoid, 2 SiLU x·σ(x), 3 GELU (tanh approximation, Hendrycks & Gimpel 2016).
// tanh's argument is clamped to ±10 (tanh(10) = 1 − 4e-9 in f32 terms) so no implementation overflows.

struct Params {
  count: u32,
  kind: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

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

fn act(v: f32) -> f32 {
  switch p.kind {
    case 1u: { return sigmoid(v); }
    case 2u: { return v * sigmoid(v); }
    case 3u: { return 0.5 * v * (1.0 + gelu_tanh(v)); }
    default: { return max(v, 0.0); }
  }
}

fn act_grad(v: f32) -> f32 {
  switch p.kind {
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

// Grid-stride loops: an invocation takes elements gid, gid + stride, … (stride = all invocations), so a
// dispatch may use fewer invocations than elements (software adapters pay per invocation).
@compute @workgroup_size(256)
fn activation_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < p.count; i += groups.x * 256u) {
    out[i] = act(x[i]);
  }
}

@compute @workgroup_size(256)
fn activation_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < p.count; i += groups.x * 256u) {
    out[i] = dy[i] * act_grad(x[i]);
  }
}
