// Per-channel batch statistics of x [rows, channels] with one workgroup per channel: each thread folds a
// strided set of rows with the Welford update, then a tree of Chan/Pébay merges (shaders/common/moments.wgsl).
// Needs moments.wgsl joined in front. Shared by batchnorm.wgsl and the statistics pass.

const WG: u32 = 64u;
var<workgroup> shared_moments: array<Moments, 64>;

fn reduce_channel(channel: u32, lid: u32, rows: u32, channels: u32) -> Moments {
  var m = moments_empty();
  for (var r = lid; r < rows; r += WG) {
    m = moments_merge(m, Moments(1.0, x[r * channels + channel], 0.0, 0.0, 0.0));
  }
  shared_moments[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      shared_moments[lid] = moments_merge(shared_moments[lid], shared_moments[lid + s]);
    }
    workgroupBarrier();
  }
  return shared_moments[0];
}
