/**
 * The documents cq's MongoDB backend writes and reads, without a server. Expected documents come
 * from Celery's own `MongoBackend` (Debian's Celery 5.2.6, `celery/backends/mongodb.py`): its
 * `store_result` and `save_group` run in Python against collections that record the writes
 * (test/py/celery_documents.py), and the literal shapes below are read off that source and off
 * Celery ≥ 5.3's, which differs in one field: it passes `format_date=False` to `_get_result_meta`, so
 * `date_done` is a BSON date where 5.2 wrote naive ISO text. cq writes the date (what `cleanup()` can
 * compare) and reads both.
 */
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Binary, Long } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GroupMeta, ResultTuple, TaskMeta, TaskRequest } from '@cq/backend';
import { execFileTracked, requirePython } from '@cq/tooling/testing';
import {
  MongoBackend, MongoBackendEncodeError, fromBson, groupChildIds, groupTuple, metaFromDocument, toBson, type GroupDocument,
  type MongoBackendOptions, type TaskDocument,
} from '../src/index.js';

const run = promisify(execFileTracked);
const script = fileURLToPath(new URL('./py/celery_documents.py', import.meta.url));
let python = '';

beforeAll(() => { python = requirePython(['celery', 'pymongo', 'msgpack']); });

/** What Celery 5.2.6's MongoBackend writes for `spec` (see the script's docstring). */
async function celery(spec: unknown): Promise<{ store: unknown[]; groups: unknown[] }> {
  const { stdout } = await run(python, [script, JSON.stringify(spec)], { timeout: 60_000 });
  return JSON.parse(stdout) as { store: unknown[]; groups: unknown[] };
}

/** The script's `{$pairs}` form back to [key, value] entries (key order kept) and values. */
function entries(doc: unknown): [string, unknown][] {
  return (doc as { $pairs: [string, unknown][] }).$pairs.map(([k, v]) => [k, unpair(v)]);
}
function unpair(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unpair);
  if (value && typeof value === 'object' && '$pairs' in value) return Object.fromEntries(entries(value));
  if (value && typeof value === 'object' && '$binary' in value) return { binary: (value as { $binary: string }).$binary };
  return value;
}

/** The backend with its collection writes captured instead of sent: everything above them runs as in production. */
class Capturing extends MongoBackend {
  readonly tasks: TaskDocument[] = [];
  readonly groups: GroupDocument[] = [];
  protected override async _storeResult(_taskId: string, meta: TaskMeta): Promise<boolean> {
    this.tasks.push(this.taskDocumentFor(meta));
    return true;
  }
  protected override async _saveGroup(groupId: string, result: unknown): Promise<void> {
    this.groups.push(this.groupDocumentFor(groupId, result));
  }
  /** The backend's reading of a stored `result` (Celery `decode`). */
  read(stored: unknown): unknown {
    return this.unstored(stored);
  }
}

const capturing = (options: MongoBackendOptions = {}) => new Capturing({ url: 'mongodb://localhost:27017/cq_documents', ...options });

const request = (id: string): TaskRequest & { id: string } => ({
  id, task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@h', retries: 1, deliveryInfo: { routingKey: 'celery' },
  group: 'g1', parentId: 'p1', children: [[['c1', null], null]],
});
const pyRequest = { task: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, hostname: 'w1@h', retries: 1, routing_key: 'celery', group: 'g1', parent_id: 'p1', children: ['c1'] };

describe('task documents', () => {
  it("writes Celery's document, field for field and in Celery's order", async () => {
    const backend = capturing({ extended: true });
    const before = Date.now();
    await backend.markAsDone('t1', { a: [1, 2], s: 'ü' }, request('t1'));
    await backend.markAsFailure('t2', new TypeError('bad'), 'Traceback: tb');
    await backend.markAsStarted('t3', { pid: 1, hostname: 'w' });
    const [done, failed, started] = backend.tasks;
    expect(Object.keys(done!)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'group_id', 'parent_id',
      'name', 'args', 'kwargs', 'worker', 'retries', 'queue', '_id']);
    expect(done).toEqual({
      status: 'SUCCESS', result: '{"a":[1,2],"s":"ü"}', traceback: null, children: [[['c1', null], null]], date_done: expect.any(Date),
      group_id: 'g1', parent_id: 'p1', name: 'tasks.add', args: [2, 3], kwargs: { z: 'ü' }, worker: 'w1@h', retries: 1, queue: 'celery', _id: 't1',
    });
    expect((done!.date_done as Date).getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(failed).toEqual({
      status: 'FAILURE', result: '{"exc_type":"TypeError","exc_message":["bad"],"exc_module":"builtins"}', traceback: 'Traceback: tb',
      children: [], date_done: expect.any(Date), _id: 't2',
    });
    expect(started).toEqual({ status: 'STARTED', result: '{"pid":1,"hostname":"w"}', traceback: null, children: [], date_done: null, _id: 't3' });
  });

  it('matches what Celery 5.2.6 writes for the same states (json and msgpack), date_done aside', async () => {
    const spec = {
      extended: true,
      store: [
        { id: 't1', state: 'SUCCESS', result: { a: [1, 2], s: 'ü', n: null, f: 2.5 }, request: pyRequest },
        { id: 't2', state: 'FAILURE', exception: { type: 'TypeError', args: ['bad'] }, traceback: 'Traceback: tb', request: { ...pyRequest, children: [] } },
        { id: 't3', state: 'STARTED', result: { pid: 1, hostname: 'w' }, request: { ...pyRequest, children: [] } },
      ],
    };
    const backend = capturing({ extended: true });
    await backend.markAsDone('t1', { a: [1, 2], s: 'ü', n: null, f: 2.5 }, request('t1'));
    await backend.markAsFailure('t2', new TypeError('bad'), 'Traceback: tb', { ...request('t2'), children: [] });
    await backend.markAsStarted('t3', { pid: 1, hostname: 'w' }, { ...request('t3'), children: [] });
    const python = await celery(spec);
    // With a request, as a worker stores it (outside a task Celery 5.2 writes `children: null`, cq `[]`).
    const msgpackBackend = capturing({ serializer: 'msgpack', accept: ['msgpack'] });
    await msgpackBackend.markAsDone('m1', { a: [1, 2] }, { ...request('m1'), children: [] });
    const pythonMsgpack = await celery({ serializer: 'msgpack', store: [{ id: 'm1', state: 'SUCCESS', result: { a: [1, 2] }, request: { ...pyRequest, children: [] } }] });

    const compare = (ours: TaskDocument, theirs: unknown, reader: Capturing) => {
      const expected = entries(theirs);
      expect(Object.keys(ours)).toEqual(expected.map(([k]) => k));
      for (const [key, value] of expected) {
        const mine = ours[key];
        if (key === 'result') {
          // Same value; the text differs only in spacing and escaping (cq writes compact UTF-8 JSON, which Python reads).
          const theirsStored = typeof value === 'string' ? value : new Binary(Buffer.from((value as { binary: string }).binary, 'hex'));
          expect(typeof mine === 'string').toBe(typeof value === 'string');
          expect(reader.read(mine)).toEqual(reader.read(theirsStored));
        } else if (key === 'date_done') {
          // Celery 5.2: naive UTC ISO text; Celery ≥ 5.3 and cq: a BSON date.
          if (value === null) expect(mine).toBeNull();
          else expect(Math.abs((mine as Date).getTime() - Date.parse(`${value as string}Z`))).toBeLessThan(10_000);
        } else {
          expect([key, fromBson(mine)]).toEqual([key, value]);
        }
      }
    };
    backend.tasks.forEach((doc, i) => compare(doc, python.store[i], backend));
    compare(msgpackBackend.tasks[0]!, pythonMsgpack.store[0], msgpackBackend);
    expect(msgpackBackend.tasks[0]!.result).toBeInstanceOf(Binary);
  });

  it("reads Celery 5.2's documents (text dates) and Celery ≥ 5.3's (BSON dates), failures as exception dicts", () => {
    const backend = capturing({ extended: true });
    const meta = (doc: TaskDocument, extended = true) => metaFromDocument(doc, (s) => backend.read(s), extended, (d) => d.toISOString());
    const v52: TaskDocument = {
      _id: 't1', status: 'SUCCESS', result: '{"a": [1, 2]}', traceback: null, children: null, date_done: '2026-01-02T03:04:05.678901',
      group_id: 'g', name: 'tasks.add', args: [2, 3], kwargs: { z: 1 }, worker: 'w', retries: 0, queue: 'celery',
    };
    expect(meta(v52)).toEqual({
      status: 'SUCCESS', result: { a: [1, 2] }, traceback: null, children: [], date_done: '2026-01-02T03:04:05.678901', group_id: 'g',
      name: 'tasks.add', args: [2, 3], kwargs: { z: 1 }, worker: 'w', retries: 0, queue: 'celery', task_id: 't1',
    });
    expect(meta(v52, false)).not.toHaveProperty('args');
    const v53: TaskDocument = {
      _id: 't2', status: 'FAILURE', result: '{"exc_type": "ValueError", "exc_message": ["no"], "exc_module": "builtins"}',
      traceback: 'Traceback…', children: [[['c', null], null]], date_done: new Date('2026-01-02T03:04:05.678Z'),
    };
    expect(meta(v53)).toEqual({
      status: 'FAILURE', result: { exc_type: 'ValueError', exc_message: ['no'], exc_module: 'builtins' }, traceback: 'Traceback…',
      children: [[['c', null], null]], date_done: '2026-01-02T03:04:05.678Z', task_id: 't2',
    });
    // A `bson` writer stores the value itself; an int64 past 2^53 reads as a bigint.
    expect(meta({ _id: 't3', status: 'SUCCESS', result: { big: Long.fromBigInt(2n ** 60n) }, traceback: null, children: [], date_done: null }).result)
      .toEqual({ big: 2n ** 60n });
  });
});

describe('group documents', () => {
  it("writes Celery's {_id, result: <serialized child ids>, date_done}, as Celery 5.2.6 does, and restores the tuple", async () => {
    const backend = capturing();
    const tuple: ResultTuple = [['g1', null], [[['c1', null], null], [['c2', null], null]]];
    await backend.saveGroup('g1', { asTuple: () => tuple });
    const ours = backend.groups[0]!;
    const [theirs] = (await celery({ groups: [{ id: 'g1', children: ['c1', 'c2'] }] })).groups;
    const expected = entries(theirs);
    expect(Object.keys(ours)).toEqual(expected.map(([k]) => k));
    expect(ours._id).toBe('g1');
    expect(backend.read(ours.result)).toEqual(['c1', 'c2']);
    expect(backend.read(expected[1]![1])).toEqual(['c1', 'c2']);
    expect(ours.date_done).toBeInstanceOf(Date);
    expect(expected[2]![1]).toHaveProperty('$date');
    expect(groupTuple('g1', ['c1', 'c2'])).toEqual(tuple);
    expect(groupChildIds(tuple)).toEqual(['c1', 'c2']);
    expect(groupChildIds(['a', 'b'])).toEqual(['a', 'b']);
    const restored: GroupMeta = { group_id: 'g1', result: groupTuple('g1', backend.read(ours.result)), date_done: null };
    expect(restored.result).toEqual(tuple);
  });
});

describe('BSON values', () => {
  it('writes integers past 32 bits as int64 (pymongo reads an int, not a float) and refuses past 64 bits', () => {
    expect(toBson(5, 'args')).toBe(5);
    expect(toBson(2 ** 40, 'args')).toEqual(Long.fromNumber(2 ** 40));
    expect(toBson(2n ** 62n, 'args')).toEqual(Long.fromBigInt(2n ** 62n));
    expect(toBson(1.5, 'args')).toBe(1.5);
    expect(toBson({ b: Buffer.from([1, 2]), u: undefined, d: new Date(0) }, 'kwargs')).toEqual({ b: new Binary(Buffer.from([1, 2])), u: null, d: new Date(0) });
    expect(() => toBson([1, 2n ** 70n], 'args')).toThrow(MongoBackendEncodeError);
    expect(() => toBson([1, 2n ** 70n], 'args')).toThrow(/args\[1\]/);
    expect(fromBson([Long.fromNumber(7), new Binary(Buffer.from('x'))])).toEqual([7, Buffer.from('x')]);
  });

  it('stores results through the result serializer, so integers past 64 bits and NaN survive, as in Celery', async () => {
    const backend = capturing();
    await backend.markAsDone('big', { big: 2n ** 70n + 1n, nan: Number.NaN });
    const result = backend.read(backend.tasks[0]!.result) as { big: bigint; nan: number };
    expect(result.big).toBe(2n ** 70n + 1n);
    expect(result.nan).toBeNaN();
    await expect(capturing({ extended: true }).markAsDone('x', 1, { task: 't', args: [2n ** 70n] })).rejects.toBeInstanceOf(MongoBackendEncodeError);
  });
});
