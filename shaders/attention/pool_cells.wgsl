// Cell `index` of `out_count` cells over [start, start + count): the half-open range of rows (or keys) it
// pools, ⌊index·count/out_count⌋ … ⌊(index+1)·count/out_count⌋ from start. Shared by pool.wgsl,
// weights_pool.wgsl and pool_reduce.wgsl (joined in front), so every pooled map has the same cells.
fn cell_range(index: u32, out_count: u32, start: u32, count: u32) -> vec2<u32> {
  return vec2<u32>(start + (index * count) / out_count, start + ((index + 1u) * count) / out_count);
}
