/**
 * A prefork/threads pool whose children cannot start: `worker.start()` rejects with a
 * `PoolStartError` that names the app module, quotes the child's error and says how to fix it, and
 * the worker never reaches the broker (the pool starts first).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { PoolStartError, Worker } from '@cq/worker';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe.each(['prefork', 'threads'] as const)('%s pool whose children cannot load the app', (kind) => {
  it('rejects start with the child\'s error and a hint', async () => {
    const appModule = fixture('broken-app.ts');
    const worker = new Worker(new Celery('parent', { broker_url: 'memory://' }), { pool: kind, appModule, concurrency: 2 });
    const error = await worker.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PoolStartError);
    expect(error).toMatchObject({ code: 'CQ_WORKER_POOL_START', cause: { name: 'WorkerInitError' } });
    expect((error as Error).message).toBe(`${kind} pool: a child could not start with the app module ${appModule}: `
      + 'Error: CQ_BROKEN_APP_MODEL is not set: cannot load the model\n'
      + 'Hint: each child imports the app module in a fresh process: it must load there on its own (environment, files, imports), '
      + 'and a throw while it loads stops the child');
    expect(worker.state).toBe('stopped');
    expect(worker.consumer?.connection ?? null).toBeNull();
  });

  it('names the package a child cannot find', async () => {
    const appModule = fixture('missing-import-app.ts');
    const worker = new Worker(new Celery('parent', { broker_url: 'memory://' }), { pool: kind, appModule, concurrency: 1 });
    const error = (await worker.start().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(PoolStartError);
    expect(error.message).toContain("cq-no-such-package");
    expect(error.message).toContain(`Hint: a module the app imports cannot be found from ${appModule}: install it in that project`);
  });
});
