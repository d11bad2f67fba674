/**
 * What the backend stores on a MongoDB server, read back with the driver: Celery's task and group
 * documents with their BSON types, Celery's `date_done` indexes, a stored SUCCESS kept against
 * concurrent writers, a msgpack result as Binary, and `cleanup()` by `date_done`.
 */
import { randomUUID } from 'node:crypto';
import { Binary } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { MongoBackend, type MongoBackendOptions } from '../../src/index.js';
import { onDb, resultDatabase } from './helpers.js';

const url = resultDatabase('cq_rb_documents');
const open: MongoBackend[] = [];
afterEach(async () => {
  for (const backend of open.splice(0)) await backend.close();
});
const make = (options: MongoBackendOptions = {}) => {
  const backend = new MongoBackend({ url, ...options });
  open.push(backend);
  return backend;
};
const id = () => randomUUID();
const find = (collection: string, _id: string) => onDb(url, (db) => db.collection<{ _id: string }>(collection).findOne({ _id }));

describe('stored documents', () => {
  it("stores Celery's task document: text result, BSON date, _id the task id, in Celery's collection", async () => {
    const backend = make({ extended: true });
    const taskId = id();
    await backend.markAsDone(taskId, { a: [1, 2] }, { task: 'tasks.add', args: [2, 2 ** 40], kwargs: { z: 'ü' }, hostname: 'w1@h', retries: 0, deliveryInfo: { routingKey: 'celery' } });
    const doc = await find('celery_taskmeta', taskId);
    expect(doc).toEqual({
      _id: taskId, status: 'SUCCESS', result: '{"a":[1,2]}', traceback: null, children: [], date_done: expect.any(Date),
      name: 'tasks.add', args: [2, 2 ** 40], kwargs: { z: 'ü' }, worker: 'w1@h', retries: 0, queue: 'celery',
    });
    const raw = await onDb(url, (db) => db.collection('celery_taskmeta').findOne({ _id: taskId as never }, { promoteLongs: false }));
    expect(raw!.args[1]._bsontype).toBe('Long'); // an int64, which pymongo reads as an int
    for (const name of ['celery_taskmeta', 'celery_groupmeta']) {
      const indexes = await onDb(url, (db) => db.collection(name).indexes());
      expect(indexes.find((i) => i.name === 'date_done_1')?.key).toEqual({ date_done: 1 });
    }
  });

  it("stores a group as Celery's {_id, result: <child ids>, date_done}", async () => {
    const backend = make();
    const groupId = id();
    await backend.saveGroup(groupId, [[groupId, null], [[['c1', null], null], [['c2', null], null]]]);
    expect(await find('celery_groupmeta', groupId)).toEqual({ _id: groupId, result: '["c1","c2"]', date_done: expect.any(Date) });
    expect((await backend.restoreGroup(groupId))?.result).toEqual([[groupId, null], [[['c1', null], null], [['c2', null], null]]]);
  });

  it('stores a msgpack result as Binary, as Celery does for binary serializers', async () => {
    const backend = make({ serializer: 'msgpack', accept: ['msgpack'] });
    const taskId = id();
    await backend.markAsDone(taskId, { n: 1 });
    const doc = await onDb(url, (db) => db.collection('celery_taskmeta').findOne({ _id: taskId as never }));
    expect(doc!.result).toBeInstanceOf(Binary);
    expect((await backend.getTaskMeta(taskId)).result).toEqual({ n: 1 });
  });
});

describe('writes and cleanup', () => {
  it('keeps a stored SUCCESS against concurrent writers of other states, whatever order they land in', async () => {
    const backends = [make(), make(), make()];
    for (let round = 0; round < 10; round++) {
      const taskId = id();
      const [done] = await Promise.all([
        backends[0]!.markAsDone(taskId, 'done'),
        backends[1]!.markAsStarted(taskId, { pid: 1 }),
        backends[2]!.markAsFailure(taskId, new Error('late')),
      ]);
      expect(done).toBe(true); // SUCCESS replaces any other state, or is inserted
      expect(await backends[1]!.getTaskMeta(taskId)).toMatchObject({ status: 'SUCCESS', result: 'done' });
      expect(await backends[1]!.markAsStarted(taskId, { pid: 2 })).toBe(false);
      expect(await backends[2]!.markAsFailure(taskId, new Error('later'))).toBe(false);
    }
  });

  it('cleanup deletes tasks and groups whose date_done is older than expires, as Celery', async () => {
    const backend = make({ expires: 60 });
    const [old, fresh, oldGroup] = [id(), id(), id()];
    await backend.markAsDone(old, 1);
    await backend.markAsDone(fresh, 2);
    await backend.saveGroup(oldGroup, [[oldGroup, null], []]);
    const past = new Date(Date.now() - 120_000);
    await onDb(url, async (db) => {
      await db.collection<{ _id: string }>('celery_taskmeta').updateOne({ _id: old }, { $set: { date_done: past } });
      await db.collection<{ _id: string }>('celery_groupmeta').updateOne({ _id: oldGroup }, { $set: { date_done: past } });
    });
    await backend.cleanup();
    expect(await find('celery_taskmeta', old)).toBeNull();
    expect(await find('celery_groupmeta', oldGroup)).toBeNull();
    expect((await backend.getTaskMeta(fresh)).result).toBe(2);
  });
});
