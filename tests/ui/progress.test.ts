/** The progress status element and its controller, in real Chromium. */
import { afterEach, describe, expect, it } from 'vitest';
import { LitElement, html } from 'lit';
import { cancelNote, ProgressController, type ProgressStatus } from '../../src/ui/common/progress';

afterEach(() => {
  document.body.replaceChildren();
});

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function mount(props: Partial<ProgressStatus>): Promise<ProgressStatus> {
  const el = document.createElement('ks-progress');
  Object.assign(el, props);
  document.body.append(el);
  await el.updateComplete;
  return el;
}

describe('<ks-progress>', () => {
  it('has a status line, a determinate bar and a Cancel button that fires "cancel"', async () => {
    const el = await mount({ label: 'Running 3 of 5 batches…', value: 2, max: 5, note: cancelNote() });
    const root = el.shadowRoot!;
    const status = root.querySelector('[role="status"]')!;
    expect(status.textContent!.trim()).toBe('Running 3 of 5 batches…');
    const bar = root.querySelector('progress')!;
    expect(bar.max).toBe(5);
    expect(bar.value).toBe(2);
    expect(bar.getAttribute('aria-label')).toBe('Running 3 of 5 batches…');
    expect(root.querySelector('.note')!.textContent).toContain('cannot be cancelled');
    let cancels = 0;
    el.addEventListener('cancel', () => cancels++);
    const button = root.querySelector('button')!;
    expect(button.textContent!.trim()).toBe('Cancel');
    button.click();
    expect(cancels).toBe(1);
    el.cancelling = true;
    await el.updateComplete;
    expect(button.disabled).toBe(true);
    expect(status.textContent).toContain('Cancelling…');
  });

  it('is indeterminate when the total is unknown', async () => {
    const el = await mount({ label: 'Compiling shaders…' });
    const bar = el.shadowRoot!.querySelector('progress')!;
    expect(bar.hasAttribute('value')).toBe(false);
    expect(bar.position).toBe(-1); // the HTML definition of an indeterminate progress bar
  });
});

class Host extends LitElement {
  progress = new ProgressController(this, 30);
  cancelled = 0;
  override render() {
    return html`${this.progress.renderStatus(() => this.cancelled++)}`;
  }
}
customElements.define('ks-progress-test-host', Host);

describe('ProgressController', () => {
  it('shows the latest progress only after the delay, ignores stale runs and hides on end', async () => {
    const host = document.createElement('ks-progress-test-host') as Host;
    document.body.append(host);
    await host.updateComplete;
    const first = host.progress.begin(undefined);
    first.onProgress!({ phase: 'compile', message: 'Compiling shaders…', done: 0, total: 3 });
    await host.updateComplete;
    expect(host.shadowRoot!.querySelector('ks-progress')).toBeNull(); // not before the delay
    await tick(60);
    await host.updateComplete;
    let bar = host.shadowRoot!.querySelector('ks-progress')!;
    expect(bar.label).toBe('Compiling shaders…');
    first.onProgress!({ phase: 'run', message: 'Running 2 of 3 batches…', done: 1, total: 3 });
    await host.updateComplete;
    expect(bar.label).toBe('Running 2 of 3 batches…');
    expect(bar.value).toBe(1);
    bar.shadowRoot!.querySelector('button')!.click();
    expect(host.cancelled).toBe(1);

    // A new run replaces the old one: the old run's reports and end() no longer change anything.
    const second = host.progress.begin(undefined);
    first.onProgress!({ phase: 'run', message: 'stale', done: 2, total: 3 });
    host.progress.end(first.run);
    await tick(60);
    await host.updateComplete;
    bar = host.shadowRoot!.querySelector('ks-progress')!;
    expect(bar.label).toBe('Computing…');
    host.progress.cancelling();
    await host.updateComplete;
    expect(bar.cancelling).toBe(true);
    host.progress.end(second.run);
    await host.updateComplete;
    expect(host.shadowRoot!.querySelector('ks-progress')).toBeNull();
  });

  it('a run that ends before the delay never shows the bar', async () => {
    const host = document.createElement('ks-progress-test-host') as Host;
    document.body.append(host);
    const run = host.progress.begin(undefined);
    host.progress.end(run.run);
    await tick(60);
    await host.updateComplete;
    expect(host.shadowRoot!.querySelector('ks-progress')).toBeNull();
  });
});
