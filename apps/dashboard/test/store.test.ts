/**
 * The recorder and the SQLite store without a broker: events as a receiver hands them over are
 * recorded, survive a reopening of the file, follow Celery's state rules across the bounded cache,
 * and are listed with Flower's filters, search, order and pages through indexes; retention drops
 * by count and age. Also the repr parser that retry relies on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, type CeleryEvent } from '@cq/celery';
import { EventRecorder, EventStore, listedTask, parsePythonLiteral, parseSearchTerms, taskArguments, taskAsDict } from '@cq/dashboard';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const app = new Celery('store-test');
let files = 0;
const newFile = (): string => path.join(dir, `store-${files++}.db`);

const T0 = 1_700_000_000;
/** An event as the receiver hands it over: timestamps in seconds, `local_received` set. */
function ev(type: string, fields: Record<string, unknown>, at: number): CeleryEvent {
  return { type, hostname: 'w1@host', timestamp: at, local_received: at, utcoffset: 0, pid: 1, clock: Math.round(at - T0), ...fields };
}
function open(file: string, maxTasksInMemory = 1000): { store: EventStore; recorder: EventRecorder } {
  const store = new EventStore(file);
  return { store, recorder: new EventRecorder({ app, store, maxTasksInMemory, flushInterval: 10_000 }) };
}

describe('recording', () => {
  it('keeps a task lifecycle with Flower\'s fields and its event timeline', () => {
    const { store, recorder } = open(newFile());
    recorder.record(ev('task-sent', { uuid: 'a', name: 'proj.add', args: '(2, 3)', kwargs: '{}', queue: 'q1', hostname: 'client@host' }, T0));
    recorder.record(ev('task-received', { uuid: 'a', name: 'proj.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: 'a', parent_id: null }, T0 + 1));
    recorder.record(ev('task-started', { uuid: 'a' }, T0 + 2));
    recorder.record(ev('task-succeeded', { uuid: 'a', result: '5', runtime: 0.25 }, T0 + 3));
    recorder.record(ev('task-received', { uuid: 'b', name: 'proj.child', args: '()', kwargs: '{}', parent_id: 'a', root_id: 'a' }, T0 + 4));
    recorder.flush();
    const row = store.task('a')!;
    const dict = taskAsDict(row, store.children(['a']).get('a'));
    expect(dict).toMatchObject({
      uuid: 'a', name: 'proj.add', state: 'SUCCESS', sent: T0, received: T0 + 1, started: T0 + 2, succeeded: T0 + 3,
      args: '(2, 3)', kwargs: '{}', result: '5', runtime: 0.25, worker: 'w1@host', client: 'client@host', root: 'a', root_id: 'a', children: ['b'],
    });
    expect(Object.keys(dict)).toEqual(['uuid', 'name', 'state', 'received', 'sent', 'started', 'rejected', 'succeeded', 'failed', 'retried', 'revoked', 'args',
      'kwargs', 'eta', 'expires', 'retries', 'worker', 'result', 'exception', 'timestamp', 'runtime', 'traceback', 'exchange', 'routing_key', 'clock', 'client',
      'root', 'root_id', 'parent', 'parent_id', 'children']);
    expect(Object.keys(listedTask(row)).at(-1)).toBe('worker');
    expect('worker' in listedTask({ ...row, worker: null })).toBe(false);
    expect(JSON.parse(row.extra!)).toEqual({ queue: 'q1' });
    expect(store.taskEvents('a').map((e) => e.type)).toEqual(['task-sent', 'task-received', 'task-started', 'task-succeeded']);
    expect(store.taskTypes()).toEqual(['proj.add', 'proj.child']);
    store.close();
  });

  it('continues a task recorded before a restart, and applies Celery\'s order rules to a late event', async () => {
    const file = newFile();
    const first = open(file);
    first.recorder.record(ev('task-received', { uuid: 'r', name: 'proj.slow', args: '(1,)', kwargs: "{'x': 1}" }, T0));
    first.recorder.record(ev('task-started', { uuid: 'r' }, T0 + 1));
    first.recorder.record(ev('worker-online', { freq: 2, sw_ident: 'py-celery', sw_ver: '5.2.6' }, T0));
    await first.recorder.close();
    first.store.close();

    const second = open(file);
    expect(second.recorder.state.tasks.size).toBe(0);
    expect(second.store.task('r')).toMatchObject({ state: 'STARTED', name: 'proj.slow' });
    second.recorder.record(ev('task-succeeded', { uuid: 'r', result: "'ok'", runtime: 1.5 }, T0 + 3));
    // A late task-received (lower precedence than SUCCESS) must not move the state back.
    second.recorder.record(ev('task-received', { uuid: 'r', name: 'proj.slow', args: '(1,)', kwargs: "{'x': 1}" }, T0 + 0.5));
    second.recorder.flush();
    // As in Celery, the late event still stamps its time (received) but not its state.
    expect(second.store.task('r')).toMatchObject({ state: 'SUCCESS', name: 'proj.slow', received: T0 + 0.5, started: T0 + 1, succeeded: T0 + 3, result: "'ok'" });
    expect(second.store.taskEvents('r').map((e) => [e.type, e.timestamp])).toEqual([
      ['task-received', T0], ['task-received', T0 + 0.5], ['task-started', T0 + 1], ['task-succeeded', T0 + 3],
    ]);
    expect(second.store.worker('w1@host')).toMatchObject({ sw_ident: 'py-celery', freq: 2, online: true });
    second.store.close();
  });

  it('keeps memory bounded: the cache holds maxTasksInMemory tasks, the store all of them', () => {
    const { store, recorder } = open(newFile(), 10);
    for (let i = 0; i < 100; i += 1) recorder.record(ev('task-received', { uuid: `t${i}`, name: 'proj.n', args: `(${i},)`, kwargs: '{}' }, T0 + i));
    expect(recorder.state.tasks.size).toBe(10);
    recorder.record(ev('task-failed', { uuid: 't0', exception: "ValueError('no')", traceback: 'Traceback...' }, T0 + 200));
    recorder.flush();
    expect(store.countTasks()).toBe(100);
    expect(store.task('t0')).toMatchObject({ state: 'FAILURE', name: 'proj.n', args: '(0,)', exception: "ValueError('no')", received: T0 });
    expect(recorder.state.tasks.size).toBe(10);
    store.close();
  });
});

describe('listing', () => {
  const { store, recorder } = open(newFile());
  const states = ['SUCCESS', 'FAILURE', 'STARTED'] as const;
  // 30 tasks: names n0..n2, workers w0/w1, received a minute apart; each ends in one state.
  for (let i = 0; i < 30; i += 1) {
    const at = T0 + i * 60;
    const base = { uuid: `id-${String(i).padStart(2, '0')}`, hostname: `w${i % 2}@host` };
    recorder.record(ev('task-received', { ...base, name: `proj.n${i % 3}`, args: `(${i}, 'x${i}')`, kwargs: `{'k': ${i % 5}}` }, at));
    recorder.record(ev('task-started', base, at + 1));
    const state = states[i % 3]!;
    if (state === 'SUCCESS') recorder.record(ev('task-succeeded', { ...base, result: `'r${i}'`, runtime: i / 10 }, at + 2));
    if (state === 'FAILURE') recorder.record(ev('task-failed', { ...base, exception: `KeyError('e${i}')` }, at + 2));
  }
  recorder.flush();
  afterAll(() => store.close());
  const ids = (filter: Parameters<EventStore['tasks']>[0]) => store.tasks(filter).map((r) => r.uuid);

  it('orders by the last event, newest first, and pages without overlap', () => {
    const all = ids({});
    expect(all).toHaveLength(30);
    expect(all[0]).toBe('id-29');
    expect(all.at(-1)).toBe('id-00');
    expect([...ids({ limit: 10 }), ...ids({ limit: 10, offset: 10 }), ...ids({ limit: 10, offset: 20 })]).toEqual(all);
    expect(ids({ sortBy: 'received', limit: 2 })).toEqual(['id-00', 'id-01']);
    expect(ids({ sortBy: '-received', limit: 2 })).toEqual(['id-29', 'id-28']);
    expect(store.tasks({ sortBy: 'name' }).map((r) => r.name).slice(0, 10).every((n) => n === 'proj.n0')).toBe(true);
    expect(() => store.tasks({ sortBy: 'clock' })).toThrow(/Invalid sort_by/);
  });

  it('filters by state, name, worker and received time, and counts the matches', () => {
    expect(ids({ state: 'FAILURE' })).toEqual(['id-28', 'id-25', 'id-22', 'id-19', 'id-16', 'id-13', 'id-10', 'id-07', 'id-04', 'id-01']);
    expect(store.countTasks({ state: 'STARTED', worker: 'w0@host' })).toBe(5);
    expect(ids({ name: 'proj.n1', worker: 'w1@host' })).toEqual(['id-25', 'id-19', 'id-13', 'id-07', 'id-01']);
    expect(ids({ receivedStart: T0 + 5 * 60, receivedEnd: T0 + 7 * 60 })).toEqual(['id-07', 'id-06', 'id-05']);
    expect(store.countTasks({ name: 'proj.n2', state: 'SUCCESS' })).toBe(0);
  });

  it("searches with Flower's syntax", () => {
    expect(ids({ search: 'x13' })).toEqual(['id-13']);
    expect(ids({ search: "result:r12" })).toEqual(['id-12']);
    expect(ids({ search: 'args:x2 args:22' })).toEqual(['id-22']);
    expect(ids({ search: 'kwargs:k=3' })).toEqual(['id-28', 'id-23', 'id-18', 'id-13', 'id-08', 'id-03']);
    expect(ids({ search: 'state:FAILURE', name: 'proj.n1', limit: 2 })).toEqual(['id-28', 'id-25']);
    expect(ids({ search: 'state:STARTED x14' })).toEqual(ids({ state: 'STARTED' }));
    expect(ids({ search: 'KeyError' })).toHaveLength(0); // the exception is not among the fields Flower searches
    expect(parseSearchTerms('foo "a b" result:3 args:1 args:2 kwargs:x=4 state:SUCCESS')).toEqual({
      any: 'a b', result: '3', args: ['1', '2'], kwargs: { x: '4' }, state: ['SUCCESS'],
    });
  });

  it('answers each filter from an index, not a scan of the table', () => {
    const plan = (where: string, order = 'ORDER BY timestamp DESC') =>
      (store.db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM tasks ${where} ${order} LIMIT 20`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(plan('')).toMatch(/USING INDEX tasks_by_timestamp/);
    expect(plan("WHERE state = 'FAILURE'")).toMatch(/USING INDEX tasks_by_state/);
    expect(plan("WHERE name = 'proj.n0'")).toMatch(/USING INDEX tasks_by_name/);
    expect(plan("WHERE worker = 'w0@host'")).toMatch(/USING INDEX tasks_by_worker/);
    expect(plan('WHERE received >= 1 AND received <= 2', 'ORDER BY received ASC')).toMatch(/USING INDEX tasks_by_received/);
    for (const where of ['', "WHERE state = 'FAILURE'", "WHERE name = 'x'", "WHERE worker = 'w'"]) expect(plan(where)).not.toMatch(/USE TEMP B-TREE/);
  });
});

describe('retention', () => {
  it('drops the tasks with the oldest last event past maxTasks, with their events', () => {
    const { store, recorder } = open(newFile());
    for (let i = 0; i < 50; i += 1) {
      recorder.record(ev('task-received', { uuid: `k${i}`, name: 'proj.k', args: '()', kwargs: '{}' }, T0 + i));
      recorder.record(ev('task-succeeded', { uuid: `k${i}`, result: 'None' }, T0 + i + 0.5));
    }
    recorder.flush();
    expect(store.prune({ maxTasks: 20, maxAge: 0, now: T0 + 100 })).toEqual({ tasks: 30, events: 60, workers: 0 });
    expect(store.countTasks()).toBe(20);
    expect(store.task('k29')).toBeUndefined();
    expect(store.taskEvents('k29')).toEqual([]);
    expect(store.task('k30')).toBeDefined();
    store.close();
  });

  it('drops tasks, events and silent workers older than maxAge', () => {
    const { store, recorder } = open(newFile());
    recorder.record(ev('worker-online', { hostname: 'old@host', freq: 2 }, T0));
    recorder.record(ev('task-received', { uuid: 'old', name: 'proj.o', hostname: 'old@host' }, T0));
    recorder.record(ev('worker-online', { hostname: 'new@host', freq: 2 }, T0 + 5000));
    recorder.record(ev('task-received', { uuid: 'new', name: 'proj.o', hostname: 'new@host' }, T0 + 5000));
    recorder.flush();
    expect(store.prune({ maxTasks: 1000, maxAge: 3600, now: T0 + 6000 })).toEqual({ tasks: 1, events: 2, workers: 1 });
    expect(store.tasks().map((r) => r.uuid)).toEqual(['new']);
    expect(store.workers().map((w) => w.hostname)).toEqual(['new@host']);
    store.close();
  });
});

describe('reading arguments back from their reprs', () => {
  it('parses what Python and cq write for args and kwargs', () => {
    expect(parsePythonLiteral("(2, 'a', None, True, -1.5e3, [1, (2,)], {'k': \"v\\n\"})")).toEqual([2, 'a', null, true, -1500, [1, [2]], { k: 'v\n' }]);
    expect(parsePythonLiteral('()')).toEqual([]);
    expect(parsePythonLiteral("'\\x41\\u00e9'")).toBe('Aé');
    expect(taskArguments('[1, 2]', "{'x': False}")).toEqual({ args: [1, 2], kwargs: { x: false } });
    expect(taskArguments(null, null)).toEqual({ args: [], kwargs: {} });
  });

  it('refuses a truncated or non-literal repr', () => {
    expect(() => parsePythonLiteral("('aaaa', ...")).toThrow(/not a Python literal/);
    expect(() => parsePythonLiteral('(<object at 0x1>,)')).toThrow(/not a Python literal/);
    expect(() => taskArguments("{'a': 1}", null)).toThrow(/args is not a list/);
  });
});
