/**
 * The event store's behaviour, run against each store (`describeEventStore`): events as a receiver
 * hands them over are recorded through the recorder, survive a reopening, follow Celery's state
 * rules across the bounded cache, and are listed with Flower's filters, search, order and pages
 * through indexes; retention drops by count and age; the overview's counts. A store's test file is
 * a few lines giving a factory and its query-plan expectations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type CeleryEvent } from '@cq/celery';
import { EventRecorder, listedTask, parseSearchTerms, taskAsDict, type EventStore, type TaskFilter } from '@cq/dashboard';

/** Storage a test may open several times (a restart) and removes at the end. */
/** The stores' planning limits, made small by a test. */
export interface StoreTuning {
  searchDriveMax?: number;
  searchWindow?: number;
}

export interface StoreLocation {
  /** Opens (and connects) a store on this location. */
  open(tuning?: StoreTuning): Promise<EventStore>;
  /** Removes the location (file, schema). */
  dispose(): Promise<void>;
}

export interface StoreSuiteOptions {
  /** A new, empty location. */
  location(): Promise<StoreLocation>;
  /** What the listing's plan must show for each filter (an index answering in order, no sort). */
  plans: {
    newest: RegExp;
    state: RegExp;
    name: RegExp;
    worker: RegExp;
    received: RegExp;
    /** A free-text term of 3+ characters. */
    search: RegExp;
    /** Anything that means a sort step or a scan (must not appear for the filters above). */
    forbidden: RegExp;
  };
}

const app = new Celery('store-suite');
const T0 = 1_700_000_000;

/** An event as the receiver hands it over: timestamps in seconds, `local_received` set. */
export function ev(type: string, fields: Record<string, unknown>, at: number): CeleryEvent {
  return { type, hostname: 'w1@host', timestamp: at, local_received: at, utcoffset: 0, pid: 1, clock: Math.round(at - T0), ...fields };
}

export function recorderOn(store: EventStore, maxTasksInMemory = 1000): EventRecorder {
  return new EventRecorder({ app, store, maxTasksInMemory, flushInterval: 10_000 });
}

export function describeEventStore(name: string, options: StoreSuiteOptions): void {
  const locations: StoreLocation[] = [];
  const stores: EventStore[] = [];
  /** A fresh store on a new location, closed and removed after the file. */
  const fresh = async (tuning?: StoreTuning): Promise<{ store: EventStore; location: StoreLocation }> => {
    const location = await options.location();
    locations.push(location);
    const store = await location.open(tuning);
    stores.push(store);
    return { store, location };
  };
  afterAll(async () => {
    for (const store of stores) await store.close();
    for (const location of locations) await location.dispose();
  });

  describe(`${name} event store: recording`, () => {
    it("keeps a task lifecycle with Flower's fields and its event timeline", async () => {
      const { store } = await fresh();
      const recorder = recorderOn(store);
      recorder.record(ev('task-sent', { uuid: 'a', name: 'proj.add', args: '(2, 3)', kwargs: '{}', queue: 'q1', hostname: 'client@host' }, T0));
      recorder.record(ev('task-received', { uuid: 'a', name: 'proj.add', args: '(2, 3)', kwargs: '{}', retries: 0, root_id: 'a', parent_id: null }, T0 + 1));
      recorder.record(ev('task-started', { uuid: 'a' }, T0 + 2));
      recorder.record(ev('task-succeeded', { uuid: 'a', result: '5', runtime: 0.25 }, T0 + 3));
      recorder.record(ev('task-received', { uuid: 'b', name: 'proj.child', args: '()', kwargs: '{}', parent_id: 'a', root_id: 'a' }, T0 + 4));
      await recorder.flush();
      const row = (await store.task('a'))!;
      const dict = taskAsDict(row, (await store.children(['a'])).get('a'));
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
      expect((await store.taskEvents('a')).map((e) => e.type)).toEqual(['task-sent', 'task-received', 'task-started', 'task-succeeded']);
      expect((await store.taskEvents('a'))[3]!.fields).toMatchObject({ type: 'task-succeeded', uuid: 'a', result: '5' });
      expect(await store.taskTypes()).toEqual(['proj.add', 'proj.child']);
      expect([...(await store.tasksById(['a', 'b', 'nope'])).keys()].sort()).toEqual(['a', 'b']);
      expect(await store.task('nope')).toBeUndefined();
    });

    it("continues a task recorded before a restart, and applies Celery's order rules to a late event", async () => {
      const { store: first, location } = await fresh();
      const recorder = recorderOn(first);
      recorder.record(ev('task-received', { uuid: 'r', name: 'proj.slow', args: '(1,)', kwargs: "{'x': 1}" }, T0));
      recorder.record(ev('task-started', { uuid: 'r' }, T0 + 1));
      recorder.record(ev('worker-online', { freq: 2, sw_ident: 'py-celery', sw_ver: '5.2.6' }, T0));
      await recorder.close();
      await first.close();

      const store = await location.open();
      stores.push(store);
      const second = recorderOn(store);
      expect(second.state.tasks.size).toBe(0);
      expect(await store.task('r')).toMatchObject({ state: 'STARTED', name: 'proj.slow' });
      second.record(ev('task-succeeded', { uuid: 'r', result: "'ok'", runtime: 1.5 }, T0 + 3));
      // A late task-received (lower precedence than SUCCESS) must not move the state back.
      second.record(ev('task-received', { uuid: 'r', name: 'proj.slow', args: '(1,)', kwargs: "{'x': 1}" }, T0 + 0.5));
      await second.flush();
      // As in Celery, the late event still stamps its time (received) but not its state.
      expect(await store.task('r')).toMatchObject({ state: 'SUCCESS', name: 'proj.slow', received: T0 + 0.5, started: T0 + 1, succeeded: T0 + 3, result: "'ok'" });
      expect((await store.taskEvents('r')).map((e) => [e.type, e.timestamp])).toEqual([
        ['task-received', T0], ['task-received', T0 + 0.5], ['task-started', T0 + 1], ['task-succeeded', T0 + 3],
      ]);
      expect(await store.worker('w1@host')).toMatchObject({ sw_ident: 'py-celery', freq: 2, online: true, pid: 1 });
    });

    it('keeps memory bounded: the cache holds maxTasksInMemory tasks, the store all of them', async () => {
      const { store } = await fresh();
      const recorder = recorderOn(store, 10);
      for (let i = 0; i < 100; i += 1) recorder.record(ev('task-received', { uuid: `t${i}`, name: 'proj.n', args: `(${i},)`, kwargs: '{}' }, T0 + i));
      await recorder.flush();
      expect(recorder.state.tasks.size).toBe(10);
      recorder.record(ev('task-failed', { uuid: 't0', exception: "ValueError('no')", traceback: 'Traceback...' }, T0 + 200));
      await recorder.flush();
      expect(await store.countTasks()).toBe(100);
      expect(await store.task('t0')).toMatchObject({ state: 'FAILURE', name: 'proj.n', args: '(0,)', exception: "ValueError('no')", received: T0 });
      expect(recorder.state.tasks.size).toBe(10);
    });

    it('applies events in order when more arrive than one chunk, a task evicted and reloaded between them', async () => {
      const { store } = await fresh();
      const recorder = recorderOn(store, 5);
      for (let i = 0; i < 2500; i += 1) recorder.record(ev('task-received', { uuid: `c${i}`, name: 'proj.c', args: '()', kwargs: '{}' }, T0 + i / 1000));
      for (let i = 0; i < 2500; i += 1) recorder.record(ev('task-succeeded', { uuid: `c${i}`, result: `${i}` }, T0 + 10 + i / 1000));
      // A late received for the first task: it was written, evicted, and must be reloaded to keep SUCCESS.
      recorder.record(ev('task-received', { uuid: 'c0', name: 'proj.c', args: '()', kwargs: '{}' }, T0 + 0.5));
      await recorder.flush();
      expect(await store.countTasks({ state: 'SUCCESS' })).toBe(2500);
      expect(await store.task('c0')).toMatchObject({ state: 'SUCCESS', result: '0', received: T0 + 0.5 });
      expect(await store.task('c2499')).toMatchObject({ state: 'SUCCESS', result: '2499' });
      // The search index follows the updates: the text of a task changes with its state and result.
      expect(await store.countTasks({ search: 'SUCCESS|w1' })).toBe(2500);
      expect(await store.countTasks({ search: 'RECEIVED|w1' })).toBe(0);
      expect(await store.countTasks({ search: '|{}|2499' })).toBe(1);
    });
  });

  describe(`${name} event store: listing`, () => {
    let store: EventStore;
    const states = ['SUCCESS', 'FAILURE', 'STARTED'] as const;
    beforeAll(async () => {
      ({ store } = await fresh());
      const recorder = recorderOn(store);
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
      // Text Flower's search must take literally: LIKE wildcards, quotes, a backslash, other case.
      recorder.record(ev('task-received', { uuid: 'odd', hostname: 'w9@host', name: 'proj.odd', args: `('100%_"q"\\\\', 'MiXed')`, kwargs: '{}' }, T0 - 60));
      await recorder.flush();
    });
    const ids = async (filter: TaskFilter) => (await store.tasks(filter)).map((r) => r.uuid);

    it('orders by the last event, newest first, and pages without overlap', async () => {
      const all = (await ids({})).filter((id) => id !== 'odd');
      expect(all).toHaveLength(30);
      expect(all[0]).toBe('id-29');
      expect(all.at(-1)).toBe('id-00');
      expect([...await ids({ limit: 10 }), ...await ids({ limit: 10, offset: 10 }), ...await ids({ limit: 10, offset: 20 })]).toEqual(all);
      expect(await ids({ sortBy: 'received', limit: 2 })).toEqual(['odd', 'id-00']);
      expect(await ids({ sortBy: '-received', limit: 2 })).toEqual(['id-29', 'id-28']);
      expect((await store.tasks({ sortBy: 'name' })).map((r) => r.name).slice(0, 10).every((n) => n === 'proj.n0')).toBe(true);
      // NULLs first ascending, last descending, as SQLite orders them.
      expect((await ids({ sortBy: 'started' }))[0]).toBe('odd');
      expect((await ids({ sortBy: '-started' })).at(-1)).toBe('odd');
      await expect(store.tasks({ sortBy: 'clock' })).rejects.toThrow(/Invalid sort_by/);
    });

    it('filters by state, name, worker and received time, and counts the matches', async () => {
      expect(await ids({ state: 'FAILURE' })).toEqual(['id-28', 'id-25', 'id-22', 'id-19', 'id-16', 'id-13', 'id-10', 'id-07', 'id-04', 'id-01']);
      expect(await store.countTasks({ state: 'STARTED', worker: 'w0@host' })).toBe(5);
      expect(await ids({ name: 'proj.n1', worker: 'w1@host' })).toEqual(['id-25', 'id-19', 'id-13', 'id-07', 'id-01']);
      expect(await ids({ receivedStart: T0 + 5 * 60, receivedEnd: T0 + 7 * 60 })).toEqual(['id-07', 'id-06', 'id-05']);
      expect(await store.countTasks({ name: 'proj.n2', state: 'SUCCESS' })).toBe(0);
      expect(await store.countTasks()).toBe(31);
    });

    it("searches with Flower's syntax", async () => {
      expect(await ids({ search: 'x13' })).toEqual(['id-13']);
      expect(await ids({ search: "'x1" })).toEqual(['id-19', 'id-18', 'id-17', 'id-16', 'id-15', 'id-14', 'id-13', 'id-12', 'id-11', 'id-10', 'id-01']);
      expect(await ids({ search: 'result:r12' })).toEqual(['id-12']);
      expect(await ids({ search: 'args:x2 args:22' })).toEqual(['id-22']);
      expect(await ids({ search: 'kwargs:k=3' })).toEqual(['id-28', 'id-23', 'id-18', 'id-13', 'id-08', 'id-03']);
      expect(await ids({ search: 'state:FAILURE', name: 'proj.n1', limit: 2 })).toEqual(['id-28', 'id-25']);
      expect(await ids({ search: 'state:STARTED x14' })).toEqual(await ids({ state: 'STARTED' }));
      expect(await ids({ search: 'KeyError' })).toHaveLength(0); // the exception is not among the fields Flower searches
      expect(parseSearchTerms('foo "a b" result:3 args:1 args:2 kwargs:x=4 state:SUCCESS')).toEqual({
        any: 'a b', result: '3', args: ['1', '2'], kwargs: { x: '4' }, state: ['SUCCESS'],
      });
    });

    it('takes a search term literally: wildcards, quotes, backslashes, case, short terms, field joins', async () => {
      expect(await ids({ search: '100%_' })).toEqual(['odd']);
      expect(await ids({ search: '0%' })).toEqual(['odd']); // 2 characters: below the trigram index
      expect(await ids({ search: '%' })).toEqual(['odd']);
      expect(await ids({ search: '%_"q"\\\\' })).toEqual(['odd']); // one term: a quoted part inside keeps its quotes
      expect(await ids({ search: 'MiXed' })).toEqual(['odd']);
      expect(await ids({ search: 'mixed' })).toEqual([]);
      expect(await ids({ search: '1_0' })).toEqual([]);
      // The fields are joined by | as in Flower: a term may span two of them.
      expect(await ids({ search: 'odd|RECEIVED|w9' })).toEqual(['odd']);
      expect(await ids({ search: 'n0|id-27|' })).toEqual(['id-27']);
      expect(await store.countTasks({ search: 'host' })).toBe(31);
    });

    it('pages a common search term or an off-order range from a window of the newest rows, else from the filters\' indexes', async () => {
      // Small limits: more than 3 matches is common; the window is the 10 newest rows of the order.
      const { store: small } = await fresh({ searchDriveMax: 3, searchWindow: 10 });
      const recorder = recorderOn(small);
      // 20 old tasks carry "needle", then 20 newer "plain" ones, of which the newest 2 carry "needle" too.
      for (let i = 0; i < 40; i += 1) {
        const word = i < 20 || i >= 38 ? 'needle' : 'plain';
        recorder.record(ev('task-received', { uuid: `s${String(i).padStart(2, '0')}`, name: 'proj.s', args: `('${word}', ${i})`, kwargs: '{}', hostname: `w${i % 2}@host` }, T0 + i));
      }
      await recorder.flush();
      const page = async (filter: TaskFilter) => (await small.tasks(filter)).map((r) => r.uuid);
      const all = ['s39', 's38', ...Array.from({ length: 20 }, (_, k) => `s${String(19 - k).padStart(2, '0')}`)];
      expect(await page({ search: 'needle' })).toEqual(all); // no limit: from the matches
      expect(await page({ search: 'needle', limit: 2 })).toEqual(all.slice(0, 2)); // the window holds the page
      expect((await small.explain({ search: 'needle', limit: 2 })).split(' || ')).toHaveLength(2);
      expect(await page({ search: 'needle', limit: 5 })).toEqual(all.slice(0, 5)); // it does not: from the matches
      expect(await page({ search: 'needle', limit: 5, offset: 5 })).toEqual(all.slice(5, 10));
      expect(await page({ search: 'needle', limit: 3, sortBy: 'received' })).toEqual(['s00', 's01', 's02']);
      expect(await page({ search: 'needle', worker: 'w1@host', limit: 3 })).toEqual(['s39', 's19', 's17']);
      expect(await small.countTasks({ search: 'needle' })).toBe(22);
      expect(await small.countTasks({ search: 'needle', worker: 'w0@host' })).toBe(11);
      expect(await page({ search: 'plain', limit: 2 })).toEqual(['s37', 's36']);
      expect(await page({ search: 'nee', limit: 2, state: 'RECEIVED' })).toEqual(['s39', 's38']);
      // A received range, ordered by the last event: recent (the window) and old (the range's index).
      expect(await page({ receivedStart: T0 + 35, limit: 3 })).toEqual(['s39', 's38', 's37']);
      expect(await page({ receivedStart: T0 + 5, receivedEnd: T0 + 7, limit: 3 })).toEqual(['s07', 's06', 's05']);
      expect(await page({ receivedEnd: T0 + 7, worker: 'w0@host', limit: 2, offset: 1 })).toEqual(['s04', 's02']);
    });

    it('answers each filter from an index in its order, not a scan and a sort', async () => {
      const { plans } = options;
      const plan = (filter: TaskFilter) => store.explain({ limit: 20, ...filter });
      expect(await plan({})).toMatch(plans.newest);
      expect(await plan({ state: 'FAILURE' })).toMatch(plans.state);
      expect(await plan({ name: 'proj.n0' })).toMatch(plans.name);
      expect(await plan({ worker: 'w0@host' })).toMatch(plans.worker);
      expect(await plan({ receivedStart: 1, receivedEnd: 2, sortBy: 'received' })).toMatch(plans.received);
      for (const filter of [{}, { state: 'FAILURE' }, { name: 'x' }, { worker: 'w' }]) expect(await plan(filter)).not.toMatch(plans.forbidden);
      expect(await plan({ search: 'x13' })).toMatch(plans.search);
    });

    it('counts events per interval and tasks per state (the overview)', async () => {
      const counts = await store.eventCounts({ since: T0, until: T0 + 600, interval: 300, types: ['task-received', 'task-failed'] });
      const by = (bucket: number, type: string) => counts.find((c) => c.bucket === bucket && c.type === type)?.n ?? 0;
      expect([by(0, 'task-received'), by(1, 'task-received'), by(0, 'task-failed'), by(1, 'task-failed')]).toEqual([5, 5, 2, 1]);
      expect(counts.every((c) => c.bucket >= 0 && c.bucket < 2)).toBe(true);
      expect(await store.stateCounts()).toEqual({ SUCCESS: 10, FAILURE: 10, STARTED: 10, RECEIVED: 1 });
    });
  });

  describe(`${name} event store: retention`, () => {
    it('drops the tasks with the oldest last event past maxTasks, with their events', async () => {
      const { store } = await fresh();
      const recorder = recorderOn(store);
      for (let i = 0; i < 50; i += 1) {
        recorder.record(ev('task-received', { uuid: `k${i}`, name: 'proj.k', args: '()', kwargs: '{}' }, T0 + i));
        recorder.record(ev('task-succeeded', { uuid: `k${i}`, result: 'None' }, T0 + i + 0.5));
      }
      await recorder.flush();
      expect(await store.prune({ maxTasks: 20, maxAge: 0, now: T0 + 100 })).toEqual({ tasks: 30, events: 60, workers: 0 });
      expect(await store.countTasks()).toBe(20);
      expect(await store.task('k29')).toBeUndefined();
      expect(await store.taskEvents('k29')).toEqual([]);
      expect(await store.task('k30')).toBeDefined();
      expect(await store.countTasks({ search: 'k29' })).toBe(0); // the search index forgot them too
      expect(await store.countTasks({ search: '|k3' })).toBe(10);
    });

    it('drops tasks, events and silent workers older than maxAge', async () => {
      const { store } = await fresh();
      const recorder = recorderOn(store);
      recorder.record(ev('worker-online', { hostname: 'old@host', freq: 2 }, T0));
      recorder.record(ev('task-received', { uuid: 'old', name: 'proj.o', hostname: 'old@host' }, T0));
      recorder.record(ev('worker-online', { hostname: 'new@host', freq: 2 }, T0 + 5000));
      recorder.record(ev('task-received', { uuid: 'new', name: 'proj.o', hostname: 'new@host' }, T0 + 5000));
      await recorder.flush();
      expect(await store.prune({ maxTasks: 1000, maxAge: 3600, now: T0 + 6000 })).toEqual({ tasks: 1, events: 2, workers: 1 });
      expect((await store.tasks()).map((r) => r.uuid)).toEqual(['new']);
      expect((await store.workers()).map((w) => w.hostname)).toEqual(['new@host']);
      await store.setWorkerInfo('new@host', { stats: { pid: 7 }, registered: ['proj.o'] });
      expect(await store.worker('new@host')).toMatchObject({ info: { stats: { pid: 7 } }, online: true, freq: 2 });
    });
  });
}
