/**
 * A throwaway memcached (Debian's `memcached`) on a free port of 127.0.0.1, TCP only, stopped with
 * its process group; and `inspectItem`, to see an item as the server holds it (TTL, flags, value).
 */
import net from 'node:net';
import { requireCommand, startServer } from '@cq/tooling/testing';

export interface PrivateMemcached {
  port: number;
  /** `cache+memcached://127.0.0.1:<port>/` */
  url: string;
  stop(): Promise<void>;
}

/** Starts `memcached -p <port> -U 0 -l 127.0.0.1` (`-u root` when run as root, which it demands). */
export async function startMemcached(): Promise<PrivateMemcached> {
  const bin = requireCommand('memcached', 'memcached');
  const { port, stop } = await startServer({
    name: 'memcached', command: bin, timeoutMs: 10_000, graceMs: 2000,
    args: (p) => ['-p', String(p), '-U', '0', '-l', '127.0.0.1', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])],
  });
  return { port, url: `cache+memcached://127.0.0.1:${port}/`, stop };
}

/**
 * An item as the server holds it — TTL in s (-1: none), flags, value as UTF-8 — or null when
 * missing: one `mg <key> t f v` over memcached's text protocol.
 */
export function inspectItem(port: number, key: string): Promise<{ ttl: number; flags: number; value: string } | null> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = Buffer.alloc(0);
    const done = (result: { ttl: number; flags: number; value: string } | null) => { socket.end(); resolve(result); };
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      const eol = reply.indexOf('\r\n');
      if (eol === -1) return;
      const head = reply.subarray(0, eol).toString('latin1');
      if (head === 'EN') return done(null);
      const match = /^VA (\d+) (.*)$/.exec(head);
      if (!match) return reject(new Error(`unexpected reply to mg ${key}: ${JSON.stringify(head)}`));
      const size = Number(match[1]);
      if (reply.length < eol + 2 + size + 2) return;
      const fields = Object.fromEntries(match[2]!.split(' ').map((f) => [f[0], Number(f.slice(1))]));
      done({ ttl: fields['t']!, flags: fields['f']!, value: reply.subarray(eol + 2, eol + 2 + size).toString('utf8') });
    });
    socket.write(`mg ${key} t f v\r\n`);
  });
}
