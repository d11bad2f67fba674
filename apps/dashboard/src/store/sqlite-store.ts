/**
 * The SQLite event store (the embedded default): one file (better-sqlite3, WAL), its directory
 * created when missing, or `':memory:'` for a store that lives as long as the object.
 *
 * ```ts
 * const store = new SqliteEventStore('.cq/dashboard.db');   // opens and creates the tables now
 * await store.write({ events, tasks, workers });
 * ```
 *
 * Writes and reads are synchronous underneath (better-sqlite3); the methods return promises only to
 * share the {@link EventStore} interface with PostgreSQL. A free-text search term is looked up in
 * the FTS5 trigram index `tasks_search` (see `sqlite-schema.ts`). SQLite keeps no statistics that
 * would tell a rare term from a common one, so for a term alone in the search the store counts its
 * matches in the index first (a few ms) and picks the plan (see `SqliteSearchPlan`):
 * - up to 5000 matches: the page starts from the matches and sorts them;
 * - more: the page walks the newest 20 000 rows of its order (its other filters applied) checking
 *   the term, and is exact when that fills it; otherwise (the matches are old) it starts from the
 *   matches, a cost that grows with their number;
 * - a count without other filters is the index's count; with them, up to 5000 matches are checked
 *   one by one, more are left to SQLite's planner.
 * A `received`/`started` range while ordering by another column also walks the newest 20 000 rows
 * first, then leaves the page to SQLite's planner (the range's index, sorted).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EventStoreError } from '../errors.js';
import { ftsString, indexableTerm, sqliteDialect } from './dialect.js';
import type { EventCountQuery, EventStore, PruneOptions, PruneResult, StoredEvent, TaskRow, WorkerRow, WriteBatch } from './event-store.js';
import { decodeWorker, eventValues, parseJson, TASK_COLUMNS, taskValues, UPSERT_COLUMNS, WORKER_COLUMNS, workerValues } from './rows.js';
import { kwargIs, parseSearchTerms, type SearchTerms } from './search.js';
import { BUILD_SEARCH_INDEX, SCHEMA, SCHEMA_VERSION, UPGRADE_FROM_1 } from './sqlite-schema.js';
import { keysFirstListingQuery, listingQuery, rangeOffOrder, whereClause, windowedListingQuery, type TaskFilter } from './task-query.js';

const SELECT_TASK = TASK_COLUMNS.join(', ');
export interface SqliteStoreOptions {
  /** Matches of a free-text term up to which its page starts from them. Default 5000. */
  searchDriveMax?: number;
  /** Rows of its order a common term's page looks through before starting from the matches. Default 20 000. */
  searchWindow?: number;
}

/** Whether the search has no term but the free-text one (others are ORed with it: its matches cannot lead the plan). */
const alone = (terms: SearchTerms): boolean => !terms.state?.length && !terms.result && !terms.args?.length && Object.keys(terms.kwargs ?? {}).length === 0;

/** Whether `filter` filters on anything but its search. */
const otherFilters = (f: TaskFilter): boolean =>
  Boolean(f.worker || f.name || f.state) || [f.receivedStart, f.receivedEnd, f.startedStart, f.startedEnd].some((v) => v != null);

export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  readonly db: Database.Database;
  private readonly upsertTask: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly upsertWorker: Database.Statement;
  private readonly writeAll: (batch: WriteBatch, now: number) => void;
  private readonly driveMax: number;
  private readonly window: number;
  /** Every state a stored task has had (a superset): a term inside one of them is not looked up in the index. */
  private readonly states = new Set<string>();

  /**
   * Opens (creating when missing, with its directory) the store in `file`, and builds the search
   * index of a file written by an older version.
   * @throws EventStoreError when the file cannot be opened or was written by a newer schema.
   */
  constructor(readonly file: string, options: SqliteStoreOptions = {}) {
    this.driveMax = options.searchDriveMax ?? 5000;
    this.window = options.searchWindow ?? 20_000;
    let version: number;
    try {
      if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      version = Number((this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value?: string } | undefined)?.value ?? 0);
      if (version > SCHEMA_VERSION) throw new EventStoreError(`${file} holds schema version ${version}; this dashboard reads up to ${SCHEMA_VERSION}`);
      this.db.transaction(() => {
        if (version === 1) this.db.exec(UPGRADE_FROM_1);
        this.db.exec(SCHEMA);
        if (version === 1) this.db.exec(BUILD_SEARCH_INDEX);
        this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      })();
    } catch (err) {
      if (err instanceof EventStoreError) throw err;
      throw new EventStoreError(`cannot open the dashboard store ${file}: ${(err as Error).message}`, { cause: err });
    }
    this.db.function('cq_kwarg_is', { deterministic: true }, (kwargs, key, value) => (kwargIs(kwargs as string | null, String(key), String(value)) ? 1 : 0));

    this.upsertTask = this.db.prepare(
      `INSERT INTO tasks (${UPSERT_COLUMNS.join(', ')}, recorded) VALUES (${UPSERT_COLUMNS.map((c) => `@${c}`).join(', ')}, @recorded)
       ON CONFLICT (uuid) DO UPDATE SET ${UPSERT_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
    this.insertEvent = this.db.prepare('INSERT INTO events (uuid, type, hostname, timestamp, local_received, fields) VALUES (?, ?, ?, ?, ?, ?)');
    this.upsertWorker = this.db.prepare(
      `INSERT INTO workers (${WORKER_COLUMNS.join(', ')}) VALUES (${WORKER_COLUMNS.map((c) => `@${c}`).join(', ')})
       ON CONFLICT (hostname) DO UPDATE SET ${WORKER_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
    );
    for (const state of this.db.prepare('SELECT DISTINCT state FROM tasks').pluck().all() as string[]) this.states.add(state);
    this.writeAll = this.db.transaction((batch: WriteBatch, now: number) => {
      for (const event of batch.events) this.insertEvent.run(...eventValues(event, now));
      for (const task of batch.tasks) {
        this.states.add(task.state);
        this.upsertTask.run(taskValues(task, now));
      }
      for (const { worker, online } of batch.workers) this.upsertWorker.run(workerValues(worker, online, now));
    });
  }

  get location(): string {
    return this.file;
  }

  async open(): Promise<this> {
    return this;
  }

  async write(batch: WriteBatch, now: number = Date.now() / 1000): Promise<void> {
    if (batch.events.length + batch.tasks.length + batch.workers.length === 0) return;
    this.writeAll(batch, now);
  }

  async task(uuid: string): Promise<TaskRow | undefined> {
    return this.db.prepare(`SELECT ${SELECT_TASK} FROM tasks WHERE uuid = ?`).get(uuid) as TaskRow | undefined;
  }

  async tasksById(uuids: readonly string[]): Promise<Map<string, TaskRow>> {
    const out = new Map<string, TaskRow>();
    for (let i = 0; i < uuids.length; i += 500) {
      const chunk = uuids.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT ${SELECT_TASK} FROM tasks WHERE uuid IN (${chunk.map(() => '?').join(', ')})`).all(...chunk) as TaskRow[];
      for (const row of rows) out.set(row.uuid, row);
    }
    return out;
  }

  /**
   * Whether the FTS index answers `term` exactly: 3 characters or more, no `|`, not part of a state
   * name a stored task has (the index leaves the state out, see `FTS_FIELDS`).
   */
  private indexed(term: string): boolean {
    return indexableTerm(term) && !term.includes('|') && ![...this.states].some((state) => state.includes(term));
  }

  /** The free-text term of `filter`'s search when it is alone and the index answers it; else null. */
  private indexedTerm(filter: TaskFilter): string | null {
    const terms = parseSearchTerms(filter.search);
    return terms.any && alone(terms) && this.indexed(terms.any) ? terms.any : null;
  }

  /** The plan for the search's free-text term when it does not lead: `index` when the index can answer it, else `scan`. */
  private otherPlan(filter: TaskFilter): 'index' | 'scan' {
    const any = parseSearchTerms(filter.search).any;
    return !any || this.indexed(any) ? 'index' : 'scan';
  }

  /** Rows of the index holding `term` (at most `cap`). */
  private matches(term: string, cap = -1): number {
    return this.db.prepare('SELECT count(*) FROM (SELECT 1 FROM tasks_search WHERE tasks_search MATCH ? LIMIT ?)').pluck().get(ftsString(term), cap) as number;
  }

  /** The queries a page of `filter` tries in turn: the first that fills the page, else the last, answers. */
  private pageQueries(filter: TaskFilter): { sql: string; params: unknown[] }[] {
    const term = this.indexedTerm(filter);
    if (term === null) {
      const natural = listingQuery(filter, sqliteDialect(this.otherPlan(filter)), SELECT_TASK);
      if (filter.limit == null || !rangeOffOrder(filter)) return [natural];
      return [windowedListingQuery(filter, sqliteDialect(this.otherPlan(filter)), SELECT_TASK, this.window), natural];
    }
    const drive = keysFirstListingQuery(filter, sqliteDialect('drive'), SELECT_TASK);
    if (filter.limit == null || this.matches(term, this.driveMax + 1) <= this.driveMax) return [drive];
    return [windowedListingQuery(filter, sqliteDialect('scan'), SELECT_TASK, this.window), drive];
  }

  async tasks(filter: TaskFilter = {}): Promise<TaskRow[]> {
    const queries = this.pageQueries(filter);
    let rows: TaskRow[] = [];
    for (const query of queries) {
      rows = this.db.prepare(query.sql).all(...query.params) as TaskRow[];
      if (rows.length === filter.limit) break;
    }
    return rows;
  }

  async countTasks(filter: TaskFilter = {}): Promise<number> {
    const term = this.indexedTerm(filter);
    if (term !== null && !otherFilters(filter)) return this.matches(term);
    const few = term !== null && this.matches(term, this.driveMax + 1) <= this.driveMax;
    const where = whereClause(filter, sqliteDialect(few ? 'drive' : this.otherPlan(filter)));
    return (this.db.prepare(`SELECT count(*) AS n FROM tasks ${where.sql}`).get(...where.params) as { n: number }).n;
  }

  async children(uuids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(uuids.map((u) => [u, []]));
    for (let i = 0; i < uuids.length; i += 500) {
      const chunk = uuids.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT parent_id, uuid FROM tasks WHERE parent_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY rowid`).all(...chunk) as { parent_id: string; uuid: string }[];
      for (const row of rows) out.get(row.parent_id)?.push(row.uuid);
    }
    return out;
  }

  async taskEvents(uuid: string): Promise<StoredEvent[]> {
    const rows = this.db.prepare('SELECT * FROM events WHERE uuid = ? ORDER BY timestamp, id').all(uuid) as (Omit<StoredEvent, 'fields'> & { fields: string })[];
    return rows.map((r) => ({ ...r, fields: parseJson(r.fields, { type: r.type }) }));
  }

  async taskTypes(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT name FROM tasks WHERE name IS NOT NULL ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  async eventCounts(query: EventCountQuery): Promise<{ bucket: number; type: string; n: number }[]> {
    return this.db.prepare(
      `SELECT CAST((local_received - ?) / ? AS INTEGER) AS bucket, type, count(*) AS n FROM events
       WHERE local_received >= ? AND local_received < ? AND type IN (${query.types.map(() => '?').join(', ')}) GROUP BY bucket, type`,
    ).all(query.since, query.interval, query.since, query.until, ...query.types) as { bucket: number; type: string; n: number }[];
  }

  async stateCounts(): Promise<Record<string, number>> {
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM tasks GROUP BY state').all() as { state: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async workers(): Promise<WorkerRow[]> {
    return (this.db.prepare('SELECT * FROM workers ORDER BY hostname').all() as Record<string, unknown>[]).map(decodeWorker);
  }

  async worker(hostname: string): Promise<WorkerRow | undefined> {
    const row = this.db.prepare('SELECT * FROM workers WHERE hostname = ?').get(hostname) as Record<string, unknown> | undefined;
    return row && decodeWorker(row);
  }

  async setWorkerInfo(hostname: string, info: Record<string, unknown>, now: number = Date.now() / 1000): Promise<void> {
    this.db.prepare(`INSERT INTO workers (hostname, last_seen, online, info) VALUES (?, ?, 1, ?)
      ON CONFLICT (hostname) DO UPDATE SET info = excluded.info`).run(hostname, now, JSON.stringify(info));
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    const now = options.now ?? Date.now() / 1000;
    const before = this.db.prepare('SELECT (SELECT count(*) FROM tasks) AS t, (SELECT count(*) FROM events) AS e').get() as { t: number; e: number };
    let tasks = 0;
    let workers = 0;
    if (options.maxAge > 0) {
      const cutoff = now - options.maxAge;
      tasks += this.db.prepare('DELETE FROM tasks WHERE timestamp < ?').run(cutoff).changes;
      tasks += this.db.prepare('DELETE FROM tasks WHERE timestamp IS NULL AND recorded < ?').run(cutoff).changes;
      this.db.prepare('DELETE FROM events WHERE local_received < ?').run(cutoff);
      workers = this.db.prepare('DELETE FROM workers WHERE last_seen < ?').run(cutoff).changes;
    }
    const dropOldest = this.db.prepare('DELETE FROM tasks WHERE rowid IN (SELECT rowid FROM tasks ORDER BY timestamp ASC LIMIT ?)');
    for (let excess = before.t - tasks - options.maxTasks; excess > 0; excess -= 10_000) {
      tasks += dropOldest.run(Math.min(excess, 10_000)).changes;
    }
    const after = (this.db.prepare('SELECT count(*) AS e FROM events').get() as { e: number }).e;
    return { tasks, events: before.e - after, workers };
  }

  /** The plans of the queries a page tries in turn, joined by ` || `. */
  async explain(filter: TaskFilter = {}): Promise<string> {
    return this.pageQueries(filter)
      .map((query) => (this.db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...query.params) as { detail: string }[]).map((r) => r.detail).join(' | '))
      .join(' || ');
  }

  /** Closes the database (a WAL checkpoint folds the log into the file). */
  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
