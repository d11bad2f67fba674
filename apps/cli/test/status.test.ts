/**
 * `cq status` follows the cluster: a worker answers while it runs, and once it is killed with SIGKILL
 * (no worker-offline, no goodbye) it is gone from the list within the heartbeat window (2 × 2 s), on
 * Redis db 5 with a node name of its own (other test files' workers may answer on the same db).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cqRun, exited, startWorker, type Sandbox } from './helpers.js';

const REDIS = 'redis://127.0.0.1:6379/5';

describe('cq status', () => {
  it('lists a running worker and drops it within the heartbeat window once it is killed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-status-'));
    const box: Sandbox = { dir, broker: REDIS, backend: REDIS, flags: ['-b', REDIS, '--result-backend', REDIS] };
    const node = `status-${randomUUID().slice(0, 8)}@test`;
    const worker = await startWorker(box, ['-Q', `cqt.status.${node}`, '-n', node]);
    try {
      const before = await cqRun(['status', ...box.flags, '--json']);
      expect(before.code).toBe(0);
      expect(Object.keys(JSON.parse(before.stdout) as Record<string, unknown>)).toContain(node);
      worker.kill('SIGKILL');
      await exited(worker);
      const killedAt = Date.now();
      const after = await cqRun(['status', ...box.flags, '--json']);
      expect(Date.now() - killedAt).toBeLessThan(4_000 + 3_000); // the status call itself waits up to its 1 s timeout
      expect([0, 69]).toContain(after.code); // 69: nobody else answered either
      expect(after.stdout).not.toContain(node);
    } finally {
      if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      // a killed worker cannot remove its kombu bindings (its queue's, pidbox's): do it for it
      const redis = (...args: string[]) => execFileSync('redis-cli', ['-n', '5', ...args], { encoding: 'utf8' }).split('\n').filter(Boolean);
      for (const key of redis('--scan', '--pattern', '_kombu.binding.*')) {
        if (key.includes(node)) redis('del', key);
        else for (const member of redis('smembers', key).filter((m) => m.includes(node))) redis('srem', key, member);
      }
    }
  }, 60_000);
});
