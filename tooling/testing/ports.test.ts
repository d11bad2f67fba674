import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, waitForPort } from './ports.js';

describe('freePort and waitForPort', () => {
  it('gives a port below the ephemeral range that a server can bind, and waits until it listens', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_000);
    await expect(waitForPort(port, 200)).rejects.toThrow(`nothing listens on 127.0.0.1:${port} after 200 ms`);
    const server = net.createServer();
    const listening = new Promise<void>((resolve) => setTimeout(() => server.listen({ port, host: '127.0.0.1' }, resolve), 150));
    try {
      await waitForPort(port, 5000);
      await listening;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
