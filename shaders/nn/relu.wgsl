// ReLU forward y = max(x, 0) and backward dx = dy · [x > 0] (x is the forward input).

struct Params {
  count: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn relu_forward(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i < p.count) {
    out[i] = max(x[i], 0.0);
  }
}

@compute @workgroup_size(256)
fn relu_backward(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i < p.count) {
    out[i] = select(0.0, dy[i], x[i] > 0.0);
  }
}
