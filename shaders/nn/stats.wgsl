// out[2c] = batch mean, out[2c + 1] = biased batch variance of channel c of x [rows, channels].
// Joined after moments.wgsl and channel_stats.wgsl.

struct Params {
  rows: u32,
  channels: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn write_stats(c: u32, m: Moments) {
  out[2u * c] = m.mean;
  out[2u * c + 1u] = m.m2 / max(m.n, 1.0);
}

// One workgroup per channel (GPUs).
@compute @workgroup_size(64)
fn channel_stats(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = reduce_channel(wg.x, lid.x, p.rows, p.channels);
  if (lid.x == 0u) {
    write_stats(wg.x, m);
  }
}

// One invocation per channel, no barriers (software adapters).
@compute @workgroup_size(64)
fn channel_stats_serial(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x < p.channels) {
    write_stats(gid.x, reduce_column(gid.x, p.rows, p.channels));
  }
}
