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
  /** Lost, and asking for a new device by itself: try `attempt` of `attempts`. */
  | { kind: 'recovering'; error: GpuError; attempt: number; attempts: number }
  /** Lost, and the automatic attempts failed: the banner offers Reconnect and the CPU reference. */
  | { kind: 'lost'; error: GpuError };

/** Pauses before each automatic request of a new device after a loss (back-off). */
export const RECOVERY_DELAYS_MS = [250, 1000, 3000] as const;

export class Runtime extends EventTarget {
  status: GpuStatus = { kind: 'pending' };
  /** Increments with each new device, so labs re-run after a reconnect. */
  generation = 0;
  /** Errors the GPU reported outside any error scope (validation, out-of-memory), newest last. */
  errors: GpuError[] = [];
  readonly cpu = new CpuClient();
  private engines = new WeakMap<GpuContext, Map<string, { destroy(): void }>>();
  private connecting: Promise<GpuContext | null> | null = null;
  private recovering: Promise<GpuContext | null> | null = null;
  /** Losses of a device that was not our own release, since the page loaded. */
  losses = 0;

  constructor(private readonly gpuProvider: () => GPU | undefined = () => navigator.gpu) {
    super();
  }

  /**
   * The GPU context, requesting it on first use. While a lost device is being replaced this waits for the
   * new one (null if recovery fails); after a failed recovery it is null until reconnect().
   */
  gpu(): Promise<GpuContext | null> {
    if (this.status.kind === 'ready') return Promise.resolve(this.status.ctx);
    if (this.status.kind === 'lost') return Promise.resolve(null);
    if (this.status.kind === 'recovering' && this.recovering) return this.recovering;
    this.connecting ??= this.connect();
    return this.connecting;
  }

  private async connect(quiet = false): Promise<GpuContext | null> {
    try {
      const ctx = await requestGpuWithRetry(this.gpuProvider());
      ctx.onError((error) => {
        if (error.kind === 'device-lost') {
          this.onLost(ctx, error);
        } else {
          this.errors = [...this.errors.slice(-4), error];
          this.changed();
        }
      });
      this.generation++;
      this.setStatus({ kind: 'ready', ctx, name: adapterName(ctx.info) });
      return ctx;
    } catch (e) {
      if (quiet) return null;
      const error =
        e instanceof GpuError ? e : new GpuError('unavailable', String((e as Error).message ?? e));
      this.setStatus({ kind: 'unavailable', error });
      return null;
    } finally {
      this.connecting = null;
    }
  }

  /**
   * A device was lost without our release (driver reset, the browser reclaiming the GPU): drop its engines
   * and ask for a new device by itself, pausing RECOVERY_DELAYS_MS before each try. Labs re-run when the
   * generation changes. A loss of the new device starts the same again.
   */
  private onLost(ctx: GpuContext, error: GpuError): void {
    if (this.status.kind === 'ready' && this.status.ctx !== ctx) return; // an old device, already replaced
    this.losses++;
    this.dropEngines(ctx);
    this.recovering = this.recover(error);
  }

  private async recover(error: GpuError): Promise<GpuContext | null> {
    const attempts = RECOVERY_DELAYS_MS.length;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      this.setStatus({ kind: 'recovering', error, attempt, attempts });
      await new Promise((r) => setTimeout(r, RECOVERY_DELAYS_MS[attempt - 1]));
      if (this.status.kind !== 'recovering') return this.status.kind === 'ready' ? this.status.ctx : null;
      const ctx = await this.connect(true);
      if (ctx) {
        this.recovering = null;
        return ctx;
      }
    }
    this.recovering = null;
    this.setStatus({ kind: 'lost', error });
    return null;
  }

  /**
   * Test hook: loses the current device as a driver reset would (not our release), so the automatic
   * recovery runs. The page exposes it as `kernelscope.loseDevice()` (src/ui/shell/app.ts).
   */
  loseDevice(): boolean {
    if (this.status.kind !== 'ready') return false;
    this.status.ctx.device.destroy();
    return true;
  }

  private dropEngines(ctx: GpuContext): void {
    const map = this.engines.get(ctx);
    if (!map) return;
    for (const engine of map.values()) {
      try {
        engine.destroy();
      } catch {
        // Its device is gone; destroying what it held can only fail harmlessly.
      }
    }
    this.engines.delete(ctx);
  }

  /** Drops the device (if any) and asks for a new one. Engines are re-created lazily. */
  async reconnect(): Promise<GpuContext | null> {
    if (this.status.kind === 'ready') {
      this.dropEngines(this.status.ctx);
      this.status.ctx.destroy();
    }
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

/** The device's WebGPU debug label (in the browser's GPU messages, not a text of the page). */
const DEVICE_LABEL = 'kernelscope';

/**
 * Requests the device, trying once more after a short pause when the first request fails with
 * anything but "no WebGPU": a busy machine occasionally fails the first requestDevice transiently.
 */
async function requestGpuWithRetry(gpu: GPU | undefined): Promise<GpuContext> {
  try {
    return await requestGpu({ gpu, label: DEVICE_LABEL });
  } catch (e) {
    // No WebGPU at all is final; anything else (no adapter yet included) may be transient.
    if (!gpu) throw e;
    await new Promise((r) => setTimeout(r, 250));
    return requestGpu({ gpu, label: DEVICE_LABEL });
  }
}

export const runtimeContext = createContext<Runtime>(Symbol('kernelscope-runtime'));
