/**
 * One Lamport clock per app (Celery `app.clock`): a worker's events and its pidbox replies are
 * stamped from the same counter. On Redis (db 13) and RabbitMQ a client app watches the worker's
 * `worker-*` events and asks `inspect clock` ten times (each round trip moves the worker's clock by
 * at least two); the `worker-heartbeat` the worker then sends on the `heartbeat` command must carry
 * a clock above every value the replies reported, and those above the `worker-online` clock. With a
 * separate clock for events the heartbeat would carry a small number of its own.
 *
 * Names are `cqt.clock.<run>.*`; the Redis keys and bindings of this run are removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/app';
import { Control } from '@cq/control';
import { EventReceiver, type CeleryEvent } from '@cq/events';
import { Worker } from '@cq/worker';
import { testPlugins } from './plugins.js';
import { removeRedisRun } from './redis-cleanup.js';

const run = randomUUID().slice(0, 8);
const REDIS = 'redis://127.0.0.1:6379/13';
const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
/** Client ids whose reply queues were bound on Redis. */
const oids = new Set<string>();

afterAll(() => removeRedisRun(REDIS, (s) => s.includes(run) || [...oids].some((oid) => s.includes(oid))), 30_000);

function makeApp(broker: string, name: string): Celery {
  const app = new Celery(name, {
    broker_url: broker, task_default_queue: `cqt.clock.${run}.q`, event_queue_prefix: `cqt.clock.${run}.ev`,
  }, { plugins: testPlugins() });
  app.log = createLogger({ level: 'critical' });
  return app;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each([['redis', REDIS], ['amqp', AMQP]] as const)('app.clock on %s', (_name, broker) => {
  it('stamps the worker\'s events and pidbox replies from one counter', async () => {
    const hostname = `cqt-clock-${run}-${_name}@test`;
    const client = makeApp(broker, 'monitor');
    const control = new Control(client);
    oids.add(control.oid);
    const events: CeleryEvent[] = [];
    const receiver = new EventReceiver({
      app: client, routingKey: 'worker.#',
      handlers: { '*': (e) => { if (e.hostname === hostname) events.push(e); } },
    });
    await receiver.start();
    const app = makeApp(broker, 'worker');
    const worker = new Worker(app, { pool: 'async', hostname, withoutGossip: true });
    try {
      await worker.start();
      await until(() => events.some((e) => e.type === 'worker-online'), 15_000, 'worker-online');
      const online = events.find((e) => e.type === 'worker-online')!.clock!;

      const inspect = control.inspect({ destination: [hostname], timeout: 2 });
      const replies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const reply = (await inspect.clock()) as Record<string, { clock: number }> | null;
        expect(reply?.[hostname]?.clock, `inspect clock #${i}`).toEqual(expect.any(Number));
        replies.push(reply![hostname]!.clock);
      }
      const sent = events.length;
      await control.heartbeat({ destination: [hostname] });
      await until(() => events.slice(sent).some((e) => e.type === 'worker-heartbeat'), 10_000, 'the worker-heartbeat');
      const heartbeat = events.slice(sent).find((e) => e.type === 'worker-heartbeat')!.clock!;

      expect(replies[0]).toBeGreaterThan(online);
      for (let i = 1; i < replies.length; i++) expect(replies[i]).toBeGreaterThanOrEqual(replies[i - 1]! + 2);
      expect(heartbeat).toBeGreaterThan(replies.at(-1)!);
      expect(app.clock.value).toBeGreaterThanOrEqual(heartbeat);
    } finally {
      await worker.shutdown('warm');
      await app.close();
      await receiver.close();
      await control.close();
      await client.close();
    }
  }, 60_000);
});
