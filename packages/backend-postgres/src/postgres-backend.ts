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
 */
import type pg from 'pg';
import { BackendConfigurationError, DatabaseBackend, POSTGRESQL_DIALECT, databaseSettings, poolLimits, type DatabaseBackendOptions } from '@cq/backend';
import { PgDriver } from './driver.js';
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

  /** @throws PostgresUrlError for a URL that is not `db+postgresql://…`; BackendConfigurationError without one. */
  constructor(options: PostgresBackendOptions = {}) {
    if (!options.url) {
      throw new BackendConfigurationError('the PostgreSQL result backend needs a URL: db+postgresql://user:password@host:port/database');
    }
    const url = parsePostgresUrl(options.url);
    const engine = databaseSettings(options).database_engine_options;
    const limits = poolLimits(engine);
    const driver = new PgDriver({
      connectionString: url.connectionString,
      max: limits.max,
      connectionTimeoutMillis: limits.acquireTimeoutMs,
      maxLifetimeSeconds: limits.maxLifetimeSeconds,
      ...(engine.connect_args as pg.PoolConfig | undefined),
      ...options.pool,
    }, url.identity);
    super(options, { driver, dialect: POSTGRESQL_DIALECT });
    this.pool = driver.pool;
  }

  /** The registry's factory: `db+postgresql://…`, `db+postgres://…`, `db+postgresql+psycopg2://…`. */
  static fromUrl(url: string, options: PostgresBackendOptions = {}): PostgresBackend {
    return new PostgresBackend({ ...options, url });
  }
}
