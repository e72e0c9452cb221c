/**
 * Helpers of the component tests (tests/ui, vitest browser project). mountApp needs <ks-app> defined: a
 * test using it imports '../../src/ui/shell/app' itself.
 */
import type { KsApp } from '../../src/ui/shell/app';

/** Polls `fn` every `stepMs` until it returns something truthy; fails after `timeoutMs`. */
export async function until<T>(
  fn: () => T | null | undefined | false,
  timeoutMs = 60_000,
  stepMs = 50,
): Promise<T> {
  const start = performance.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (performance.now() - start > timeoutMs) throw new Error('timed out waiting for the page');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Mounts <ks-app> at `#<route>` (e.g. "/random?seed=3"). */
export function mountApp(route: string): KsApp {
  history.replaceState(null, '', `${location.pathname}#${route}`);
  const app = document.createElement('ks-app') as KsApp;
  document.body.append(app);
  return app;
}

/** Mounts <ks-app> at `#<route>` and waits for the lab element `tag` in it. */
export async function mountLab(route: string, tag: string): Promise<{ app: KsApp; lab: Element }> {
  const app = mountApp(route);
  const lab = await until(() => app.shadowRoot?.querySelector(tag));
  return { app, lab };
}

/** Removes the app and the route (for afterEach). */
export function unmountApp(): void {
  document.querySelector('ks-app')?.remove();
  history.replaceState(null, '', location.pathname);
}
