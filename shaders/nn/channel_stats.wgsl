// Per-channel batch statistics of x [rows, channels]. Needs moments.wgsl joined in front. Shared by
// batchnorm.wgsl and the statistics pass, in two forms with the same accuracy (log-depth merge trees).
// Both work on x − x₀, x₀ the channel's first row (as shaders/random/moments.wgsl does): near a large common
// offset these differences are exact (Sterbenz), so the means merged stay small and keep full resolution,
// and x₀ is added back once.
//  - reduce_channel: one workgroup per channel; each thread folds a strided set of rows with the Welford
//    update, then a tree of Chan/Pébay merges in workgroup memory (shaders/common/moments.wgsl). For GPUs.
//  - reduce_column: one invocation per channel, no workgroup memory or barriers (software adapters emulate
//    invocations on the CPU, where a barrier costs far more than the arithmetic): chunks of CHUNK
//    consecutive rows in two shifted passes, and the chunks merged pairwise (Chan) like a binary counter
//    (stack[l] holds the merge of 2^l chunks), so every value passes through O(log(rows/CHUNK)) merges, as
//    in the tree.

const WG: u32 = 64u;
var<workgroup> shared_moments: array<Moments, 64>;

fn reduce_channel(channel: u32, lid: u32, rows: u32, channels: u32) -> Moments {
  let shift = x[channel];
  var m = moments_empty();
  for (var r = lid; r < rows; r += WG) {
    m = moments_merge(m, Moments(1.0, x[r * channels + channel] - shift, 0.0, 0.0, 0.0));
  }
  shared_moments[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      shared_moments[lid] = moments_merge(shared_moments[lid], shared_moments[lid + s]);
    }
    workgroupBarrier();
  }
  var total = shared_moments[0];
  total.mean += shift;
  return total;
}

const CHUNK: u32 = 16u;

// Chan's merge of (count, mean, M2): the first three fields of moments_merge.
fn merge_mean_m2(a: vec3f, b: vec3f) -> vec3f {
  if (b.x == 0.0) {
    return a;
  }
  if (a.x == 0.0) {
    return b;
  }
  let n = a.x + b.x;
  let fb = b.x / n;
  let d = b.y - a.y;
  return vec3f(n, a.y + d * fb, a.z + b.z + d * d * a.x * fb);
}

// Count, mean and M2 of one column (the M3, M4 fields of the result are 0: BatchNorm and the statistics pass
// use only the mean and variance).
fn reduce_column(channel: u32, rows: u32, channels: u32) -> Moments {
  let shift = x[channel];
  var stack: array<vec3f, 28>;
  var chunks = 0u;
  for (var r0 = 0u; r0 < rows; r0 += CHUNK) {
    let end = min(r0 + CHUNK, rows);
    // A chunk in two passes, shifted by its first value (differences of nearby values are exact, so a
    // large common offset costs no accuracy): mean = x0 + Σ(x − x0)/n, then M2 = Σ(x − mean)².
    let x0 = x[r0 * channels + channel] - shift;
    var s = 0.0;
    for (var r = r0 + 1u; r < end; r++) {
      s += (x[r * channels + channel] - shift) - x0;
    }
    let count = f32(end - r0);
    let mean = x0 + s / count;
    var m2 = 0.0;
    for (var r = r0; r < end; r++) {
      let d = (x[r * channels + channel] - shift) - mean;
      m2 += d * d;
    }
    var m = vec3f(count, mean, m2);
    // Carry: merge with the stored 2^l-chunk results while bit l of the chunk count is set.
    var level = 0u;
    var bits = chunks;
    while ((bits & 1u) != 0u) {
      m = merge_mean_m2(stack[level], m);
      level++;
      bits >>= 1u;
    }
    stack[level] = m;
    chunks++;
  }
  var total = vec3f(0.0);
  for (var l = 0u; l < 28u; l++) {
    if (((chunks >> l) & 1u) != 0u) {
      total = merge_mean_m2(stack[l], total);
    }
  }
  return Moments(total.x, total.y + shift, total.z, 0.0, 0.0);
}
