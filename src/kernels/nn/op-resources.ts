/**
 * What every training-core op shares: the uniform buffers it owns (OpResources, freed by one destroy()) and
 * the helper that records one dispatch of a pipeline over a fresh bind group.
 */
import type { UniformLayout } from '../../gpu/uniforms';
import { nnPipelines, type BufferOrView, type Dispatch, type NnPipelines, type NnProgram } from './pipelines';

/** Owns the small uniform buffers of a set of ops, so one destroy() frees them. */
export class OpResources {
  private buffers: GPUBuffer[] = [];
  private scratchBuffer: GPUBuffer | null = null;
  constructor(readonly device: GPUDevice) {}
  /** A 16-byte storage buffer for writable bindings a dispatch leaves unused (never read). */
  scratch(): GPUBuffer {
    if (!this.scratchBuffer) {
      this.scratchBuffer = this.device.createBuffer({
        label: 'nn.scratch',
        size: 16,
        usage: GPUBufferUsage.STORAGE,
      });
      this.buffers.push(this.scratchBuffer);
    }
    return this.scratchBuffer;
  }
  uniform<K extends string>(layout: UniformLayout<K>, label: string, values: Record<K, number>): GPUBuffer {
    const b = layout.createBuffer(this.device, label);
    layout.write(this.device, b, values);
    this.buffers.push(b);
    return b;
  }
  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers = [];
    this.scratchBuffer = null;
  }
}

/** Names of the programs (shader module + layout + pipelines) in NnPipelines. */
export type ProgramName = {
  [K in keyof NnPipelines]: NnPipelines[K] extends NnProgram ? K : never;
}[keyof NnPipelines];

/** One dispatch of `entry` in `program` over `buffers` (in binding order), bind group labelled `label`. */
export function dispatch(
  res: OpResources,
  program: ProgramName,
  entry: string,
  label: string,
  buffers: BufferOrView[],
  x: number,
  y?: number,
): Dispatch {
  const p = nnPipelines(res.device);
  const pipeline = p[program].pipelines[entry];
  if (!pipeline) throw new Error(`nn.${program} has no entry point ${entry}`);
  return { pipeline, bindGroup: p.bind(p[program], label, buffers), x, ...(y === undefined ? {} : { y }) };
}

/**
 * Elements per invocation of the elementwise kernels with grid-stride loops (activation, Adam): several on
 * software adapters, which pay per invocation (measured on SwiftShader: 8 per invocation runs an activation
 * over 8192 values 2–3× faster than 1), one on GPUs.
 */
export function elementsPerInvocation(device: GPUDevice): number {
  return barrierFree(device) ? 8 : 1;
}

/** Whether the ops recorded now use the barrier-free kernels (see NnKernelStyle). */
export function barrierFree(device: GPUDevice): boolean {
  return nnPipelines(device).style === 'barrier-free';
}
