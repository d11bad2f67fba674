/**
 * The cq side of test/eta-parking.test.ts: the tasks of ts/app.ts plus `mix.stamp(key, n)`, which
 * appends `ts:<n>:<ms since the epoch>` to the Redis list `key` (db CQ_INTEROP_COUNTER_DB), and
 * `mix.block(seconds)`, which keeps the worker's one slot busy (acks late: its message stays unacked).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { app } from './app.js';

let store: Redis | null = null;

app.task('mix.stamp', async (key: string, n: number) => {
  const at = Date.now();
  store ??= new Redis({ host: '127.0.0.1', port: 6379, db: Number(process.env['CQ_INTEROP_COUNTER_DB'] ?? '15') });
  await store.rpush(key, `ts:${n}:${at}`);
});

app.task('mix.block', (seconds: number) => sleep(seconds * 1000), { acksLate: true });

export { app };
export default app;
