/**
 * Which backend computes a lab's run, with one label and one notice wording for every fallback: the GPU
 * (the adapter's name) when the user chose it and a device is ready, else the CPU reference ("CPU"),
 * saying why when the user had asked for the GPU.
 */
import { msg, str } from '@lit/localize';
import { adapterIdentity, localAdapterName, type AdapterIdentity, type GpuContext } from '../../gpu/device';
import type { BackendChoice } from '../../state/store';
import type { Runtime } from './runtime';

const CPU_LABEL = 'CPU';

/** What computed a run, kept with it so the page names it in the interface language at render time. */
export type BackendTag = { kind: 'cpu' } | { kind: 'gpu'; adapter: AdapterIdentity | null };

/**
 * `label` is English and is what exports record (the adapter's name, or "CPU"); `tag` names it on the page
 * (backendName, backendPhrase), in whichever language is active when it is drawn.
 */
export type ResolvedBackend =
  | { kind: 'gpu'; ctx: GpuContext; label: string; tag: BackendTag }
  | { kind: 'cpu'; label: typeof CPU_LABEL; tag: BackendTag; notice?: () => string };

/** The tag of a result that records its backend kind and adapter (the Recommendation lab's). */
export function backendTagOf(kind: 'gpu' | 'cpu', adapter: AdapterIdentity | null): BackendTag {
  return kind === 'gpu' ? { kind, adapter } : { kind };
}

/** A badge's name for the backend: the adapter's name ("CPU" for the CPU reference), its words translated. */
export function backendName(tag: BackendTag): string {
  if (tag.kind === 'cpu') return msg('CPU', { id: 'backend.badge-cpu' });
  return tag.adapter ? localAdapterName(tag.adapter) : 'GPU';
}

/** The backend inside a sentence: as backendName, but "CPU (float64 reference)" for the CPU. */
export function backendPhrase(tag: BackendTag): string {
  return tag.kind === 'cpu' ? msg('CPU (float64 reference)') : backendName(tag);
}

/** "GPU (<adapter>)" or "CPU (float64 reference)", for a row that says which of the two computed. */
export function backendRow(tag: BackendTag): string {
  if (tag.kind === 'cpu') return backendPhrase(tag);
  const name = backendName(tag);
  return msg(str`GPU (${name})`);
}

/** The notice when the GPU was asked for but the CPU reference computed instead (worded when drawn). */
function fallbackNotice(runtime: Runtime): () => string {
  return runtime.status.kind === 'lost'
    ? () => msg('The GPU device was lost, so the CPU reference computed this.')
    : () => msg('WebGPU is not available, so the CPU reference computed this.');
}

/** The adapter's name once a device is ready, else "GPU". */
function gpuLabel(runtime: Runtime): string {
  return runtime.status.kind === 'ready' ? runtime.status.name : 'GPU';
}

export async function resolveBackend(runtime: Runtime, choice: BackendChoice): Promise<ResolvedBackend> {
  if (choice === 'gpu') {
    const ctx = await runtime.gpu();
    if (ctx)
      return {
        kind: 'gpu',
        ctx,
        label: gpuLabel(runtime),
        tag: { kind: 'gpu', adapter: adapterIdentity(ctx.info) },
      };
    return { kind: 'cpu', label: CPU_LABEL, tag: { kind: 'cpu' }, notice: fallbackNotice(runtime) };
  }
  return { kind: 'cpu', label: CPU_LABEL, tag: { kind: 'cpu' } };
}
