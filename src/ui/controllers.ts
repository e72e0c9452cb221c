import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createContext } from '@lit/context';
import type { AppState, Store } from '../state/store';
import type { Runtime } from './runtime';

export const storeContext = createContext<Store>(Symbol('kernelscope-store'));

/** Re-renders its host when the store changes (optionally only when `select` changes). */
export class StoreController<T = AppState> implements ReactiveController {
  private unsubscribe: (() => void) | null = null;
  value!: T;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: () => Store | undefined,
    private readonly select: (s: AppState) => T = (s) => s as unknown as T,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const store = this.store();
    if (!store) return;
    this.value = this.select(store.state);
    this.unsubscribe = store.subscribe((s) => {
      const next = this.select(s);
      if (next !== this.value) {
        this.value = next;
        this.host.requestUpdate();
      }
    });
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/** Re-renders its host when the GPU runtime's status or errors change. */
export class RuntimeController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly runtime: () => Runtime | undefined,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.runtime()?.addEventListener('change', this.onChange);
  }

  hostDisconnected(): void {
    this.runtime()?.removeEventListener('change', this.onChange);
  }
}
