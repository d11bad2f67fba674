import { describe, expect, it } from 'vitest';
import { Crontab } from './schedules/crontab.js';
import { BACKEND_CLEANUP, defaultEntries } from './default-entries.js';

describe('default beat entries (Celery install_default_entries)', () => {
  it('schedules celery.backend_cleanup daily at 4:00 only for expiring results in a backend that keeps them', () => {
    const entries = defaultEntries(86400, { supportsAutoexpire: false });
    expect(Object.keys(entries)).toEqual([BACKEND_CLEANUP]);
    const entry = entries[BACKEND_CLEANUP]!;
    expect(entry).toMatchObject({ task: 'celery.backend_cleanup', options: { expires: 43200 } });
    expect(entry.schedule).toBeInstanceOf(Crontab);
    expect((entry.schedule as Crontab).nextAfter(new Date('2026-01-01T05:00:00Z')).toISOString()).toBe('2026-01-02T04:00:00.000Z');
    expect(defaultEntries(86400, { supportsAutoexpire: true })).toEqual({});
    expect(defaultEntries(null, { supportsAutoexpire: false })).toEqual({});
    expect(defaultEntries(0, { supportsAutoexpire: false })).toEqual({});
    expect(defaultEntries(86400, null)).toEqual({});
  });
});
