import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BeatScheduleSetting, ScheduleEntry } from './entry.js';
import { ScheduleEntryError } from './errors.js';
import { Scheduler } from './scheduler.js';
import { crontab } from './schedules/crontab.js';
import { solar } from './schedules/solar.js';
import { SqliteScheduleStore, type ScheduleStore } from './store.js';

/** A fake clock and a sender that records what was sent, and when. */
function harness(startIso: string) {
  const clock = { t: new Date(startIso).getTime() };
  const sent: Array<{ name: string; at: string; args: unknown[]; queue: string | undefined }> = [];
  const send = async (e: ScheduleEntry) => {
    const queue = e.applyOptions().queue;
    sent.push({ name: e.name, at: new Date(clock.t).toISOString(), args: e.args, queue: typeof queue === 'string' || queue === undefined ? queue : queue.name });
  };
  return { clock, sent, send, now: () => new Date(clock.t) };
}

/** Runs the scheduler as the beat loop does, sleeping what tick() returns, until `untilIso`. */
async function runUntil(s: Scheduler, clock: { t: number }, untilIso: string): Promise<void> {
  const end = new Date(untilIso).getTime();
  while (clock.t < end) {
    const wait = await s.tick();
    clock.t = Math.min(end, clock.t + Math.max(Math.round(wait * 1000), 1));
  }
}

const names = <T extends { name: string }>(sent: T[], name: string): T[] => sent.filter((s) => s.name === name);

describe('Scheduler with a fake clock: a simulated week', () => {
  it('fires exactly the expected runs in UTC (Mon 2024-03-04 .. Mon 2024-03-11)', async () => {
    const h = harness('2024-03-04T00:00:00Z');
    const schedule: BeatScheduleSetting = {
      hourly: { task: 'proj.tick', schedule: 3600, args: [1], options: { queue: 'periodic' } },
      weekdays9: { task: 'proj.report', schedule: crontab({ minute: 0, hour: 9, day_of_week: 'mon-fri' }) },
      sundayQuarters: { task: 'proj.sunday', schedule: crontab({ minute: '*/15', hour: '10-11', day_of_week: 'sun' }) },
      monthEnd: { task: 'proj.month', schedule: crontab({ minute: 0, hour: 0, day_of_month: '28-31', month_of_year: 3 }) },
      sunset: { task: 'proj.lights', schedule: solar('sunset', 51.5074, -0.1278) },
    };
    const s = new Scheduler({ send: h.send, schedule, now: h.now });
    await runUntil(s, h.clock, '2024-03-11T00:00:00Z');

    const hourly = names(h.sent, 'hourly');
    expect(hourly).toHaveLength(167); // 01:00 Monday .. 23:00 Sunday
    expect(hourly[0]).toEqual({ name: 'hourly', at: '2024-03-04T01:00:00.000Z', args: [1], queue: 'periodic' });
    expect(hourly.at(-1)!.at).toBe('2024-03-10T23:00:00.000Z');
    expect(names(h.sent, 'weekdays9').map((x) => x.at)).toEqual(
      ['04', '05', '06', '07', '08'].map((d) => `2024-03-${d}T09:00:00.000Z`),
    );
    expect(names(h.sent, 'sundayQuarters').map((x) => x.at)).toEqual(
      ['10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30', '11:45'].map((t) => `2024-03-10T${t}:00.000Z`),
    );
    expect(names(h.sent, 'monthEnd')).toHaveLength(0);
    const sunsets = names(h.sent, 'sunset');
    expect(sunsets).toHaveLength(7);
    // Each within a minute after that day's sunset (17:49 GMT on 4 March .. 18:00 on 10 March).
    for (const [i, run] of sunsets.entries()) {
      expect(run.at.slice(0, 10)).toBe(`2024-03-${String(4 + i).padStart(2, '0')}`);
      expect(run.at.slice(11, 13)).toMatch(/^1[78]$/);
    }
    const hourlyEntry = s.entries.get('hourly')!;
    expect(hourlyEntry.totalRunCount).toBe(167);
  });

  it('reads crontabs in the app time zone across a DST change (America/New_York, week of 10 March 2024)', async () => {
    const h = harness('2024-03-04T05:00:00Z'); // Monday 00:00 EST
    const s = new Scheduler({
      send: h.send, now: h.now, timezone: 'America/New_York',
      schedule: {
        daily9: { task: 'proj.daily', schedule: crontab({ minute: 0, hour: 9 }) },
        at0230: { task: 'proj.gap', schedule: crontab({ minute: 30, hour: 2 }) },
        hourly: { task: 'proj.tick', schedule: '1h' },
      },
    });
    await runUntil(s, h.clock, '2024-03-11T04:00:00Z'); // Monday 00:00 EDT: 167 hours later
    expect(names(h.sent, 'daily9').map((x) => x.at)).toEqual([
      '2024-03-04T14:00:00.000Z', '2024-03-05T14:00:00.000Z', '2024-03-06T14:00:00.000Z', '2024-03-07T14:00:00.000Z',
      '2024-03-08T14:00:00.000Z', '2024-03-09T14:00:00.000Z', '2024-03-10T13:00:00.000Z',
    ]);
    // 02:30 does not exist on 10 March: it runs at 03:30 EDT (07:30Z), once.
    expect(names(h.sent, 'at0230').map((x) => x.at).slice(4)).toEqual(['2024-03-08T07:30:00.000Z', '2024-03-09T07:30:00.000Z', '2024-03-10T07:30:00.000Z']);
    expect(names(h.sent, 'hourly')).toHaveLength(166);
  });
});

describe('Scheduler: persisted state across restarts', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  const open = (h: ReturnType<typeof harness>, schedule: BeatScheduleSetting, extra: { timezone?: string } = {}) => {
    dir ??= mkdtempSync(path.join(os.tmpdir(), 'cq-beat-'));
    const store = new SqliteScheduleStore(path.join(dir, 'beat.db'));
    return { store, s: new Scheduler({ send: h.send, now: h.now, schedule, store, ...extra }) };
  };
  const every60: BeatScheduleSetting = { e: { task: 'proj.e', schedule: 60 } };

  it('a restart before the next run neither repeats nor skips it', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const a = open(h, every60);
    await runUntil(a.s, h.clock, '2024-01-01T00:01:30Z'); // ran at 00:01
    a.store.close();
    const b = open(h, every60);
    await b.s.open();
    expect(b.s.entries.get('e')!.lastRunAt.toISOString()).toBe('2024-01-01T00:01:00.000Z');
    expect(b.s.entries.get('e')!.totalRunCount).toBe(1);
    await runUntil(b.s, h.clock, '2024-01-01T00:03:30Z');
    expect(h.sent.map((x) => x.at)).toEqual(['2024-01-01T00:01:00.000Z', '2024-01-01T00:02:00.000Z', '2024-01-01T00:03:00.000Z']);
    expect(b.s.entries.get('e')!.totalRunCount).toBe(3);
    b.store.close();
  });

  it('runs missed slots once at start-up, as Celery does, then follows the schedule', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const cron: BeatScheduleSetting = { e: { task: 'proj.e', schedule: 60 }, c: { task: 'proj.c', schedule: crontab({ minute: '*/10' }) } };
    const a = open(h, cron);
    await runUntil(a.s, h.clock, '2024-01-01T00:10:30Z');
    a.store.close();
    const before = h.sent.length;
    h.clock.t = new Date('2024-01-01T01:05:00Z').getTime(); // down for 55 minutes
    const b = open(h, cron);
    await runUntil(b.s, h.clock, '2024-01-01T01:10:30Z');
    const after = h.sent.slice(before);
    expect(after.filter((x) => x.name === 'e').map((x) => x.at.slice(11, 19))).toEqual(['01:05:00', '01:06:00', '01:07:00', '01:08:00', '01:09:00', '01:10:00']);
    expect(after.filter((x) => x.name === 'c').map((x) => x.at.slice(11, 19))).toEqual(['01:05:00', '01:10:00']);
    b.store.close();
  });

  it('resets the state when the time zone changed, and drops state of entries no longer configured', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const a = open(h, { e: { task: 'proj.e', schedule: 60 }, gone: { task: 'proj.gone', schedule: 60 } });
    await a.s.open();
    expect([...a.store.load().keys()].sort()).toEqual(['e', 'gone']); // written at set-up, as Celery syncs
    a.store.save('e', { lastRunAt: new Date('2023-12-31T00:00:00Z'), totalRunCount: 5 });
    a.store.close();
    const b = open(h, every60);
    await b.s.open();
    expect(b.s.entries.get('e')!.totalRunCount).toBe(5);
    expect([...b.store.load().keys()]).toEqual(['e']);
    b.store.close();
    const c = open(h, every60, { timezone: 'Europe/Paris' });
    await c.s.open();
    expect(c.s.entries.get('e')!.totalRunCount).toBe(0);
    c.store.close();
  });

  it('a new entry not yet run is stored at set-up: a restart before its first run neither skips nor delays it', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const a = open(h, every60);
    await a.s.open();
    a.store.close();
    h.clock.t = new Date('2024-01-01T00:00:40Z').getTime(); // restarted 40 s later, before the first run
    const b = open(h, every60);
    await runUntil(b.s, h.clock, '2024-01-01T00:01:30Z');
    expect(h.sent.map((x) => x.at)).toEqual(['2024-01-01T00:01:00.000Z']);
    b.store.close();
  });

  it('a failed state write sends nothing and skips nothing: the entry is sent once the store works again', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    let failing = false;
    const saved: string[] = [];
    const store: ScheduleStore = {
      load: async () => new Map(), remove: async () => {}, clear: async () => {}, getMeta: async () => null, setMeta: async () => {}, close: () => {},
      save: async (name, state) => {
        if (failing) throw new Error('database down');
        saved.push(`${name}@${state.lastRunAt.toISOString()}`);
      },
    };
    const s = new Scheduler({ send: h.send, now: h.now, schedule: every60, store });
    await s.tick();
    failing = true;
    h.clock.t = new Date('2024-01-01T00:01:00Z').getTime();
    await expect(s.tick()).rejects.toThrow('database down');
    expect(h.sent).toEqual([]);
    expect(s.entries.get('e')!.totalRunCount).toBe(0);
    failing = false;
    h.clock.t += 1_000;
    await s.tick();
    expect(h.sent.map((x) => x.at)).toEqual(['2024-01-01T00:01:01.000Z']);
    expect(saved.at(-1)).toBe('e@2024-01-01T00:01:01.000Z');
  });
});

describe('Scheduler API: entries added, changed and removed at run time', () => {
  it('add, update (keeps state), remove take effect at the next tick', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const s = new Scheduler({ send: h.send, now: h.now, maxInterval: 5 });
    expect(await s.tick()).toBe(5); // nothing scheduled: sleep the max interval
    s.add('a', { task: 'proj.a', schedule: 10, kwargs: { x: 1 } });
    await runUntil(s, h.clock, '2024-01-01T00:00:25Z');
    expect(names(h.sent, 'a').map((x) => x.at.slice(17, 19))).toEqual(['10', '20']);
    s.update('a', { task: 'proj.a2', schedule: 30 });
    expect(s.entries.get('a')!.totalRunCount).toBe(2);
    await runUntil(s, h.clock, '2024-01-01T00:01:00Z');
    expect(names(h.sent, 'a').map((x) => x.at.slice(14, 19))).toEqual(['00:10', '00:20', '00:50']);
    expect(s.remove('a')).toBe(true);
    await runUntil(s, h.clock, '2024-01-01T00:03:00Z');
    expect(h.sent).toHaveLength(3);
    expect(() => s.update('nope', { task: 'x', schedule: 1 })).toThrow(ScheduleEntryError);
    expect(() => s.add('bad', { task: '', schedule: 1 })).toThrow(ScheduleEntryError);
  });

  it('tick() sleeps at most beat_max_loop_interval, and a failed send is logged and not repeated at once', async () => {
    const h = harness('2024-01-01T00:00:00Z');
    const errors: string[] = [];
    const s = new Scheduler({
      now: h.now, maxInterval: 7,
      send: async () => { throw new Error('broker down'); },
      schedule: { e: { task: 'proj.e', schedule: 3600 } },
      log: { info() {}, warn() {}, debug() {}, error: (m) => errors.push(m) },
    });
    expect(await s.tick()).toBe(7);
    h.clock.t += 3600_000;
    expect(await s.tick()).toBe(7);
    expect(errors).toEqual(["Message Error: Couldn't apply scheduled task e: broker down"]);
    expect(s.entries.get('e')!.totalRunCount).toBe(1);
  });
});
