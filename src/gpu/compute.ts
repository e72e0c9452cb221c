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

/** Where a long GPU run is, reported by engines between submits (no DOM: the UI decides how to show it). */
export interface RunProgress {
  /** 'compile': shader pipelines being compiled; 'run': GPU work; 'read': results coming back. */
  phase: 'compile' | 'run' | 'read';
  /** A short sentence for a status line, e.g. "Running 3 of 5 batches…". */
  message: string;
  /** Steps finished and the number of steps, for a progress bar (total 0 = unknown). */
  done: number;
  total: number;
}

/** Cancellation and progress for one engine call. */
export interface RunControl {
  /**
   * Checked between submits: once it aborts, the call rejects with an AbortError at the next check. A
   * command buffer already submitted to the GPU cannot be cancelled; it finishes first.
   */
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
}

/** The error an aborted engine call rejects with (name "AbortError", as fetch and the DOM use). */
function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The computation was cancelled.', 'AbortError');
}

export function isAbortError(e: unknown): boolean {
  return (e as { name?: unknown } | null)?.name === 'AbortError';
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * A cancellation point between submits: waits until the GPU has finished the work submitted so far (so
 * progress is real and the page is not flooded with queued work), then throws an AbortError if the call
 * was cancelled meanwhile.
 */
export async function submitCheckpoint(device: GPUDevice, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  await device.queue.onSubmittedWorkDone();
  throwIfAborted(signal);
}

/** What a kernel wrapper's constructor makes from its WGSL: layout, pipelines and uniform buffer. */
interface ComputeKernelParts {
  layout: GPUBindGroupLayout;
  /** The pipeline of the first entry point. */
  pipeline: GPUComputePipeline;
  /** Every entry point's pipeline, by entry point name. */
  pipelines: Map<string, GPUComputePipeline>;
  /** The kernel's uniform buffer (`<label>.params`), sized by its UniformLayout. */
  params: GPUBuffer;
}

/**
 * The constructor boilerplate every kernel wrapper shares: one shader module from `code`, a bind-group
 * layout from `bindings` (binding i = entry i), one pipeline per entry point, and the uniform buffer.
 * Labels: module `label`, layout `<label>.bgl`, pipeline `label` (or `<label>.<entry>` when there are
 * several), uniforms `<label>.params`.
 */
export function createComputeKernel(
  device: GPUDevice,
  label: string,
  spec: {
    code: string;
    bindings: BindingKind[];
    entryPoints: string | readonly string[];
    uniforms: { createBuffer(device: GPUDevice, label: string): GPUBuffer };
  },
): ComputeKernelParts {
  const module = device.createShaderModule({ label, code: spec.code });
  const layout = createBindGroupLayout(device, `${label}.bgl`, spec.bindings);
  const entries = typeof spec.entryPoints === 'string' ? [spec.entryPoints] : spec.entryPoints;
  if (entries.length === 0) throw new RangeError(`${label}: a kernel needs at least one entry point.`);
  const pipelines = new Map(
    entries.map((entry) => {
      const name = entries.length === 1 ? label : `${label}.${entry}`;
      return [entry, createComputePipeline(device, name, module, layout, entry)] as const;
    }),
  );
  return {
    layout,
    pipeline: pipelines.get(entries[0]!)!,
    pipelines,
    params: spec.uniforms.createBuffer(device, `${label}.params`),
  };
}
