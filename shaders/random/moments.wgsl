// Two-pass parallel reduction of count, mean and central moments M2..M4 of an f32 buffer
// (shaders/common/moments.wgsl is joined in front). Pass `partials`: each thread folds a grid-strided
// run of values with Welford updates, then the workgroup merges pairwise in a tree. Pass `finalize`:
// one workgroup merges the per-workgroup partials the same way. No running f32 sum anywhere.
// Values are shifted by the first value before accumulating: near a large common offset the shifted
// values are exact (Sterbenz) and their running mean keeps full resolution; the shift is added back once.

struct Params {
  count: u32,
  partial_count: u32,
  _pad0: u32,
  _pad1: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<Moments>;
@group(0) @binding(3) var<storage, read_write> result: array<Moments>;

const WG: u32 = 256u;
var<workgroup> shared_m: array<Moments, WG>;

fn tree_reduce(lid: u32) {
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    workgroupBarrier();
    if (lid < stride) {
      shared_m[lid] = moments_merge(shared_m[lid], shared_m[lid + stride]);
    }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WG)
fn partial_moments(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let stride = nwg.x * WG;
  var acc = moments_empty();
  let shift = values[0];
  for (var i = wid.x * WG + lid; i < params.count; i = i + stride) {
    acc = moments_merge(acc, Moments(1.0, values[i] - shift, 0.0, 0.0, 0.0));
  }
  shared_m[lid] = acc;
  tree_reduce(lid);
  if (lid == 0u) {
    partials[wid.x] = shared_m[0];
  }
}

@compute @workgroup_size(WG)
fn finalize_moments(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let lid = lid3.x;
  var acc = moments_empty();
  for (var i = lid; i < params.partial_count; i = i + WG) {
    acc = moments_merge(acc, partials[i]);
  }
  shared_m[lid] = acc;
  tree_reduce(lid);
  if (lid == 0u) {
    var total = shared_m[0];
    total.mean = total.mean + values[0];
    result[0] = total;
  }
}
