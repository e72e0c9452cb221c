/** Small helpers shared by every kernel wrapper: explicit bind-group layouts and 1D dispatch over 2D grids. */
import { msg } from '@lit/localize';

export type BindingKind = 'uniform' | 'read' | 'storage';

/** A bind-group layout made once per kernel from the list of its bindings (binding i = entry i). */
export function createBindGroupLayout(
  device: GPUDevice,
  label: string,
  kinds: readonly BindingKind[],
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
  return new DOMException(msg('The computation was cancelled.'), 'AbortError');
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

/** Anything a kernel wrapper frees in destroy(). */
interface Destroyable {
  destroy(): void;
}

/** A workgroup grid: grid1D's result, or explicit counts. */
export interface Workgroups {
  x: number;
  y?: number;
  z?: number;
}

/**
 * What a kernel wrapper's constructor makes from its WGSL. `entryPoints`: one name, a list, or pipeline
 * names → entry points (the names go into the labels); omit `code` when the wrapper builds specialised
 * pipelines itself on `layout`. `uniforms` makes the parameter buffer (a UniformLayout, or a ring of them).
 */
interface ComputeKernelSpec<P> {
  code?: string;
  bindings: readonly BindingKind[];
  entryPoints?: string | readonly string[] | Readonly<Record<string, string>>;
  uniforms: { createBuffer(device: GPUDevice, label: string): P };
}

/**
 * The body every kernel wrapper shares: one shader module from `code`, a bind-group layout from `bindings`
 * (binding i = entry i), one pipeline per entry point, the uniform buffer, the resources it owns, and the
 * encode tail (bind group + one compute pass). Labels: module `label`, layout `<label>.bgl`, pipeline
 * `label` (or `<label>.<name>` when there are several), uniforms `<label>.params`, bind group `<pass>.bg`.
 */
export class ComputeKernel<P extends Destroyable = GPUBuffer> {
  readonly layout: GPUBindGroupLayout;
  /** Every pipeline, by name (the entry point unless `entryPoints` named them). */
  readonly pipelines = new Map<string, GPUComputePipeline>();
  readonly params: P;
  private readonly owned: Destroyable[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
    spec: ComputeKernelSpec<P>,
  ) {
    this.layout = createBindGroupLayout(device, `${label}.bgl`, spec.bindings);
    if (spec.code !== undefined) this.compile(spec.code, spec.entryPoints ?? []);
    this.params = spec.uniforms.createBuffer(device, `${label}.params`);
  }

  private compile(code: string, entryPoints: NonNullable<ComputeKernelSpec<P>['entryPoints']>): void {
    const e = entryPoints;
    const named: [string, string][] =
      typeof e === 'string' ? [[e, e]] : Array.isArray(e) ? e.map((n) => [n, n]) : Object.entries(e);
    if (named.length === 0) throw new RangeError(`${this.label}: a kernel needs at least one entry point.`);
    const module = this.device.createShaderModule({ label: this.label, code });
    for (const [name, entry] of named) {
      const label = named.length === 1 ? this.label : `${this.label}.${name}`;
      this.pipelines.set(name, createComputePipeline(this.device, label, module, this.layout, entry));
    }
  }

  /** The pipeline of the first entry point. */
  get pipeline(): GPUComputePipeline {
    const first = this.pipelines.values().next();
    if (first.done) throw new Error(`${this.label}: no pipeline was compiled from code.`);
    return first.value;
  }

  /** Frees `resource` with the kernel in destroy(); returns it. */
  own<T extends Destroyable>(resource: T): T {
    this.owned.push(resource);
    return resource;
  }

  /**
   * Binds `buffers` (binding i = buffers[i]) as `<bindGroup>` and encodes one pass of a pipeline (default:
   * the first; a name or a pipeline) labelled `pass` (default: the kernel's label; bind group `<pass>.bg`).
   */
  encode(
    encoder: GPUCommandEncoder,
    buffers: GPUBuffer[],
    groups: Workgroups,
    run: { pipeline?: string | GPUComputePipeline; pass?: string; bindGroup?: string } = {},
  ): void {
    const p = run.pipeline;
    const pipeline = p === undefined ? this.pipeline : typeof p === 'string' ? this.pipelines.get(p) : p;
    if (!pipeline) throw new RangeError(`${this.label}: no pipeline ${String(p)}.`);
    const pass = run.pass ?? this.label;
    const bindGroup = createBindGroup(this.device, run.bindGroup ?? `${pass}.bg`, this.layout, buffers);
    encodeComputePass(encoder, pass, pipeline, bindGroup, groups.x, groups.y, groups.z);
  }

  /** Frees the uniform buffer(s) and every owned resource. */
  destroy(): void {
    this.params.destroy();
    for (const resource of this.owned.splice(0)) resource.destroy();
  }
}
