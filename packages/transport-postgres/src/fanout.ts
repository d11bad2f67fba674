/**
 * Fanout exchanges over LISTEN/NOTIFY, as kombu's Redis transport does them over PUB/SUB: a publish
 * to a fanout exchange is one `pg_notify` (`f:` + JSON `[exchange, envelope]`), or, when that would
 * pass PostgreSQL's 8,000-byte payload limit, a row of the broadcast table announced as `F:<id>`.
 * Every process whose queues are bound to the exchange (bindings made in that process) buffers a copy
 * for each of them; consumers take from the buffer after the queue's table rows. Nothing is stored
 * per queue, so a dead worker's pidbox queue cannot fill up; as with Redis, a process that is not
 * listening when a broadcast is sent does not get it, and a buffered broadcast is not acked.
 */
import type { Envelope } from '@cq/kombu';

/** Largest NOTIFY payload PostgreSQL accepts is 7,999 bytes; stay under it. */
export const MAX_NOTIFY_BYTES = 7900;
/** Broadcasts kept per queue that nobody consumes; the oldest go first. */
const MAX_BUFFERED = 10_000;

/** Encodes a broadcast for NOTIFY, or returns null when it is too large and needs the table. */
export function encodeBroadcast(exchange: string, envelope: Envelope): { inline: string | null; json: string } {
  const json = JSON.stringify([exchange, envelope]);
  return { inline: Buffer.byteLength(json) + 2 <= MAX_NOTIFY_BYTES ? `f:${json}` : null, json };
}

/** Decodes `[exchange, envelope]`; null for anything else. */
export function decodeBroadcast(json: string): { exchange: string; envelope: Envelope } | null {
  try {
    const value = JSON.parse(json) as unknown;
    if (!Array.isArray(value) || typeof value[0] !== 'string' || typeof value[1] !== 'object' || value[1] === null) return null;
    return { exchange: value[0], envelope: value[1] as Envelope };
  } catch {
    return null;
  }
}

/** This process's fanout subscriptions and the broadcasts buffered for each bound queue. */
export class FanoutHub {
  private readonly subscribers = new Map<string, Set<string>>();
  private readonly buffers = new Map<string, Envelope[]>();

  /** @param arrived called with each queue a broadcast was buffered for. */
  constructor(private readonly arrived: (queue: string) => void) {}

  /** Subscribes `queue` to broadcasts of `exchange`. */
  bind(queue: string, exchange: string): void {
    let set = this.subscribers.get(exchange);
    if (!set) this.subscribers.set(exchange, (set = new Set()));
    set.add(queue);
  }

  /** True when some queue of this process listens to `exchange`. */
  listens(exchange: string): boolean {
    return (this.subscribers.get(exchange)?.size ?? 0) > 0;
  }

  /** Drops every subscription to `exchange`. */
  unbindExchange(exchange: string): void {
    this.subscribers.delete(exchange);
  }

  /** Drops `queue`'s subscriptions and buffer. */
  unbindQueue(queue: string): void {
    for (const set of this.subscribers.values()) set.delete(queue);
    this.buffers.delete(queue);
  }

  /** Buffers `envelope` for every queue here bound to `exchange`. */
  deliver(exchange: string, envelope: Envelope): void {
    for (const queue of this.subscribers.get(exchange) ?? []) {
      let buffer = this.buffers.get(queue);
      if (!buffer) this.buffers.set(queue, (buffer = []));
      buffer.push(envelope);
      if (buffer.length > MAX_BUFFERED) buffer.shift();
      this.arrived(queue);
    }
  }

  /** Takes up to `max` buffered broadcasts of `queue`. */
  take(queue: string, max: number): Envelope[] {
    const buffer = this.buffers.get(queue);
    return buffer && max > 0 ? buffer.splice(0, max) : [];
  }

  /** Puts a taken broadcast back at the head of its buffer. */
  putBack(queue: string, envelope: Envelope): void {
    let buffer = this.buffers.get(queue);
    if (!buffer) this.buffers.set(queue, (buffer = []));
    buffer.unshift(envelope);
    this.arrived(queue);
  }

  size(queue: string): number {
    return this.buffers.get(queue)?.length ?? 0;
  }

  purge(queue: string): number {
    const n = this.size(queue);
    this.buffers.delete(queue);
    return n;
  }
}
