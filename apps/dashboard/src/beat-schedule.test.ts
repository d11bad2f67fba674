/** The beat page's data: `beat_schedule` joined with a real cq beat state file (SQLite), never written. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery, crontab, SqliteScheduleStore } from '@cq/celery';
import { readBeatSchedule } from './beat-schedule.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-beat-'));
const now = new Date('2026-03-02T10:00:30Z');
const app = new Celery('beat-view', {
  timezone: 'Europe/London',
  beat_schedule: {
    'every-minute': { task: 'proj.add', schedule: 60, args: [1, 2], options: { queue: 'q1' } },
    'at-nine': { task: 'proj.report', schedule: crontab({ minute: 0, hour: 9 }), kwargs: { full: true } },
    broken: { task: 'proj.x', schedule: 'soon' },
  },
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readBeatSchedule', () => {
  it('lists each entry with the runs the state file holds, and entries known from the state only', async () => {
    const file = path.join(dir, 'beat.db');
    const store = new SqliteScheduleStore(file);
    store.save('every-minute', { lastRunAt: new Date('2026-03-02T10:00:00Z'), totalRunCount: 7 });
    store.save('retired', { lastRunAt: new Date('2026-03-01T00:00:00Z'), totalRunCount: 3 });
    store.close();
    const before = statSync(file).mtimeMs;

    const view = await readBeatSchedule(app, { file, now });
    expect(view).toMatchObject({ configured: true, timezone: 'Europe/London', state: { kind: 'file', where: file, error: null } });
    const byName = Object.fromEntries(view.entries.map((e) => [e.name, e]));
    expect(view.entries.map((e) => e.name)).toEqual(['at-nine', 'broken', 'every-minute', 'retired']);
    expect(byName['every-minute']).toEqual({
      name: 'every-minute', task: 'proj.add', schedule: '<freq: 60.00 seconds>', args: [1, 2], kwargs: {}, options: { queue: 'q1' },
      last_run_at: Date.parse('2026-03-02T10:00:00Z') / 1000, next_run_at: Date.parse('2026-03-02T10:01:00Z') / 1000, total_run_count: 7, error: null,
    });
    expect(byName['at-nine']).toMatchObject({ task: 'proj.report', kwargs: { full: true }, last_run_at: null, next_run_at: null, total_run_count: null });
    expect(byName['at-nine']!.schedule).toMatch(/^<crontab: 0 9 \* \* \*/);
    expect(byName['broken']).toMatchObject({ task: 'proj.x', schedule: null, error: expect.stringContaining('broken') });
    expect(byName['retired']).toMatchObject({ task: null, schedule: null, total_run_count: 3, last_run_at: Date.parse('2026-03-01T00:00:00Z') / 1000 });
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it('shows the configured schedule when the state file is missing, and does not create it', async () => {
    const file = path.join(dir, 'missing.db');
    const view = await readBeatSchedule(app, { file, now });
    expect(view.state).toEqual({ kind: 'none', where: file, error: `no beat state file ${file}` });
    expect(view.entries.find((e) => e.name === 'every-minute')).toMatchObject({ last_run_at: null, total_run_count: null });
    expect(() => statSync(file)).toThrow();
  });
});
