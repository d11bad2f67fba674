/**
 * Exchange routing for virtual transports, written once (kombu `kombu/transport/virtual/exchange.py`).
 * A transport keeps declarations in an {@link ExchangeStore}; the default one lives in memory, a
 * transport shared by several processes (SQLite) persists it.
 */
import type { BindingDeclaration, ExchangeDeclaration, ExchangeType } from '../types.js';

export interface StoredBinding {
  routingKey: string;
  queue: string;
}

/** Where a virtual transport keeps exchanges and bindings. */
export interface ExchangeStore {
  declareExchange(exchange: ExchangeDeclaration): void | Promise<void>;
  /** The declared type, or undefined when the exchange is unknown here. */
  exchangeType(name: string): ExchangeType | undefined | Promise<ExchangeType | undefined>;
  bind(binding: BindingDeclaration): void | Promise<void>;
  bindings(exchange: string): StoredBinding[] | Promise<StoredBinding[]>;
  /** Removes every binding that targets `queue`. */
  unbindQueue(queue: string): void | Promise<void>;
  /** Forgets the exchange `name` (its type and every binding from it); unknown names are ignored. */
  deleteExchange(name: string): void | Promise<void>;
}

/** The default store: declarations known to this process only (as kombu's in-memory `state`). */
export class MemoryExchangeStore implements ExchangeStore {
  private readonly types = new Map<string, ExchangeType>();
  private readonly table = new Map<string, StoredBinding[]>();

  declareExchange(exchange: ExchangeDeclaration): void {
    this.types.set(exchange.name, exchange.type);
  }
  exchangeType(name: string): ExchangeType | undefined {
    return this.types.get(name);
  }
  bind(b: BindingDeclaration): void {
    const list = this.table.get(b.exchange) ?? [];
    if (!list.some((x) => x.queue === b.queue && x.routingKey === b.routingKey)) list.push({ routingKey: b.routingKey, queue: b.queue });
    this.table.set(b.exchange, list);
  }
  bindings(exchange: string): StoredBinding[] {
    return this.table.get(exchange) ?? [];
  }
  unbindQueue(queue: string): void {
    for (const [name, list] of this.table) this.table.set(name, list.filter((b) => b.queue !== queue));
  }
  deleteExchange(name: string): void {
    this.types.delete(name);
    this.table.delete(name);
  }
}

/** AMQP topic match: words split on `.`, `*` matches one word, `#` zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey === '' ? [] : routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    const word = p[i];
    if (word === '#') {
      for (let n = j; n <= k.length; n++) if (match(i + 1, n)) return true;
      return false;
    }
    if (j === k.length) return false;
    return (word === '*' || word === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/**
 * The queues a message published to `exchange` with `routingKey` reaches. The default exchange `''`
 * routes to the queue named by the routing key; an undeclared named exchange routes as `direct`
 * (kombu does the same). Duplicates are removed.
 */
export async function route(store: ExchangeStore, exchange: string, routingKey: string): Promise<string[]> {
  if (exchange === '') return [routingKey];
  const type = (await store.exchangeType(exchange)) ?? 'direct';
  const bound = await store.bindings(exchange);
  const queues = new Set<string>();
  for (const b of bound) {
    if (type === 'fanout' || (type === 'direct' && b.routingKey === routingKey) || (type === 'topic' && topicMatches(b.routingKey, routingKey))) {
      queues.add(b.queue);
    }
  }
  return [...queues];
}
