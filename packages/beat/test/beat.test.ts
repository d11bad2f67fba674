/** Two Beat services on one SQLite state file: one sends, the other takes over when it stops. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Celery } from '@cq/app';
import { afterAll, describe, expect, it } from 'vitest';
import { Beat, scheduleFilename, type ScheduleEntry } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-svc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function makeBeat(sent: Array<{ who: string; at: number }>, who: string): Beat {
  const app = new Celery('beattest', {
    broker_url: `sqlite:///${dir}/broker.db`,
    beat_schedule: { tick: { task: 'proj.tick', schedule: 0.2 } },
    beat_lock_timeout: 0.9,
  });
  return new Beat(app, { log: silent, send: async (_e: ScheduleEntry) => { sent.push({ who, at: Date.now() }); } });
}

describe('Beat service', () => {
  it('keeps its state beside the embedded SQLite broker, or in beat_schedule_filename', () => {
    expect(scheduleFilename(new Celery('x', { broker_url: 'sqlite:///.cq/broker.db' }))).toBe(path.join('.cq', 'beat.db'));
    expect(scheduleFilename(new Celery('x', { broker_url: 'sqlite:////tmp/q/broker.db' }))).toBe('/tmp/q/beat.db');
    expect(scheduleFilename(new Celery('x', { broker_url: 'amqp://localhost' }))).toBe('.cq/beat.db');
    expect(scheduleFilename(new Celery('x', { beat_schedule_filename: '/tmp/s.db' }))).toBe('/tmp/s.db');
  });

  it('two beats on one lock: only one sends; when it stops the other takes over within the lease', async () => {
    const sent: Array<{ who: string; at: number }> = [];
    const a = makeBeat(sent, 'a');
    const b = makeBeat(sent, 'b');
    void a.run();
    await new Promise((r) => setTimeout(r, 100));
    void b.run();
    await new Promise((r) => setTimeout(r, 1500));
    expect(a.isActive).toBe(true);
    expect(b.isActive).toBe(false);
    expect(sent.filter((s) => s.who === 'b')).toHaveLength(0);
    const fromA = sent.filter((s) => s.who === 'a').length;
    expect(fromA).toBeGreaterThanOrEqual(2);
    expect(fromA).toBeLessThanOrEqual(9);
    const stoppedAt = Date.now();
    await a.stop();
    await new Promise((r) => setTimeout(r, 1500));
    const fromB = sent.filter((s) => s.who === 'b');
    expect(fromB.length).toBeGreaterThan(0);
    expect(fromB[0]!.at - stoppedAt).toBeLessThan(2500); // a renewal period (0.3 s), with generous slack
    expect(sent.filter((s) => s.who === 'a' && s.at > stoppedAt)).toHaveLength(0);
    await b.stop();
  });
});
