/**
 * The virtual transport base (kombu `kombu/transport/virtual/base.py`). It emulates AMQP over any store
 * that can put and take messages: exchanges and bindings (`exchange.ts`), routing, QoS/prefetch,
 * delivery tags, ack/reject/requeue, and restoring unacked messages when a channel closes. A transport
 * fills in the `_put`/`_get`/`_purge`/`_size` hooks and, when its store can hold a message "in flight"
 * (a lease), `_ack` and `_restore`.
 *
 * Consuming polls `_get` for every consumed queue, taking as many messages as the prefetch window
 * allows; a channel consuming one queue that got a full batch takes the next one (within the window)
 * while it dispatches this one, so the store's round trip overlaps the work. After an empty round it
 * sleeps, doubling from 1 ms up to `polling_interval` (transport option, **seconds**, default 1 s as
 * kombu); a `_put` in this process wakes pollers at once.
 * A store that can block server-side (Redis BRPOP) implements `_getBlocking` instead of being
 * slept on: an empty round then waits in the store, so a message published by another process is
 * delivered at once rather than at the next poll.
 */
import { OperationalError } from '../../errors.js';
import type {
  BindingDeclaration, Channel, ConsumeOptions, Delivery, DeliveryCallback, ExchangeDeclaration,
  QueueDeclaration, RawMessage, Transport, TransportCapabilities,
} from '../types.js';
import { reportInvalidMessage, type InvalidMessageReport, type InvalidMessageSink } from '../invalid-messages.js';
import { fromEnvelope, markRedelivered, toEnvelope, type Envelope } from './envelope.js';
import { MemoryExchangeStore, route, type ExchangeStore } from './exchange.js';

/** A message taken from the store, with whatever the store needs to ack or restore it later. */
export interface TakenMessage {
  envelope: Envelope;
  /** Transport-specific handle (row id, lease token, ...); passed back to `_ack`/`_restore`. */
  receipt?: unknown;
}

interface Consumer {
  tag: string;
  queue: string;
  callback: DeliveryCallback;
  noAck: boolean;
}

interface Unacked {
  queue: string;
  taken: TakenMessage;
}

export interface VirtualTransportOptions {
  /** Longest sleep between polls of an idle queue, in **seconds** (kombu `polling_interval`). */
  polling_interval?: number;
  /** Most messages taken by one `_get` call. Default 100. */
  fetch_batch_size?: number;
  [option: string]: unknown;
}

/** A settled promise to hand back where there is nothing to wait for. */
const RESOLVED: Promise<void> = Promise.resolve();

/** Connected transports by store key, so a publish wakes pollers of every connection in this process. */
const siblings = new Map<string, Set<VirtualTransport>>();

/**
 * Base class of a transport built on the virtual channel. A store that can hold entries that are not
 * envelopes (parsed from text) reports each one it drops or sets aside with {@link reportInvalid}.
 */
export abstract class VirtualTransport<C extends VirtualChannel = VirtualChannel> implements Transport, InvalidMessageSink {
  abstract readonly driverType: string;
  abstract readonly capabilities: TransportCapabilities;
  readonly exchangeStore: ExchangeStore;
  /** Seconds; see {@link VirtualTransportOptions.polling_interval}. */
  readonly pollingInterval: number;
  readonly fetchBatchSize: number;
  protected readonly channels = new Set<C>();
  /** Receives reports of stored entries that are not messages; null: a process warning each. */
  onInvalidMessage: ((report: InvalidMessageReport) => void) | null = null;
  private connected = false;
  private registeredKey: string | null = null;

  constructor(readonly options: VirtualTransportOptions = {}) {
    this.pollingInterval = Number(options.polling_interval ?? this.defaultPollingInterval());
    this.fetchBatchSize = Number(options.fetch_batch_size ?? 100);
    this.exchangeStore = this.createExchangeStore();
  }

  /** Seconds. Override for a transport that should poll faster by default. */
  protected defaultPollingInterval(): number {
    return 1;
  }

  /** Override to share declarations across processes (kombu keeps them per process). */
  protected createExchangeStore(): ExchangeStore {
    return new MemoryExchangeStore();
  }

  /** Creates the transport's channel class. */
  protected abstract newChannel(): C;

  get isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    await this.establish();
    this.connected = true;
    this.registeredKey = this.storeKey();
    if (this.registeredKey !== null) {
      let peers = siblings.get(this.registeredKey);
      if (!peers) siblings.set(this.registeredKey, (peers = new Set()));
      peers.add(this);
    }
  }

  /** Opens the underlying store. Called once by `connect()`. */
  protected async establish(): Promise<void> {}

  /** Releases the underlying store. Called once by `close()` after every channel closed. */
  protected async teardown(): Promise<void> {}

  async createChannel(): Promise<C> {
    if (!this.connected) await this.connect();
    const channel = this.newChannel();
    this.channels.add(channel);
    return channel;
  }

  /**
   * Identity of the store this transport talks to (e.g. `sqlite:/abs/file.db`). Transports in one
   * process with the same key wake each other's pollers on publish. Null: wake own channels only.
   */
  protected storeKey(): string | null {
    return null;
  }

  /** Called after a local `_put`: wakes pollers in this process that may consume `queue`. */
  notify(queue: string): void {
    const peers = this.registeredKey === null ? undefined : siblings.get(this.registeredKey);
    if (!peers) return this.wakeChannels(queue);
    for (const peer of peers) peer.wakeChannels(queue);
  }

  private wakeChannels(queue: string): void {
    for (const channel of this.channels) channel.wake(queue);
  }

  /** Reports a stored entry that is not a message, once (see `../invalid-messages.ts`). */
  reportInvalid(report: InvalidMessageReport): void {
    reportInvalidMessage(this, report);
  }

  forget(channel: C): void {
    this.channels.delete(channel);
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    for (const channel of [...this.channels]) await channel.close();
    if (this.registeredKey !== null) {
      const peers = siblings.get(this.registeredKey);
      peers?.delete(this);
      if (peers?.size === 0) siblings.delete(this.registeredKey);
      this.registeredKey = null;
    }
    await this.teardown();
    this.connected = false;
  }
}

/** A channel of a virtual transport. Subclasses implement the storage hooks only. */
export abstract class VirtualChannel implements Channel {
  private open = true;
  private prefetch = 0;
  private nextTag = 0;
  private readonly consumers = new Map<string, Consumer>();
  private readonly unacked = new Map<string, Unacked>();
  private polling = false;
  private blocking = false;
  private wakeUp: (() => void) | null = null;
  private roundRobin = 0;
  /** The next batch of a channel consuming one queue, taken while the last one is dispatched (see {@link pollLoop}). */
  private lookahead: { queue: string; max: number; taken: Promise<TakenMessage[]> } | null = null;

  constructor(protected readonly transport: VirtualTransport) {}

  // ---- hooks (kombu names in brackets) ---------------------------------------------------------

  /**
   * Appends a message to a queue [`_put`]. `message` is the publish's message when the envelope
   * comes from {@link publish}: the same object each time a producer retries that publish, so a
   * store can tell a retry from a new message (Redis with `wait_for_replicas` waits again instead of
   * pushing a second copy).
   */
  protected abstract _put(queue: string, envelope: Envelope, message?: RawMessage): Promise<void> | void;
  /** Takes up to `max` messages from the head of a queue, or none [`_get`]. */
  protected abstract _get(queue: string, max: number): Promise<TakenMessage[]> | TakenMessage[];
  /** Removes all ready messages; returns how many [`_purge`]. */
  protected abstract _purge(queue: string): Promise<number> | number;
  /** Number of ready messages [`_size`]. */
  protected abstract _size(queue: string): Promise<number> | number;
  /** Creates storage for a queue if needed [`_new_queue`]. */
  protected _newQueue(_queue: QueueDeclaration): Promise<void> | void {}
  /** Deletes a queue and its messages [`_delete`]. */
  protected _delete(queue: string): Promise<void> | void {
    return void this._purge(queue);
  }
  /** Settles a taken message for good. Default: nothing to do, `_get` already removed it. */
  protected _ack(_queue: string, _taken: TakenMessage): Promise<void> | void {}
  /** Puts a taken message back, marked redelivered [`_restore`]. Default: `_put` it again. */
  protected _restore(queue: string, taken: TakenMessage): Promise<void> | void {
    return this._put(queue, markRedelivered(taken.envelope));
  }
  /**
   * Optional: waits up to `timeoutMs` for one message on any of `queues` and takes it (kombu Redis
   * `_brpop_start`/`_brpop_read`); null on timeout or after {@link _interruptBlocking}. Stores
   * without it are polled.
   */
  protected _getBlocking?(queues: readonly string[], timeoutMs: number): Promise<{ queue: string; taken: TakenMessage } | null>;
  /** Ends a pending `_getBlocking` early (it resolves null or with what it already took). */
  protected _interruptBlocking?(): void;

  // ---- AMQP emulation --------------------------------------------------------------------------

  get isOpen(): boolean {
    return this.open;
  }

  async declareExchange(exchange: ExchangeDeclaration): Promise<void> {
    this.ensureOpen();
    await this.transport.exchangeStore.declareExchange(exchange);
  }

  async declareQueue(queue: QueueDeclaration): Promise<{ messageCount: number }> {
    this.ensureOpen();
    await this._newQueue(queue);
    return { messageCount: await this._size(queue.name) };
  }

  async bindQueue(binding: BindingDeclaration): Promise<void> {
    this.ensureOpen();
    await this.transport.exchangeStore.bind(binding);
  }

  async deleteExchange(name: string): Promise<void> {
    this.ensureOpen();
    if (name === '' || name.startsWith('amq.')) return; // the default and builtin exchanges stay
    await this.transport.exchangeStore.deleteExchange(name);
  }

  async deleteQueue(queue: string): Promise<number> {
    this.ensureOpen();
    const size = await this._size(queue);
    await this.transport.exchangeStore.unbindQueue(queue);
    await this._delete(queue);
    return size;
  }

  async purge(queue: string): Promise<number> {
    this.ensureOpen();
    return this._purge(queue);
  }

  async publish(message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    this.ensureOpen();
    const queues = await route(this.transport.exchangeStore, exchange, routingKey);
    const envelope = toEnvelope(message, exchange, routingKey);
    for (const queue of queues) {
      await this._put(queue, envelope, message);
      this.transport.notify(queue);
    }
  }

  async get(queue: string, options: { noAck?: boolean } = {}): Promise<Delivery | null> {
    this.ensureOpen();
    const [taken] = await this._get(queue, 1);
    if (!taken) return null;
    return this.deliver(queue, taken, options.noAck ?? false);
  }

  async consume(queue: string, callback: DeliveryCallback, options: ConsumeOptions = {}): Promise<string> {
    this.ensureOpen();
    const tag = options.consumerTag ?? `ctag-${queue}-${this.consumers.size + 1}-${Date.now().toString(36)}`;
    this.consumers.set(tag, { tag, queue, callback, noAck: options.noAck ?? false });
    if (!this.polling) void this.pollLoop();
    else this.interrupt();
    return tag;
  }

  async cancel(consumerTag: string): Promise<void> {
    this.consumers.delete(consumerTag);
    this.interrupt();
  }

  async qos(prefetchCount: number): Promise<void> {
    this.prefetch = Math.max(0, Math.trunc(prefetchCount));
    this.wake();
  }

  /**
   * Settles a delivery for good (`_ack`). The QoS window opens at once (the poller is woken now); the
   * promise settles when the store did. Not `async`: a store that batches acks (Redis) hands every
   * caller of one batch the same promise, and this adds none of its own.
   */
  ack(deliveryTag: string): Promise<void> {
    const entry = this.unacked.get(deliveryTag);
    if (!entry) return RESOLVED;
    this.unacked.delete(deliveryTag);
    let stored: Promise<void> | void;
    try {
      stored = this._ack(entry.queue, entry.taken);
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.wake();
    }
    return stored ?? RESOLVED;
  }

  async reject(deliveryTag: string, requeue: boolean): Promise<void> {
    const entry = this.unacked.get(deliveryTag);
    if (!entry) return;
    this.unacked.delete(deliveryTag);
    if (requeue) {
      await this._restore(entry.queue, entry.taken);
      this.transport.notify(entry.queue);
    } else {
      await this._ack(entry.queue, entry.taken);
    }
    this.wake();
  }

  /**
   * Settles an unacked delivery with `settle` instead of `_ack` (a store operation that moves the
   * message elsewhere and settles it, e.g. parking it until its ETA); the delivery leaves the QoS
   * window once `settle` resolved. Resolves false, doing nothing, for a tag that is not unacked here;
   * when `settle` rejects, the delivery stays unacked.
   */
  protected async settleWith(deliveryTag: string, settle: (queue: string, taken: TakenMessage) => Promise<void> | void): Promise<boolean> {
    const entry = this.unacked.get(deliveryTag);
    if (!entry) return false;
    await settle(entry.queue, entry.taken);
    this.unacked.delete(deliveryTag);
    this.wake();
    return true;
  }

  /** Closes the channel; every delivered but unacked message is restored (kombu `restore_unacked_once`). */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.consumers.clear();
    this.interrupt();
    const pending = [...this.unacked.values()];
    this.unacked.clear();
    for (const entry of pending) await this._restore(entry.queue, entry.taken);
    for (const entry of pending) this.transport.notify(entry.queue);
    const ahead = this.lookahead;
    this.lookahead = null;
    if (ahead) await this.restoreLookahead(ahead);
    await this.onClose();
    this.transport.forget(this);
  }

  /** Hook for subclasses: release channel resources after unacked messages were restored. */
  protected async onClose(): Promise<void> {}

  /**
   * Interrupts the poller's sleep (called on local publish, ack, qos change). A blocking wait in
   * the store is left alone: it sees published messages by itself.
   */
  wake(_queue?: string): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /**
   * Wakes the poller and ends a blocking wait in the store, for changes the store cannot see:
   * consumers added or cancelled, the channel closing, messages arriving outside its lists.
   */
  interrupt(): void {
    this.wake();
    if (this.blocking) this._interruptBlocking?.();
  }

  /** Names of the queues this channel consumes, each once. */
  get consumedQueues(): string[] {
    return [...new Set([...this.consumers.values()].map((c) => c.queue))];
  }

  /** Number of delivered, unacknowledged messages (the QoS window in use). */
  get unackedCount(): number {
    return this.unacked.size;
  }

  private deliver(queue: string, taken: TakenMessage, noAck: boolean): Delivery {
    const tag = String(++this.nextTag);
    if (noAck) {
      // Settled on delivery; a failing cleanup is reported, never left as an unhandled rejection.
      Promise.resolve().then(() => this._ack(queue, taken)).catch((err: unknown) =>
        process.emitWarning(`settling a no-ack delivery from ${queue} failed: ${String(err)}`, { code: 'CQ_KOMBU_ACK' }));
    }
    else this.unacked.set(tag, { queue, taken });
    return fromEnvelope(taken.envelope, tag, queue);
  }

  private window(): number {
    if (this.prefetch === 0) return this.transport.fetchBatchSize;
    return Math.min(this.prefetch - this.unacked.size, this.transport.fetchBatchSize);
  }

  private async pollLoop(): Promise<void> {
    this.polling = true;
    let idleMs = 1;
    const maxIdleMs = Math.max(1, this.transport.pollingInterval * 1000);
    try {
      while (this.open && this.consumers.size > 0) {
        let got = 0;
        let room = this.window();
        if (room > 0) {
          const consumers = [...this.consumers.values()];
          const pending = this.lookahead;
          if (pending && !consumers.some((c) => c.queue === pending.queue)) {
            this.lookahead = null; // its queue is no longer consumed
            void this.restoreLookahead(pending);
          }
          for (let i = 0; i < consumers.length && room > 0; i++) {
            const consumer = consumers[(this.roundRobin + i) % consumers.length]!;
            let taken: TakenMessage[];
            let max = room;
            try {
              const ahead = this.lookahead;
              if (ahead && ahead.queue === consumer.queue) {
                this.lookahead = null;
                max = ahead.max;
                taken = await ahead.taken;
              } else {
                taken = await this._get(consumer.queue, room);
              }
            } catch (err) {
              if (!this.open) return; // closed meanwhile: the failure is the closing, not news
              // A failing store must not kill the process: report, back off, try again.
              process.emitWarning(`polling ${consumer.queue} failed: ${String(err)}`, { code: 'CQ_KOMBU_POLL' });
              await new Promise((resolve) => setTimeout(resolve, maxIdleMs));
              continue;
            }
            if (!this.open) {
              for (const t of taken) await this._restore(consumer.queue, t);
              return;
            }
            // One queue and a full batch: more are likely waiting. The next batch is taken now, while
            // this one is dispatched, within the prefetch window (unacked + this batch + the next).
            if (consumers.length === 1 && !this.lookahead && taken.length >= max && taken.length > 0) {
              const batch = this.transport.fetchBatchSize;
              const next = this.prefetch === 0 ? batch : Math.min(this.prefetch - this.unacked.size - taken.length, batch);
              if (next > 0) {
                let ahead: Promise<TakenMessage[]>;
                try {
                  ahead = Promise.resolve(this._get(consumer.queue, next)); // sent now: the store works while we dispatch
                } catch (err) {
                  ahead = Promise.reject(err);
                }
                ahead.catch(() => undefined); // awaited (and reported) by the next round
                const queue = consumer.queue;
                this.lookahead = { queue, max: next, taken: ahead };
              }
            }
            for (const t of taken) {
              got++;
              room--;
              this.dispatch(consumer, consumer.queue, t);
            }
          }
          this.roundRobin++;
        }
        if (got > 0) {
          idleMs = 1;
          // Let callbacks and acks run before the next fetch.
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        if (room > 0 && this._getBlocking) {
          await this.waitInStore(Math.max(maxIdleMs, 1000));
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { this.wakeUp = null; resolve(); }, room > 0 ? idleMs : maxIdleMs);
          this.wakeUp = () => { clearTimeout(timer); resolve(); };
        });
        if (room > 0) idleMs = Math.min(idleMs * 2, maxIdleMs);
      }
    } finally {
      this.polling = false;
      if (this.open && this.consumers.size > 0) void this.pollLoop();
      else if (this.lookahead) {
        const ahead = this.lookahead;
        this.lookahead = null;
        void this.restoreLookahead(ahead);
      }
    }
  }

  /** Puts back what a lookahead took that will not be dispatched (its queue no longer consumed, the channel closed). */
  private async restoreLookahead(ahead: { queue: string; taken: Promise<TakenMessage[]> }): Promise<void> {
    const taken = await ahead.taken.catch(() => [] as TakenMessage[]);
    for (const t of taken) await Promise.resolve(this._restore(ahead.queue, t)).catch(() => undefined);
    if (taken.length > 0) this.transport.notify(ahead.queue);
  }

  /** One blocking wait in the store; a message it takes is delivered like a polled one. */
  private async waitInStore(timeoutMs: number): Promise<void> {
    const queues = [...new Set([...this.consumers.values()].map((c) => c.queue))];
    if (queues.length === 0) return;
    let got: { queue: string; taken: TakenMessage } | null = null;
    this.blocking = true;
    try {
      got = await this._getBlocking!(queues, timeoutMs);
    } catch (err) {
      if (!this.open) return;
      process.emitWarning(`waiting on ${queues.join(', ')} failed: ${String(err)}`, { code: 'CQ_KOMBU_POLL' });
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, this.transport.pollingInterval * 1000)));
    } finally {
      this.blocking = false;
    }
    if (!got) return;
    const consumer = [...this.consumers.values()].find((c) => c.queue === got.queue);
    if (!this.open || !consumer) {
      await this._restore(got.queue, got.taken);
      this.transport.notify(got.queue);
      return;
    }
    this.dispatch(consumer, got.queue, got.taken);
  }

  private dispatch(consumer: Consumer, queue: string, taken: TakenMessage): void {
    const delivery = this.deliver(queue, taken, consumer.noAck);
    delivery.deliveryInfo.consumer_tag = consumer.tag;
    try {
      consumer.callback(delivery);
    } catch (err) {
      // A consumer callback must not kill the poller: consumers handle their own errors,
      // anything escaping is reported, never thrown into the event loop.
      process.emitWarning(`consumer callback failed: ${String(err)}`, { code: 'CQ_KOMBU_CALLBACK' });
    }
  }

  private ensureOpen(): void {
    if (!this.open) throw new OperationalError('channel is closed: open a new one with connection.channel()');
  }
}
