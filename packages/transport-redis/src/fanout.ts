/**
 * Fanout exchanges as kombu's Redis transport does them: PUB/SUB, not lists. A publish is
 * `PUBLISH /<db>.<exchange>[/<routing_key>] <envelope>`; a queue bound to a fanout exchange is fed by
 * `PSUBSCRIBE` on the same name built from the binding key (`#` → `*`). Messages are held in memory
 * per queue until taken; nothing is persisted or acked (kombu neither), and messages published while
 * nobody is subscribed are lost.
 *
 * Differences from kombu: the subscription starts when the queue is *bound* (kombu: when consumed), so a
 * `get` right after binding sees later broadcasts; a binding with an empty routing key also subscribes to
 * `/<db>.<exchange>/*`, so it receives publishes that carry a routing key (fanout ignores keys on AMQP;
 * kombu would miss them).
 */
import type { Redis } from 'ioredis';
import { parseEnvelope, type Envelope } from '@cq/kombu';

/** Most messages held for one queue; the oldest are dropped beyond it (broadcasts are lossy anyway). */
export const FANOUT_BUFFER_LIMIT = 10_000;

export class FanoutHub {
  private readonly patternQueues = new Map<string, Set<string>>();
  private readonly buffers = new Map<string, Envelope[]>();
  private subscriber: Promise<Redis> | null = null;

  /**
   * @param prefix `global_keyprefix` + `/<db>.` (kombu `keyprefix_fanout`)
   * @param connect opens the subscriber connection (once, on the first binding)
   * @param onMessage called after a message was buffered for `queue`
   */
  constructor(
    private readonly prefix: string,
    private readonly connect: () => Promise<Redis>,
    private readonly onMessage: (queue: string) => void,
  ) {}

  /** The channel name a publish to `exchange` with `routingKey` goes to (kombu `_get_publish_topic`). */
  topic(exchange: string, routingKey: string): string {
    return routingKey ? `${this.prefix}${exchange}/${routingKey}` : `${this.prefix}${exchange}`;
  }

  /** True when some queue of this process is fed by `exchange`. */
  get active(): boolean {
    return this.patternQueues.size > 0;
  }

  /** Subscribes `queue` to the broadcasts of `exchange` matching `routingKey`. */
  async bind(queue: string, exchange: string, routingKey: string): Promise<void> {
    const patterns = routingKey ? [this.topic(exchange, routingKey.replace(/#/g, '*'))] : [this.topic(exchange, ''), this.topic(exchange, '*')];
    const fresh: string[] = [];
    for (const p of patterns) {
      let queues = this.patternQueues.get(p);
      if (!queues) {
        this.patternQueues.set(p, (queues = new Set()));
        fresh.push(p);
      }
      queues.add(queue);
    }
    if (!this.buffers.has(queue)) this.buffers.set(queue, []);
    if (fresh.length > 0) await (await this.sub()).psubscribe(...fresh);
  }

  /** Drops every subscription and buffered message of `queue`; returns how many messages were dropped. */
  async unbindQueue(queue: string): Promise<number> {
    const gone: string[] = [];
    for (const [p, queues] of this.patternQueues) {
      if (queues.delete(queue) && queues.size === 0) {
        this.patternQueues.delete(p);
        gone.push(p);
      }
    }
    const dropped = this.buffers.get(queue)?.length ?? 0;
    this.buffers.delete(queue);
    if (gone.length > 0 && this.subscriber) await (await this.subscriber).punsubscribe(...gone);
    return dropped;
  }

  /** Drops every subscription to the broadcasts of `exchange` (the exchange was deleted); buffers stay. */
  async unbindExchange(exchange: string): Promise<void> {
    const base = this.topic(exchange, '');
    const gone = [...this.patternQueues.keys()].filter((p) => p === base || p.startsWith(`${base}/`));
    for (const p of gone) this.patternQueues.delete(p);
    if (gone.length > 0 && this.subscriber) await (await this.subscriber).punsubscribe(...gone);
  }

  /** Takes up to `max` buffered messages of `queue`, oldest first. */
  take(queue: string, max: number): Envelope[] {
    return this.buffers.get(queue)?.splice(0, max) ?? [];
  }

  /** Puts a message back at the head of `queue`'s buffer (a requeued broadcast). */
  putBack(queue: string, envelope: Envelope): void {
    this.buffers.get(queue)?.unshift(envelope);
  }

  size(queue: string): number {
    return this.buffers.get(queue)?.length ?? 0;
  }

  purge(queue: string): number {
    const buffer = this.buffers.get(queue);
    const n = buffer?.length ?? 0;
    if (buffer) buffer.length = 0;
    return n;
  }

  /**
   * Resolves once every message Redis sent to the subscriber before now has been buffered (a PING
   * answered after them), so a `get` right after a local publish sees it.
   */
  async flush(): Promise<void> {
    if (this.subscriber && this.active) await (await this.subscriber).ping();
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = null;
    this.patternQueues.clear();
    this.buffers.clear();
    if (sub) {
      const client = await sub.catch(() => null);
      await client?.quit().catch(() => client.disconnect());
    }
  }

  private sub(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    const pending = this.connect().then((client) => {
      client.on('pmessage', (pattern: string, _channel: string, data: string) => this.receive(pattern, data));
      return client;
    });
    this.subscriber = pending;
    pending.catch(() => { if (this.subscriber === pending) this.subscriber = null; }); // retry on the next bind
    return pending;
  }

  private receive(pattern: string, data: string): void {
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(data);
    } catch {
      process.emitWarning(`dropped a broadcast on ${pattern} that is not a kombu envelope`, { code: 'CQ_REDIS_BAD_ENVELOPE' });
      return;
    }
    for (const queue of this.patternQueues.get(pattern) ?? []) {
      const buffer = this.buffers.get(queue);
      if (!buffer) continue;
      buffer.push(envelope);
      if (buffer.length > FANOUT_BUFFER_LIMIT) buffer.shift();
      this.onMessage(queue);
    }
  }
}
