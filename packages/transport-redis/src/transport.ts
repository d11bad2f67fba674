/** The Redis transport (kombu `kombu/transport/redis.py`); see {@link RedisTransport}. */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  ConfigurationError, OperationalError, VirtualChannel, VirtualTransport, markRedelivered, parseEnvelope, resolveEtaParking, route, toEnvelope,
  type BindingDeclaration, type Envelope, type EtaParkingChannel, type LeaseLock, type LeaseLockProvider, type RawMessage, type TakenMessage, type TransportCapabilities,
  type BrokerUrl, type TransportDefinition, type VirtualTransportOptions, type Deduplicator, type DeduplicatorProvider,
} from '@cq/kombu';
import {
  RedisDeduplicator, RedisLeaseLock, acquireLease, connectRedisClient, createRedisClient, loadLuaScripts, parseRedisUrl, releaseLease, type RedisTlsSettings, type RedisUrl,
} from '@cq/redis';
import { BlockingClient } from './blocking.js';
import { RedisEtaStore } from './eta.js';
import { toTransportError } from './errors.js';
import { RedisExchangeStore } from './exchange-store.js';
import { FanoutHub } from './fanout.js';
import { KeyLayout } from './keys.js';
import { LUA } from './lua.generated.js';

/** `lua/take-2.lua` and `lua/restore-2.lua` (each file's header names its KEYS, ARGV and reply). */
const scripts = loadLuaScripts(LUA, ['take', 'restore']);

export interface RedisTransportOptions extends VirtualTransportOptions {
  /** Seconds an unacked message may stay unacked before it is redelivered. Default 3600 (kombu). */
  visibility_timeout?: number;
  /** Seconds between `restore_visible` sweeps. Default 10. */
  unacked_restore_interval?: number;
  /** Seconds the sweep lock lives. Default 300 (kombu). */
  unacked_mutex_expire?: number;
  /** Prepended to every key (kombu `global_keyprefix`). Default ''. */
  global_keyprefix?: string;
  /** Separator of priority keys and binding members. Default '\x06\x16'. */
  sep?: string;
  /** Ascending priority steps starting at 0. Default [0, 3, 6, 9]. */
  priority_steps?: number[];
  unacked_key?: string;
  unacked_index_key?: string;
  unacked_mutex_key?: string;
  /** Keep kombu's unacked bookkeeping. Default true; false = a crash loses taken messages. */
  ack_emulation?: boolean;
  /** cq: park far ETA/countdown tasks on the broker (see `eta.ts`). Default true. */
  store_eta?: boolean;
  /** cq: seconds; tasks due further ahead are parked. Default 60, capped at visibility_timeout / 2. */
  eta_horizon?: number;
  /**
   * cq: after each publish, `WAIT <n> <timeout>` until n replicas hold it (a publish is then not lost
   * when Sentinel promotes a replica). Default 0: no wait, Redis's asynchronous replication. When the
   * replicas do not confirm in time the publish fails (recoverable); the producer's retry of it
   * (`task_publish_retry`) then waits again instead of writing the message a second time, as long as
   * the connection it was written on stayed up, so a slow replica does not make tasks run twice.
   */
  wait_for_replicas?: number;
  /** cq: seconds `wait_for_replicas` waits before the publish fails (recoverable). Default 1. */
  wait_for_replicas_timeout?: number;
}

/** A publish's write, for {@link RedisTransport.replicated}: its message, queue, and the connection count before the write. */
interface WrittenPublish {
  message: RawMessage;
  queue: string;
  epoch: number;
}

/** Most takes of one `_get` while each take is all far-ETA messages (parked, none delivered). */
const TAKE_ROUNDS = 8;

/** Receipt of a message taken from a fanout buffer: nothing to ack in Redis. */
const BROADCAST = Symbol('broadcast');

/** A channel whose hooks are kombu's Redis commands; it parks far ETAs ({@link EtaParkingChannel}). */
export class RedisChannel extends VirtualChannel implements EtaParkingChannel {
  declare protected readonly transport: RedisTransport;
  /** Delivery tags acked in this tick, by queue (one unacked hash per queue in a cluster), settled together by {@link flushAcks}. */
  private ackTags = new Map<string, string[]>();
  private ackFlush: Promise<void> | null = null;
  /** The BRPOP connection (opened on the first wait) and the wait in progress. */
  private blocker: BlockingClient | null = null;
  private waiting: Promise<unknown> | null = null;
  /** Ends a cluster-mode idle wait early. */
  private idleWake: (() => void) | null = null;

  /** Publishes to a fanout exchange with PUBLISH (kombu `_put_fanout`); other exchanges route to lists. */
  override async publish(message: RawMessage, exchange: string, routingKey: string): Promise<void> {
    if (exchange === '' || this.transport.exchangeStore.exchangeType(exchange) !== 'fanout') return super.publish(message, exchange, routingKey);
    if (!this.isOpen) throw new OperationalError('channel is closed: open a new one with connection.channel()');
    await this.transport.publishFanout(exchange, routingKey, toEnvelope(message, exchange, routingKey));
  }

  /** Binds as kombu does (SADD); a queue bound to a fanout exchange also subscribes to its broadcasts. */
  override async bindQueue(binding: BindingDeclaration): Promise<void> {
    await super.bindQueue(binding);
    if (this.transport.exchangeStore.exchangeType(binding.exchange) === 'fanout') {
      await this.transport.fanout.bind(binding.queue, binding.exchange, binding.routingKey).catch((err: unknown) => {
        throw toTransportError(err, 'subscribing to a fanout exchange', this.transport.server);
      });
    }
  }

  /** Deletes the binding set (kombu keys) and, for a fanout exchange, this process's subscriptions to it. */
  override async deleteExchange(name: string): Promise<void> {
    await super.deleteExchange(name);
    if (name === '' || name.startsWith('amq.')) return;
    await this.transport.fanout.unbindExchange(name).catch((err: unknown) => {
      throw toTransportError(err, 'unsubscribing from a fanout exchange', this.transport.server);
    });
  }

  /** Seconds (see @cq/kombu `EtaParkingChannel`); null with `store_eta: false`. */
  get etaHorizon(): number | null {
    return this.transport.eta.horizon;
  }

  /** Parks a delivered message until `dueAt` (ms) and drops its unacked record, in one script. */
  parkDelivery(deliveryTag: string, dueAt: number): Promise<boolean> {
    return this.settleWith(deliveryTag, (queue, taken) => this.transport.eta.park(queue, taken.envelope, dueAt, taken.receipt === BROADCAST ? undefined : String(taken.receipt)));
  }

  /**
   * LPUSH (kombu `_put`), or parks a far-ETA message; then, with `wait_for_replicas`, waits for the
   * replicas. A retry of a publish whose write went out on this same connection and only the replicas'
   * confirmation fell short waits again without writing a second copy (see {@link RedisTransport.replicated}).
   */
  protected async _put(queue: string, envelope: Envelope, message?: RawMessage): Promise<void> {
    const t = this.transport;
    // Only remembered with wait_for_replicas (no object per publish otherwise).
    const written = message && t.waitForReplicas > 0 ? { message, queue, epoch: t.connectionEpoch } : undefined;
    if (written && t.writtenUnconfirmed(written)) return t.replicated('publishing', written);
    const dueAt = t.eta.dueAt(envelope);
    if (dueAt !== null) {
      await t.eta.park(queue, envelope, dueAt);
      return t.replicated('parking a message until its ETA', written);
    }
    const key = t.layout.key(t.layout.queueFor(queue, envelope.properties.priority));
    await t.push(key, JSON.stringify(envelope));
    await t.replicated('publishing', written);
  }

  protected async _get(queue: string, max: number): Promise<TakenMessage[]> {
    const t = this.transport;
    const out: TakenMessage[] = [];
    // Far-ETA messages are parked rather than delivered; while a whole take was parked, take again (a few times at most).
    for (let round = 0; round < TAKE_ROUNDS && out.length < max; round++) {
      const wanted = max - out.length;
      const taken = await this.take(queue, wanted);
      out.push(...taken.delivered);
      if (taken.delivered.length > 0 || taken.popped < wanted) break;
    }
    // Broadcasts buffered for a queue bound to a fanout exchange come after its list.
    for (const envelope of t.fanout.take(queue, max - out.length)) out.push({ envelope, receipt: BROADCAST });
    return out;
  }

  /** One `lua/take-2.lua` of up to `max` messages: those delivered, and how many were popped (dropped and parked ones too). */
  private async take(queue: string, max: number): Promise<{ delivered: TakenMessage[]; popped: number }> {
    const t = this.transport;
    const lists = t.layout.priorityKeys(queue).map((k) => t.layout.key(k));
    const args = [max, (Date.now() / 1000).toFixed(6), t.ackEmulation ? '1' : '0', ...lists];
    const popped = (await t.run('taking messages', (c) => scripts.take.run(c, t.unackedKeys(queue), args))) as string[];
    const delivered: TakenMessage[] = [];
    let parking: Promise<TakenMessage | null>[] | null = null;
    for (const payload of popped) {
      const envelope = t.readEnvelope(queue, payload);
      const dueAt = envelope && this.parkUntil(envelope);
      if (!envelope) this.forgetDropped(queue, payload);
      else if (dueAt === null) delivered.push({ envelope, receipt: envelope.properties.delivery_tag });
      else (parking ??= []).push(this.parkTaken(queue, envelope, payload, dueAt).then((parked) => (parked ? null : { envelope, receipt: envelope.properties.delivery_tag })));
    }
    if (parking) for (const unparked of await Promise.all(parking)) if (unparked) delivered.push(unparked);
    return { delivered, popped: popped.length };
  }

  /** When a message with a delivery tag whose `eta` is past the horizon is due (ms), else null: {@link parkTaken} keeps it from the consumer. */
  private parkUntil(envelope: Envelope): number | null {
    return typeof envelope.properties.delivery_tag === 'string' ? this.transport.eta.dueAt(envelope) : null;
  }

  /**
   * cq, beyond kombu: parks a far-ETA message just taken off its list (`payload`, as stored) until
   * `dueAt` (ms) instead of delivering it, dropping its unacked record in the same script, so a
   * consumer never holds, decodes or acks it (see `eta.ts`). Resolves false when parking failed
   * (reported as a process warning `CQ_REDIS_ETA`): the message is then delivered as usual.
   */
  private async parkTaken(queue: string, envelope: Envelope, payload: string, dueAt: number): Promise<boolean> {
    try {
      await this.transport.eta.park(queue, envelope, dueAt, envelope.properties.delivery_tag, payload);
      return true;
    } catch (err) {
      process.emitWarning(`parking ${envelope.properties.delivery_tag} of ${queue} until its ETA failed, delivering it: ${String(err)}`, { code: 'CQ_REDIS_ETA' });
      return false;
    }
  }

  /** kombu `QoS.ack` (`ZREM` + `HDEL` of the tag), batched: acks of one tick share one transaction. */
  protected override _ack(queue: string, taken: TakenMessage): Promise<void> | void {
    if (!this.transport.ackEmulation || taken.receipt === BROADCAST) return;
    return this.queueAck(queue, String(taken.receipt));
  }

  private queueAck(queue: string, tag: string): Promise<void> {
    const bucket = this.transport.layout.cluster ? queue : '';
    const tags = this.ackTags.get(bucket);
    if (tags) tags.push(tag);
    else this.ackTags.set(bucket, [tag]);
    this.ackFlush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushAcks());
    return this.ackFlush;
  }

  /**
   * A dropped entry that the take script recorded as unacked (it had a string `delivery_tag`) is
   * acked, so that `restore_visible` does not bring it back to be dropped again.
   */
  private forgetDropped(queue: string, payload: string): void {
    if (!this.transport.ackEmulation) return;
    let tag: unknown;
    try {
      tag = (JSON.parse(payload) as { properties?: { delivery_tag?: unknown } } | null)?.properties?.delivery_tag;
    } catch {
      return;
    }
    if (typeof tag === 'string') {
      this.queueAck(queue, tag).catch((err: unknown) => process.emitWarning(`acking dropped message ${tag}: ${String(err)}`, { code: 'CQ_REDIS_ACK' }));
    }
  }

  private async flushAcks(): Promise<void> {
    const t = this.transport;
    const byQueue = this.ackTags;
    this.ackTags = new Map();
    this.ackFlush = null;
    await Promise.all([...byQueue].map(([queue, tags]) => {
      const [hash, index] = t.unackedKeys(queue);
      return t.run('acking', (c) => c.multi().zrem(index, ...tags).hdel(hash, ...tags).exec());
    }));
  }

  /**
   * kombu `_brpop_start`/`_brpop_read`: `BRPOP` on the priority lists of `queues` (served in that
   * order), then the unacked bookkeeping kombu's `QoS.append` does (`ZADD` + `HSET`). A message
   * taken after the channel closed goes straight back to the front of its list.
   */
  protected override async _getBlocking(queues: readonly string[], timeoutMs: number): Promise<{ queue: string; taken: TakenMessage } | null> {
    const t = this.transport;
    if (t.layout.cluster) return this.idle(timeoutMs);
    const owner = new Map<string, string>();
    for (const queue of queues) for (const k of t.layout.priorityKeys(queue)) owner.set(t.layout.key(k), queue);
    this.blocker ??= new BlockingClient(() => t.connectBlocking());
    const wait = this.blocker.brpop([...owner.keys()], timeoutMs / 1000);
    this.waiting = wait.catch(() => undefined);
    const popped = await wait.catch((err: unknown) => { throw toTransportError(err, 'waiting for messages (BRPOP)', t.server); });
    if (!popped) return null;
    const [key, payload] = popped;
    const queue = owner.get(key)!;
    if (!this.isOpen) {
      await t.run('restoring a message', (c) => c.rpush(key, payload));
      return null;
    }
    const envelope = t.readEnvelope(queue, payload);
    if (!envelope) return null;
    // No unacked record yet: parking it is all (the poller then takes the next ones).
    const dueAt = this.parkUntil(envelope);
    if (dueAt !== null && await this.parkTaken(queue, envelope, payload, dueAt)) return null;
    const tag = envelope.properties.delivery_tag;
    if (t.ackEmulation && typeof tag === 'string') {
      const info = envelope.properties.delivery_info as { exchange?: unknown; routing_key?: unknown } | undefined;
      const entry = `[${payload}, ${JSON.stringify(String(info?.exchange ?? ''))}, ${JSON.stringify(String(info?.routing_key ?? ''))}]`;
      // Not awaited: the message is delivered at once, and its ack (ZREM + HDEL) cannot overtake this
      // write on the same connection. The message is already off its list: if recording fails (Redis
      // went away, possibly after storing the record), it is delivered all the same rather than
      // dropped; its ack clears any record.
      const [hash, index] = t.unackedKeys(queue);
      void t.run('recording an unacked message', (c) => c.multi().zadd(index, (Date.now() / 1000).toFixed(6), tag).hset(hash, tag, entry).exec())
        .catch((err: unknown) => process.emitWarning(`delivering ${tag} of ${queue} unrecorded: ${String(err)}`, { code: 'CQ_REDIS_UNRECORDED' }));
    }
    return { queue, taken: { envelope, receipt: tag } };
  }

  /**
   * Redis Cluster: a queue's lists share a slot, but the queues of a channel do not, so one BRPOP
   * cannot wait on them all; the channel polls instead (`polling_interval`), woken early by an interrupt.
   */
  private idle(timeoutMs: number): Promise<null> {
    return new Promise((resolve) => {
      const done = (): void => { clearTimeout(timer); this.idleWake = null; resolve(null); };
      const timer = setTimeout(done, Math.min(timeoutMs, Math.max(10, this.transport.pollingInterval * 1000)));
      this.idleWake = done;
    });
  }

  protected override _interruptBlocking(): void {
    this.idleWake?.();
    this.blocker?.unblock((id) => this.transport.run('interrupting BRPOP', (c) => c.client('UNBLOCK', id)));
  }

  /** Lets a wait in progress end (restoring what it took) before its connection closes. */
  protected override async onClose(): Promise<void> {
    this._interruptBlocking();
    await this.waiting;
    await this.ackFlush?.catch(() => undefined);
    this.blocker?.close();
    this.blocker = null;
  }

  /**
   * Puts a taken message back, marked redelivered. A reject with requeue (channel open) pushes it to
   * the back of its queue (LPUSH), a channel closing pushes it to the front (RPUSH), as kombu does.
   */
  protected override async _restore(queue: string, taken: TakenMessage): Promise<void> {
    const t = this.transport;
    const envelope = markRedelivered(taken.envelope);
    if (taken.receipt === BROADCAST) return t.fanout.putBack(queue, envelope);
    const key = t.layout.key(t.layout.queueFor(queue, envelope.properties.priority));
    const side = this.isOpen ? 'left' : 'right';
    if (!t.ackEmulation) {
      await t.run('restoring a message', (c) => (side === 'left' ? c.lpush(key, JSON.stringify(envelope)) : c.rpush(key, JSON.stringify(envelope))));
      return;
    }
    await t.run('restoring a message', (c) =>
      scripts.restore.run(c, t.unackedKeys(queue), [String(taken.receipt), JSON.stringify(envelope), side, key]));
  }

  /** Removes the ready messages and, unlike kombu, the messages parked until their ETA (counted too). */
  protected _purge(queue: string): Promise<number> {
    const keys = this.keysOf(queue);
    const parked = this.transport.eta.keysOf(queue);
    return this.transport.run('purging', async (c) => {
      const multi = c.multi();
      for (const k of keys) multi.llen(k);
      multi.zcard(parked[0]);
      multi.del(...keys, ...parked);
      const replies = (await multi.exec()) ?? [];
      return replies.slice(0, keys.length + 1).reduce((n, [, v]) => n + Number(v ?? 0), this.transport.fanout.purge(queue));
    });
  }

  protected _size(queue: string): Promise<number> {
    const keys = this.keysOf(queue);
    return this.transport.run('counting messages', async (c) => {
      const pipe = c.pipeline();
      for (const k of keys) pipe.llen(k);
      const replies = (await pipe.exec()) ?? [];
      return replies.reduce((n, [err, v]) => { if (err) throw err; return n + Number(v ?? 0); }, this.transport.fanout.size(queue));
    });
  }

  protected override async _delete(queue: string): Promise<void> {
    const keys = this.keysOf(queue);
    await this.transport.run('deleting a queue', (c) => c.del(...keys, ...this.transport.eta.keysOf(queue)));
    await this.transport.fanout.unbindQueue(queue).catch(() => undefined);
  }

  private keysOf(queue: string): string[] {
    return this.transport.layout.priorityKeys(queue).map((k) => this.transport.layout.key(k));
  }
}

/**
 * The Redis transport (kombu `kombu/transport/redis.py` `Transport`): a kombu virtual transport that
 * reads and writes exactly the keys of kombu's Redis transport, so Python Celery workers and cq
 * workers share one DB. Registered as `redis`, `rediss`, `redis+socket`, `sentinel` (kombu's Sentinel
 * list; `master_name`, `sentinel_kwargs`) and `redis+cluster` (cq's hash-tagged layout, `keys.ts`;
 * no BRPOP, per-queue unacked keys; not shared with Python): see the README.
 *
 * Layout: a queue is a list (`LPUSH` to publish, pop from the right: FIFO) with priority siblings
 * `queue\x06\x163`, `\x06\x166`, `\x06\x169` (lower step served first); each message is kombu's JSON
 * envelope with a base64 body; bindings are the sets `_kombu.binding.<exchange>`; delivered, unacked
 * messages are held in the hash `unacked` (`[envelope, exchange, routing_key]`) indexed by the zset
 * `unacked_index` (score: unix seconds) and restored by a sweep under the lock `unacked_mutex` once
 * older than `visibility_timeout`. Fanout exchanges are PUB/SUB on `/<db>.<exchange>` (`fanout.ts`).
 * Connections: one for commands, shared by every channel of the transport and by the visibility
 * sweep (auto-pipelined: commands issued in one tick go out in one write), one per consuming channel
 * for BRPOP, and one (opened on the first fanout binding) for PSUBSCRIBE.
 *
 * Consuming: while messages flow, a Lua script takes a batch (up to the prefetch window) and records
 * them as unacked in one step; when the queues are empty the channel waits in `BRPOP` on every
 * priority list of its queues (kombu does the same), so a message from another process is delivered
 * as soon as it is pushed. Acks issued in one tick are settled together (one `ZREM` + `HDEL`).
 *
 * URL (parsed by @cq/redis, as kombu reads it): `redis://[[user]:password@]host[:port][/db]`,
 * `rediss://` for TLS (`?ssl_cert_reqs=…&ssl_ca_certs=…`), `redis+socket:///path/to.sock?virtual_host=<db>`;
 * `?socket_timeout=` / `?socket_connect_timeout=` in seconds. Defaults localhost:6379, db 0.
 *
 * Capability: a {@link LeaseLockProvider} (`leaseLock(key)`), so beat's one-active-beat lock lives in
 * this Redis, under the key prefix; a {@link DeduplicatorProvider} (`deduplicator()`, the hashes
 * `_cq.dedup.<key>` of enqueue-time deduplication); its channels are {@link EtaParkingChannel}s (far ETAs parked here).
 *
 * Options (Celery `broker_transport_options`, kombu's names), times in **seconds**:
 * - `visibility_timeout` (3600): age after which an unacked message is redelivered (by any process).
 * - `unacked_restore_interval` (10): time between two `restore_visible` sweeps of this process.
 * - `unacked_mutex_expire` (300): lifetime of the sweep lock.
 * - `polling_interval` (0.1): the back-off after a failed fetch; an idle channel waits in BRPOP for
 *   max(1 s, polling_interval) at a time instead of sleeping.
 * - `store_eta` (true), `eta_horizon` (60, capped at visibility_timeout / 2): cq's broker-side ETA —
 *   a task due further ahead than the horizon is parked in Redis, not held by a worker (`eta.ts`).
 * - `global_keyprefix` (''), `sep` ('\x06\x16'), `priority_steps` ([0, 3, 6, 9]), `unacked_key`
 *   ('unacked'), `unacked_index_key` ('unacked_index'), `unacked_mutex_key` ('unacked_mutex'),
 *   `ack_emulation` (true), `fetch_batch_size` (100, a count).
 *
 * Errors (kombu's classes, mapped in errors.ts): the constructor throws `ConfigurationError` for an
 * option of the wrong type or range; Redis refusing the credentials is a `ConfigurationError`, an
 * unreachable or lost server a recoverable `ConnectionError` (ioredis keeps reconnecting), any other
 * server error a `TransportError`; using a closed channel throws `OperationalError`.
 */
export class RedisTransport extends VirtualTransport<RedisChannel> implements LeaseLockProvider, DeduplicatorProvider {
  readonly driverType = 'redis';
  readonly capabilities: TransportCapabilities = { priorityOrder: 'lower-first', persistent: true, redeliversUnacked: true, fanout: true };
  declare readonly exchangeStore: RedisExchangeStore;
  readonly layout: KeyLayout;
  /** Seconds; see {@link RedisTransportOptions.visibility_timeout}. */
  readonly visibilityTimeout: number;
  /** Seconds; see {@link RedisTransportOptions.unacked_restore_interval}. */
  readonly restoreInterval: number;
  readonly mutexExpire: number;
  readonly ackEmulation: boolean;
  /** See {@link RedisTransportOptions.wait_for_replicas}; the timeout in seconds. */
  readonly waitForReplicas: number;
  readonly waitForReplicasTimeout: number;
  /** Prefixed key names of the unacked hash, its index and the sweep lock. */
  readonly unackedKey: string;
  readonly unackedIndexKey: string;
  readonly unackedMutexKey: string;
  /** Subscriptions and buffers of queues bound to fanout exchanges. */
  readonly fanout: FanoutHub;
  /** Messages parked until their ETA (`eta.ts`). */
  readonly eta: RedisEtaStore;
  /** Closes of the command connection so far (see {@link connectionEpoch}). */
  private closes = 0;
  /** Publishes written whose WAIT fell short, by message: the connection count they were written at, and their queues. */
  private readonly unconfirmed = new WeakMap<RawMessage, { epoch: number; queues: Set<string> }>();
  private client: Redis | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<number> | null = null;

  /**
   * @param server where to connect, from {@link parseRedisUrl} (which also takes Celery's
   *   `broker_use_ssl` dict as its `tls` option).
   * @throws ConfigurationError when an option has the wrong type or range.
   */
  constructor(readonly server: RedisUrl, options: RedisTransportOptions = {}) {
    super(options);
    this.visibilityTimeout = seconds(options, 'visibility_timeout', 3600);
    this.restoreInterval = seconds(options, 'unacked_restore_interval', 10);
    this.mutexExpire = seconds(options, 'unacked_mutex_expire', 300);
    seconds(options, 'polling_interval', 0.1);
    const steps = options.priority_steps ?? [0, 3, 6, 9];
    if (!Array.isArray(steps) || !steps.every((s) => Number.isInteger(s) && s >= 0 && s <= 9) || !steps.includes(0)) {
      throw new ConfigurationError(`redis transport option priority_steps must be integers 0..9 including 0, got ${JSON.stringify(steps)}`);
    }
    this.layout = new KeyLayout({ prefix: text(options, 'global_keyprefix', ''), sep: text(options, 'sep', '\x06\x16'), steps, cluster: server.cluster !== undefined });
    this.unackedKey = this.layout.key(text(options, 'unacked_key', 'unacked'));
    this.unackedIndexKey = this.layout.key(text(options, 'unacked_index_key', 'unacked_index'));
    this.unackedMutexKey = this.layout.key(text(options, 'unacked_mutex_key', 'unacked_mutex'));
    // A broadcast lands in a buffer, not a list: a channel waiting in BRPOP must be interrupted.
    this.fanout = new FanoutHub(`${this.layout.prefix}/${server.db}.`, () => this.open('subscribing'), () => {
      for (const channel of this.channels) channel.interrupt();
    });
    this.waitForReplicas = Math.floor(seconds(options, 'wait_for_replicas', 0));
    this.waitForReplicasTimeout = seconds(options, 'wait_for_replicas_timeout', 1);
    this.ackEmulation = options.ack_emulation !== false && String(options.ack_emulation) !== 'false';
    this.eta = new RedisEtaStore({
      layout: this.layout, unackedKeys: (queue) => this.unackedKeys(queue),
      run: (action, op) => this.run(action, op), consumedQueues: () => [...this.channels].flatMap((ch) => ch.consumedQueues),
    }, resolveEtaParking('redis', options, this.visibilityTimeout));
  }

  /** `host:port/db` (or the socket path), for messages: never the password. */
  get where(): string {
    return this.server.where;
  }

  /**
   * A lease lock under `key` (behind `global_keyprefix`) in this Redis, on the command connection:
   * every process on this broker competes for the same lock (beat's lock). Its failures are kombu
   * errors (see `errors.ts`); `close()` leaves the connection to the transport.
   */
  leaseLock(key: string, token?: string): LeaseLock {
    return new RedisLeaseLock(() => this.commandClient(), this.layout.key(key), {
      ...(token === undefined ? {} : { token }),
      onError: (err, action) => toTransportError(err, action, this.server, this.client),
    });
  }

  /**
   * Enqueue-time deduplication records (`applyAsync(…, { deduplicationId })`) in this Redis, under
   * `global_keyprefix`, on the command connection (@cq/redis `RedisDeduplicator`); failures are kombu errors.
   */
  deduplicator(): Deduplicator {
    return new RedisDeduplicator(() => this.commandClient(), {
      prefix: this.layout.prefix, onError: (err, action) => toTransportError(err, action, this.server, this.client),
    });
  }

  /** The LPUSHes waiting to go out (see {@link push}): values by list key, in publish order. */
  private pushGroup: { values: Map<string, string[]>; count: number; sent: Promise<void> } | null = null;

  /**
   * LPUSHes `payload` to the list `key`, grouped: the publishes of one tick (up to 1,000) go out
   * together on `process.nextTick` — one LPUSH per list with its values in publish order (the order
   * one LPUSH each would give), all lists in one pipeline — one socket write instead of one per
   * message. Resolves once Redis has them; a failure fails every publish of the group (a retry may
   * then duplicate a message, never lose one).
   */
  push(key: string, payload: string): Promise<void> {
    let group = this.pushGroup;
    if (!group) {
      const values = new Map<string, string[]>();
      const sent = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => {
        if (this.pushGroup?.values === values) this.pushGroup = null;
        return this.sendPushes(values);
      });
      group = this.pushGroup = { values, count: 0, sent };
    }
    const list = group.values.get(key);
    if (list) list.push(payload);
    else group.values.set(key, [payload]);
    if (++group.count >= 1000) this.pushGroup = null; // full: the next publish starts a new group
    return group.sent;
  }

  private async sendPushes(pushes: Map<string, string[]>): Promise<void> {
    await this.run('publishing', async (c) => {
      // A Cluster pipelines one slot only: its lists (one slot per queue) get one LPUSH each.
      if (pushes.size === 1 || this.layout.cluster) {
        await Promise.all([...pushes].map(([key, values]) => c.lpush(key, ...values)));
        return;
      }
      const pipe = c.pipeline();
      for (const [key, values] of pushes) pipe.lpush(key, ...values);
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  /** Runs a command on the command connection, mapping failures to kombu errors. */
  async run<T>(action: string, op: (client: Redis) => Promise<T>): Promise<T> {
    const client = this.commandClient();
    try {
      return await op(client);
    } catch (err) {
      throw toTransportError(err, action, this.server, client);
    }
  }

  /**
   * With `wait_for_replicas` n > 0: `WAIT n timeout` on the command connection, so the writes sent
   * before it (the publish) are on n replicas. Fewer after the timeout: a recoverable ConnectionError.
   * `written` (the publish's message, queue and {@link connectionEpoch} taken before its write) is
   * remembered then, so that the producer's retry of that publish, while the connection has not
   * dropped since, only waits again: the message is on the primary already, and writing it again
   * would run it twice (kombu retries the whole publish). After a reconnect (a failover, perhaps) the
   * retry writes it again: it may then be duplicated, never lost.
   */
  async replicated(action: string, written?: WrittenPublish): Promise<void> {
    const n = this.waitForReplicas;
    if (n <= 0) return;
    const acked = await this.run(`${action} (WAIT)`, (c) => c.wait(n, Math.max(1, Math.round(this.waitForReplicasTimeout * 1000))));
    if (acked >= n) {
      if (written) this.unconfirmed.get(written.message)?.queues.delete(written.queue);
      return;
    }
    if (written && written.epoch === this.connectionEpoch && !this.layout.cluster) {
      const entry = this.unconfirmed.get(written.message);
      if (entry?.epoch === written.epoch) entry.queues.add(written.queue);
      else this.unconfirmed.set(written.message, { epoch: written.epoch, queues: new Set([written.queue]) });
    }
    throw toTransportError(new Error(`only ${acked} of ${n} replicas confirmed the write within ${this.waitForReplicasTimeout} s (wait_for_replicas)`), action, this.server);
  }

  /** Closes of the command connection so far: writes made at the same count went out on one connection, to one primary. */
  get connectionEpoch(): number {
    return this.closes;
  }

  /** True when `written` went out on the current command connection and only its WAIT fell short (see {@link replicated}). */
  writtenUnconfirmed(written: WrittenPublish): boolean {
    const entry = this.unconfirmed.get(written.message);
    return entry !== undefined && entry.epoch === this.connectionEpoch && entry.queues.has(written.queue);
  }

  /** The command connection; throws kombu's OperationalError when not connected. */
  private commandClient(): Redis {
    if (!this.client) throw new OperationalError('the redis transport is not connected: call connection.connect() first');
    return this.client;
  }

  /**
   * PUBLISHes an envelope to `/<db>.<exchange>[/<routingKey>]` (prefixed); resolves once this
   * process's own subscribers have buffered it.
   */
  async publishFanout(exchange: string, routingKey: string, envelope: Envelope): Promise<void> {
    await this.run('publishing to a fanout exchange', (c) => c.publish(this.fanout.topic(exchange, routingKey), JSON.stringify(envelope)));
    await this.fanout.flush().catch((err: unknown) => { throw toTransportError(err, 'waiting for own subscribers', this.server); });
  }

  /**
   * kombu `restore_visible`: under the `unacked_mutex` lease lock (SET NX PX), redelivers every unacked
   * message older than `visibility_timeout` to the queues its exchange and routing key lead to, at the
   * front of its priority list, marked redelivered. Resolves with how many were restored; 0 when
   * another process holds the lock.
   */
  restoreVisible(): Promise<number> {
    this.sweeping ??= this.sweep().finally(() => { this.sweeping = null; });
    return this.sweeping;
  }

  private async sweep(): Promise<number> {
    const token = randomUUID().replace(/-/g, '');
    const locked = await this.run('locking unacked_mutex', (c) => acquireLease(c, this.unackedMutexKey, token, this.mutexExpire * 1000));
    if (!locked) return 0;
    let restored = 0;
    try {
      // In a cluster each queue has its own unacked keys: the consumed queues are swept, each message
      // back to the queue it was taken from (routing again could cross slots).
      const scopes: (string | null)[] = this.layout.cluster ? [...new Set([...this.channels].flatMap((ch) => ch.consumedQueues))] : [null];
      for (const queue of scopes) restored += await this.sweepKeys(queue);
    } finally {
      await this.run('unlocking unacked_mutex', (c) => releaseLease(c, this.unackedMutexKey, token)).catch(() => undefined);
    }
    return restored;
  }

  /** Restores the expired entries of one unacked hash: kombu's (queue null) or a cluster queue's. */
  private async sweepKeys(queue: string | null): Promise<number> {
    const [hash, index] = queue === null ? [this.unackedKey, this.unackedIndexKey] : this.unackedKeys(queue);
    let restored = 0;
    {
      const ceiling = Date.now() / 1000 - this.visibilityTimeout;
      const tags = await this.run('scanning unacked_index', (c) => c.zrevrangebyscore(index, ceiling, 0));
      for (const tag of tags) {
        const raw = await this.run('reading unacked', (c) => c.hget(hash, tag));
        const entry = raw === null ? null : parseUnacked(raw);
        let keys: string[] = [];
        let payload = '';
        if (entry) {
          const [envelope, exchange, routingKey] = entry;
          const queues = queue === null ? await route(this.exchangeStore, exchange, routingKey) : [queue];
          keys = queues.map((q) => this.layout.key(this.layout.queueFor(q, envelope.properties.priority)));
          payload = JSON.stringify(markRedelivered(envelope));
        }
        const n = await this.run('restoring a message', (c) => scripts.restore.run(c, [hash, index], [tag, payload, 'right', ...keys]));
        if (Number(n) === 1 && keys.length > 0) restored++;
      }
    }
    return restored;
  }

  /** The (prefixed) unacked hash and index of `queue`: kombu's global pair, or the queue's own in a cluster (`keys.ts`). */
  unackedKeys(queue: string): [string, string] {
    return this.layout.unackedKeys(queue, this.unackedKey, this.unackedIndexKey);
  }

  protected override defaultPollingInterval(): number {
    return 0.1;
  }

  protected override createExchangeStore(): RedisExchangeStore {
    return new RedisExchangeStore();
  }

  protected override storeKey(): string {
    return `redis:${this.where}:${this.layout.prefix}`;
  }

  /** Opens a connection for a channel's BRPOP waits. */
  connectBlocking(): Promise<Redis> {
    return this.open('blocking');
  }

  /**
   * Opens one ioredis connection (@cq/redis). ioredis reconnects by itself; failures surface on commands.
   * Never auto-pipelined: with ioredis's `enableAutoPipelining` a worker parking or taking messages kept
   * a fifth of everything it allocated alive from one young-generation GC to the next, which moved
   * them to the old generation (about 4 GB promoted per million messages), and its memory grew by
   * 30–60 MB; throughput was the same without it (batches and acks are grouped here already).
   */
  private async open(purpose: string): Promise<Redis> {
    const client = createRedisClient(this.server, { connectionName: `cq-${purpose}`, blocking: purpose === 'blocking' });
    try {
      await connectRedisClient(client);
    } catch (err) {
      client.disconnect();
      throw toTransportError(err, purpose, this.server, client);
    }
    return client;
  }

  /**
   * The envelope stored as `payload` in `queue`, or null: an entry that is not one is dropped and
   * reported once (`CQ_REDIS_BAD_ENVELOPE`, see @cq/kombu `InvalidMessageReport`).
   */
  readEnvelope(queue: string, payload: string): Envelope | null {
    try {
      return parseEnvelope(payload);
    } catch (err) {
      const reason = `${(err as Error).message} (${payload.length} bytes: ${JSON.stringify(payload.slice(0, 80))})`;
      this.reportInvalid({ queue, reason, code: 'CQ_REDIS_BAD_ENVELOPE', outcome: 'dropped' });
      return null;
    }
  }

  protected override async establish(): Promise<void> {
    const client = await this.open('connecting');
    client.on('close', () => { this.closes++; });
    this.client = client;
    this.exchangeStore.attach(client, this.layout, this.server);
    this.sweepTimer = setInterval(() => {
      this.restoreVisible().catch((err: unknown) => process.emitWarning(`restore_visible failed: ${String(err)}`, { code: 'CQ_REDIS_RESTORE' }));
    }, Math.max(1, this.restoreInterval * 1000));
    this.sweepTimer.unref();
    this.eta.start();
  }

  protected override async teardown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await this.eta.stop();
    await this.sweeping?.catch(() => undefined);
    await this.fanout.close();
    this.exchangeStore.detach();
    const client = this.client;
    this.client = null;
    if (client) await client.quit().catch(() => client.disconnect());
  }

  protected newChannel(): RedisChannel {
    return new RedisChannel(this);
  }
}


function parseUnacked(raw: string): [Envelope, string, string] | null {
  try {
    const value = JSON.parse(raw) as unknown;
    if (!Array.isArray(value) || value.length < 3) return null;
    const [envelope, exchange, routingKey] = value as [Envelope, unknown, unknown];
    if (!envelope || typeof envelope.properties !== 'object') return null;
    return [envelope, String(exchange ?? ''), String(routingKey ?? '')];
  } catch {
    return null;
  }
}

function seconds(options: Record<string, unknown>, key: string, fallback: number): number {
  const value = options[key] ?? fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new ConfigurationError(`redis transport option ${key} must be a number of seconds >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(options: Record<string, unknown>, key: string, fallback: string): string {
  const value = options[key] ?? fallback;
  if (typeof value !== 'string') throw new ConfigurationError(`redis transport option ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The registry entry: `redis://`, `rediss://` and `redis+socket://` URLs.
 * Throws ConfigurationError (@cq/redis `RedisConfigurationError` for the URL) for a bad URL or option.
 */
export const transport: TransportDefinition = {
  name: 'redis',
  create: (url, options, info) => new RedisTransport(parseRedisUrl(sentinelList(url, info?.alternates), {
    tls: (info?.ssl ?? null) as RedisTlsSettings | boolean | null, tlsOverRedis: true, tlsSetting: 'broker_use_ssl', urlSetting: 'broker_url',
    transportOptions: options, transportOptionsSetting: 'broker_transport_options',
  }), options),
};

/** A `sentinel://` broker URL is a list of Sentinels (kombu), not a failover list: it is read whole. */
function sentinelList(url: BrokerUrl, alternates: readonly BrokerUrl[] | undefined): BrokerUrl | string {
  return url.transport === 'sentinel' && alternates && alternates.length > 1 ? alternates.map((u) => u.href).join(';') : url;
}
