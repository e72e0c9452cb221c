// Elementwise sum out = a + b. A residual connection h' = h + f(h) uses it forward, and backward too:
// dh = dh' + (gradient through f), because the skip path passes dh' through unchanged.

struct Params {
  count: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i < p.count) {
    out[i] = a[i] + b[i];
  }
}
