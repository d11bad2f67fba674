/** Beat adds `celery.backend_cleanup` as Celery's beat does, judging by the app's result backend. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Celery } from '@cq/app';
import { MemoryBackend } from '@cq/backend';
import { afterAll, describe, expect, it } from 'vitest';
import { Beat, Crontab } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-cleanup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** A store that, like the database backends, keeps results until cleanup() deletes them. */
class KeepingBackend extends MemoryBackend {
  override get supportsAutoexpire(): boolean {
    return false;
  }
}

async function entriesOf(settings: Record<string, unknown>): Promise<Beat['scheduler']['entries']> {
  const app = new Celery('cleanup', { broker_url: 'memory://', beat_schedule_filename: path.join(dir, `${Math.random()}.db`), ...settings });
  app.backends.register('keeping', { fromUrl: (url: string) => new KeepingBackend({ url, name: url }) });
  const beat = new Beat(app, { log: silent, lock: null, send: async () => undefined });
  void beat.run();
  await new Promise((resolve) => setTimeout(resolve, 200));
  await beat.stop();
  await app.close();
  return beat.scheduler.entries;
}

describe('beat default entries', () => {
  it('schedules celery.backend_cleanup at 4:00 for a backend that does not expire results itself', async () => {
    const entries = await entriesOf({ result_backend: 'keeping://', result_expires: 3600 });
    const entry = entries.get('celery.backend_cleanup');
    expect(entry).toMatchObject({ task: 'celery.backend_cleanup', options: { expires: 43200 } });
    expect(entry!.schedule).toBeInstanceOf(Crontab);
    expect((entry!.schedule as Crontab).hour).toEqual([4]);
  });

  it('does not when the backend expires results, results never expire, or beat_schedule has its own', async () => {
    expect((await entriesOf({ result_backend: 'memory://', result_expires: 3600 })).has('celery.backend_cleanup')).toBe(false);
    expect((await entriesOf({ result_backend: 'keeping://', result_expires: null })).has('celery.backend_cleanup')).toBe(false);
    const own = await entriesOf({
      result_backend: 'keeping://', result_expires: 3600,
      beat_schedule: { 'celery.backend_cleanup': { task: 'celery.backend_cleanup', schedule: 60 } },
    });
    expect(own.get('celery.backend_cleanup')!.schedule).not.toBeInstanceOf(Crontab);
  });
});
