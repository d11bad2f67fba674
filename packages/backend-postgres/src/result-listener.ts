/**
 * Wakes `waitFor` the moment a result is stored: one connection per backend LISTENs on the task
 * table's channel (@cq/backend `resultChannel`), where every row cq writes is announced with its task
 * id, and hands each id to `onStored`. Beyond Celery, whose database backend only polls; results
 * written by Python Celery send no notification and are still found by polling.
 *
 * The connection opens on the first wait and does not keep the process alive (its socket is
 * unref'd; a pending wait's timer does). When it fails or drops, waits fall back to polling and the
 * next wait opens a new one.
 */
import pg from 'pg';

export class ResultListener {
  #client: pg.Client | null = null;
  #started: Promise<boolean> | null = null;
  #closed = false;

  /**
   * @param config connection options (the backend pool's, without pool-only ones).
   * @param channel the channel to LISTEN on.
   * @param onStored called with each announced task id.
   */
  constructor(private readonly config: pg.ClientConfig, private readonly channel: string, private readonly onStored: (taskId: string) => void) {}

  /** Listens (once); resolves false when it cannot, and waits then poll. Never rejects. */
  start(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    this.#started ??= this.connect();
    return this.#started;
  }

  /** Ends the connection; later {@link start} calls resolve false. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<boolean> {
    const client = new pg.Client(this.config);
    const drop = (): void => {
      if (this.#client === client) {
        this.#client = null;
        this.#started = null;
      }
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) this.onStored(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replace(/"/g, '""')}"`);
    } catch {
      await client.end().catch(() => undefined);
      this.#started = null;
      return false;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return false;
    }
    (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    this.#client = client;
    return true;
  }
}
