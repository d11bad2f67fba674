/**
 * TCP ports for the private servers tests start (a PostgreSQL cluster, Redis, RabbitMQ nodes): a
 * free port to give one, and a wait until it accepts connections.
 */
import net from 'node:net';

/** The shared RabbitMQ node's distribution port (25672): inside the range, never handed out. */
const RESERVED = new Set([25_672]);

/**
 * A port on 127.0.0.1 nobody listens on, chosen in 20000..32000, below the ephemeral range (32768+),
 * so that no outgoing socket takes it between the check and the server's bind.
 * @throws Error after 50 ports tried were all taken.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (RESERVED.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free TCP port found in 20000..32000');
}

/**
 * Resolves once a TCP connection to `host`:`port` succeeds (tried every 100 ms); `host` defaults to
 * 127.0.0.1 (a network-namespace host's address is reachable from the test too).
 * @throws Error once `timeoutMs` (ms) have passed.
 */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
