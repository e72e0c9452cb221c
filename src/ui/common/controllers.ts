import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { createContext } from '@lit/context';
import type { AppState, BackendChoice, LabStates, SchemaLab, Store } from '../../state/store';
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

/** A lab component: it consumes the store and the runtime (via @consume). */
export interface LabHost extends ReactiveControllerHost {
  readonly store: Store;
  readonly runtime: Runtime;
}

/**
 * The store wiring every lab component needs, in one controller: its own slice of the state (`params`,
 * re-rendering when it changes), the backend choice (`backend`), a re-render when the GPU status changes,
 * and `set(patch)` for its controls (validated by the store and mirrored in the URL).
 *
 *     private lab = new LabController(this, 'random');
 *     … this.lab.params.seed … this.lab.set({ seed: 7 }) …
 */
export class LabController<K extends SchemaLab> {
  private readonly slice: StoreController<LabStates[K]>;
  private readonly choice: StoreController<BackendChoice>;

  constructor(
    private readonly host: LabHost,
    readonly key: K,
  ) {
    this.slice = new StoreController(
      host,
      () => host.store,
      (s) => s.labs[key],
    );
    this.choice = new StoreController(
      host,
      () => host.store,
      (s) => s.backend,
    );
    new RuntimeController(host, () => host.runtime);
  }

  /** The lab's controls as the store holds them. */
  get params(): LabStates[K] {
    return this.slice.value;
  }

  get backend(): BackendChoice {
    return this.choice.value;
  }

  set(patch: Partial<LabStates[K]>): void {
    this.host.store.setLab(this.key, patch);
  }
}
