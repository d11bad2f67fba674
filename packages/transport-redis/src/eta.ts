/**
 * Broker-side ETA on Redis (cq, beyond kombu; the model is in @cq/kombu `eta-parking.ts`). A task
 * whose `eta` is further away than the horizon is parked in two keys per queue (named in `keys.ts`):
 * the sorted set `_cq.eta.index<sep><queue>` (delivery tag → due unix seconds) and the hash
 * `_cq.eta.messages<sep><queue>` (delivery tag → priority step digit + envelope).
 *
 * - Parking (`lua/park-4.lua`) stores the message and, for a taken one, drops its unacked record in
 *   the same script: "park, then ack" is one atomic step, so nothing is lost or doubled in between,
 *   and no visibility timeout runs while it waits. A cq client parks at publish; a message pushed by
 *   one that does not (Python) is parked by the channel that takes it, before delivery
 *   (`RedisChannel._get`), or by a worker through `parkDelivery` (a message it could not park then).
 * - Every {@link PROMOTE_INTERVAL_MS} each connected transport moves, for the queues its channels
 *   consume, the parked messages due within that interval back to their lists (`lua/promote-2.lua`,
 *   atomic, so two consumers never move one message twice). They go back unchanged: any consumer,
 *   Python's too, sees an ordinary message whose `eta` is at most one interval ahead and holds it
 *   that long. A queue nobody consumes with cq is not promoted (Python workers do not promote).
 */
import type { Redis } from 'ioredis';
import { type Envelope, type EtaParking, parkUntil } from '@cq/kombu';
import { loadLuaScripts } from '@cq/redis';
import type { KeyLayout } from './keys.js';
import { LUA } from './lua.generated.js';

/** `lua/park-4.lua` and `lua/promote-2.lua`. */
const scripts = loadLuaScripts(LUA, ['park', 'promote']);

/** How often due messages are moved back (ms); they are moved up to this much before they are due. */
export const PROMOTE_INTERVAL_MS = 1000;
/** Most messages moved by one script call (a longer run would block Redis). */
const PROMOTE_BATCH = 500;

/** What the ETA store needs of its transport. */
export interface EtaHost {
  readonly layout: KeyLayout;
  /** The (prefixed) unacked hash and index of `queue` (one pair for all queues outside a cluster). */
  unackedKeys(queue: string): [string, string];
  /** Runs a command on the command connection, mapping failures to kombu errors. */
  run<T>(action: string, op: (client: Redis) => Promise<T>): Promise<T>;
  /** Queues consumed by this transport's channels now. */
  consumedQueues(): Iterable<string>;
}

/** Parked messages of one transport: parking, promotion on a timer, and their share of purge/delete. */
export class RedisEtaStore {
  private timer: NodeJS.Timeout | null = null;
  private promoting: Promise<void> | null = null;

  constructor(private readonly host: EtaHost, readonly parking: EtaParking) {}

  /** The effective horizon in seconds, or null when `store_eta` is off. */
  get horizon(): number | null {
    return this.parking.horizon;
  }

  /** When to park a message being published (ms), or null to push it now. */
  dueAt(envelope: Envelope): number | null {
    return parkUntil(this.parking, envelope.headers);
  }

  /**
   * Parks `envelope` in `queue` until `dueAt` (ms since the epoch). With `unackedTag` (a taken or
   * delivered message) its unacked record is dropped in the same atomic step. `stored`: the envelope
   * as its list held it, when the caller has it, parked as is rather than serialized again.
   */
  async park(queue: string, envelope: Envelope, dueAt: number, unackedTag?: string, stored?: string): Promise<void> {
    const { layout } = this.host;
    const [unackedKey, unackedIndexKey] = this.host.unackedKeys(queue);
    const tag = unackedTag ?? envelope.properties.delivery_tag;
    const value = `${layout.step(envelope.properties.priority)}${stored ?? JSON.stringify(envelope)}`;
    const keys = [layout.key(layout.etaIndexKey(queue)), layout.key(layout.etaMessagesKey(queue)), unackedKey, unackedIndexKey];
    await this.host.run('parking a message until its ETA', (c) => scripts.park.run(c, keys, [String(tag), (dueAt / 1000).toFixed(6), value]));
  }

  /** Moves the parked messages of `queue` due by `until` (ms) back to its lists; resolves with how many index members it handled. */
  async promote(queue: string, until = Date.now() + PROMOTE_INTERVAL_MS): Promise<number> {
    const { layout } = this.host;
    const keys = [layout.key(layout.etaIndexKey(queue)), layout.key(layout.etaMessagesKey(queue))];
    const lists = layout.steps.flatMap((s) => [String(s), layout.key(layout.queueFor(queue, s))]);
    let total = 0;
    for (;;) {
      const n = Number(await this.host.run('moving due ETA messages', (c) => scripts.promote.run(c, keys, [(until / 1000).toFixed(6), PROMOTE_BATCH, ...lists])));
      total += n;
      if (n < PROMOTE_BATCH) return total;
    }
  }

  /** Number of messages parked for `queue`. */
  size(queue: string): Promise<number> {
    const { layout } = this.host;
    return this.host.run('counting parked messages', (c) => c.zcard(layout.key(layout.etaIndexKey(queue))));
  }

  /** The (prefixed) keys of `queue`'s parked messages, for purge and delete. */
  keysOf(queue: string): [string, string] {
    const { layout } = this.host;
    return [layout.key(layout.etaIndexKey(queue)), layout.key(layout.etaMessagesKey(queue))];
  }

  /** Starts promoting the consumed queues every {@link PROMOTE_INTERVAL_MS}. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.promoting ??= this.promoteConsumed().finally(() => { this.promoting = null; });
    }, PROMOTE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and lets a promotion in progress finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.promoting;
  }

  private async promoteConsumed(): Promise<void> {
    for (const queue of new Set(this.host.consumedQueues())) {
      await this.promote(queue).catch((err: unknown) => process.emitWarning(`moving due ETA messages of ${queue} failed: ${String(err)}`, { code: 'CQ_REDIS_ETA' }));
    }
  }
}
