/**
 * Broker-side ETA across languages, on Redis db 7 (this file's alone, flushed before and after). A
 * Python Celery 5.2 client sends countdown tasks as it always does (ordinary messages with an `eta`
 * header); a cq worker (`eta_horizon` 2 s) takes them and parks them all in Redis instead of holding
 * them. The first group comes due while the cq worker is alone and runs there; for the second, the
 * cq worker's only slot is busy (an acks-late task), so when it moves them back to the queue a
 * Python worker that joined meanwhile takes them as ordinary messages and honours their `eta`
 * itself. Every task runs once, none before its ETA (read from the parked message itself).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, createLogger, parseIsoDate, type Envelope } from '@cq/celery';
import { waitFor } from '@cq/tooling/testing';
import { type Proc, type Urls, pythonSend, startCqWorker, startPythonWorker, stop } from './helpers.js';

const BROKER = 'redis://127.0.0.1:6379/7';
const queue = `cqt.etapark.${randomUUID().slice(0, 8)}`;
const urls: Urls = { broker: BROKER, backend: BROKER, queue, app: fileURLToPath(new URL('../ts/eta-app.ts', import.meta.url)), py: 'eta_tasks' };
const env = { CQ_INTEROP_COUNTER_DB: '7', CQ_INTEROP_TRANSPORT_OPTIONS: JSON.stringify({ eta_horizon: 2 }) };
const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 7 });
const index = `_cq.eta.index\x06\x16${queue}`;
const key = `stamps:${queue}`;

beforeAll(async () => {
  await redis.flushdb();
});

afterAll(async () => {
  await redis.flushdb();
  redis.disconnect();
});

/** Task number → ETA (ms) of every parked message, read from the envelopes as parked. */
async function parkedEtas(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const value of Object.values(await redis.hgetall(`_cq.eta.messages\x06\x16${queue}`))) {
    const envelope = JSON.parse(value.slice(1)) as Envelope;
    const [args] = JSON.parse(Buffer.from(envelope.body, 'base64').toString()) as [[string, number]];
    out.set(args[1], parseIsoDate(String(envelope.headers['eta'])).getTime());
  }
  return out;
}

describe('countdown tasks from a Python client, parked by a cq worker', () => {
  it('are parked, then run once each, not before their ETA, by cq and by a Python worker sharing the queue', async () => {
    const client = new Celery('eta-interop', { broker_url: BROKER, task_ignore_result: true });
    client.log = createLogger({ level: 'critical' });
    let cq: Proc | undefined;
    let python: Proc | undefined;
    try {
      cq = await startCqWorker(urls, ['-c', '1', '--prefetch-multiplier', '1', '--without-mingle', '--without-gossip'], env);
      const calls = [
        ...Array.from({ length: 6 }, (_, i) => ({ name: 'mix.stamp', args: [key, i], options: { countdown: 5 + i * 0.3 } })),
        ...Array.from({ length: 6 }, (_, i) => ({ name: 'mix.stamp', args: [key, 100 + i], options: { countdown: 17 + i * 0.3 } })),
      ];
      await pythonSend(urls, calls, env);
      // All twelve taken off the queue and parked: none is held by the worker.
      await waitFor(async () => (await redis.zcard(index)) === 12, 10_000, () => `parked: not 12\n${cq!.log.join('')}`);
      expect(await redis.llen(queue)).toBe(0);
      const etas = await parkedEtas();
      expect([...etas.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105]);

      // The first group runs on the cq worker.
      await waitFor(async () => (await redis.llen(key)) === 6, 15_000, () => `first group did not run\n${cq!.log.join('')}`);
      // Its only slot taken for 15 s, the cq worker takes nothing more; it still moves due messages back.
      await client.sendTask('mix.block', [15], { queue });
      python = await startPythonWorker(urls, [], env);
      await waitFor(async () => (await redis.llen(key)) === 12, 20_000, () => `second group did not run\n${python!.log.join('')}`);
      await new Promise((r) => setTimeout(r, 1000));

      const stamps = (await redis.lrange(key, 0, -1)).map((s) => s.split(':')).map(([by, n, at]) => ({ by: by!, n: Number(n), at: Number(at) }));
      expect(stamps.filter((s) => s.n < 100).map((s) => s.by)).toEqual(Array(6).fill('ts'));
      expect(stamps.filter((s) => s.n >= 100).map((s) => s.by)).toEqual(Array(6).fill('py'));
      expect(stamps.map((s) => s.n).sort((a, b) => a - b)).toEqual([...etas.keys()].sort((a, b) => a - b));
      expect(stamps.filter((s) => s.at < etas.get(s.n)!)).toEqual([]);
      expect(await redis.zcard(index)).toBe(0);
    } finally {
      await stop(python);
      await stop(cq);
      await client.close();
    }
  }, 80_000);
});
