import { describe, expect, it } from 'vitest';
import { ScheduleEntry } from './entry.js';
import { ScheduleEntryError } from './errors.js';
import { Crontab } from './schedules/crontab.js';
import { IntervalSchedule } from './schedules/schedule.js';

const seen = { lastRunAt: new Date('2024-01-01T00:00:00Z') };

describe('ScheduleEntry from beat_schedule (Celery shape)', () => {
  it('maps Celery apply options to sendTask options, with args and kwargs', () => {
    const e = new ScheduleEntry('e', {
      task: 'proj.add', schedule: 30, args: [2, 3], kwargs: { z: 1 },
      options: { queue: 'periodic', priority: 5, expires: 20, routing_key: 'rk', exchange: 'ex', time_limit: 9, ignore_result: true },
    }, seen);
    expect(e.args).toEqual([2, 3]);
    expect(e.applyOptions()).toEqual({ kwargs: { z: 1 }, queue: 'periodic', priority: 5, expires: 20, routingKey: 'rk', exchange: 'ex', timeLimit: 9, ignoreResult: true });
    expect(e.totalRunCount).toBe(0);
  });

  it('reads numbers and durations as intervals, with relative', () => {
    const e = new ScheduleEntry('e', { task: 't', schedule: '2m', relative: true }, seen);
    expect(e.schedule).toBeInstanceOf(IntervalSchedule);
    expect((e.schedule as IntervalSchedule).seconds).toBe(120);
    expect((e.schedule as IntervalSchedule).relative).toBe(true);
  });

  it('gives crontabs the app time zone unless they have their own', () => {
    const own = new Crontab({ hour: 9, timezone: 'Asia/Tokyo' });
    expect((new ScheduleEntry('a', { task: 't', schedule: new Crontab({ hour: 9 }) }, seen, 'Europe/Paris').schedule as Crontab).timezone).toBe('Europe/Paris');
    expect((new ScheduleEntry('b', { task: 't', schedule: own }, seen, 'Europe/Paris').schedule as Crontab).timezone).toBe('Asia/Tokyo');
  });

  it('rejects entries without a task or with an unreadable schedule, naming the entry', () => {
    expect(() => new ScheduleEntry('x', { task: '', schedule: 1 }, seen)).toThrow(ScheduleEntryError);
    expect(() => new ScheduleEntry('x', { task: 't', schedule: 'often' }, seen)).toThrow(/beat_schedule\["x"\]/);
    expect(() => new ScheduleEntry('x', { task: 't', schedule: {} as never }, seen)).toThrow(ScheduleEntryError);
  });
});
