/** In-memory transport (kombu `kombu/transport/memory.py`); see {@link MemoryTransport}. */
import type { QueueDeclaration, TransportCapabilities, TransportDefinition } from './types.js';
import type { Deduplicator, DeduplicatorProvider } from './deduplication.js';
import { memoryDeduplicator } from './memory-deduplicator.js';
import { VirtualChannel, VirtualTransport, type TakenMessage, type VirtualTransportOptions } from './virtual/base.js';
import { markRedelivered, type Envelope } from './virtual/envelope.js';
import { MemoryExchangeStore, type ExchangeStore } from './virtual/exchange.js';

interface MemoryState {
  queues: Map<string, Envelope[]>;
  exchanges: MemoryExchangeStore;
}

const states = new Map<string, MemoryState>();

function stateFor(name: string): MemoryState {
  let state = states.get(name);
  if (!state) states.set(name, (state = { queues: new Map(), exchanges: new MemoryExchangeStore() }));
  return state;
}

export class MemoryChannel extends VirtualChannel {
  declare protected readonly transport: MemoryTransport;

  protected override _newQueue(queue: QueueDeclaration): void {
    this.transport.queue(queue.name);
  }
  protected _put(queue: string, envelope: Envelope): void {
    this.transport.queue(queue).push(envelope);
  }
  protected _get(queue: string, max: number): TakenMessage[] {
    return this.transport.queue(queue).splice(0, max).map((envelope) => ({ envelope }));
  }
  protected _purge(queue: string): number {
    const q = this.transport.queue(queue);
    const n = q.length;
    q.length = 0;
    return n;
  }
  protected _size(queue: string): number {
    return this.transport.queue(queue).length;
  }
  protected override _delete(queue: string): void {
    this.transport.state.queues.delete(queue);
  }
  protected override _restore(queue: string, taken: TakenMessage): void {
    // Back to the head: a requeued message is delivered next, as on AMQP.
    this.transport.queue(queue).unshift(markRedelivered(taken.envelope));
  }
}

export interface MemoryTransportOptions extends VirtualTransportOptions {
  /** Name of the shared in-process state. Default `''` (what `memory://` uses). */
  name?: string;
}

/**
 * In-memory transport (kombu `kombu/transport/memory.py`): queues are arrays in this process, for
 * tests and for running an app and its worker in one process. URL: `memory://` or
 * `memory://<name>`; every connection to the same name in one process shares the queues and
 * bindings, as kombu's does. Nothing survives the process.
 *
 * Built on the virtual transport, so routing (direct, topic, fanout), acks, requeue (to the head of
 * the queue, as on AMQP) and QoS are the shared ones. Options ({@link MemoryTransportOptions}):
 * `name` (default `''`, what `memory://` uses), `polling_interval` in **seconds** (default 0.5: a
 * publish wakes pollers at once, the timer is only a safety net) and `fetch_batch_size` (default
 * 100). It throws nothing of its own; operations on a closed channel reject with `OperationalError`.
 */
export class MemoryTransport extends VirtualTransport<MemoryChannel> implements DeduplicatorProvider {
  readonly driverType = 'memory';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'none', persistent: false, redeliversUnacked: true, fanout: true };
  declare readonly state: MemoryState;

  constructor(options: MemoryTransportOptions = {}) {
    super(options);
  }

  protected override createExchangeStore(): ExchangeStore {
    // Called from the base constructor, before field initialisers of this class run.
    (this as { state: MemoryState }).state = stateFor(String(this.options['name'] ?? ''));
    return this.state.exchanges;
  }

  protected override storeKey(): string {
    return `memory:${String(this.options['name'] ?? '')}`;
  }

  protected override defaultPollingInterval(): number {
    return 0.5; // every put is in-process and wakes pollers; the timer is only a safety net
  }

  queue(name: string): Envelope[] {
    let q = this.state.queues.get(name);
    if (!q) this.state.queues.set(name, (q = []));
    return q;
  }

  protected newChannel(): MemoryChannel {
    return new MemoryChannel(this);
  }

  /** Enqueue-time deduplication records, shared by the connections to this name in this process. */
  deduplicator(): Deduplicator {
    return memoryDeduplicator(String(this.options['name'] ?? ''));
  }
}

export const memoryTransport: TransportDefinition = {
  name: 'memory',
  create: (url, options) => new MemoryTransport({ name: url.hostname ?? '', ...options }),
};
