import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/util/serial-queue';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('SerialQueue', () => {
  it('runs operations one at a time in queue order, even when an earlier one rejects', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const op =
      (name: string, fail = false) =>
      async () => {
        running++;
        expect(running).toBe(1);
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
        running--;
        if (fail) throw new Error(name);
        return name;
      };
    const a = q.run(op('a'));
    const b = q.run(op('b', true));
    const c = q.run(op('c'));
    expect(q.pending).toBe(3);
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.pending).toBe(0);
    expect(q.busy).toBe(false);
  });

  it('drops a droppable operation while two or more wait, and runs it otherwise', async () => {
    const q = new SerialQueue();
    const ran: number[] = [];
    const first = q.run(async () => {
      await tick();
      ran.push(1);
    });
    const kept = q.run(() => ran.push(2), { droppable: true }); // one waiting: kept
    const dropped = q.run(() => ran.push(3), { droppable: true }); // two waiting: dropped
    await Promise.all([first, kept, dropped]);
    expect(await dropped).toBeUndefined();
    expect(ran).toEqual([1, 2]);
  });

  it('idle() waits for everything queued and never rejects', async () => {
    const q = new SerialQueue();
    let done = false;
    void q
      .run(async () => {
        await tick();
        throw new Error('x');
      })
      .catch(() => undefined);
    void q.run(async () => {
      await tick();
      done = true;
    });
    await q.idle();
    expect(done).toBe(true);
  });
});
