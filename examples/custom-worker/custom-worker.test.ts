/**
 * The custom worker end to end on the local RabbitMQ: worker.ts as a process (prefork children,
 * lean consumer, health step); its health endpoint is read before, during and after a task; a
 * client runs the tasks; SIGTERM stops it warmly.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '@cq/tooling/testing';
import { run, start, stop } from '../support.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Health {
  status: string;
  pool: string;
  children: number[];
  active: number;
  processed: number;
  succeeded: number;
  failed: number;
}

async function health(url: string): Promise<{ code: number; body: Health }> {
  const res = await fetch(url);
  return { code: res.status, body: (await res.json()) as Health };
}

describe('examples/custom-worker (bootsteps + billiard prefork pool + AMQP, health endpoint step)', () => {
  it('serves its health endpoint while it runs, counting a task while it runs and once it is done', async () => {
    const env = { CUSTOM_QUEUE: `custom-${randomUUID()}`, HEALTH_PORT: '0' };
    const worker = await start('worker.ts', { cwd: here, env, ready: /worker steps: .*\n/ });
    let exitCode: number | null;
    try {
      const url = /health endpoint on (http:\/\/\S+)/.exec(worker.output())?.[1];
      expect(url, worker.output()).toBeDefined();
      expect(worker.output()).toContain('worker steps: Pool, Consumer, HealthEndpoint; consumer steps: Connection, QoS, Tasks');

      const before = await health(url!);
      expect(before.code).toBe(200);
      expect(before.body).toMatchObject({ status: 'ok', pool: 'prefork', active: 0, processed: 0 });
      expect(before.body.children).toHaveLength(2);

      // A 3 s nap: the endpoint shows it running, then done.
      const client = run('client.ts', { cwd: here, env: { ...env, NAP_MS: '3000' } });
      let during: Health | undefined;
      await waitFor(async () => (during = (await health(url!)).body).active === 1, 20_000, () => `never saw the task running: ${JSON.stringify(during)}`);
      const result = JSON.parse((await client).stdout.trim()) as { whoami: { pid: number; parent: number }; nap: number };
      expect(result.nap).toBe(3000);
      expect(before.body.children).toContain(result.whoami.pid); // ran in a child of the pool...
      expect(result.whoami.parent).toBe(worker.pid); // ...whose parent is the worker

      const after = await health(url!);
      expect(after.body).toMatchObject({ status: 'ok', active: 0, processed: 2, succeeded: 2, failed: 0 });
      expect(await fetch(url!.replace('/health', '/nope')).then((r) => r.status)).toBe(404);
    } finally {
      exitCode = await stop(worker);
    }
    expect(exitCode).toBe(0);
  }, 120_000);
});
