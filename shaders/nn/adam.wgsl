// Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) over one parameter tensor, elementwise:
// m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; p ← p − lr·(m/bc1)/(√(v/bc2) + ε) − lr·wd·p,
// bc1 = 1 − β1^t, bc2 = 1 − β2^t computed on the CPU per step.

struct Params {
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bc1: f32,
  bc2: f32,
  weight_decay: f32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

// Grid-stride loop: an invocation updates elements gid, gid + stride, … (stride = all invocations), so a
// dispatch may use fewer invocations than elements (software adapters pay per invocation).
@compute @workgroup_size(64)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let count = min(arrayLength(&param), arrayLength(&grad));
  for (var i = gid.x; i < count; i += groups.x * 64u) {
    let g = grad[i];
    let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let w = param[i];
    param[i] = w - p.lr * (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) - p.lr * p.weight_decay * w;
  }
}
