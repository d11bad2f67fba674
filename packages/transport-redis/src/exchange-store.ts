/**
 * Bindings kept where kombu keeps them: one Redis set per exchange, `_kombu.binding.<exchange>`, with
 * members `routing_key\x06\x16pattern\x06\x16queue` (pattern: Python regex text for topic exchanges,
 * empty otherwise). Python and cq publishers route through the same sets. Exchange *types* are known
 * only to the process that declared them, as in kombu: an undeclared exchange routes as `direct`.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisUrl } from '@cq/redis';
import { OperationalError, type BindingDeclaration, type ExchangeDeclaration, type ExchangeStore, type ExchangeType, type StoredBinding } from '@cq/kombu';
import { toTransportError } from './errors.js';
import { topicPattern, type KeyLayout, BINDING_PREFIX } from './keys.js';

/**
 * An {@link ExchangeStore} over the transport's command connection. Usable between `attach()` (the
 * transport's connect) and `detach()`; Redis methods throw `OperationalError` otherwise, and
 * kombu `ConnectionError`/`TransportError` when Redis fails.
 */
export class RedisExchangeStore implements ExchangeStore {
  private readonly types = new Map<string, ExchangeType>();
  private client: Redis | null = null;
  private layout: KeyLayout | null = null;
  private server: RedisUrl | null = null;

  attach(client: Redis, layout: KeyLayout, server: RedisUrl): void {
    this.client = client;
    this.layout = layout;
    this.server = server;
  }

  detach(): void {
    this.client = null;
  }

  declareExchange(exchange: ExchangeDeclaration): void {
    this.types.set(exchange.name, exchange.type);
  }

  exchangeType(name: string): ExchangeType | undefined {
    return this.types.get(name);
  }

  async bind(b: BindingDeclaration): Promise<void> {
    const { client, layout } = this.use();
    const pattern = this.types.get(b.exchange) === 'topic' ? topicPattern(b.routingKey) : '';
    await this.run('binding a queue', () => client.sadd(layout.key(layout.bindingKey(b.exchange)), layout.bindingMember(b.routingKey, pattern, b.queue)));
  }

  async bindings(exchange: string): Promise<StoredBinding[]> {
    const { client, layout } = this.use();
    const members = await this.run('reading bindings', () => client.smembers(layout.key(layout.bindingKey(exchange))));
    const out: StoredBinding[] = [];
    for (const m of members.sort()) {
      const parsed = layout.parseBindingMember(m);
      if (parsed) out.push({ routingKey: parsed.routingKey, queue: parsed.queue });
    }
    return out;
  }

  /** Removes every member naming `queue` from every `_kombu.binding.*` set (SCAN, then SREM). */
  async unbindQueue(queue: string): Promise<void> {
    const { client, layout } = this.use();
    const suffix = layout.sep + queue;
    const match = `${globEscape(layout.key(BINDING_PREFIX))}*`;
    // A cluster's keys are spread over its masters: each one is scanned (SMEMBERS/SREM are routed by key).
    const scanned = layout.cluster ? (client as unknown as Cluster).nodes('master') : [client];
    await this.run('removing bindings', async () => {
      for (const node of scanned) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500);
          cursor = next;
          for (const key of keys) {
            const members = (await client.smembers(key)).filter((m) => m.endsWith(suffix) && layout.parseBindingMember(m)?.queue === queue);
            if (members.length > 0) await client.srem(key, ...members);
          }
        } while (cursor !== '0');
      }
    });
  }

  /** Forgets the exchange's type here and DELetes its binding set `_kombu.binding.<exchange>`. */
  async deleteExchange(name: string): Promise<void> {
    const { client, layout } = this.use();
    await this.run('deleting an exchange', () => client.del(layout.key(layout.bindingKey(name))));
    this.types.delete(name);
  }

  private use(): { client: Redis; layout: KeyLayout } {
    if (!this.client || !this.layout) throw new OperationalError('the redis transport is not connected: call connection.connect() first');
    return { client: this.client, layout: this.layout };
  }

  private async run<T>(action: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.server ? toTransportError(err, action, this.server, this.client) : err;
    }
  }
}

function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
