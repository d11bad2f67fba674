/**
 * A broker that refuses the login (here the shared Redis, for a user it does not know) stops beat at
 * once with kombu's AuthenticationError, instead of beat retrying at every lock renewal forever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Celery } from '@cq/app';
import { AuthenticationError } from '@cq/kombu';
import { redisTransport } from '@cq/transport-redis';
import { afterAll, describe, expect, it } from 'vitest';
import { Beat } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('beat on a broker that refuses its credentials', () => {
  it('stops and rejects run() with the AuthenticationError, logging it once', async () => {
    const errors: string[] = [];
    const app = new Celery('beatrefused', {
      broker_url: 'redis://nobody:hunter2@127.0.0.1:6379/0',
      beat_schedule_filename: path.join(dir, 'beat.db'),
      beat_schedule: { tick: { task: 'proj.tick', schedule: 0.2 } },
      beat_lock_timeout: 0.3,
    }, { plugins: [redisTransport()] });
    const beat = new Beat(app, { log: { info() {}, warn() {}, debug() {}, error: (m: string) => { errors.push(m); } } });
    const started = Date.now();
    const err = await beat.run().then(() => null, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err?.message).toMatch(/^authentication failed for user "nobody" at 127\.0\.0\.1:6379\/0 .*check the user and password in broker_url$/);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(errors).toHaveLength(1);
    expect(errors.join('\n')).not.toContain('hunter2');
    await app.close();
  });
});
