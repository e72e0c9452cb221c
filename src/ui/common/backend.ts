/**
 * Which backend computes a lab's run, with one label and one notice wording for every fallback: the GPU
 * (the adapter's name) when the user chose it and a device is ready, else the CPU reference ("CPU"),
 * saying why when the user had asked for the GPU.
 */
import { msg } from '@lit/localize';
import { adapterDisplayName, type GpuContext } from '../../gpu/device';
import type { BackendChoice } from '../../state/store';
import type { Runtime } from './runtime';

const CPU_LABEL = 'CPU';

/**
 * `label` is English and is what exports record (the adapter's name, or "CPU"); `displayLabel` is the same
 * in the interface language, for the page.
 */
export type ResolvedBackend =
  | { kind: 'gpu'; ctx: GpuContext; label: string; displayLabel: string }
  | { kind: 'cpu'; label: typeof CPU_LABEL; displayLabel: string; notice?: string };

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

/** gpuLabel in the interface language. */
function gpuDisplayLabel(runtime: Runtime): string {
  return runtime.status.kind === 'ready' ? adapterDisplayName(runtime.status.ctx.info) : 'GPU';
}

export async function resolveBackend(runtime: Runtime, choice: BackendChoice): Promise<ResolvedBackend> {
  if (choice === 'gpu') {
    const ctx = await runtime.gpu();
    if (ctx) return { kind: 'gpu', ctx, label: gpuLabel(runtime), displayLabel: gpuDisplayLabel(runtime) };
    return { kind: 'cpu', label: CPU_LABEL, displayLabel: CPU_LABEL, notice: fallbackNotice(runtime) };
  }
  return { kind: 'cpu', label: CPU_LABEL, displayLabel: CPU_LABEL };
}
