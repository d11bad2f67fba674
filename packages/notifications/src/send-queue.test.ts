import { describe, expect, it } from 'vitest';
import { SendQueue } from './send-queue.js';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => { open = resolve; });
  return { promise, open };
}

describe('SendQueue', () => {
  it('runs at most `concurrency` jobs, holds at most `limit`, drops the rest and says when it is full and when it has room', async () => {
    const events: string[] = [];
    const queue = new SendQueue({ limit: 3, concurrency: 2, onFull: (full, dropped) => events.push(`${full ? 'full' : 'room'} ${dropped}`) });
    const gates = [gate(), gate(), gate()];
    let running = 0;
    let most = 0;
    const job = (g: { promise: Promise<void> }) => async () => {
      running += 1;
      most = Math.max(most, running);
      await g.promise;
      running -= 1;
    };
    expect(gates.map((g) => queue.push(job(g)))).toEqual([true, true, true]);
    expect(queue.push(async () => {})).toBe(false);
    expect(queue.push(async () => {})).toBe(false);
    expect(queue.pending).toBe(3);
    expect(events).toEqual(['full 0']);
    expect(await queue.drain(50)).toBe(false);

    for (const g of gates) g.open();
    expect(await queue.drain(1000)).toBe(true);
    expect(most).toBe(2);
    expect(events).toEqual(['full 0', 'room 2']);
    expect(queue.dropped).toBe(2);
  });

  it('keeps going after a job rejects', async () => {
    const queue = new SendQueue({ limit: 5, concurrency: 1 });
    const done: number[] = [];
    queue.push(() => Promise.reject(new Error('smtp down')));
    queue.push(async () => { done.push(2); });
    expect(await queue.drain(1000)).toBe(true);
    expect(done).toEqual([2]);
  });
});
