/**
 * Beat's schedule state in the broker's database (@cq/kombu `ScheduleStore`), so a beat can move
 * to another machine and carry on where the last one stopped: per entry the last run and the run
 * count in `cq_beat_entry`, and the meta values (time zone, `enable_utc`) in `cq_beat_meta`
 * (`kombu_beat_…` for `sqla+postgresql://`), each row keyed by a `scope` (beat passes its lock key,
 * so the beats competing for one lock share one state). Every write is one autocommitted statement
 * that waits for the WAL flush: a `save` that resolved survives a server crash, so beat, which saves
 * an entry before sending it, neither repeats nor skips a run after a restart elsewhere.
 */
import type { Pool, QueryResultRow } from 'pg';
import type { ScheduleEntryState, ScheduleStore } from '@cq/kombu';
import { toTransportError } from './errors.js';

/** A {@link ScheduleStore} as rows of the transport's beat tables. */
export class PostgresScheduleStore implements ScheduleStore {
  /**
   * @param pool the connected transport's pool, asked for on each call (it throws kombu's
   *   OperationalError while the transport is not connected); the store never closes it.
   * @param tables the entry and meta tables, quoted for SQL (`options.ts`).
   * @param scope the state's name.
   * @param where `host:port/db` for messages.
   * Every method rejects with kombu's ConnectionError (recoverable) or PostgresQueryError.
   */
  constructor(
    private readonly pool: () => Pool,
    private readonly tables: { entry: string; meta: string },
    readonly scope: string,
    private readonly where: string,
  ) {}

  async load(): Promise<Map<string, ScheduleEntryState>> {
    const { rows } = await this.query<{ name: string; last_run_at: Date; total_run_count: string }>(
      'loading the beat schedule state', `SELECT name, last_run_at, total_run_count FROM ${this.tables.entry} WHERE scope = $1`, [this.scope]);
    return new Map(rows.map((r) => [r.name, { lastRunAt: r.last_run_at, totalRunCount: Number(r.total_run_count) }]));
  }

  async save(name: string, state: ScheduleEntryState): Promise<void> {
    await this.query('saving a beat entry', `INSERT INTO ${this.tables.entry} (scope, name, last_run_at, total_run_count) VALUES ($1, $2, $3, $4)
      ON CONFLICT (scope, name) DO UPDATE SET last_run_at = EXCLUDED.last_run_at, total_run_count = EXCLUDED.total_run_count`,
    [this.scope, name, state.lastRunAt, state.totalRunCount]);
  }

  async remove(name: string): Promise<void> {
    await this.query('removing a beat entry', `DELETE FROM ${this.tables.entry} WHERE scope = $1 AND name = $2`, [this.scope, name]);
  }

  async clear(): Promise<void> {
    await this.query('clearing the beat schedule state', `DELETE FROM ${this.tables.entry} WHERE scope = $1`, [this.scope]);
  }

  async getMeta(key: string): Promise<string | null> {
    const { rows } = await this.query<{ value: string }>('reading beat meta', `SELECT value FROM ${this.tables.meta} WHERE scope = $1 AND key = $2`, [this.scope, key]);
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.query('writing beat meta', `INSERT INTO ${this.tables.meta} (scope, key, value) VALUES ($1, $2, $3)
      ON CONFLICT (scope, key) DO UPDATE SET value = EXCLUDED.value`, [this.scope, key, value]);
  }

  /** Nothing to free: the pool is the transport's. */
  async close(): Promise<void> {}

  private async query<R extends QueryResultRow = QueryResultRow>(action: string, text: string, values: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.pool().query<R>(text, values);
    } catch (err) {
      throw toTransportError(err, action, this.where);
    }
  }
}
