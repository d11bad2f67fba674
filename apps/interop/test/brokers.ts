/**
 * Looking at and cleaning up the brokers behind the interop tests: the Redis side-effect store,
 * Redis keys and RabbitMQ queues/exchanges a test created (all named with the test's unique suffix).
 */
// @cq/celery first: its AMQP transport patches amqplib's header decoder before amqplib is loaded.
import '@cq/celery';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';

export const AMQP = 'amqp://guest:guest@127.0.0.1:5672//';
const AMQP_PLAIN = 'amqp://guest:guest@127.0.0.1:5672';

/** A unique suffix for one test file's run: every queue, exchange and key it makes carries it. */
export const runSuffix = (): string => `${process.pid}-${Date.now().toString(36)}`;

export function redisDb(db: number): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, db });
}

/** Polls `probe` every 100 ms until it returns a value that is not undefined; throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the Redis list `key` has `count` entries and returns them (oldest first). */
export async function waitForList(db: number, key: string, count: number, timeoutMs = 30_000): Promise<string[]> {
  const r = redisDb(db);
  try {
    return await waitFor(async () => {
      const items = await r.lrange(key, 0, -1);
      return items.length >= count ? items : undefined;
    }, timeoutMs, `${count} entries in ${key}`);
  } finally {
    r.disconnect();
  }
}

/** Deletes every key of `db` whose name contains `fragment` (queues, priority lists, bindings, notes). */
export async function deleteRedisKeys(db: number, fragment: string, extra: string[] = []): Promise<void> {
  const r = redisDb(db);
  try {
    const keys = new Set(extra);
    let cursor = '0';
    do {
      const [next, found] = await r.scan(cursor, 'MATCH', `*${fragment}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of found) keys.add(k);
    } while (cursor !== '0');
    if (keys.size > 0) await r.del(...keys);
  } finally {
    r.disconnect();
  }
}

/** Whether `celery-task-meta-<id>` exists in `db`, per id. */
export async function resultKeysExist(db: number, ids: string[]): Promise<boolean[]> {
  const r = redisDb(db);
  try {
    return await Promise.all(ids.map(async (id) => (await r.exists(`celery-task-meta-${id}`)) === 1));
  } finally {
    r.disconnect();
  }
}

/** Runs `fn` on a fresh RabbitMQ channel and closes the connection afterwards. */
export async function withAmqp<T>(fn: (ch: amqplib.Channel) => Promise<T>): Promise<T> {
  const conn = await amqplib.connect(AMQP_PLAIN);
  try {
    const ch = await conn.createChannel();
    return await fn(ch);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Deletes RabbitMQ queues and exchanges (missing ones are fine). */
export async function deleteAmqp(queues: string[], exchanges: string[]): Promise<void> {
  const conn = await amqplib.connect(AMQP_PLAIN);
  try {
    for (const q of queues) {
      const ch = await conn.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of exchanges) {
      const ch = await conn.createChannel();
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Takes every message waiting in a RabbitMQ queue (basic.get, acked). */
export async function drainAmqp(queue: string): Promise<amqplib.GetMessage[]> {
  return withAmqp(async (ch) => {
    const got: amqplib.GetMessage[] = [];
    for (;;) {
      const m = await ch.get(queue, { noAck: true });
      if (m === false) return got;
      got.push(m);
    }
  });
}
