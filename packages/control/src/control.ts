/**
 * The remote control client (Celery `celery/app/control.py` `Control`): broadcasts a command to
 * the workers over the pidbox mailbox and collects their replies.
 *
 * ```ts
 * const control = new Control(app);
 * await control.ping({ timeout: 1 });                  // [{ 'w1@host': { ok: 'pong' } }]
 * await control.revoke(id, { terminate: true, signal: 'SIGKILL' });
 * await control.rateLimit('tasks.add', '10/m', { reply: true });
 * const active = await control.inspect({ destination: ['w1@host'] }).active();
 * await control.close();
 * ```
 * Waiting follows kombu `Mailbox._collect`: replies are read until `limit` came (default: the
 * number of destinations, else unlimited) or none came for `timeout` **seconds** (default 1.0).
 */
import { randomUUID } from 'node:crypto';
import { Consumer, Producer, type Channel, type Connection, type LamportClock, type Message } from '@cq/kombu';
import type { Celery } from '@cq/app';
import { ControlArgumentError } from './errors.js';
import { Inspect, type InspectOptions } from './inspect.js';
import { Mailbox } from './mailbox.js';
import { controlPanel, type ControlCommand, type ControlHandler, type ControlCommandInit } from './registry.js';

/** One reply per node: `{ "<nodename>": <reply> }`. */
export type Reply = Record<string, unknown>;

export interface BroadcastOptions {
  /** Keyword arguments of the command (Celery `arguments`). Default `{}`. */
  arguments?: Record<string, unknown>;
  /** Node names to address; default every node. */
  destination?: string[] | null;
  /** With `matcher`, address the nodes whose name matches (Celery 5 `pattern`). */
  pattern?: string | null;
  /** `glob` (fnmatch) or `pcre`. */
  matcher?: 'glob' | 'pcre' | null;
  /** Wait for replies. Default false (a cast). */
  reply?: boolean;
  /** Seconds to wait for the next reply. Default 1.0. */
  timeout?: number;
  /** Stop after this many replies. Default: `destination.length`, else no limit. */
  limit?: number | null;
  /** Called with each reply as it comes (the CLI prints with it). */
  callback?: (reply: Reply) => void;
}

export class Control {
  readonly mailbox: Mailbox;
  /** This client's id: its reply queue is `<oid>.reply.celery.pidbox`. */
  readonly oid = randomUUID();
  /** The app's clock (`app.clock`): forwarded in each request's `clock` header, adjusted by each reply's. */
  readonly clock: LamportClock;
  private connection: Connection | null = null;
  private readonly unclaimed = new Map<string, Reply[]>();
  /** Broadcasts run one at a time: they share the reply queue, whose messages would be split between consumers. */
  private lock: Promise<unknown> = Promise.resolve();
  private replyDeclared = false;

  constructor(readonly app: Celery, options: { mailbox?: Mailbox } = {}) {
    this.mailbox = options.mailbox ?? Mailbox.fromApp(app);
    this.clock = app.clock;
  }

  /**
   * Registers a custom command that workers of this app answer (Celery `@control_command` /
   * `@inspect_command`); see {@link controlPanel}. Returns the command.
   */
  command(name: string, handler: ControlHandler, options: Omit<ControlCommandInit, 'name' | 'handler'> = {}): ControlCommand {
    return controlPanel(this.app).register({ ...options, name, handler });
  }

  /** A reader of worker state (Celery `app.control.inspect()`). */
  inspect(options: InspectOptions = {}): Inspect {
    return new Inspect(this, options);
  }

  /**
   * Sends `command` to the workers (Celery `Control.broadcast`). Resolves with the replies when
   * `reply` is set (`[{node: reply}, ...]`, in arrival order), else with `[]` once published.
   * @throws ControlArgumentError for a destination that is not a list; TransportError from the broker.
   */
  broadcast(command: string, options: BroadcastOptions = {}): Promise<Reply[]> {
    const run = this.lock.then(() => this.send(command, options));
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async send(command: string, options: BroadcastOptions): Promise<Reply[]> {
    const { destination = null, reply = false, timeout = 1.0 } = options;
    if (destination !== null && !Array.isArray(destination)) throw new ControlArgumentError('destination must be a list of node names');
    const usePattern = Boolean(options.pattern && options.matcher);
    const ticket = reply ? randomUUID() : null;
    const limit = options.limit ?? (destination && destination.length > 0 ? destination.length : null);
    const body: Record<string, unknown> = {
      method: command, arguments: options.arguments ?? {},
      destination: usePattern ? null : destination, pattern: usePattern ? options.pattern : null, matcher: usePattern ? options.matcher : null,
    };
    const channel = await (await this.conn()).channel();
    try {
      let collecting: (() => Promise<Reply[]>) | null = null;
      if (ticket) {
        body['ticket'] = ticket;
        body['reply_to'] = { exchange: this.mailbox.replyExchange.name, routing_key: this.oid };
        // The reply queue is declared and consumed before the request goes out (kombu declares it in `_publish`).
        collecting = await this.collect(channel, ticket, limit, timeout, options.callback);
      }
      await new Producer(channel, { serializer: 'json' }).publish(body, {
        exchange: this.mailbox.exchange,
        routingKey: '',
        headers: { clock: this.clock.forward(), expires: timeout ? Date.now() / 1000 + timeout : 0 },
        deliveryMode: 2,
      });
      return collecting ? await collecting() : [];
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** Reads replies for `ticket` until `limit` or `timeout` s without one (kombu `Mailbox._collect`). */
  private async collect(channel: Channel, ticket: string, limit: number | null, timeout: number, callback?: (r: Reply) => void): Promise<() => Promise<Reply[]>> {
    const responses: Reply[] = this.unclaimed.get(ticket) ?? [];
    this.unclaimed.delete(ticket);
    let wake: (() => void) | null = null;
    const onMessage = (message: Message): void => {
      const headers = message.headers;
      this.clock.adjust(headers['clock']);
      const expires = headers['expires'];
      if (typeof expires === 'number' && expires > 0 && Date.now() / 1000 > expires) return;
      let body: Reply;
      try {
        body = message.decode() as Reply;
      } catch {
        return;
      }
      const id = typeof headers['ticket'] === 'string' ? headers['ticket'] : ticket;
      if (id === ticket) {
        callback?.(body);
        responses.push(body);
        wake?.();
      } else {
        const list = this.unclaimed.get(id) ?? [];
        list.push(body);
        this.unclaimed.set(id, list);
      }
    };
    const consumer = new Consumer(channel, { queues: [this.mailbox.replyQueue(this.oid)], noAck: true, accept: ['json'], onMessage });
    await consumer.consume();
    this.replyDeclared = true;
    return async () => {
      try {
        for (;;) {
          if (limit !== null && responses.length >= limit) break;
          const before = responses.length;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeout * 1000);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          if (responses.length === before) break;
        }
        return responses;
      } finally {
        await consumer.cancel().catch(() => undefined);
      }
    };
  }

  // -- control commands (Celery `Control.*`) ------------------------------------------------

  /** `ping` with replies: `[{node: {ok: 'pong'}}]`. */
  ping(options: Omit<BroadcastOptions, 'arguments' | 'reply'> = {}): Promise<Reply[]> {
    return this.broadcast('ping', { ...options, reply: true });
  }

  /** Revokes task ids: workers skip them when received or due; with `terminate` a running one is stopped. */
  revoke(taskId: string | string[], options: Omit<BroadcastOptions, 'arguments'> & { terminate?: boolean; signal?: string } = {}): Promise<Reply[]> {
    const { terminate = false, signal = 'SIGTERM', ...rest } = options;
    return this.broadcast('revoke', { ...rest, arguments: { task_id: taskId, terminate, signal } });
  }

  /** Terminates running tasks (revoke with terminate). */
  terminate(taskId: string | string[], signal = 'SIGTERM', options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.revoke(taskId, { ...options, terminate: true, signal });
  }

  /** Sets a task type's rate limit (`"10/m"`, a number per second, or null to remove). */
  rateLimit(taskName: string, rateLimit: string | number | null, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('rate_limit', { ...options, arguments: { task_name: taskName, rate_limit: rateLimit } });
  }

  /** Sets a task type's soft and hard time limits in seconds (null removes one). */
  timeLimit(taskName: string, soft: number | null, hard: number | null = null, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('time_limit', { ...options, arguments: { task_name: taskName, soft, hard } });
  }

  /** Starts consuming a queue (`exchange`, `exchange_type`, `routing_key` as in Celery). */
  addConsumer(queue: string, extra: { exchange?: string; exchange_type?: string; routing_key?: string } = {}, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('add_consumer', { ...options, arguments: { queue, ...extra } });
  }

  cancelConsumer(queue: string, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('cancel_consumer', { ...options, arguments: { queue } });
  }

  poolGrow(n = 1, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('pool_grow', { ...options, arguments: { n } });
  }

  poolShrink(n = 1, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('pool_shrink', { ...options, arguments: { n } });
  }

  autoscale(max: number, min: number, options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('autoscale', { ...options, arguments: { max, min } });
  }

  enableEvents(options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('enable_events', options);
  }

  disableEvents(options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('disable_events', options);
  }

  heartbeat(options: Omit<BroadcastOptions, 'arguments'> = {}): Promise<Reply[]> {
    return this.broadcast('heartbeat', options);
  }

  /** Asks workers to shut down (no reply is ever sent). */
  shutdown(options: Omit<BroadcastOptions, 'arguments' | 'reply'> = {}): Promise<Reply[]> {
    return this.broadcast('shutdown', { ...options, reply: false });
  }

  /** Deletes the reply queue (Redis keeps it otherwise) and closes the client's broker connection. */
  async close(): Promise<void> {
    await this.lock;
    const conn = this.connection;
    this.connection = null;
    if (conn && this.replyDeclared) {
      const channel = await conn.channel().catch(() => null);
      await channel?.deleteQueue(this.mailbox.replyQueue(this.oid).name).catch(() => undefined);
      await channel?.close().catch(() => undefined);
    }
    await conn?.close();
  }

  private async conn(): Promise<Connection> {
    if (!this.connection) this.connection = this.app.connection();
    if (!this.connection.isConnected) await this.connection.connect();
    return this.connection;
  }
}
