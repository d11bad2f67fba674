/**
 * Exchanges and bindings kept in the broker file (`kombu_exchange`, `kombu_binding`), so a topic or
 * fanout exchange declared by one process routes messages published by another. kombu's virtual
 * transports keep these per process; sharing them is what lets `celery.pidbox` broadcasts and
 * `celeryev` events reach every worker on one file.
 */
import type Database from 'better-sqlite3';
import { OperationalError, type BindingDeclaration, type ExchangeDeclaration, type ExchangeStore, type ExchangeType, type StoredBinding } from '@cq/kombu';

function prepare(db: Database.Database) {
  const dropExchange = db.prepare<[string]>('DELETE FROM kombu_exchange WHERE name = ?');
  const dropBindings = db.prepare<[string]>('DELETE FROM kombu_binding WHERE exchange = ?');
  return {
    declare: db.prepare<[string, string]>('INSERT INTO kombu_exchange (name, type) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type'),
    type: db.prepare<[string], string>('SELECT type FROM kombu_exchange WHERE name = ?').pluck(),
    bind: db.prepare<[string, string, string]>('INSERT OR IGNORE INTO kombu_binding (exchange, routing_key, queue) VALUES (?, ?, ?)'),
    bindings: db.prepare<[string], StoredBinding>('SELECT routing_key AS routingKey, queue FROM kombu_binding WHERE exchange = ? ORDER BY rowid'),
    unbindQueue: db.prepare<[string]>('DELETE FROM kombu_binding WHERE queue = ?'),
    deleteExchange: db.transaction((name: string) => {
      dropBindings.run(name);
      dropExchange.run(name);
    }),
  };
}

/**
 * An {@link ExchangeStore} over the broker database. Usable between `attach()` (the transport's
 * connect) and `detach()` (its close); otherwise methods throw `OperationalError`.
 * Redeclaring an exchange with another type replaces the type (AMQP would refuse it; a file that
 * outlives the code that declared it should not).
 */
export class SqliteExchangeStore implements ExchangeStore {
  private statements: ReturnType<typeof prepare> | null = null;

  attach(db: Database.Database): void {
    this.statements = prepare(db);
  }

  detach(): void {
    this.statements = null;
  }

  declareExchange(exchange: ExchangeDeclaration): void {
    this.use().declare.run(exchange.name, exchange.type);
  }

  exchangeType(name: string): ExchangeType | undefined {
    return this.use().type.get(name) as ExchangeType | undefined;
  }

  bind(binding: BindingDeclaration): void {
    this.use().bind.run(binding.exchange, binding.routingKey, binding.queue);
  }

  bindings(exchange: string): StoredBinding[] {
    return this.use().bindings.all(exchange);
  }

  unbindQueue(queue: string): void {
    this.use().unbindQueue.run(queue);
  }

  /** Deletes the exchange row and its bindings, in one transaction. */
  deleteExchange(name: string): void {
    this.use().deleteExchange(name);
  }

  private use(): ReturnType<typeof prepare> {
    if (!this.statements) throw new OperationalError('the sqlite transport is not connected: call connection.connect() first');
    return this.statements;
  }
}
