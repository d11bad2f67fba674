/**
 * Queue operations on the message table, one SQL statement each (both layouts; see `schema.ts`).
 *
 * - **put**: one `INSERT … SELECT FROM unnest(…)` per batch, joined to the queue table, which also
 *   `pg_notify`s each queue it filled (`q:<queue>` when ready now, `d:<due ms>:<queue>` when delayed), so
 *   the NOTIFY commits with the rows. Publishes that arrive while a batch is being written go into the
 *   next one (group commit): one round trip for many messages, none waiting when idle.
 * - **take**: `FOR UPDATE SKIP LOCKED` on the ready index (`visible AND visible_after IS NULL`, higher
 *   priority first, then FIFO), leasing the rows in the same statement (`visible = false`, owner, the
 *   LISTEN session's pid and start time, `lease_until`).
 * - **ack** deletes (batched like put); **restore** makes the row visible again, `redelivered`, at its
 *   old place, and notifies.
 * - **sweep**: restores leases past `lease_until` and leases whose session is gone from
 *   `pg_stat_activity` (the consumer died or lost its connection), drops expired messages and expired
 *   queues, and keeps the queues consumed here alive (`x-expires`).
 * - **promote**: clears `visible_after` of due rows, so they enter the ready index.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { NotFoundError, etaOf, markRedelivered, type Envelope, type TransactionClient } from '@cq/kombu';
import { Batcher } from './batcher.js';
import type { LayoutName, TableNames } from './options.js';
import { KOMBU_SEQUENCES } from './schema.js';

/** The LISTEN connection's identity, stored on each lease so a sweep can tell the session is gone. */
export interface LeaseSession {
  pid: number;
  /** `pg_stat_activity.backend_start` as text (microseconds kept). */
  backendStart: string;
}

/** A message to write: its queue and kombu envelope. */
export interface Put {
  queue: string;
  envelope: Envelope;
}

/** A leased row: the id is the receipt to ack or restore it with. */
export interface TakenRow {
  id: string;
  envelope: Envelope;
}

export interface MessageStoreOptions {
  layout: LayoutName;
  tables: TableNames;
  notifyChannel: string;
  /** Seconds a lease lasts. */
  visibilityTimeout: number;
  /** Store a task's `eta` header as `visible_after`. */
  storeEta: boolean;
  /** The LISTEN session to stamp leases with; null while it reconnects (leases then rely on `lease_until`). */
  session: () => LeaseSession | null;
}

/** What a sweep did. */
export interface SweepResult {
  /** Queues whose leases came back (already notified). */
  restored: string[];
  /** Queues deleted by `x-expires`. */
  expiredQueues: string[];
}

/** Delay in seconds before `envelope` is due, from its task `eta` header; null when due now. */
export function etaDelay(envelope: Envelope, now = Date.now()): number | null {
  const at = etaOf(envelope.headers); // null for a bad eta: the worker reports it; the broker delivers it now
  return at !== null && at > now ? (at - now) / 1000 : null;
}

/** Per-message TTL in seconds from the AMQP `expiration` property (integer ms as text); null when none. */
function ttlSeconds(envelope: Envelope): number | null {
  const raw = envelope.properties['expiration'];
  if (raw === undefined || raw === null || raw === '') return null;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

function clampPriority(value: unknown): number {
  const p = Number(value);
  return Number.isFinite(p) ? Math.min(255, Math.max(0, Math.trunc(p))) : 0;
}

function byPriorityThenId(a: { priority: number; id: string }, b: { priority: number; id: string }): number {
  return b.priority - a.priority || a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Builds every statement once for the layout and table names. */
function statements(layout: LayoutName, t: TableNames) {
  const kombu = layout === 'kombu';
  const M = t.message;
  const Q = t.queue;
  const queueOf = `(SELECT id FROM ${Q} WHERE name = $1)`;
  const unlease = 'lease_owner = NULL, lease_until = NULL, lease_pid = NULL, lease_backend_start = NULL';
  const onTake = kombu ? ', version = m.version + 1, "timestamp" = localtimestamp' : '';
  const onRestore = kombu ? ', version = m.version + 1, "timestamp" = NULL' : '';
  const restoreSet = `visible = true, redelivered = true, ${unlease}${onRestore}`;
  const notifyRestored = (cte: string) => `SELECT q.name, pg_notify($NOTIFY, 'q:' || q.name) FROM ${Q} AS q WHERE q.id IN (SELECT queue_id FROM ${cte})`;
  return {
    ensureQueues: kombu
      ? `INSERT INTO ${Q} (id, name) SELECT nextval('${KOMBU_SEQUENCES.queue}'), n FROM unnest($1::text[]) AS n ON CONFLICT (name) DO NOTHING`
      : `INSERT INTO ${Q} (name) SELECT n FROM unnest($1::text[]) AS n ON CONFLICT (name) DO NOTHING`,
    declareQueue: kombu
      ? `INSERT INTO ${Q} (id, name, message_ttl_ms, expires_ms, touched_at) VALUES (nextval('${KOMBU_SEQUENCES.queue}'), $1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET message_ttl_ms = excluded.message_ttl_ms, expires_ms = excluded.expires_ms, touched_at = now()`
      : `INSERT INTO ${Q} (name, message_ttl_ms, expires_ms, touched_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (name) DO UPDATE SET message_ttl_ms = excluded.message_ttl_ms, expires_ms = excluded.expires_ms, touched_at = now()`,
    // $1 queues, $2 payloads, $3 priorities, $4 delays (s), $5 TTLs (s), $6 notify channel. Returns the queues written.
    insert: `
WITH ins AS (
  INSERT INTO ${M} AS m (${kombu ? 'id, ' : ''}queue_id, visible, priority, payload, visible_after, expires_at${kombu ? ', version' : ''})
  SELECT ${kombu ? `nextval('${KOMBU_SEQUENCES.message}'), ` : ''}s.* FROM (
    SELECT q.id, true, r.priority, r.payload,
      CASE WHEN r.delay_s > 0 THEN now() + r.delay_s * interval '1 second' END,
      CASE WHEN r.ttl_s IS NOT NULL THEN now() + r.ttl_s * interval '1 second'
           WHEN q.message_ttl_ms IS NOT NULL THEN now() + q.message_ttl_ms * interval '1 millisecond' END${kombu ? ', 1' : ''}
    FROM unnest($1::text[], $2::text[], $3::int[], $4::float8[], $5::float8[]) WITH ORDINALITY AS r(queue, payload, priority, delay_s, ttl_s, ord)
    JOIN ${Q} AS q ON q.name = r.queue
    ORDER BY r.ord
  ) AS s
  RETURNING m.queue_id, m.visible_after
), per_queue AS (
  SELECT q.name, bool_or(ins.visible_after IS NULL) AS ready, min(ins.visible_after) AS first_due
  FROM ins JOIN ${Q} AS q ON q.id = ins.queue_id GROUP BY q.name
), notified AS (
  SELECT pg_notify($6, 'q:' || name) FROM per_queue WHERE ready
  UNION ALL
  SELECT pg_notify($6, 'd:' || floor(extract(epoch FROM first_due) * 1000)::bigint || ':' || name) FROM per_queue WHERE first_due IS NOT NULL
)
SELECT name FROM per_queue WHERE (SELECT count(*) FROM notified) >= 0`,
    // $1 queue, $2 max, $3 owner, $4 pid, $5 backend_start, $6 visibility timeout (s)
    take: `
WITH picked AS (
  SELECT id FROM ${M}
  WHERE queue_id = ${queueOf} AND visible AND visible_after IS NULL AND (expires_at IS NULL OR expires_at > now())
  ORDER BY priority DESC, id LIMIT $2
  FOR UPDATE SKIP LOCKED
)
UPDATE ${M} AS m SET visible = false, lease_owner = $3, lease_pid = $4, lease_backend_start = $5::timestamptz,
  lease_until = now() + $6::float8 * interval '1 second'${onTake}
FROM picked WHERE m.id = picked.id
RETURNING m.id::text AS id, m.priority, m.redelivered, m.payload`,
    park: `UPDATE ${M} SET ${unlease} WHERE id = $1::bigint`,
    ack: `DELETE FROM ${M} WHERE id = ANY($1::bigint[]) AND lease_owner = $2`,
    restore: `WITH r AS (UPDATE ${M} AS m SET ${restoreSet} WHERE m.id = ANY($1::bigint[]) AND m.lease_owner = $2 RETURNING m.queue_id)
${notifyRestored('r').replace('$NOTIFY', '$3')}`,
    releaseOwned: `WITH r AS (UPDATE ${M} AS m SET ${restoreSet} WHERE m.lease_owner = $1 AND NOT m.visible RETURNING m.queue_id)
${notifyRestored('r').replace('$NOTIFY', '$2')}`,
    reown: `UPDATE ${M} SET lease_pid = $2, lease_backend_start = $3::timestamptz WHERE lease_owner = $1 AND NOT visible`,
    // $1 notify channel
    sweepLeases: `
WITH dead AS (
  SELECT m.id FROM ${M} AS m
  WHERE m.lease_owner IS NOT NULL AND NOT m.visible AND (m.lease_until < now() OR (m.lease_pid IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM pg_stat_activity AS a WHERE a.pid = m.lease_pid AND (a.backend_start IS NULL OR a.backend_start = m.lease_backend_start))))
  FOR UPDATE OF m SKIP LOCKED
), r AS (
  UPDATE ${M} AS m SET ${restoreSet} FROM dead WHERE m.id = dead.id RETURNING m.queue_id
)
${notifyRestored('r').replace('$NOTIFY', '$1')}`,
    touch: `UPDATE ${Q} SET touched_at = now() WHERE name = ANY($1::text[]) AND expires_ms IS NOT NULL`,
    expireQueues: `
WITH gone AS (
  SELECT id, name FROM ${Q} WHERE expires_ms IS NOT NULL AND touched_at < now() - expires_ms * interval '1 millisecond' FOR UPDATE SKIP LOCKED
), msgs AS (
  DELETE FROM ${M} WHERE queue_id IN (SELECT id FROM gone)
), binds AS (
  DELETE FROM ${t.binding} WHERE queue IN (SELECT name FROM gone)
)
DELETE FROM ${Q} WHERE id IN (SELECT id FROM gone) RETURNING name`,
    dropExpired: `DELETE FROM ${M} WHERE expires_at < now() AND visible`,
    dropBroadcasts: `DELETE FROM ${t.broadcast} WHERE created_at < now() - interval '5 minutes'`,
    // $1 queue
    promote: `
WITH due AS (
  UPDATE ${M} SET visible_after = NULL WHERE queue_id = ${queueOf} AND visible_after <= now() AND visible RETURNING 1
)
SELECT (SELECT count(*) FROM due)::int AS promoted,
  (SELECT floor(extract(epoch FROM min(visible_after)) * 1000)::float8 FROM ${M} WHERE queue_id = ${queueOf} AND visible_after > now()) AS next_ms`,
    purge: `DELETE FROM ${M} WHERE queue_id = ${queueOf} AND visible`,
    size: `SELECT count(*)::int AS n FROM ${M} WHERE queue_id = ${queueOf} AND visible`,
    deleteQueue: `
WITH x AS (SELECT id FROM ${Q} WHERE name = $1), msgs AS (DELETE FROM ${M} WHERE queue_id IN (SELECT id FROM x))
DELETE FROM ${Q} WHERE id IN (SELECT id FROM x)`,
  };
}

/** A named (server-side prepared, planned once per connection) statement: its name is a hash of its text. */
function named(text: string): (values: unknown[]) => { name: string; text: string; values: unknown[] } {
  const name = `cq_pg_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return (values) => ({ name, text, values });
}

/** The message table of one transport: statements, batching, and this transport's lease owner id. */
export class MessageStore {
  /** This transport's lease owner id (a UUID), written to every row it takes. */
  readonly owner = randomUUID();
  private readonly sql: ReturnType<typeof statements>;
  private readonly prepared: { [K in keyof ReturnType<typeof statements>]: ReturnType<typeof named> };
  /** Queues known to have a row in the queue table (a publish to another may create it first). */
  private readonly knownQueues = new Set<string>();
  private readonly puts: Batcher<Put>;
  private readonly acks: Batcher<string>;

  /**
   * @param pool connections for publishes and declarations: commits wait for the WAL flush, so a
   *   resolved publish survives a crash.
   * @param relaxed connections for takes, acks, restores and sweeps; they may skip the wait
   *   (`synchronous_commit = off`): one lost in a crash only makes a message come back, never vanish.
   */
  constructor(private readonly pool: Pool, private readonly options: MessageStoreOptions, private readonly relaxed: Pool = pool) {
    this.sql = statements(options.layout, options.tables);
    this.prepared = Object.fromEntries(Object.entries(this.sql).map(([k, text]) => [k, named(text)])) as typeof this.prepared;
    this.puts = new Batcher((items) => this.write(this.pool, items), 2000);
    this.acks = new Batcher(async (ids) => void (await this.relaxed.query(this.prepared.ack([ids, this.owner]))), 5000);
  }

  /** Appends a message (batched with those issued meanwhile); resolves once committed. */
  put(queue: string, envelope: Envelope): Promise<void> {
    return this.puts.add({ queue, envelope });
  }

  /**
   * Writes `items` through `client` in one statement (in the caller's transaction, if one is open on
   * it), creating missing queue rows first. Retries queues deleted meanwhile twice.
   */
  async write(client: TransactionClient, items: readonly Put[]): Promise<void> {
    let todo = items;
    for (let attempt = 0; ; attempt++) {
      const unknown = [...new Set(todo.map((i) => i.queue))].filter((q) => !this.knownQueues.has(q));
      if (unknown.length > 0) {
        await this.query(client, 'ensureQueues', [unknown]);
        for (const q of unknown) this.knownQueues.add(q);
      }
      const now = Date.now();
      const { rows } = await this.query(client, 'insert', [
        todo.map((i) => i.queue),
        todo.map((i) => JSON.stringify(i.envelope)),
        todo.map((i) => clampPriority(i.envelope.properties.priority)),
        todo.map((i) => (this.options.storeEta ? etaDelay(i.envelope, now) : null)),
        todo.map((i) => ttlSeconds(i.envelope)),
        this.options.notifyChannel,
      ]);
      const written = new Set((rows as Array<{ name: string }>).map((r) => r.name));
      const missing = todo.filter((i) => !written.has(i.queue));
      if (missing.length === 0) return;
      // A queue row vanished (deleted, or created in a transaction that rolled back): create it again.
      for (const i of missing) this.knownQueues.delete(i.queue);
      if (attempt >= 2) throw new NotFoundError(`queues ${[...new Set(missing.map((i) => i.queue))].join(', ')} keep disappearing while publishing`);
      todo = missing;
    }
  }

  /** Creates or updates a queue row with its `x-message-ttl` and `x-expires` (ms; null: none). */
  async declareQueue(queue: string, messageTtlMs: number | null, expiresMs: number | null): Promise<void> {
    await this.pool.query(this.prepared.declareQueue([queue, messageTtlMs, expiresMs]));
    this.knownQueues.add(queue);
  }

  /**
   * Leases up to `max` ready messages of `queue`, highest priority first, FIFO within a priority. A row
   * whose payload is not a JSON envelope is set aside (left invisible, unleased) with a warning.
   */
  async take(queue: string, max: number): Promise<TakenRow[]> {
    const session = this.options.session();
    const { rows } = await this.relaxed.query<{ id: string; priority: number; redelivered: boolean; payload: string }>(this.prepared.take([
      queue, max, this.owner, session?.pid ?? null, session?.backendStart ?? null, this.options.visibilityTimeout,
    ]));
    rows.sort(byPriorityThenId);
    const taken: TakenRow[] = [];
    for (const row of rows) {
      try {
        const envelope = JSON.parse(row.payload) as Envelope;
        taken.push({ id: row.id, envelope: row.redelivered ? markRedelivered(envelope) : envelope });
      } catch (err) {
        await this.relaxed.query(this.sql.park, [row.id]);
        process.emitWarning(`postgres broker: message ${row.id} of queue ${queue} is not a JSON envelope and was set aside: ${String(err)}`, { code: 'CQ_PG_BAD_PAYLOAD' });
      }
    }
    return taken;
  }

  /** Deletes a row this owner holds (batched); a row whose lease went elsewhere is left alone. */
  ack(id: string): Promise<void> {
    return this.acks.add(id);
  }

  /** Makes rows this owner holds visible again, marked redelivered, and notifies their queues. */
  async restore(ids: readonly string[]): Promise<void> {
    await this.relaxed.query(this.prepared.restore([ids, this.owner, this.options.notifyChannel]));
  }

  /** Restores every row this owner still holds (at close); resolves with how many queues got some back. */
  async releaseOwned(): Promise<number> {
    return (await this.relaxed.query(this.sql.releaseOwned, [this.owner, this.options.notifyChannel])).rowCount ?? 0;
  }

  /** Stamps this owner's leases with a new session (after the LISTEN connection came back). */
  async reown(session: LeaseSession): Promise<void> {
    await this.relaxed.query(this.sql.reown, [this.owner, session.pid, session.backendStart]);
  }

  /**
   * Promotes due delayed rows of `queue` to ready; resolves with how many, and when the next delayed
   * row is due (ms since the epoch, by the server's clock; null when none).
   */
  async promote(queue: string): Promise<{ promoted: number; nextDueMs: number | null }> {
    const { rows } = await this.relaxed.query<{ promoted: number; next_ms: number | null }>(this.prepared.promote([queue]));
    return { promoted: rows[0]?.promoted ?? 0, nextDueMs: rows[0]?.next_ms ?? null };
  }

  /** Removes the ready (and delayed) messages of `queue`; resolves with how many. */
  async purge(queue: string): Promise<number> {
    return (await this.pool.query(this.prepared.purge([queue]))).rowCount ?? 0;
  }

  /** Ready and delayed messages of `queue` (leased ones not counted). */
  async size(queue: string): Promise<number> {
    return (await this.pool.query<{ n: number }>(this.prepared.size([queue]))).rows[0]?.n ?? 0;
  }

  /** Deletes the queue row and all its messages, leased ones included. */
  async delete(queue: string): Promise<void> {
    await this.pool.query(this.sql.deleteQueue, [queue]);
    this.knownQueues.delete(queue);
  }

  /**
   * One sweep (any process may run it; rows are claimed with SKIP LOCKED): restores dead and expired
   * leases, touches `consumed` queues, deletes expired queues, messages and old large broadcasts.
   */
  async sweep(consumed: readonly string[]): Promise<SweepResult> {
    const restored = await this.relaxed.query<{ name: string }>(this.prepared.sweepLeases([this.options.notifyChannel]));
    if (consumed.length > 0) await this.pool.query(this.sql.touch, [consumed]);
    const expired = await this.pool.query<{ name: string }>(this.sql.expireQueues);
    await this.pool.query(`${this.sql.dropExpired}; ${this.sql.dropBroadcasts}`);
    for (const row of expired.rows) this.knownQueues.delete(row.name);
    return { restored: restored.rows.map((r) => r.name), expiredQueues: expired.rows.map((r) => r.name) };
  }

  /** Runs statement `key` on `client`: prepared when it is our pool, plain text on a caller's client. */
  private query(client: TransactionClient, key: keyof ReturnType<typeof statements>, values: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }> {
    return client === this.pool ? this.pool.query(this.prepared[key](values)) : client.query(this.sql[key], values);
  }

  /** Waits for batched writes in progress. */
  async flush(): Promise<void> {
    await Promise.all([this.puts.idle(), this.acks.idle()]);
  }
}
