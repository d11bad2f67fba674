/**
 * The checks both private-TLS-broker suites (`tls-redis.test.ts`, `tls-amqp.test.ts`) run: a round
 * trip of tasks with results and events, a worker that must exit at once, a call that must fail fast.
 */
import { expect } from 'vitest';
import { EventReceiver, type Celery, type CeleryEvent } from '@cq/celery';
import { cq, exited, waitFor } from '@cq/tooling/testing';

/** Resolves with what `promise` rejected with, and how long that took (ms); fails the test if it resolved. */
export async function failure(promise: Promise<unknown>): Promise<{ err: Error; ms: number }> {
  const started = Date.now();
  const err = await promise.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as Error);
  return { err, ms: Date.now() - started };
}

/**
 * Sends `task` once per argument list from `app`, resolves with the results (each within 20 s),
 * after an event receiver on `app`'s broker saw a `task-succeeded` event for every one of them.
 */
export async function roundTrip(app: Celery, task: string, argLists: unknown[][]): Promise<unknown[]> {
  const events: CeleryEvent[] = [];
  const receiver = new EventReceiver({ app, handlers: { 'task-succeeded': (e) => events.push(e) } });
  try {
    await receiver.start();
    const results = await Promise.all(argLists.map((args) => app.sendTask(task, args)));
    const values = await Promise.all(results.map((r) => r.get({ timeout: 20 })));
    const ids = new Set(results.map((r) => r.id));
    await waitFor(() => events.filter((e) => ids.has(String(e['uuid']))).length === ids.size, 10_000, () => `events: ${JSON.stringify(events)}`);
    return values;
  } finally {
    await receiver.close();
    await app.close();
  }
}

/**
 * Runs `cq worker <args>` with `env`, expects it to exit with code 1 within 15 s without a line about
 * retrying, and resolves with everything it printed.
 */
export async function refusedWorker(args: readonly string[], env: Record<string, string>): Promise<string> {
  const started = Date.now();
  const worker = cq(['worker', ...args, '-P', 'async', '-l', 'info', '--without-mingle', '--without-gossip'], env);
  expect(await exited(worker)).toBe(1);
  expect(Date.now() - started).toBeLessThan(15_000);
  const printed = `${worker.err.join('')}${worker.out.join('')}`;
  expect(printed).not.toMatch(/reconnect|retry/i);
  return printed;
}
