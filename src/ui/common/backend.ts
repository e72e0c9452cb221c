/**
 * Which backend computes a lab's run, with one label and one notice wording for every fallback: the GPU
 * (the adapter's name) when the user chose it and a device is ready, else the CPU reference ("CPU"),
 * saying why when the user had asked for the GPU.
 */
import { msg } from '@lit/localize';
import type { GpuContext } from '../../gpu/device';
import type { BackendChoice } from '../../state/store';
import type { Runtime } from './runtime';

const CPU_LABEL = 'CPU';

export type ResolvedBackend =
  { kind: 'gpu'; ctx: GpuContext; label: string } | { kind: 'cpu'; label: typeof CPU_LABEL; notice?: string };

/** The notice when the GPU was asked for but the CPU reference computed instead. */
function fallbackNotice(runtime: Runtime): string {
  return runtime.status.kind === 'lost'
    ? msg('The GPU device was lost, so the CPU reference computed this.')
    : msg('WebGPU is not available, so the CPU reference computed this.');
}

/** The adapter's name once a device is ready, else "GPU". */
function gpuLabel(runtime: Runtime): string {
  return runtime.status.kind === 'ready' ? runtime.status.name : 'GPU';
}

export async function resolveBackend(runtime: Runtime, choice: BackendChoice): Promise<ResolvedBackend> {
  if (choice === 'gpu') {
    const ctx = await runtime.gpu();
    if (ctx) return { kind: 'gpu', ctx, label: gpuLabel(runtime) };
    return { kind: 'cpu', label: CPU_LABEL, notice: fallbackNotice(runtime) };
  }
  return { kind: 'cpu', label: CPU_LABEL };
}
