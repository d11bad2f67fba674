/**
 * Chord counting in Redis db 2 with Celery 5.2's keys: `celery-taskset-meta-<gid>.s` (size),
 * `.j` (parts, sorted set by group_index or list), `.t` (add_to_chord). Group ids start with
 * `cqt.chord.`; every key a test makes is deleted.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBackend } from '../src/index.js';

const URL = 'redis://127.0.0.1:6379/2';
const raw = new Redis({ host: '127.0.0.1', port: 6379, db: 2 });
const backends: RedisBackend[] = [];
const groups: string[] = [];

function backend(options: ConstructorParameters<typeof RedisBackend>[0] = {}): RedisBackend {
  const b = new RedisBackend({ url: URL, expires: 600, ...options });
  backends.push(b);
  return b;
}

function newGroup(): string {
  const gid = `cqt.chord.${randomUUID()}`;
  groups.push(gid);
  return gid;
}

afterAll(async () => {
  for (const gid of groups) await raw.del(`celery-taskset-meta-${gid}.j`, `celery-taskset-meta-${gid}.t`, `celery-taskset-meta-${gid}.s`);
  await Promise.all(backends.map((b) => b.close()));
  await raw.quit();
});

describe('redis chords (Celery on_chord_part_return)', () => {
  it('applyChord stores the size under .s with the result expiry, as set_chord_size does', async () => {
    const b = backend();
    const gid = newGroup();
    expect(await b.applyChord(gid, 3)).toBe(true);
    expect(await raw.get(`celery-taskset-meta-${gid}.s`)).toBe('3');
    const ttl = await raw.ttl(`celery-taskset-meta-${gid}.s`);
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('keeps parts in a sorted set scored by group_index and hands them in group order to the last caller only', async () => {
    const b = backend();
    const gid = newGroup();
    await b.applyChord(gid, 3);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    expect(await b.onChordPartReturn({ id: ids[2]!, group: gid, groupIndex: 2 }, 'SUCCESS', 30)).toBeNull();
    expect(await b.onChordPartReturn({ id: ids[0]!, group: gid, groupIndex: 0 }, 'FAILURE', new RangeError('bad'))).toBeNull();
    const members = await raw.zrange(`celery-taskset-meta-${gid}.j`, 0, -1, 'WITHSCORES');
    // Celery's entry: the encoded [1, task_id, state, result], exceptions as their dict.
    expect(members.map((m, i) => (i % 2 === 0 ? JSON.parse(m) as unknown : m))).toEqual([
      [1, ids[0], 'FAILURE', { exc_type: 'ValueError', exc_message: ['bad'], exc_module: 'builtins' }], '0',
      [1, ids[2], 'SUCCESS', 30], '2',
    ]);
    const ttl = await raw.ttl(`celery-taskset-meta-${gid}.j`);
    expect(ttl).toBeGreaterThan(500);
    const parts = await b.onChordPartReturn({ id: ids[1]!, group: gid, groupIndex: 1 }, 'SUCCESS', { n: 20 });
    expect(parts).toEqual([
      { taskId: ids[0], state: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['bad'], exc_module: 'builtins' } },
      { taskId: ids[1], state: 'SUCCESS', result: { n: 20 } },
      { taskId: ids[2], state: 'SUCCESS', result: 30 },
    ]);
    expect(await raw.exists(`celery-taskset-meta-${gid}.j`, `celery-taskset-meta-${gid}.s`)).toBe(0);
  });

  it('exactly one of 10 parts finishing at once on 10 connections completes the chord', async () => {
    const gid = newGroup();
    await backend().applyChord(gid, 10);
    const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      backend().onChordPartReturn({ id: `t${i}`, group: gid, groupIndex: i }, 'SUCCESS', i)));
    const done = replies.filter((r) => r !== null);
    expect(done).toHaveLength(1);
    expect(done[0]!.map((p) => p.result)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('counts a part returned twice (acks_late re-run, another result) once: the first return wins and never completes the chord', async () => {
    // Celery 5.2 counts this repeat (a second ZADD member) and fires the body early, with part 0 twice and part 2 missing.
    const b = backend();
    const gid = newGroup();
    await b.applyChord(gid, 3);
    expect(await b.onChordPartReturn({ id: 'p0', group: gid, groupIndex: 0 }, 'SUCCESS', { pid: 1 })).toBeNull();
    expect(await b.onChordPartReturn({ id: 'p1', group: gid, groupIndex: 1 }, 'SUCCESS', { pid: 1 })).toBeNull();
    expect(await b.onChordPartReturn({ id: 'p0', group: gid, groupIndex: 0 }, 'SUCCESS', { pid: 2 })).toBeNull();
    expect(await b.onChordPartReturn({ id: 'p0', group: gid, groupIndex: 0 }, 'SUCCESS', { pid: 1 })).toBeNull();
    expect(await raw.zcard(`celery-taskset-meta-${gid}.j`)).toBe(2);
    expect(await b.onChordPartReturn({ id: 'p2', group: gid, groupIndex: 2 }, 'SUCCESS', { pid: 2 })).toEqual([
      { taskId: 'p0', state: 'SUCCESS', result: { pid: 1 } },
      { taskId: 'p1', state: 'SUCCESS', result: { pid: 1 } },
      { taskId: 'p2', state: 'SUCCESS', result: { pid: 2 } },
    ]);
    expect(await raw.exists(`celery-taskset-meta-${gid}.j`, `celery-taskset-meta-${gid}.s`)).toBe(0);
  });

  it('a repeat of the last part, sent on another connection at the same moment, does not complete the chord a second time', async () => {
    const gid = newGroup();
    await backend().applyChord(gid, 2);
    await backend().onChordPartReturn({ id: 'a', group: gid, groupIndex: 0 }, 'SUCCESS', 'a');
    const replies = await Promise.all([1, 2, 3, 4].map((run) => backend().onChordPartReturn({ id: 'b', group: gid, groupIndex: 1 }, 'SUCCESS', `b${run}`)));
    expect(replies.filter((r) => r !== null)).toHaveLength(1);
  });

  it('keeps Celery\'s rule for different tasks at one group_index and for parts without one: each is counted', async () => {
    const b = backend();
    const gid = newGroup();
    await b.applyChord(gid, 4);
    expect(await b.onChordPartReturn({ id: 'x', group: gid, groupIndex: 0 }, 'SUCCESS', 1)).toBeNull();
    expect(await b.onChordPartReturn({ id: 'y', group: gid, groupIndex: 0 }, 'SUCCESS', 2)).toBeNull();
    expect(await b.onChordPartReturn({ id: 'z', group: gid, groupIndex: null }, 'SUCCESS', 3)).toBeNull(); // +inf
    expect(await raw.zcard(`celery-taskset-meta-${gid}.j`)).toBe(3);
    // Without a group_index only a byte-identical repeat is ignored (a no-op ZADD, as in Celery).
    const gid2 = newGroup();
    await b.applyChord(gid2, 2);
    expect(await b.onChordPartReturn({ id: 'z', group: gid2, groupIndex: null }, 'SUCCESS', 3)).toBeNull();
    expect(await b.onChordPartReturn({ id: 'z', group: gid2, groupIndex: null }, 'SUCCESS', 3)).toBeNull();
    expect(await raw.zcard(`celery-taskset-meta-${gid2}.j`)).toBe(1);
  });

  it('counts what add_to_chord added under .t', async () => {
    const b = backend();
    const gid = newGroup();
    await b.applyChord(gid, 1);
    await raw.incr(`celery-taskset-meta-${gid}.t`);
    expect(await b.onChordPartReturn({ id: 'a', group: gid, groupIndex: 0 }, 'SUCCESS', 1)).toBeNull();
    expect(await b.onChordPartReturn({ id: 'b', group: gid, groupIndex: null }, 'SUCCESS', 2)).toEqual([
      { taskId: 'a', state: 'SUCCESS', result: 1 }, { taskId: 'b', state: 'SUCCESS', result: 2 },
    ]);
  });

  it('with result_chord_ordered false the parts are a list, in finishing order (RPUSH/LLEN)', async () => {
    const b = backend({ transportOptions: { result_chord_ordered: false } });
    const gid = newGroup();
    await b.applyChord(gid, 2);
    expect(await b.onChordPartReturn({ id: 'late', group: gid, groupIndex: 1 }, 'SUCCESS', 'x')).toBeNull();
    expect(await raw.type(`celery-taskset-meta-${gid}.j`)).toBe('list');
    const parts = await b.onChordPartReturn({ id: 'early', group: gid, groupIndex: 0 }, 'SUCCESS', 'y');
    expect(parts!.map((p) => p.taskId)).toEqual(['late', 'early']);
  });

  it('does nothing without a group, and only counts while no size is stored', async () => {
    const b = backend();
    expect(await b.onChordPartReturn({ id: 'x', group: null, groupIndex: 0 }, 'SUCCESS', 1)).toBeNull();
    const gid = newGroup();
    expect(await b.onChordPartReturn({ id: 'x', group: gid, groupIndex: 0 }, 'SUCCESS', 1)).toBeNull();
    expect(await raw.zcard(`celery-taskset-meta-${gid}.j`)).toBe(1);
  });
});
