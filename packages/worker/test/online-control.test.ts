/**
 * `worker-online` means "ask me now": a monitor that inspects a worker the moment its
 * `worker-online` event arrives (Flower does) must get its reply. On Redis (db 13), RabbitMQ and the
 * embedded SQLite broker, an EventReceiver of a separate client app waits for the `worker-online` of
 * an in-process worker started with task events on (`-E`); on receipt it sends `inspect ping` and
 * `inspect stats` to that worker with a 1 s timeout, and both must be answered. Several workers are
 * started one after another per broker, so a race is caught more than once in a while.
 *
 * Names are `cqt.online.<run>.*`; the Redis keys and bindings of this run are removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/app';
import { Control } from '@cq/control';
import { EventReceiver, type CeleryEvent } from '@cq/events';
import { sqliteTransport } from '@cq/transport-sqlite';
import { Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';
import { removeRedisRun } from './redis-cleanup.js';

const run = randomUUID().slice(0, 8);
const REDIS = 'redis://127.0.0.1:6379/13';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const dir = mkdtempSync(path.join(os.tmpdir(), 'cqt-online-'));
const SQLITE = `sqlite:///${dir}/broker.db`;
/** Workers started in a row per broker. */
const ROUNDS = 3;
/** Client ids whose reply queues were bound on Redis. */
const oids = new Set<string>();

afterAll(async () => {
  try {
    await removeRedisRun(REDIS, (s) => s.includes(run) || [...oids].some((oid) => s.includes(oid)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

function makeApp(broker: string, name: string): Celery {
  const app = new Celery(name, {
    broker_url: broker,
    task_default_queue: `cqt.online.${run}.q`,
    event_queue_prefix: `cqt.online.${run}.ev`,
    worker_send_task_events: true,
  }, { plugins: [...testPlugins(), sqliteTransport()] });
  app.log = createLogger({ level: 'critical' });
  return app;
}

describe.each([['redis', REDIS], ['amqp', AMQP], ['sqlite', SQLITE]] as const)('worker-online on %s', (_name, broker) => {
  it(`is sent once the worker answers remote control (${ROUNDS} workers in a row)`, async () => {
    const client = makeApp(broker, 'monitor');
    const control = new Control(client);
    oids.add(control.oid);
    const answers: Array<{ hostname: string; ping: unknown; stats: unknown }> = [];
    let expected: string | null = null;
    let onAnswered: (() => void) | null = null;
    const onOnline = (event: CeleryEvent): void => {
      const hostname = event.hostname;
      if (hostname === undefined || hostname !== expected) return;
      const inspect = control.inspect({ destination: [hostname], timeout: 1 });
      void Promise.all([inspect.ping(), inspect.stats()]).then(([ping, stats]) => {
        answers.push({ hostname, ping, stats });
        onAnswered?.();
      });
    };
    const receiver = new EventReceiver({ app: client, handlers: { 'worker-online': onOnline } });
    await receiver.start();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const hostname = `cqt-online-${run}-${round}@test`;
        expected = hostname;
        const answered = new Promise<void>((resolve) => { onAnswered = resolve; });
        const app = makeApp(broker, 'worker');
        const worker = new Worker(app, { pool: 'async', hostname, withoutGossip: true });
        try {
          await worker.start();
          const timedOut = await Promise.race([answered.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 15_000))]);
          expect(timedOut, `no worker-online from ${hostname}`).toBe(false);
        } finally {
          await worker.shutdown('warm');
          await app.close();
        }
        const answer = answers.find((a) => a.hostname === hostname);
        expect(answer?.ping, `inspect ping on worker-online of ${hostname}`).toEqual({ [hostname]: { ok: 'pong' } });
        expect((answer?.stats as Record<string, { pid?: unknown }> | null)?.[hostname]?.pid, `inspect stats on worker-online of ${hostname}`).toBe(process.pid);
      }
    } finally {
      await receiver.close();
      await control.close();
      await client.close();
    }
  }, 90_000);
});
