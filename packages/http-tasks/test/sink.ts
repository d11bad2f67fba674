/**
 * A local HTTP server for the HTTP-task tests (node:http on 127.0.0.1, a free port): it records
 * every request (method, path with query, headers, body) and answers with the next reply queued for
 * its path, else with the path's default reply.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** Path and query, e.g. `/hook?x=1`. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Milliseconds to wait before answering (a timeout test). */
  delayMs?: number;
}

export interface Sink {
  readonly url: string;
  readonly requests: SeenRequest[];
  /** Replies for `path`, used once each in order; then `fallback` (default 200 `{"ok": true}`). */
  reply(path: string, ...replies: Reply[]): void;
  fallback(path: string, reply: Reply): void;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const queued = new Map<string, Reply[]>();
  const fallbacks = new Map<string, Reply>();
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({ method: req.method ?? '', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const path = url.split('?')[0]!;
      const reply = queued.get(path)?.shift() ?? fallbacks.get(path) ?? { body: { ok: true } };
      const send = (): void => {
        if (res.destroyed) return;
        const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(text);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply(path, ...replies) {
      queued.set(path, [...(queued.get(path) ?? []), ...replies]);
    },
    fallback(path, reply) {
      fallbacks.set(path, reply);
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
