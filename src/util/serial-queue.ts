/**
 * Runs async operations one at a time, in the order they were queued: a later operation starts only after
 * every earlier one has settled (fulfilled or rejected). One queue per owner of GPU buffers replaces the
 * hand-written mutexes the labs used to carry.
 *
 *     const queue = new SerialQueue();
 *     await queue.run(() => engine.step());           // waits for what is queued before it
 *     queue.run(() => engine.draw(), { droppable: true }); // skipped while two or more are waiting
 *
 * Pure TypeScript: the engine and the UI both use it (no DOM).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Operations queued or running. */
  get pending(): number {
    return this.waiting;
  }

  /** True while an operation is queued or running. */
  get busy(): boolean {
    return this.waiting > 0;
  }

  /**
   * Queues `op`. With `droppable`, the operation is skipped (resolving to `undefined`) when two or more
   * operations are already waiting: a redraw that a later one will make anyway.
   */
  run<T>(op: () => Promise<T> | T): Promise<T>;
  run<T>(op: () => Promise<T> | T, options: { droppable: true }): Promise<T | undefined>;
  run<T>(op: () => Promise<T> | T, options: { droppable?: boolean } = {}): Promise<T | undefined> {
    if (options.droppable && this.waiting > 1) return Promise.resolve(undefined);
    this.waiting++;
    const next = this.tail.then(op, op);
    const settled = next.finally(() => {
      this.waiting--;
    });
    this.tail = settled.catch(() => undefined);
    return settled;
  }

  /** Resolves once everything queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
