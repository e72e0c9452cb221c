import { afterEach, describe, expect, it } from 'vitest';
import '../../src/ui/shell/app';
import { reportExport } from '../../src/ui/common/export';

// A failed export started from a click (a chart not drawn yet, a refused canvas encoding) must reach the user
// as an alert in the app shell, not as an unhandled promise rejection.
describe('export failures', () => {
  afterEach(() => {
    document.body.innerHTML = '';
  });

  it('become a dismissable alert in the app shell', async () => {
    const app = document.createElement('ks-app');
    document.body.append(app);
    await (app as unknown as { updateComplete: Promise<unknown> }).updateComplete;

    reportExport(Promise.reject(new Error('The chart has not been drawn yet.')));
    await new Promise((r) => setTimeout(r, 0));
    await (app as unknown as { updateComplete: Promise<unknown> }).updateComplete;

    const root = app.shadowRoot!;
    const alert = [...root.querySelectorAll('[role="alert"]')].find((el) =>
      el.textContent?.includes('The export failed'),
    );
    expect(alert, 'an alert naming the failure').toBeTruthy();
    expect(alert!.textContent).toContain('The chart has not been drawn yet.');

    alert!.querySelector('button')!.click();
    await (app as unknown as { updateComplete: Promise<unknown> }).updateComplete;
    expect(root.textContent).not.toContain('The export failed');
  });

  it('a successful export reports nothing', async () => {
    let fired = false;
    const listener = () => (fired = true);
    window.addEventListener('ks-export-error', listener);
    reportExport(Promise.resolve());
    await new Promise((r) => setTimeout(r, 0));
    window.removeEventListener('ks-export-error', listener);
    expect(fired).toBe(false);
  });
});
