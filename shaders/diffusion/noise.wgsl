// Gaussian noise for the diffusion kernels (shaders/common/philox.wgsl and shaders/common/box_muller.wgsl are
// joined in front). Key = (seed, stream), counter = (particle, step, block, 0); the block's four words give
// four normals by Box–Muller on (w0, w1) and (w2, w3). Component d of a particle uses block d / 4, value d % 4.
// Mirrors noiseBlock in src/kernels/diffusion/diffusion.ref.ts.

fn diffusion_normals(key: vec2<u32>, particle: u32, step: u32, block: u32) -> vec4<f32> {
  let w = philox4x32_10(vec4<u32>(particle, step, block, 0u), key);
  let a = box_muller(w.x, w.y);
  let b = box_muller(w.z, w.w);
  return vec4<f32>(a.x, a.y, b.x, b.y);
}
