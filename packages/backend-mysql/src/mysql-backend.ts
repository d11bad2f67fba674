/**
 * MySQL / MariaDB result backend: Celery's database backend (`db+mysql://`) on mysql2, sharing its
 * tables with Python Celery (PyMySQL or mysqlclient).
 *
 * URL: `db+mysql://user:password@host:port/database[?charset=utf8mb4]`, `db+mariadb://…`, with or
 * without a Python driver part (`db+mysql+pymysql://`) (see `url.ts`).
 * Storage: `celery_taskmeta` / `celery_tasksetmeta`, created when missing exactly as SQLAlchemy's
 * mysql dialect creates them (`BLOB` columns: a result pickle is at most 64 KiB, as in Celery;
 * `DATETIME` to the second). `result` holds the pickle Python's `PickleType` stores (read safely:
 * @cq/backend `DatabaseBackend`). Settings: `database_table_names`, `database_table_schemas` (a
 * schema is a database name), `database_engine_options` (`pool_size` + `max_overflow` connections,
 * `pool_timeout` → connect timeout, `pool_recycle` → idle timeout, `connect_args` → mysql2 options).
 */
import type mysql from 'mysql2/promise';
import { BackendConfigurationError, DatabaseBackend, MYSQL_DIALECT, databaseSettings, poolLimits, type DatabaseBackendOptions } from '@cq/backend';
import { Mysql2Driver } from './driver.js';
import { parseMysqlUrl } from './url.js';

export interface MysqlBackendOptions extends DatabaseBackendOptions {
  /** `db+mysql://…` (Celery `result_backend`). Required. */
  url?: string;
  /** mysql2 pool options, over what the URL and `database_engine_options` give (e.g. `ssl`). */
  mysql?: mysql.PoolOptions;
}

export class MysqlBackend extends DatabaseBackend {
  /** The mysql2 pool the backend uses (closed by `close()`). */
  readonly pool: mysql.Pool;

  /** @throws MysqlUrlError for a URL that is not `db+mysql://…`; BackendConfigurationError without one. */
  constructor(options: MysqlBackendOptions = {}) {
    if (!options.url) {
      throw new BackendConfigurationError('the MySQL result backend needs a URL: db+mysql://user:password@host:port/database');
    }
    const url = parseMysqlUrl(options.url);
    const engine = databaseSettings(options).database_engine_options;
    const limits = poolLimits(engine);
    const driver = new Mysql2Driver({
      ...url.connection,
      connectionLimit: limits.max,
      connectTimeout: limits.acquireTimeoutMs,
      ...(limits.maxLifetimeSeconds > 0 ? { idleTimeout: limits.maxLifetimeSeconds * 1000 } : {}),
      ...(engine.connect_args as mysql.PoolOptions | undefined),
      ...options.mysql,
    }, url.identity);
    super(options, { driver, dialect: MYSQL_DIALECT });
    this.pool = driver.pool;
  }

  /** The registry's factory: `db+mysql://…`, `db+mariadb://…`, `db+mysql+pymysql://…`. */
  static fromUrl(url: string, options: MysqlBackendOptions = {}): MysqlBackend {
    return new MysqlBackend({ ...options, url });
  }
}
