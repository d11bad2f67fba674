/**
 * `cq purge` on a sandboxed SQLite broker: `-f` purges the `-Q` queues and prints Celery's lines;
 * without `-f` and nobody confirming, nothing is removed.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, createLogger } from '@cq/celery';
import { cqRun, sandbox } from './helpers.js';

const box = sandbox();
const app = new Celery('purge', { broker_url: box.broker, result_backend: box.backend, task_default_queue: 'cqt.ctl.purge' });
app.log = createLogger({ level: 'critical' });

afterAll(async () => {
  await app.close();
  rmSync(box.dir, { recursive: true, force: true });
});

async function ready(queue: string): Promise<number> {
  const conn = app.connection();
  try {
    const ch = await conn.channel();
    return (await ch.declareQueue(app.queue(queue).toDeclaration())).messageCount;
  } finally {
    await conn.close();
  }
}

describe('cq purge', () => {
  it('asks first, then purges the named queues with -f', async () => {
    for (let i = 0; i < 3; i++) await app.sendTask('cqt.ctl.any', [i]);
    await app.sendTask('cqt.ctl.any', [9], { queue: 'cqt.ctl.other' });
    const asked = await cqRun(['purge', ...box.flags, '-Q', 'cqt.ctl.purge']);
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain('WARNING: This will remove all tasks from queue: cqt.ctl.purge.');
    expect(await ready('cqt.ctl.purge')).toBe(3);

    const forced = await cqRun(['purge', ...box.flags, '-Q', 'cqt.ctl.purge,cqt.ctl.other', '-X', 'cqt.ctl.other', '-f']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe('Purged 3 messages from 1 known task queue.\n');
    expect(await ready('cqt.ctl.purge')).toBe(0);
    expect(await ready('cqt.ctl.other')).toBe(1);
    const again = await cqRun(['purge', ...box.flags, '-Q', 'cqt.ctl.purge', '-f']);
    expect(again.stdout).toBe('No messages purged from 1 queue.\n');
  });
});
