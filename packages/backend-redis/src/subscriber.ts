/**
 * The one pub/sub connection a RedisBackend shares between all its waiters (Celery's
 * `ResultConsumer`): a channel is SUBSCRIBEd when its first listener arrives and UNSUBSCRIBEd when
 * its last one leaves. Commands go out in order on one connection, so a quick
 * unsubscribe/subscribe pair of the same channel cannot overtake itself. ioredis re-subscribes after
 * a reconnect; listeners are then told to re-read, since messages sent while it was down are lost.
 */
import type { Redis } from 'ioredis';
import { redisFailure } from '@cq/redis';

export interface ChannelListener {
  /** A message published on the channel (raw bytes). */
  onMessage(payload: Buffer): void;
  /** The connection came back after a drop: messages may have been missed. */
  onReconnect(): void;
}

interface Channel {
  listeners: Set<ChannelListener>;
  /** Settles when the server confirmed the SUBSCRIBE. */
  subscribed: Promise<unknown>;
}

export class ResultSubscriber {
  readonly #channels = new Map<string, Channel>();
  readonly #createClient: () => Redis;
  #client: Redis | null = null;
  #connectedOnce = false;
  #closed = false;

  /** `createClient` makes the dedicated connection; it is called on the first `listen`. */
  constructor(createClient: () => Redis) {
    this.#createClient = createClient;
  }

  /** Number of channels currently subscribed (for tests and diagnostics). */
  get channelCount(): number {
    return this.#channels.size;
  }

  /**
   * Subscribe `listener` to `channel`; resolves once Redis confirmed the subscription, with the
   * function that removes the listener again (UNSUBSCRIBE when it was the last one).
   * @throws the ioredis error when SUBSCRIBE fails (the listener is then already removed);
   *         an Error when the subscriber was closed.
   */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    if (this.#closed) throw new Error('the result subscriber is closed');
    const client = this.client();
    let entry = this.#channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: client.subscribe(channel) };
      this.#channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const remove = (): void => {
      const current = this.#channels.get(channel);
      if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
      this.#channels.delete(channel);
      if (this.#client?.status !== 'end') this.#client?.unsubscribe(channel).catch(() => undefined);
    };
    try {
      await entry.subscribed;
    } catch (err) {
      remove();
      throw err;
    }
    return remove;
  }

  /** What a failed SUBSCRIBE reports: the TLS or authentication error that ended the connection, else `err`. */
  failure(err: unknown): unknown {
    return this.#client ? redisFailure(this.#client, err) : err;
  }

  /** Drop the connection at once; listeners are forgotten. */
  close(): void {
    this.#closed = true;
    this.#channels.clear();
    this.#client?.disconnect();
    this.#client = null;
  }

  private client(): Redis {
    if (this.#client) return this.#client;
    const client = this.#createClient();
    // Failures surface as rejected SUBSCRIBEs; ioredis reconnects by itself.
    client.on('error', () => undefined);
    client.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
      const entry = this.#channels.get(channel.toString('utf8'));
      if (entry) for (const listener of [...entry.listeners]) listener.onMessage(payload);
    });
    client.on('ready', () => {
      if (!this.#connectedOnce) {
        this.#connectedOnce = true;
        return;
      }
      // ioredis has re-sent the SUBSCRIBEs before emitting 'ready'; a PING behind them confirms they are live.
      const notify = (): void => {
        for (const entry of [...this.#channels.values()]) for (const listener of [...entry.listeners]) listener.onReconnect();
      };
      client.ping().then(notify, notify);
    });
    this.#client = client;
    return client;
  }
}
