// Per-channel batch statistics of x [rows, channels]. Needs moments.wgsl joined in front. Shared by
// batchnorm.wgsl and the statistics pass, in two forms with the same accuracy (log-depth merge trees):
//  - reduce_channel: one workgroup per channel; each thread folds a strided set of rows with the Welford
//    update, then a tree of Chan/Pébay merges in workgroup memory (shaders/common/moments.wgsl). For GPUs.
//  - reduce_column: one invocation per channel, no workgroup memory or barriers (software adapters emulate
//    invocations on the CPU, where a barrier costs far more than the arithmetic): Welford over chunks of
//    CHUNK consecutive rows, and the chunks merged pairwise like a binary counter (stack[l] holds the merge
//    of 2^l chunks), so every value passes through O(log(rows/CHUNK)) merges, as in the tree.

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

const CHUNK: u32 = 16u;

fn reduce_column(channel: u32, rows: u32, channels: u32) -> Moments {
  var stack: array<Moments, 28>;
  var chunks = 0u;
  for (var r0 = 0u; r0 < rows; r0 += CHUNK) {
    var m = moments_empty();
    let end = min(r0 + CHUNK, rows);
    for (var r = r0; r < end; r++) {
      m = moments_merge(m, Moments(1.0, x[r * channels + channel], 0.0, 0.0, 0.0));
    }
    // Carry: merge with the stored 2^l-chunk sums while bit l of the chunk count is set.
    var level = 0u;
    var bits = chunks;
    while ((bits & 1u) != 0u) {
      m = moments_merge(stack[level], m);
      level++;
      bits >>= 1u;
    }
    stack[level] = m;
    chunks++;
  }
  var total = moments_empty();
  for (var l = 0u; l < 28u; l++) {
    if (((chunks >> l) & 1u) != 0u) {
      total = moments_merge(stack[l], total);
    }
  }
  return total;
}
