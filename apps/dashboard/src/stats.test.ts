/**
 * The overview's statistics from a real event store, SQLite and PostgreSQL (127.0.0.1:5432, db
 * `test`, a schema of its own dropped afterwards): events counted per aligned bucket by arrival
 * time, empty buckets as 0, the window's limits, tasks by state.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { CeleryEvent, TaskState } from '@cq/celery';
import { ApiError } from './errors.js';
import type { EventStore } from './store/event-store.js';
import { PostgresEventStore } from './store/postgres-store.js';
import { SqliteEventStore } from './store/sqlite-store.js';
import { MAX_BUCKETS, taskStates, throughput } from './stats.js';

const PG = 'postgresql://postgres@127.0.0.1:5432/test';
const schema = `cq_stats_${randomUUID().slice(0, 8)}`;
afterAll(async () => {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

const T0 = 1_800_000_000; // a multiple of 60
const event = (type: string, at: number, uuid: string): CeleryEvent => ({ type, uuid, hostname: 'w1', timestamp: at, local_received: at });
const task = (uuid: string, state: string): TaskState => ({ uuid, state, name: 't.add', extra: {}, clock: 0 }) as unknown as TaskState;

describe.each([
  ['sqlite', () => new SqliteEventStore(':memory:')],
  ['postgresql', () => new PostgresEventStore(`${PG}?schema=${schema}`)],
] as const)('throughput and task states (%s store)', (_kind, make) => {
  let store: EventStore;

  it('counts task events per aligned bucket by arrival, with empty buckets and totals', async () => {
    store = await make().open();
    await store.write({
      events: [
        event('task-received', T0 + 1, 'a'), event('task-succeeded', T0 + 2, 'a'), event('task-received', T0 + 30, 'b'),
        event('task-failed', T0 + 61, 'b'), event('task-received', T0 + 62, 'c'), event('task-retried', T0 + 63, 'c'),
        event('task-succeeded', T0 + 179, 'c'), event('task-started', T0 + 5, 'a'), event('worker-online', T0 + 3, 'x'),
        event('task-succeeded', T0 - 1, 'old'), event('task-succeeded', T0 + 180, 'late'),
      ],
      tasks: [task('a', 'SUCCESS'), task('b', 'FAILURE'), task('c', 'SUCCESS'), task('d', 'STARTED')],
      workers: [],
    });
    // since is rounded down to the interval: T0 + 10 counts from T0.
    const t = await throughput(store, { interval: 60, since: T0 + 10, until: T0 + 180 });
    expect(t).toMatchObject({ interval: 60, since: T0, until: T0 + 180, times: [T0, T0 + 60, T0 + 120] });
    expect(t.series).toEqual({
      received: [2, 1, 0], succeeded: [1, 0, 1], failed: [0, 1, 0], retried: [0, 1, 0], revoked: [0, 0, 0], rejected: [0, 0, 0],
    });
    expect(t.totals).toEqual({ received: 3, succeeded: 2, failed: 1, retried: 1, revoked: 0, rejected: 0 });
    expect(await taskStates(store)).toEqual({ states: { SUCCESS: 2, FAILURE: 1, STARTED: 1 }, total: 4 });
  });

  it('refuses a bad interval, an empty window and too many buckets', async () => {
    await expect(throughput(store, { interval: 0, since: T0, until: T0 + 60 })).rejects.toThrow(ApiError);
    await expect(throughput(store, { interval: 60, since: T0 + 60, until: T0 })).rejects.toThrow(/since must be before until/);
    await expect(throughput(store, { interval: 1, since: T0, until: T0 + MAX_BUCKETS + 1 })).rejects.toMatchObject({ statusCode: 400 });
    await store.close();
  });
});
