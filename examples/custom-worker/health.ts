/**
 * A user-written worker bootstep: an HTTP health endpoint (node:http) served while the worker runs.
 * `GET /health` answers, as JSON,
 *
 * ```json
 * { "status": "ok", "hostname": "custom@host", "pool": "prefork", "children": [4711, 4712],
 *   "active": 1, "processed": 3, "succeeded": 3, "failed": 0 }
 * ```
 *
 * with 200 while the worker is running and 503 (`"status": "starting"` / `"stopping"`) otherwise;
 * other paths get 404. `active` is the tasks running now, `processed` those finished since start
 * (the worker's `activeRequests` and `stats`).
 *
 * It requires the consumer component, so it starts once the worker consumes and stops (closing the
 * server) before the consumer and the pool stop. Its `info()` shows up in `worker.info()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listsProcesses, Step, type Worker } from '@cq/worker';
import { LeanConsumer } from './lean-consumer.js';

export class HealthEndpoint extends Step<Worker> {
  static override readonly requires = [LeanConsumer];
  /** Port to listen on: `HEALTH_PORT`, default 8080; 0 picks a free port (logged at start). */
  static port = Number(process.env.HEALTH_PORT ?? 8080);
  private server: http.Server | null = null;

  override async start(w: Worker): Promise<void> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url !== '/health') {
        res.writeHead(404).end();
        return;
      }
      const status = w.state === 'running' ? 'ok' : w.state === 'stopping' || w.state === 'stopped' ? 'stopping' : 'starting';
      const body = {
        status, hostname: w.hostname, pool: w.pool.name, children: listsProcesses(w.pool) ? w.pool.pids : [],
        active: w.activeRequests.size, processed: w.stats.processed, succeeded: w.stats.succeeded, failed: w.stats.failed,
      };
      res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(HealthEndpoint.port, '127.0.0.1', resolve);
    });
    this.server = server;
    w.log.info(`health endpoint on http://127.0.0.1:${(server.address() as AddressInfo).port}/health`);
  }

  override async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  override info(): Record<string, unknown> {
    return { port: (this.server?.address() as AddressInfo | null)?.port ?? null };
  }
}
