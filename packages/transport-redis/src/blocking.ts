/**
 * The connection a consuming channel waits on with `BRPOP` (a blocked connection can run nothing
 * else). It is interrupted with `CLIENT UNBLOCK <id>` sent on another connection, repeated until the
 * wait ends, so a `BRPOP` still in flight when the interrupt is sent cannot keep the channel waiting.
 */
import type { Redis } from 'ioredis';

/** Interval between two `CLIENT UNBLOCK` attempts while a wait has not ended, ms. */
const UNBLOCK_RETRY_MS = 20;

export class BlockingClient {
  private client: Promise<Redis> | null = null;
  private id: number | null = null;
  private waiting = false;
  private unblocking: NodeJS.Timeout | null = null;

  /** @param open opens a fresh connection (not auto-pipelined). */
  constructor(private readonly open: () => Promise<Redis>) {}

  /** `BRPOP keys... timeout`; resolves `[key, payload]`, or null on timeout or interrupt. */
  async brpop(keys: string[], timeoutSeconds: number): Promise<[string, string] | null> {
    const client = await (this.client ??= this.connect());
    this.waiting = true;
    try {
      return await client.brpop(...keys, Number(timeoutSeconds.toFixed(3)));
    } finally {
      this.waiting = false;
      if (this.unblocking) clearInterval(this.unblocking);
      this.unblocking = null;
    }
  }

  /** Ends the wait in progress, if any, through `send` (a command on another connection). */
  unblock(send: (id: number) => Promise<unknown>): void {
    if (!this.waiting || this.unblocking || this.id === null) return;
    const id = this.id;
    const attempt = () => void send(id).catch(() => undefined);
    attempt();
    this.unblocking = setInterval(attempt, UNBLOCK_RETRY_MS);
  }

  close(): void {
    if (this.unblocking) clearInterval(this.unblocking);
    this.unblocking = null;
    const client = this.client;
    this.client = null;
    void client?.then((c) => c.disconnect(), () => undefined);
  }

  private async connect(): Promise<Redis> {
    const client = await this.open();
    const readId = async () => { this.id = Number(await client.client('ID')); };
    // A reconnect gets a new client id.
    client.on('ready', () => void readId().catch(() => undefined));
    await readId();
    return client;
  }
}
