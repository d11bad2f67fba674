/**
 * PostgreSQL result backend: Celery's database backend (`db+postgresql://`) on pg, sharing its
 * tables with Python Celery.
 *
 * URL: `db+postgresql://user:password@host:port/database[?sslmode=…]` (see `url.ts`).
 * Storage: `celery_taskmeta` / `celery_tasksetmeta` and the sequences `task_id_sequence` /
 * `taskset_id_sequence`, created when missing exactly as SQLAlchemy creates them; `result` holds the
 * pickle Python's `PickleType` stores (read safely: @cq/backend `DatabaseBackend`). Settings:
 * `database_table_names`, `database_table_schemas` (the schema must exist), `database_engine_options`
 * (`pool_size` + `max_overflow` connections, `pool_timeout`, `pool_recycle`, `connect_args` → pg
 * Pool options). Chords use `celery.chord_unlock`; `cleanup()` deletes rows older than `expires`.
 *
 * Beyond Celery: every row cq writes is announced with NOTIFY, and `waitFor` (what `AsyncResult.get`
 * uses) LISTENs on one extra connection, so a result is seen as soon as it commits instead of at the
 * next poll (`result-listener.ts`); Python's writes are found by polling as before.
 */
import type pg from 'pg';
import {
  BackendConfigurationError, DatabaseBackend, POSTGRESQL_DIALECT, databaseSettings, poolLimits, resultChannel,
  type DatabaseBackendOptions, type TaskMeta, type WaitForOptions,
} from '@cq/backend';
import { PgDriver } from './driver.js';
import { ResultListener } from './result-listener.js';
import { parsePostgresUrl } from './url.js';

export interface PostgresBackendOptions extends DatabaseBackendOptions {
  /** `db+postgresql://…` (Celery `result_backend`). Required. */
  url?: string;
  /** pg Pool options, over what the URL and `database_engine_options` give (e.g. `ssl`, `max`). */
  pool?: pg.PoolConfig;
}

export class PostgresBackend extends DatabaseBackend {
  /** The pg pool the backend uses (closed by `close()`). */
  readonly pool: pg.Pool;
  readonly #listener: ResultListener;

  /** @throws PostgresUrlError for a URL that is not `db+postgresql://…`; BackendConfigurationError without one. */
  constructor(options: PostgresBackendOptions = {}) {
    if (!options.url) {
      throw new BackendConfigurationError('the PostgreSQL result backend needs a URL: db+postgresql://user:password@host:port/database');
    }
    const url = parsePostgresUrl(options.url);
    const engine = databaseSettings(options).database_engine_options;
    const limits = poolLimits(engine);
    const connection: pg.ClientConfig = {
      connectionString: url.connectionString,
      connectionTimeoutMillis: limits.acquireTimeoutMs,
      ...(engine.connect_args as pg.ClientConfig | undefined),
    };
    const driver = new PgDriver({ ...connection, max: limits.max, maxLifetimeSeconds: limits.maxLifetimeSeconds, ...options.pool }, url.identity);
    super(options, { driver, dialect: POSTGRESQL_DIALECT });
    this.pool = driver.pool;
    // pg.Client ignores the pool-only options (max, idleTimeoutMillis, …).
    this.#listener = new ResultListener({ ...connection, ...options.pool }, resultChannel(this.tables.task), (taskId) => this.wakeWaiters(taskId));
  }

  /** The base's `waitFor`, woken by the table's notifications once listening (polling otherwise). */
  override async waitFor(taskId: string, options: WaitForOptions = {}): Promise<TaskMeta> {
    await this.#listener.start();
    return super.waitFor(taskId, options);
  }

  protected override async _close(): Promise<void> {
    await this.#listener.close();
    await super._close();
  }

  /** The registry's factory: `db+postgresql://…`, `db+postgres://…`, `db+postgresql+psycopg2://…`. */
  static fromUrl(url: string, options: PostgresBackendOptions = {}): PostgresBackend {
    return new PostgresBackend({ ...options, url });
  }
}
