/**
 * cq issue 5: a chord of 1,000 acks_late header tasks completes exactly once — the body runs once,
 * with every part in group order — while the worker is SIGKILLed mid-way and a new one started.
 * Results: a private `redis-server` (the Redis backend's counter chord, `@cq/backend-redis`
 * `chord.ts`), one db per case. Brokers: a private RabbitMQ node (the killed worker's unacked
 * messages come back at once) and the same private Redis (they come back after a short
 * `visibility_timeout`, as in kombu). Pools: `async` and `prefork` (the SIGKILL goes to the parent).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chordUnderKill, summary, type ChordUnderKillOutcome } from './chord-under-kill.js';
import { PrivateRedis, RabbitNode } from '@cq/tooling/testing';

const POOLS = [['async', '-c', '16'], ['prefork', '-c', '4']] as const;

/**
 * What issue 5 asks: body once, right sum over all parts in order, nothing lost, chord keys gone as
 * in Celery: `.s`/`.t` always; `.j` too, except that a repeat which ran only after the chord
 * completed writes a new one (the chord's keys are gone, nothing tells it from a first part) that
 * expires with `result_expires`, as Celery's does.
 */
function expectCompletedOnce(o: ChordUnderKillOutcome): void {
  expect(o.countedAtKill).toBeLessThan(o.size); // the kill landed mid-way
  expect(o.holdRuns).toBe(2); // the held part had been counted, not acked: it ran again, with another result
  expect(o.missing, o.log.slice(-3000)).toEqual([]);
  expect(o.bodyRuns.length, o.log.slice(-3000)).toBe(1);
  expect(o.bodyRuns[0]).toEqual(Array.from({ length: o.size }, (_, n) => n));
  expect(o.bodyResult).toBe(o.expectedSum);
  expect(o.leftoverKeys).toEqual([]);
  for (const n of o.strayParts) expect(o.rerun).toContain(n);
  if (o.strayParts.length > 0) expect(o.strayTtl).toBeGreaterThan(0);
  expect(o.secondExit).toBe(0);
}

describe('a 1,000-part chord while its worker is SIGKILLed (acks_late)', () => {
  let redis: PrivateRedis;
  beforeAll(async () => { redis = await PrivateRedis.start({ appendonly: false }); }, 30_000);
  afterAll(async () => { await redis?.destroy(); }, 30_000);

  describe('on RabbitMQ', () => {
    let rabbit: RabbitNode;
    beforeAll(async () => { rabbit = await RabbitNode.start(); }, 70_000);
    afterAll(async () => { await rabbit?.destroy(); }, 30_000);

    it.each(POOLS.map((args, db) => ({ pool: args[0], args, db })))('-P $pool: the body runs once with all 1,000 parts in order', async ({ pool, args, db }) => {
      const outcome = await chordUnderKill({
        broker: rabbit.url,
        backend: `redis://127.0.0.1:${redis.port}/${db + 1}`,
        workerArgs: ['-P', ...args],
        drained: async (queue) => (await rabbit.queueDepths())[queue] === 0,
      });
      console.info(summary(`rabbitmq, ${pool}`, outcome));
      expectCompletedOnce(outcome);
    }, 120_000);
  });

  describe('on Redis (visibility_timeout 3 s)', () => {
    it.each(POOLS.map((args, db) => ({ pool: args[0], args, db })))('-P $pool: the body runs once with all 1,000 parts in order', async ({ pool, args, db }) => {
      // Broker and results in one db, so the scenario sees the queue and kombu's `unacked` hash.
      const url = `redis://127.0.0.1:${redis.port}/${db + 3}`;
      const outcome = await chordUnderKill({
        broker: url,
        backend: url,
        workerArgs: ['-P', ...args],
        workerEnv: { CQ_CHAOS_VISIBILITY_TIMEOUT: '3' },
        drained: async (queue, raw) => (await raw.llen(queue)) === 0 && (await raw.hlen('unacked')) === 0,
      });
      console.info(summary(`redis, ${pool}`, outcome));
      expectCompletedOnce(outcome);
    }, 120_000);
  });
});
