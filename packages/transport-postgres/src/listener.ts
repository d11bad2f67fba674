/**
 * The transport's LISTEN connection: one `pg.Client` outside the pool, listening on the notify
 * channel for the life of the transport. Its backend pid and start time are the session that leases
 * are stamped with (`lease_pid`, `lease_backend_start`): when this process dies, PostgreSQL ends the
 * backend, the session leaves `pg_stat_activity`, and any process's sweep gives the leases back.
 *
 * When the connection drops (server restart, network), it is opened again with a back-off from
 * 100 ms to 2 s; `onSession` is then called with the new session so the transport can re-stamp its
 * leases and catch up on notifications it missed.
 */
import pg from 'pg';
import type { LeaseSession } from './message-store.js';

export interface ListenerEvents {
  /** A notification's payload on the channel. */
  notification(payload: string): void;
  /** The connection is (again) up; `reconnected` is false the first time. Failures are reported, not fatal. */
  session(session: LeaseSession, reconnected: boolean): Promise<void> | void;
  /** The connection was lost; it is being reopened. */
  lost(err: unknown): void;
}

/** A LISTEN connection that reopens itself until stopped. */
export class Listener {
  /** The current session; null while reconnecting. */
  session: LeaseSession | null = null;
  private client: pg.Client | null = null;
  private stopped = false;

  constructor(private readonly config: pg.ClientConfig, private readonly channel: string, private readonly events: ListenerEvents) {}

  /** Opens the connection the first time. Rejects with pg's error when that fails. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.open();
    await this.events.session(this.session!, false);
  }

  /** Closes the connection and stops reopening it. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = null;
    this.session = null;
    await client?.end().catch(() => undefined);
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ ...this.config, keepAlive: true });
    client.on('error', (err) => this.lose(client, err));
    client.on('end', () => this.lose(client, new Error('LISTEN connection ended')));
    try {
      await client.connect();
      client.on('notification', (n) => this.events.notification(n.payload ?? ''));
      await client.query(`LISTEN "${this.channel}"`);
      const { rows } = await client.query<{ pid: number; started: string }>(
        'SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()');
      if (this.stopped) throw new Error('stopped');
      this.session = { pid: rows[0]!.pid, backendStart: rows[0]!.started };
      this.client = client;
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private lose(client: pg.Client, err: unknown): void {
    if (this.client !== client) return;
    this.client = null;
    this.session = null;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.events.lost(err);
    void this.reopen();
  }

  private async reopen(): Promise<void> {
    for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 2000)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.stopped) return;
      try {
        await this.open();
      } catch {
        continue;
      }
      try {
        await this.events.session(this.session!, true);
      } catch {
        // reported by the transport; the connection itself is fine
      }
      return;
    }
  }
}
