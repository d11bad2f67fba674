/**
 * The database backend's slice of Celery's settings (`celery/app/defaults.py`, `database_*`), read
 * from the `settings` the app gives a backend (its `conf`), options overriding them.
 */
import type { BackendOptions } from '../backend.js';
import type { TableNames, TableSchemas } from './model.js';

export interface DatabaseSettings {
  /** Celery `database_table_names`: `{ task, group }`. Default Celery's names. */
  database_table_names: Partial<TableNames>;
  /** Celery `database_table_schemas`: `{ task, group }`. Default: the connection's schema. */
  database_table_schemas: TableSchemas;
  /**
   * Celery `database_engine_options` (SQLAlchemy `create_engine` keywords). Read where a Node pool
   * has the same knob: `pool_size` + `max_overflow` (most connections, default 5 + 10),
   * `pool_timeout` (seconds to wait for a connection, default 30), `pool_recycle` (seconds a
   * connection lives, default forever), `connect_args` (passed to the Node driver's own options).
   * Others (`echo`, `poolclass`, …) are ignored.
   */
  database_engine_options: EngineOptions;
}

/** The `database_engine_options` keys cq reads. */
export interface EngineOptions {
  pool_size?: number;
  max_overflow?: number;
  pool_timeout?: number;
  pool_recycle?: number;
  connect_args?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Options of every database backend: those of every backend plus the Celery settings in camelCase. */
export interface DatabaseBackendOptions extends BackendOptions {
  /** Table names; overrides `database_table_names`. */
  tableNames?: Partial<TableNames>;
  /** Schemas of the tables; overrides `database_table_schemas`. */
  tableSchemas?: TableSchemas;
  /** SQLAlchemy-style engine options; overrides `database_engine_options`. */
  engineOptions?: EngineOptions;
}

/** The settings in effect: options first, then the app's settings, then Celery's defaults. */
export function databaseSettings(options: DatabaseBackendOptions = {}): DatabaseSettings {
  const conf = options.settings ?? {};
  const object = <T>(value: unknown): T | undefined => (typeof value === 'object' && value !== null ? (value as T) : undefined);
  return {
    database_table_names: options.tableNames ?? object<Partial<TableNames>>(conf['database_table_names']) ?? {},
    database_table_schemas: options.tableSchemas ?? object<TableSchemas>(conf['database_table_schemas']) ?? {},
    database_engine_options: options.engineOptions ?? object<EngineOptions>(conf['database_engine_options']) ?? {},
  };
}

/** Pool limits from engine options: `max` connections, `acquireTimeoutMs`, `maxLifetimeSeconds` (0: forever). */
export function poolLimits(engine: EngineOptions): { max: number; acquireTimeoutMs: number; maxLifetimeSeconds: number } {
  const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);
  const size = num(engine.pool_size, 5);
  const overflow = engine.max_overflow === -1 ? 1000 : num(engine.max_overflow, 10);
  const recycle = num(engine.pool_recycle, -1);
  return { max: Math.max(1, size + overflow), acquireTimeoutMs: num(engine.pool_timeout, 30) * 1000, maxLifetimeSeconds: recycle > 0 ? recycle : 0 };
}
