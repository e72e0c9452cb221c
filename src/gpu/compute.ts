/** Small helpers shared by every kernel wrapper: explicit bind-group layouts and 1D dispatch over 2D grids. */

export type BindingKind = 'uniform' | 'read' | 'storage';

/** A bind-group layout made once per kernel from the list of its bindings (binding i = entry i). */
export function createBindGroupLayout(
  device: GPUDevice,
  label: string,
  kinds: BindingKind[],
): GPUBindGroupLayout {
  return device.createBindGroupLayout({
    label,
    entries: kinds.map((kind, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
    })),
  });
}

export function createComputePipeline(
  device: GPUDevice,
  label: string,
  module: GPUShaderModule,
  layout: GPUBindGroupLayout,
  entryPoint: string,
): GPUComputePipeline {
  return device.createComputePipeline({
    label,
    layout: device.createPipelineLayout({ label: `${label}.layout`, bindGroupLayouts: [layout] }),
    compute: { module, entryPoint },
  });
}

export function createBindGroup(
  device: GPUDevice,
  label: string,
  layout: GPUBindGroupLayout,
  buffers: GPUBuffer[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout,
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

/**
 * Workgroup counts for `threads` invocations of a 1D kernel, folded into 2D when one dimension would
 * exceed maxComputeWorkgroupsPerDimension. The kernel computes its index as `gid.x + gid.y * threadsPerRow`.
 */
export function grid1D(threads: number, workgroupSize: number, maxPerDimension = 65535) {
  const groups = Math.max(1, Math.ceil(threads / workgroupSize));
  if (groups <= maxPerDimension) return { x: groups, y: 1, threadsPerRow: groups * workgroupSize };
  const x = maxPerDimension;
  const y = Math.ceil(groups / x);
  if (y > maxPerDimension) throw new RangeError(`${threads} invocations exceed a 2D dispatch grid`);
  return { x, y, threadsPerRow: x * workgroupSize };
}

/** Creates a storage buffer sized for `bytes` (rounded up to 16), labelled. */
export function createStorageBuffer(
  device: GPUDevice,
  label: string,
  bytes: number,
  extraUsage = 0,
): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
  });
}

/** Encodes one compute pass that runs `pipeline` with bind group 0 over a grid of workgroups. */
export function encodeComputePass(
  encoder: GPUCommandEncoder,
  label: string,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  x: number,
  y = 1,
  z = 1,
): void {
  const pass = encoder.beginComputePass({ label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, z);
  pass.end();
}
