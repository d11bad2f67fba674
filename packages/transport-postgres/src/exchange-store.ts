/**
 * Exchanges and bindings kept in the database (`cq_exchange`/`cq_binding`, or `kombu_exchange`/
 * `kombu_binding` beside kombu's tables), so a topic exchange declared by one process routes the
 * publishes of another (kombu's virtual transports keep these per process). Lookups are cached in
 * the process; every change sends `x:<exchange>` on the notify channel (`x:*` for several), and each
 * transport's LISTEN connection drops the matching cache entries — and the whole cache when it
 * reconnects, since it may have missed some.
 */
import type { Pool } from 'pg';
import { OperationalError, type BindingDeclaration, type ExchangeDeclaration, type ExchangeStore, type ExchangeType, type StoredBinding } from '@cq/kombu';
import { toTransportError } from './errors.js';
import type { TableNames } from './options.js';

/**
 * An {@link ExchangeStore} over the database, with a cache invalidated through LISTEN/NOTIFY. Failures
 * reject with kombu errors (`errors.ts`: a lost connection is a recoverable `ConnectionError`).
 */
export class PostgresExchangeStore implements ExchangeStore {
  private pool: Pool | null = null;
  private tables: TableNames | null = null;
  private notifyChannel = '';
  private where = '';
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly types = new Map<string, ExchangeType | null>();
  private readonly bound = new Map<string, StoredBinding[]>();
  /** Bumped by every invalidation: a lookup started before one is not cached. */
  private generation = 0;

  /** Uses `pool`, its tables and notify channel from now on (the transport's connect). */
  attach(pool: Pool, tables: TableNames, notifyChannel: string, where: string): void {
    this.pool = pool;
    this.where = where;
    this.tables = tables;
    this.notifyChannel = notifyChannel;
    this.invalidate('*');
  }

  /** Forgets the pool (the transport's close). */
  detach(): void {
    this.pool = null;
    this.invalidate('*');
  }

  /** Drops cached lookups of `exchange`, or of every exchange for `*`. */
  invalidate(exchange: string): void {
    this.generation++;
    if (exchange === '*') {
      this.types.clear();
      this.bound.clear();
    } else {
      this.types.delete(exchange);
      this.bound.delete(exchange);
    }
  }

  /** Known type of `name` without a query, when cached (undefined: unknown or not cached). */
  cachedType(name: string): ExchangeType | undefined {
    return this.types.get(name) ?? undefined;
  }

  async declareExchange(exchange: ExchangeDeclaration): Promise<void> {
    await this.change(exchange.name, [`INSERT INTO ${this.t().exchange} AS e (name, type) VALUES ($3, $4)
      ON CONFLICT (name) DO UPDATE SET type = excluded.type WHERE e.type <> excluded.type RETURNING 1`], [exchange.name, exchange.type]);
  }

  async exchangeType(name: string): Promise<ExchangeType | undefined> {
    if (this.types.has(name)) return this.types.get(name) ?? undefined;
    return this.lookup(`type:${name}`, async () => {
      const generation = this.generation;
      const { rows } = await this.use().query<{ type: ExchangeType }>(`SELECT type FROM ${this.t().exchange} WHERE name = $1`, [name]);
      const type = rows[0]?.type ?? null;
      if (generation === this.generation) this.types.set(name, type);
      return type ?? undefined;
    });
  }

  async bind(binding: BindingDeclaration): Promise<void> {
    await this.change(binding.exchange, [`INSERT INTO ${this.t().binding} (exchange, routing_key, queue) VALUES ($3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`],
      [binding.exchange, binding.routingKey, binding.queue]);
  }

  async bindings(exchange: string): Promise<StoredBinding[]> {
    const cached = this.bound.get(exchange);
    if (cached) return cached;
    return this.lookup(`bindings:${exchange}`, async () => {
      const generation = this.generation;
      const { rows } = await this.use().query<StoredBinding>(
        `SELECT routing_key AS "routingKey", queue FROM ${this.t().binding} WHERE exchange = $1 ORDER BY routing_key, queue`, [exchange]);
      if (generation === this.generation) this.bound.set(exchange, rows);
      return rows;
    });
  }

  async unbindQueue(queue: string): Promise<void> {
    await this.change('*', [`DELETE FROM ${this.t().binding} WHERE queue = $3 RETURNING 1`], [queue]);
  }

  /** Deletes the exchange row and its bindings, in one statement. */
  async deleteExchange(name: string): Promise<void> {
    await this.change(name, [`DELETE FROM ${this.t().binding} WHERE exchange = $3 RETURNING 1`, `DELETE FROM ${this.t().exchange} WHERE name = $3 RETURNING 1`], [name]);
  }

  /**
   * Runs `changes` (data-modifying statements with `RETURNING 1`, parameters from `$3`) and, when they
   * changed a row, notifies `x:<exchange>` in the same statement (so the NOTIFY commits with them) and
   * drops the local cache. Identical changes already in flight are joined, not repeated (1,000
   * concurrent first publishes each declare the same queue).
   */
  private change(exchange: string, changes: string[], params: unknown[]): Promise<void> {
    const key = JSON.stringify([changes, params]);
    let running = this.inflight.get(key) as Promise<void> | undefined;
    if (!running) {
      const ctes = changes.map((sql, i) => `c${i} AS (${sql})`).join(', ');
      const sum = changes.map((_, i) => `(SELECT count(*) FROM c${i})`).join(' + ');
      running = this.use().query<{ n: number }>(
        `WITH ${ctes}, changed AS (SELECT (${sum})::int AS n), note AS (SELECT pg_notify($1, $2) FROM changed WHERE n > 0)
         SELECT n FROM changed WHERE (SELECT count(*) FROM note) >= 0`, [this.notifyChannel, `x:${exchange}`, ...params],
      ).then(({ rows }) => { if ((rows[0]?.n ?? 0) > 0) this.invalidate(exchange); },
        (err: unknown) => { throw toTransportError(err, `declaring exchange ${exchange}`, this.where); })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, running);
    }
    return running;
  }

  /** Runs a cache-filling query once for concurrent misses of the same key. */
  private lookup<T>(key: string, query: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = query().catch((err: unknown) => { throw toTransportError(err, `looking up ${key}`, this.where); })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }

  private t(): TableNames {
    this.use();
    return this.tables!;
  }

  private use(): Pool {
    if (!this.pool) throw new OperationalError('the postgres transport is not connected: call connection.connect() first');
    return this.pool;
  }
}
