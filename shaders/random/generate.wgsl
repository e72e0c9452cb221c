// Fills `out` with `count` values from Philox4x32-10 (shaders/common/philox.wgsl and box_muller.wgsl are
// joined in front). transform: 0 raw u32 words, 1 uniform [0,1), 2 standardized (u − 1/2)·√12,
// 3 Irwin–Hall (Σ12 u) − 6, 4 Box–Muller normals. Floats are stored as their bits (out is array<u32>), so
// one buffer serves both.
// Layout of values over blocks matches sampleReference in src/kernels/random/ref.ts.

struct Params {
  count: u32,
  transform: u32,
  key0: u32,
  key1: u32,
  threads_per_row: u32,
  // First thread of this dispatch: a long run generates in batches of threads, one submit each.
  first_thread: u32,
  _pad1: u32,
  _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

const SQRT12: f32 = 3.46410161513775;

fn block(index: u32) -> vec4<u32> {
  return philox4x32_10(vec4<u32>(index, 0u, 0u, 0u), vec2<u32>(params.key0, params.key1));
}

fn store(i: u32, bits: u32) {
  if (i < params.count) {
    out[i] = bits;
  }
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x + gid.y * params.threads_per_row + params.first_thread;
  if (params.transform == 3u) {
    // One value per thread from three blocks (12 uniforms).
    if (t >= params.count) {
      return;
    }
    var s = 0.0;
    for (var b = 0u; b < 3u; b = b + 1u) {
      let w = block(3u * t + b);
      s = s + philox_unit(w.x) + philox_unit(w.y) + philox_unit(w.z) + philox_unit(w.w);
    }
    out[t] = bitcast<u32>(s - 6.0);
    return;
  }
  // One block (four values) per thread.
  let base = 4u * t;
  if (base >= params.count) {
    return;
  }
  let w = block(t);
  var v: vec4<u32>;
  switch (params.transform) {
    case 0u: {
      v = w;
    }
    case 1u: {
      v = bitcast<vec4<u32>>(vec4<f32>(philox_unit(w.x), philox_unit(w.y), philox_unit(w.z), philox_unit(w.w)));
    }
    case 2u: {
      let u = vec4<f32>(philox_unit(w.x), philox_unit(w.y), philox_unit(w.z), philox_unit(w.w));
      v = bitcast<vec4<u32>>((u - vec4<f32>(0.5)) * SQRT12);
    }
    default: {
      let a = box_muller(w.x, w.y);
      let b = box_muller(w.z, w.w);
      v = bitcast<vec4<u32>>(vec4<f32>(a.x, a.y, b.x, b.y));
    }
  }
  store(base, v.x);
  store(base + 1u, v.y);
  store(base + 2u, v.z);
  store(base + 3u, v.w);
}
