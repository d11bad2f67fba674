/**
 * `wait_for_replicas` and the producer's publish retry, on a private primary (and a replica attached
 * by the test): a publish whose WAIT fell short is retried by waiting again, not by writing the
 * message a second time, while the connection it was written on stays up; after the connection
 * dropped, the retry writes it again (it may be duplicated, never lost). The primary's own command
 * counters (`INFO commandstats`) say how many LPUSH and WAIT it ran.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Connection, Producer, Queue, TransportError } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { PrivateRedis } from '@cq/tooling/testing';
import { transport } from '../src/index.js';
import { uniq } from './helpers.js';

let primary: PrivateRedis;
let replica: PrivateRedis | null = null;
let admin: Redis;
const connections: Connection[] = [];

beforeAll(async () => {
  primary = await PrivateRedis.start({ appendonly: false });
  admin = new Redis({ port: primary.port, host: '127.0.0.1', lazyConnect: true });
  await admin.connect();
}, 30_000);
afterEach(async () => {
  for (const c of connections.splice(0)) await c.close();
  await replica?.destroy();
  replica = null;
});
afterAll(async () => {
  await admin?.quit();
  await primary?.destroy();
}, 30_000);

/** Calls of `command` the primary has run since the last CONFIG RESETSTAT. */
async function calls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

/** A producer on the private primary with `wait_for_replicas: 1` (WAIT 300 ms) and a publish retry policy (s). */
async function producer(): Promise<{ producer: Producer; queue: Queue }> {
  const connection = await new Connection(primary.url, { transport, transportOptions: { wait_for_replicas: 1, wait_for_replicas_timeout: 0.3 } }).connect();
  connections.push(connection);
  const channel = await connection.channel();
  const queue = new Queue(uniq('wfr'));
  await queue.declare(channel);
  await admin.config('RESETSTAT');
  return { producer: new Producer(channel, { routingKey: queue.name }), queue };
}

const retry = { retry: true, retryPolicy: { max_retries: 12, interval_start: 0.5, interval_step: 0, interval_max: 0.5 } } as const;

describe('wait_for_replicas with publish retries', () => {
  it('a publish confirmed only once a replica attaches is written once: the retries wait again', async () => {
    const { producer: p, queue } = await producer();
    const published = p.publish({ n: 1 }, retry);
    // The first WAIT finds no replica and falls short; then a replica attaches and syncs.
    await waitUntil(async () => (await calls('wait')) >= 1, 10_000);
    replica = await PrivateRedis.start({ appendonly: false });
    const link = new Redis({ port: replica.port, host: '127.0.0.1' });
    await link.replicaof('127.0.0.1', String(primary.port));
    await link.quit();
    await published;

    expect(await calls('wait')).toBeGreaterThanOrEqual(2);
    expect(await calls('lpush')).toBe(1);
    expect(await admin.llen(queue.name)).toBe(1);
  }, 30_000);

  it('after the connection it was written on dropped, the retry writes it again; when no replica ever confirms, the publish fails', async () => {
    const { producer: p, queue } = await producer();
    const published = p.publish({ n: 2 }, retry).then(() => null, (err: unknown) => err);
    await waitUntil(async () => (await calls('wait')) >= 1, 10_000);
    expect(await admin.client('KILL', 'SKIPME', 'yes')).toBeGreaterThanOrEqual(1);
    const error = await published;

    expect(error).toBeInstanceOf(TransportError);
    expect(String((error as Error).message)).toContain('only 0 of 1 replicas confirmed the write within 0.3 s (wait_for_replicas)');
    // Written before the drop and once after it; the other 11 retries only waited (a WAIT cut by the
    // kill may be sent again by ioredis on the new connection, hence at least 13).
    expect(await calls('lpush')).toBe(2);
    expect(await calls('wait')).toBeGreaterThanOrEqual(13);
    expect(await admin.llen(queue.name)).toBe(2);
  }, 30_000);
});
