/**
 * A lab's run, in one controller: a @lit/task that re-runs when its arguments change, the progress bar and
 * Cancel (ProgressController), the last good result (kept on screen while a new run is pending, after a
 * cancel or a failure), and the outcome's rendering (stale result, "Cancelled.", or the error alert).
 *
 *     private run = new LabRunController(this, {
 *       args: () => [this.lab.params, this.lab.backend, this.runtime.generation] as const,
 *       run: ([params, backend], control) => compute(params, backend, control),
 *     });
 *     … ${this.run.renderStatus()} ${this.run.render((result, stale) => html`…`)} …
 */
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { Task, TaskStatus } from '@lit/task';
import { msg, str } from '@lit/localize';
import { isAbortError, throwIfAborted } from '../../gpu/compute';
import { SerialQueue } from '../../util/serial-queue';
import { ProgressController } from './progress';

export type RunControlFor = ReturnType<ProgressController['begin']>;

/**
 * A run stopped by something other than its own signal, i.e. not a cancel: mapAsync rejects with an
 * AbortError when the device is lost or the runtime destroys a lost device's engines mid-run, and a CPU job
 * with one when another job's cancel terminates the shared worker. Shown as what it is, not "Cancelled.".
 */
export class InterruptedRunError extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error).message);
    this.name = 'InterruptedRunError';
  }

  /** True when the GPU device went away under the run (a new generation re-runs the lab by itself). */
  get deviceLost(): boolean {
    return /lost|unmapped|destroyed|mapAsync/i.test(this.message);
  }
}

export interface LabRunOptions<A extends readonly unknown[], R> {
  args: () => A;
  run: (args: A, control: RunControlFor) => Promise<R>;
  /** The progress label until the engine reports its own. */
  label?: string;
  /** Named in the "Cancelled." notice: the control that computes anew (null: the lab has none). */
  rerunHint?: string | null;
  /** The failure's text inside the alert (default "Could not compute: <message>"). */
  errorView?: (e: unknown) => unknown;
  /** Runs when a result completes (e.g. to draw charts after render). */
  onComplete?: (result: R) => void;
}

export class LabRunController<A extends readonly unknown[], R> {
  readonly progress: ProgressController;
  readonly task: Task<A, R>;
  /** The last run that completed (Task.value is cleared when a run fails or is cancelled). */
  last: R | undefined;
  /**
   * One run at a time: a superseded run is aborted, and the next starts once it has settled (GPU work in
   * flight cannot be recalled). Overlapping runs would each hold their own pooled readback buffers, and
   * the pools keep every buffer they ever made, so each burst of quick changes would grow them for good.
   */
  private readonly queue = new SerialQueue();

  constructor(
    host: ReactiveControllerHost,
    private readonly options: LabRunOptions<A, R>,
  ) {
    this.progress = new ProgressController(host);
    this.task = new Task(host, {
      args: options.args,
      task: (args, { signal }) =>
        this.queue.run(async () => {
          throwIfAborted(signal); // superseded (or cancelled) while the previous run settled
          const control = this.progress.begin(signal, options.label);
          try {
            return await options.run(args, control);
          } catch (e) {
            throw isAbortError(e) && !signal.aborted ? new InterruptedRunError(e) : e;
          } finally {
            this.progress.end(control.run);
          }
        }),
      onComplete: (result) => {
        this.last = result;
        options.onComplete?.(result);
      },
    });
  }

  get pending(): boolean {
    return this.task.status === TaskStatus.PENDING;
  }

  /** Runs again with the same arguments ("Run again"). */
  rerun(): void {
    void this.task.run();
  }

  cancel(): void {
    this.progress.cancelling();
    this.task.abort(new DOMException(msg('Cancelled by the user.'), 'AbortError'));
  }

  /** The status line, bar and Cancel while a run takes long (nothing otherwise). */
  renderStatus(): TemplateResult | typeof nothing {
    return this.progress.renderStatus(() => this.cancel());
  }

  /** The outcome: `view(result, stale)` for the newest or last good result, with the notices around it. */
  render(view: (result: R, stale: boolean) => unknown): unknown {
    const { errorView } = this.options;
    return this.task.render({
      initial: () => html`<p role="status">${msg('Computing…')}</p>`,
      pending: () => (this.last ? view(this.last, true) : html`<p role="status">${msg('Computing…')}</p>`),
      complete: (result) => view(result, false),
      error: (e) =>
        html`${
          e instanceof InterruptedRunError
            ? html`<p class="notice interrupted" role="status">${this.interruptedText(e)}</p>`
            : isAbortError(e)
              ? html`<p class="notice cancelled" role="status">
                  ${msg('Cancelled.')} ${this.cancelledText()}
                </p>`
              : errorView
                ? html`<div class="error" role="alert">${errorView(e)}</div>`
                : html`<p class="error" role="alert">
                    ${msg(str`Could not compute: ${(e as Error).message}`)}
                  </p>`
        }
        ${this.last ? view(this.last, false) : nothing}`,
    });
  }

  private interruptedText(e: InterruptedRunError): string {
    if (e.deviceLost) {
      return this.last
        ? msg(
            'The GPU device was lost during this run; it runs again by itself once a new device is ready (the last completed result is shown meanwhile).',
          )
        : msg('The GPU device was lost during this run; it runs again by itself once a new device is ready.');
    }
    return `${msg(str`This run was interrupted (${e.message}).`)} ${this.cancelledText()}`;
  }

  private cancelledText(): string {
    const hint = this.options.rerunHint === undefined ? msg('“Run again”') : this.options.rerunHint;
    if (hint === null) {
      return this.last
        ? msg('Showing the last completed result; change a control to compute again.')
        : msg('Nothing was computed yet; change a control to compute.');
    }
    return this.last
      ? msg(str`Showing the last completed result; ${hint} or any change computes anew.`)
      : msg(str`Nothing was computed yet; ${hint} starts it.`);
  }
}
