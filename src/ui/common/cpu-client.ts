import { msg, str } from '@lit/localize';
import type { CpuJob, CpuJobResult } from '../../engine/cpu-jobs';

/** Runs CPU reference jobs in a Web Worker; aborting a job terminates the worker (a new one starts next time). */
export class CpuClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: CpuJobResult) => void; reject: (e: Error) => void }>();

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('../../engine/cpu-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (
      event: MessageEvent<{ id: number; ok: boolean; value?: CpuJobResult; error?: string }>,
    ) => {
      const p = this.pending.get(event.data.id);
      if (!p) return;
      this.pending.delete(event.data.id);
      if (event.data.ok) p.resolve(event.data.value!);
      else p.reject(new Error(event.data.error ?? msg('CPU job failed')));
    };
    worker.onerror = (event) => {
      for (const p of this.pending.values())
        p.reject(new Error(msg(str`CPU worker failed: ${event.message}`)));
      this.pending.clear();
      this.worker = null;
    };
    this.worker = worker;
    return worker;
  }

  /** Runs `job` in the worker; the result has the job's kind. */
  run<J extends CpuJob>(job: J, signal?: AbortSignal): Promise<Extract<CpuJobResult, { kind: J['kind'] }>> {
    const id = this.nextId++;
    const worker = this.ensure();
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (v) => resolve(v as Extract<CpuJobResult, { kind: J['kind'] }>),
        reject,
      });
      signal?.addEventListener('abort', () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        worker.terminate();
        if (this.worker === worker) this.worker = null;
        for (const p of this.pending.values()) p.reject(new DOMException(msg('Cancelled'), 'AbortError'));
        this.pending.clear();
        reject(new DOMException(msg('Cancelled'), 'AbortError'));
      });
      worker.postMessage({ id, job });
    });
  }
}
