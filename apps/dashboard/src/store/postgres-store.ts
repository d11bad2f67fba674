/**
 * The PostgreSQL event store: `--db postgresql://user:pass@host:5432/dbname[?schema=name]` (also
 * `postgres://`). The tables live in schema `cq_dashboard` (or `?schema=`, lower-case letters,
 * digits and `_`), created with them on {@link open}; several dashboards may share one database
 * with a schema each. The rest of the URL goes to `pg` as a connection string (`sslmode`, ...).
 *
 * ```ts
 * const store = await new PostgresEventStore('postgresql://postgres@127.0.0.1/app').open();
 * await store.tasks({ search: 'invoice-2041', limit: 20 });   // the pg_trgm index answers
 * await store.close();
 * ```
 *
 * A pool of `poolSize` connections (default 4): one flush is one transaction of three multi-row
 * statements (`unnest` arrays), whatever the batch size. `pg` is loaded only by `open()`, so a
 * dashboard on SQLite never loads it. Errors of the server reach the caller as they come (the
 * recorder reports a failed write and drops that batch, as with SQLite); an idle connection lost
 * is replaced by the pool.
 *
 * Pages the planner can get wrong on correlated data (its estimates assume matches spread over the
 * history) are planned here, as in the SQLite store: a free-text term with up to 5000 matches
 * (a capped count through the trigram index) is answered from that index and sorted; with more, or
 * with a `received`/`started` range while ordering by another column, the page walks the newest
 * 20 000 rows of its order first, and is answered from the filters' indexes and sorted only when
 * that does not fill it.
 */
import type pg from 'pg';
import { redact } from '@cq/celery';
import { EventStoreError } from '../errors.js';
import { postgresDialect } from './dialect.js';
import { parseSearchTerms } from './search.js';
import type { EventCountQuery, EventStore, PruneOptions, PruneResult, StoredEvent, TaskRow, WorkerRow, WriteBatch } from './event-store.js';
import { PG_SCHEMA, PG_SCHEMA_VERSION, pgSearchIndex } from './postgres-schema.js';
import { decodeWorker, eventValues, NUMERIC, parseJson, TASK_COLUMNS, taskValues, UPSERT_COLUMNS, WORKER_COLUMNS, workerValues } from './rows.js';
import { listingQuery, rangeOffOrder, whereClause, windowedListingQuery, type TaskFilter } from './task-query.js';

export interface PostgresStoreOptions {
  /** Connections in the pool. Default 4. */
  poolSize?: number;
  /** Matches of a free-text term up to which its page starts from the trigram index. Default 5000. */
  searchDriveMax?: number;
  /** Rows of its order a page with a common term or an off-order range looks through first. Default 20 000. */
  searchWindow?: number;
}

const SELECT_TASK = TASK_COLUMNS.join(', ');
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** OID of int8 (bigserial ids, count(*)): read as a JS number (ids stay far below 2^53). */
const INT8 = 20;

/** `?` placeholders numbered `$1`, `$2`, ... (the generated SQL has no `?` inside literals). */
const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

/** PostgreSQL text cannot hold NUL; an event could. */
const pgText = (value: string | number | null): string | number | null => (typeof value === 'string' && value.includes('\0') ? value.replace(/\0/g, '\uFFFD') : value);

/** `INSERT ... SELECT * FROM unnest($1::t[], ...)` over `columns`, one array per column. */
function unnestInsert(table: string, columns: readonly string[], types: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${columns.map((_c, i) => `$${i + 1}::${types[i]}[]`).join(', ')})`;
}

const TASK_INSERT_COLUMNS = [...UPSERT_COLUMNS, 'recorded'] as const;
const UPSERT_TASKS = `${unnestInsert('tasks', TASK_INSERT_COLUMNS, TASK_INSERT_COLUMNS.map((c) => (NUMERIC.has(c) ? 'float8' : 'text')))}
  ON CONFLICT (uuid) DO UPDATE SET ${UPSERT_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;
const EVENT_COLUMNS = ['uuid', 'type', 'hostname', 'timestamp', 'local_received', 'fields'] as const;
const INSERT_EVENTS = unnestInsert('events', EVENT_COLUMNS, ['text', 'text', 'text', 'float8', 'float8', 'text']);
const UPSERT_WORKERS = `${unnestInsert('workers', WORKER_COLUMNS, WORKER_COLUMNS.map((c) => (c === 'online' ? 'bool' : NUMERIC.has(c) ? 'float8' : 'text')))}
  ON CONFLICT (hostname) DO UPDATE SET ${WORKER_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;

/** Deletes the tasks `selector` picks and their events; answers how many of each. */
const dropTasks = (selector: string): string => `WITH gone AS (DELETE FROM tasks WHERE ${selector} RETURNING uuid),
  ev AS (DELETE FROM events WHERE uuid IN (SELECT uuid FROM gone) RETURNING 1)
  SELECT (SELECT count(*) FROM gone) AS tasks, (SELECT count(*) FROM ev) AS events`;

export class PostgresEventStore implements EventStore {
  readonly kind = 'postgresql';
  /** The schema holding the tables. */
  readonly schema: string;
  /** Whether the pg_trgm search index exists (false when the extension could not be created). */
  searchIndex = false;
  private readonly connectionString: string;
  private pool: pg.Pool | null = null;
  private opening: Promise<this> | null = null;
  private closed = false;

  /**
   * Checks the URL; connects on {@link open}.
   * @throws EventStoreError for a URL that is not `postgresql://`/`postgres://` or a bad `schema`.
   */
  constructor(readonly url: string, private readonly options: PostgresStoreOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new EventStoreError(`not a PostgreSQL URL: ${redact(url)}`, { cause: err });
    }
    if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') throw new EventStoreError(`not a PostgreSQL URL: ${redact(url)}`);
    this.schema = parsed.searchParams.get('schema') ?? 'cq_dashboard';
    if (!SCHEMA_NAME.test(this.schema)) throw new EventStoreError(`schema ${JSON.stringify(this.schema)}: use lower-case letters, digits and _ (at most 63)`);
    parsed.searchParams.delete('schema');
    this.connectionString = parsed.toString();
  }

  get location(): string {
    return redact(this.url);
  }

  /**
   * Connects, then (under an advisory lock, so dashboards starting together do not race) creates
   * the schema, tables, functions and indexes when missing, and pg_trgm with the search index.
   * @throws EventStoreError when the server cannot be reached, refuses the DDL, or the schema was
   *   written by a newer version.
   */
  open(): Promise<this> {
    if (this.closed) return Promise.reject(new EventStoreError(`the dashboard store ${this.location} is closed`));
    this.opening ??= this.connect().catch((err: unknown) => {
      this.opening = null;
      const pool = this.pool;
      this.pool = null;
      void pool?.end().catch(() => undefined);
      if (err instanceof EventStoreError) throw err;
      throw new EventStoreError(`cannot open the dashboard store ${this.location}: ${(err as Error).message}`, { cause: err });
    });
    return this.opening;
  }

  private async connect(): Promise<this> {
    const { default: pgModule } = await import('pg');
    const parse = pgModule.types.getTypeParser;
    const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => (oid === INT8 ? Number : parse(oid, format))) as typeof parse };
    const pool = new pgModule.Pool({ connectionString: this.connectionString, max: this.options.poolSize ?? 4, options: `-c search_path=${this.schema}`, types });
    // An idle connection the server dropped: the pool replaces it; without a listener it would crash the process.
    pool.on('error', () => undefined);
    this.pool = pool;
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`cq_dashboard.${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      const hasMeta = (await client.query<{ t: string | null }>("SELECT to_regclass('meta')::text AS t")).rows[0]?.t;
      const version = hasMeta ? Number((await client.query<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'")).rows[0]?.value ?? 0) : 0;
      if (version > PG_SCHEMA_VERSION) throw new EventStoreError(`${this.location} schema ${this.schema} holds version ${version}; this dashboard reads up to ${PG_SCHEMA_VERSION}`);
      await client.query(PG_SCHEMA);
      const trgm = await this.trigramSchema(client);
      if (trgm) await client.query(pgSearchIndex(trgm));
      this.searchIndex = trgm !== null;
      await client.query("INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(PG_SCHEMA_VERSION)]);
    });
    return this;
  }

  /** The schema of pg_trgm, created in `public` when missing; null when it cannot be created. */
  private async trigramSchema(client: pg.PoolClient): Promise<string | null> {
    const find = async (): Promise<string | null> =>
      (await client.query<{ s: string }>("SELECT quote_ident(extnamespace::regnamespace::text) AS s FROM pg_extension WHERE extname = 'pg_trgm'")).rows[0]?.s ?? null;
    const found = await find();
    if (found) return found;
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['cq_dashboard.pg_trgm']);
    await client.query('SAVEPOINT trgm');
    try {
      const home = (await client.query<{ ok: boolean }>("SELECT to_regnamespace('public') IS NOT NULL AS ok")).rows[0]?.ok ? ' SCHEMA public' : '';
      await client.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm${home}`);
      await client.query('RELEASE SAVEPOINT trgm');
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT trgm');
      process.emitWarning(`dashboard store ${this.location}: cannot create extension pg_trgm (${(err as Error).message}); free-text search scans`, { code: 'CQ_DASHBOARD_STORE' });
      return null;
    }
    return find();
  }

  private async db(): Promise<pg.Pool> {
    if (!this.pool) await this.open();
    return this.pool!;
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await (await this.db()).query<R>(numbered(sql), params)).rows;
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await (await this.db()).connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async write(batch: WriteBatch, now: number = Date.now() / 1000): Promise<void> {
    if (batch.events.length + batch.tasks.length + batch.workers.length === 0) return;
    const columns = <C extends string>(rows: Record<C, string | number | null>[], names: readonly C[]) => names.map((c) => rows.map((r) => pgText(r[c])));
    await this.transaction(async (client) => {
      if (batch.events.length) {
        const rows = batch.events.map((e) => eventValues(e, now));
        await client.query(INSERT_EVENTS, EVENT_COLUMNS.map((_c, i) => rows.map((r) => pgText(r[i]!))));
      }
      if (batch.tasks.length) await client.query(UPSERT_TASKS, columns(batch.tasks.map((t) => taskValues(t, now)), TASK_INSERT_COLUMNS));
      if (batch.workers.length) {
        const rows = batch.workers.map(({ worker, online }) => workerValues(worker, online, now));
        await client.query(UPSERT_WORKERS, WORKER_COLUMNS.map((c) => rows.map((r) => (c === 'online' ? r.online === 1 : pgText(r[c])))));
      }
    });
  }

  async task(uuid: string): Promise<TaskRow | undefined> {
    return (await this.query<TaskRow>(`SELECT ${SELECT_TASK} FROM tasks WHERE uuid = ?`, [uuid]))[0];
  }

  async tasksById(uuids: readonly string[]): Promise<Map<string, TaskRow>> {
    if (uuids.length === 0) return new Map();
    const rows = await this.query<TaskRow>(`SELECT ${SELECT_TASK} FROM tasks WHERE uuid = ANY(?::text[])`, [uuids]);
    return new Map(rows.map((r) => [r.uuid, r]));
  }

  /** The queries a page of `filter` tries in turn: the first that fills the page, else the last, answers. */
  private async pageQueries(filter: TaskFilter): Promise<{ sql: string; params: unknown[] }[]> {
    const any = parseSearchTerms(filter.search).any;
    if (!any && !rangeOffOrder(filter)) return [listingQuery(filter, postgresDialect(), SELECT_TASK)];
    const sorted = listingQuery(filter, postgresDialect('sorted'), SELECT_TASK);
    if (filter.limit == null) return [sorted];
    if (any) {
      const cap = this.options.searchDriveMax ?? 5000;
      const term = postgresDialect().anyTerm(any);
      const found = (await this.query<{ n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE ${term.sql} LIMIT ?) AS m`, [...term.params, cap + 1]))[0]!.n;
      if (found <= cap) return [sorted];
    }
    return [windowedListingQuery(filter, postgresDialect(), SELECT_TASK, this.options.searchWindow ?? 20_000), sorted];
  }

  async tasks(filter: TaskFilter = {}): Promise<TaskRow[]> {
    let rows: TaskRow[] = [];
    for (const query of await this.pageQueries(filter)) {
      rows = await this.query<TaskRow>(query.sql, query.params);
      if (rows.length === filter.limit) break;
    }
    return rows;
  }

  async countTasks(filter: TaskFilter = {}): Promise<number> {
    const where = whereClause(filter, postgresDialect());
    return (await this.query<{ n: number }>(`SELECT count(*) AS n FROM tasks ${where.sql}`, where.params))[0]!.n;
  }

  async children(uuids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(uuids.map((u) => [u, []]));
    if (uuids.length === 0) return out;
    const rows = await this.query<{ parent_id: string; uuid: string }>('SELECT parent_id, uuid FROM tasks WHERE parent_id = ANY(?::text[]) ORDER BY seq', [uuids]);
    for (const row of rows) out.get(row.parent_id)?.push(row.uuid);
    return out;
  }

  async taskEvents(uuid: string): Promise<StoredEvent[]> {
    const rows = await this.query<Omit<StoredEvent, 'fields'> & { fields: string }>('SELECT * FROM events WHERE uuid = ? ORDER BY timestamp ASC NULLS FIRST, id', [uuid]);
    return rows.map((r) => ({ ...r, fields: parseJson(r.fields, { type: r.type }) }));
  }

  async taskTypes(): Promise<string[]> {
    return (await this.query<{ name: string }>('SELECT DISTINCT name FROM tasks WHERE name IS NOT NULL ORDER BY name')).map((r) => r.name);
  }

  async eventCounts(query: EventCountQuery): Promise<{ bucket: number; type: string; n: number }[]> {
    return this.query(
      `SELECT floor((local_received - ?) / ?)::int AS bucket, type, count(*) AS n FROM events
       WHERE local_received >= ? AND local_received < ? AND type = ANY(?::text[]) GROUP BY 1, 2`,
      [query.since, query.interval, query.since, query.until, query.types],
    );
  }

  async stateCounts(): Promise<Record<string, number>> {
    const rows = await this.query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM tasks GROUP BY state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async workers(): Promise<WorkerRow[]> {
    return (await this.query<Record<string, unknown>>('SELECT * FROM workers ORDER BY hostname')).map(decodeWorker);
  }

  async worker(hostname: string): Promise<WorkerRow | undefined> {
    const row = (await this.query<Record<string, unknown>>('SELECT * FROM workers WHERE hostname = ?', [hostname]))[0];
    return row && decodeWorker(row);
  }

  async setWorkerInfo(hostname: string, info: Record<string, unknown>, now: number = Date.now() / 1000): Promise<void> {
    await this.query(`INSERT INTO workers (hostname, last_seen, online, info) VALUES (?, ?, true, ?)
      ON CONFLICT (hostname) DO UPDATE SET info = excluded.info`, [hostname, now, pgText(JSON.stringify(info))]);
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    const now = options.now ?? Date.now() / 1000;
    const out: PruneResult = { tasks: 0, events: 0, workers: 0 };
    const add = (rows: { tasks: number; events: number }[]): number => {
      out.tasks += rows[0]!.tasks;
      out.events += rows[0]!.events;
      return rows[0]!.tasks;
    };
    if (options.maxAge > 0) {
      const cutoff = now - options.maxAge;
      add(await this.query(dropTasks('timestamp < ? OR (timestamp IS NULL AND recorded < ?)'), [cutoff, cutoff]));
      out.events += (await (await this.db()).query('DELETE FROM events WHERE local_received < $1', [cutoff])).rowCount ?? 0;
      out.workers = (await (await this.db()).query('DELETE FROM workers WHERE last_seen < $1', [cutoff])).rowCount ?? 0;
    }
    const total = (await this.query<{ n: number }>('SELECT count(*) AS n FROM tasks'))[0]!.n;
    const oldest = dropTasks('uuid IN (SELECT uuid FROM tasks ORDER BY timestamp ASC NULLS FIRST, seq LIMIT ?)');
    for (let excess = total - options.maxTasks; excess > 0; excess -= 10_000) {
      if (add(await this.query(oldest, [Math.min(excess, 10_000)])) === 0) break;
    }
    return out;
  }

  /** The plans of the queries a page tries in turn, joined by ` || `. */
  async explain(filter: TaskFilter = {}): Promise<string> {
    const queries = await this.pageQueries(filter);
    return this.transaction(async (client) => {
      await client.query('SET LOCAL enable_seqscan = off');
      // A search term is best looked up in the trigram index, its few matches then sorted.
      if (!filter.search) await client.query('SET LOCAL enable_sort = off');
      const plans: string[] = [];
      for (const query of queries) {
        const rows = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${numbered(query.sql)}`, query.params)).rows;
        plans.push(rows.map((r) => r['QUERY PLAN'].trim()).join(' | '));
      }
      return plans.join(' || ');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.opening?.catch(() => undefined);
    const pool = this.pool;
    this.pool = null;
    await pool?.end().catch(() => undefined);
  }
}
