// Elementwise activations, forward y = f(x) and backward dx = dy · f'(x) (x is the forward input), with
// f = act_f(p.kind, ·) of act_fns.wgsl (joined in front).

struct Params {
  count: u32,
  kind: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// Grid-stride loops: an invocation takes elements gid, gid + stride, … (stride = all invocations), so a
// dispatch may use fewer invocations than elements (software adapters pay per invocation).
@compute @workgroup_size(256)
fn activation_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < p.count; i += groups.x * 256u) {
    out[i] = act_f(p.kind, x[i]);
  }
}

@compute @workgroup_size(256)
fn activation_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  for (var i = gid.x; i < p.count; i += groups.x * 256u) {
    out[i] = dy[i] * act_df(p.kind, x[i]);
  }
}
