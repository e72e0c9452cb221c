/**
 * What the UI knows about compute: the WebGPU context (or why there is none), device loss and GPU errors,
 * per-lab engines bound to the current device, and the CPU worker. Provided to every lab via @lit/context.
 */
import { createContext } from '@lit/context';
import { adapterName, requestGpu, GpuError, type GpuContext } from '../../gpu/device';
import { CpuClient } from './cpu-client';

export type GpuStatus =
  | { kind: 'pending' }
  | { kind: 'ready'; ctx: GpuContext; name: string }
  | { kind: 'unavailable'; error: GpuError }
  | { kind: 'lost'; error: GpuError };

export class Runtime extends EventTarget {
  status: GpuStatus = { kind: 'pending' };
  /** Increments with each new device, so labs re-run after a reconnect. */
  generation = 0;
  /** Errors the GPU reported outside any error scope (validation, out-of-memory), newest last. */
  errors: GpuError[] = [];
  readonly cpu = new CpuClient();
  private engines = new WeakMap<GpuContext, Map<string, { destroy(): void }>>();
  private connecting: Promise<GpuContext | null> | null = null;

  constructor(private readonly gpuProvider: () => GPU | undefined = () => navigator.gpu) {
    super();
  }

  /** The GPU context, requesting it on first use (and again after a loss, via reconnect()). */
  gpu(): Promise<GpuContext | null> {
    if (this.status.kind === 'ready') return Promise.resolve(this.status.ctx);
    if (this.status.kind === 'lost') return Promise.resolve(null);
    this.connecting ??= this.connect();
    return this.connecting;
  }

  private async connect(): Promise<GpuContext | null> {
    try {
      const ctx = await requestGpuWithRetry(this.gpuProvider());
      ctx.onError((error) => {
        if (error.kind === 'device-lost') {
          this.setStatus({ kind: 'lost', error });
        } else {
          this.errors = [...this.errors.slice(-4), error];
          this.changed();
        }
      });
      this.generation++;
      this.setStatus({ kind: 'ready', ctx, name: adapterName(ctx.info) });
      return ctx;
    } catch (e) {
      const error =
        e instanceof GpuError ? e : new GpuError('unavailable', String((e as Error).message ?? e));
      this.setStatus({ kind: 'unavailable', error });
      return null;
    } finally {
      this.connecting = null;
    }
  }

  /** Drops the lost device and asks for a new one. Engines are re-created lazily. */
  async reconnect(): Promise<GpuContext | null> {
    if (this.status.kind === 'ready') this.status.ctx.destroy();
    this.status = { kind: 'pending' };
    this.errors = [];
    this.changed();
    return this.gpu();
  }

  /** One engine per lab per device, created on first use. */
  engine<T extends { destroy(): void }>(ctx: GpuContext, key: string, create: (ctx: GpuContext) => T): T {
    let map = this.engines.get(ctx);
    if (!map) {
      map = new Map();
      this.engines.set(ctx, map);
    }
    let engine = map.get(key) as T | undefined;
    if (!engine) {
      engine = create(ctx);
      map.set(key, engine);
    }
    return engine;
  }

  /** Whether a lab's engine exists on this device (i.e. the lab has computed on it). */
  hasEngine(ctx: GpuContext, key: string): boolean {
    return this.engines.get(ctx)?.has(key) ?? false;
  }

  dismissErrors(): void {
    this.errors = [];
    this.changed();
  }

  private setStatus(status: GpuStatus): void {
    this.status = status;
    this.changed();
  }

  private changed(): void {
    this.dispatchEvent(new Event('change'));
  }
}

/**
 * Requests the device, trying once more after a short pause when the first request fails with
 * anything but "no WebGPU": a busy machine occasionally fails the first requestDevice transiently.
 */
async function requestGpuWithRetry(gpu: GPU | undefined): Promise<GpuContext> {
  try {
    return await requestGpu({ gpu, label: 'kernelscope' });
  } catch (e) {
    if (!gpu || (e instanceof GpuError && e.kind === 'unavailable' && !/adapter/.test(e.message))) throw e;
    await new Promise((r) => setTimeout(r, 250));
    return requestGpu({ gpu, label: 'kernelscope' });
  }
}

export const runtimeContext = createContext<Runtime>(Symbol('kernelscope-runtime'));
