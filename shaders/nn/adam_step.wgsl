// Adam / AdamW with its step counter on the GPU, so that many training steps fit in one command buffer.
// `adam_tick` (one invocation, in a training step's list before `adam`) advances state.t and derives the bias
// corrections bc = 1 − β^t = −expm1(t·ln β) from it (ln β from the CPU in float64, rounded once); `adam`
// then updates every element as adam.wgsl does: m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
// p ← p − lr·(m/bc1)/(√(v/bc2) + ε) − lr·wd·p.

struct Hyper {
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  log_beta1: f32,
  log_beta2: f32,
};

struct State {
  t: u32,
  bc1: f32,
  bc2: f32,
  pad: u32,
};

@group(0) @binding(0) var<uniform> hp: Hyper;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: State;

// 1 − β^t for x = t·ln β ≤ 0. Near 0, where 1 − exp(x) would cancel, the Taylor series of −expm1(x) to
// x⁸/8! (truncation < x⁸/9! ≤ 1.1e-8 relative for |x| ≤ 1/2), in nested form; beyond, 1 − exp(x) (≥ 0.39,
// so exp's 3 + 2|x| ULP cost at most ~14 ULP of the result). Relative error ≤ 2⁻²⁰ over all t.
fn bias_correction(t: f32, log_beta: f32) -> f32 {
  let x = t * log_beta;
  if (x < -0.5) {
    return 1.0 - exp(x);
  }
  var s = 1.0 + x * (1.0 / 8.0);
  s = 1.0 + x * (1.0 / 7.0) * s;
  s = 1.0 + x * (1.0 / 6.0) * s;
  s = 1.0 + x * (1.0 / 5.0) * s;
  s = 1.0 + x * (1.0 / 4.0) * s;
  s = 1.0 + x * (1.0 / 3.0) * s;
  s = 1.0 + x * 0.5 * s;
  return -(x * s);
}

@compute @workgroup_size(1)
fn adam_tick() {
  let t = state.t + 1u;
  state.t = t;
  state.bc1 = bias_correction(f32(t), hp.log_beta1);
  state.bc2 = bias_correction(f32(t), hp.log_beta2);
}

// Grid-stride loop: an invocation updates elements gid, gid + stride, … (stride = all invocations).
@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let count = min(arrayLength(&param), arrayLength(&grad));
  let bc1 = state.bc1;
  let bc2 = state.bc2;
  for (var i = gid.x; i < count; i += groups.x * 64u) {
    let g = grad[i];
    let mi = hp.beta1 * m[i] + (1.0 - hp.beta1) * g;
    let vi = hp.beta2 * v[i] + (1.0 - hp.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let w = param[i];
    param[i] = w - hp.lr * (mi / bc1) / (sqrt(vi / bc2) + hp.eps) - hp.lr * hp.weight_decay * w;
  }
}
