/**
 * The dashboard's event capture across broker outages, on a private redis-server (not the shared
 * one) that the test stops and starts again on the same port while a real `cq worker -E` sends
 * events: the outage and the recovery are each logged once, and the events of tasks run after the
 * restart are recorded. Then a dashboard started while the broker is down serves the kept history
 * at once and starts recording when the broker comes up (Celery's retry on startup).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, type Logger } from '@cq/celery';
import { Dashboard } from '@cq/dashboard';
import { cqWorker, PrivateRedis, stopTracked, waitFor, type CqProcess } from '@cq/tooling/testing';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-dashboard-reconnect-'));
const db = path.join(dir, 'dashboard.db');
const suffix = randomUUID().slice(0, 8);
const queue = `dash.reconnect.${suffix}`;

let redis: PrivateRedis;
let worker: CqProcess | null = null;
let client: Celery;
const apps: Celery[] = [];
const dashboards: Dashboard[] = [];

/** A logger that keeps `[level, message]` lines (any method; `child()` returns itself). */
function recordingLogger(lines: [string, string][]): Logger {
  const logger: Logger = new Proxy({} as Logger, {
    get: (_target, level) => (...args: unknown[]) => {
      if (level === 'child') return logger;
      lines.push([String(level), args.filter((a) => typeof a === 'string').join(' ')]);
      return undefined;
    },
  });
  return logger;
}

/** A dashboard on the private broker whose app logs into `lines`. */
async function startDashboard(lines: [string, string][]): Promise<Dashboard> {
  const app = new Celery(`dash-reconnect-${apps.length}`).configure({ brokerUrl: redis.url });
  app.log = recordingLogger(lines);
  apps.push(app);
  const dashboard = await Dashboard.start(app, { port: 0, db, enableEvents: false, inspectTimeout: 1 });
  dashboards.push(dashboard);
  return dashboard;
}

/** Sends `dash.ts.add` to the worker's queue; null while the broker refuses. */
async function send(x: number): Promise<string | null> {
  try {
    return (await client.sendTask('dash.ts.add', [x, x], { queue })).id;
  } catch {
    return null;
  }
}

/** Sends tasks every 300 ms until one of them is recorded as SUCCESS; returns its id. */
async function untilOneRecorded(dashboard: Dashboard, timeoutMs: number): Promise<string> {
  const sent: string[] = [];
  let done: string | undefined;
  await waitFor(async () => {
    const id = await send(sent.length);
    if (id) sent.push(id);
    await dashboard.recorder.flush();
    for (const candidate of sent) if ((await dashboard.store.task(candidate))?.state === 'SUCCESS') done = candidate;
    if (!done) await new Promise((r) => setTimeout(r, 300));
    return done !== undefined;
  }, timeoutMs, () => `none of ${sent.length} tasks sent was recorded as SUCCESS`);
  return done!;
}

const count = (lines: [string, string][], level: string, pattern: RegExp): number => lines.filter(([l, m]) => l === level && pattern.test(m)).length;

beforeAll(async () => {
  // appendonly: the worker's queue bindings survive the restarts, as on a production Redis.
  redis = await PrivateRedis.start({ appendonly: true });
  client = new Celery('dash-reconnect-client').configure({ brokerUrl: redis.url });
  worker = await cqWorker(['-A', path.join(fixtures, 'app.ts'), '-b', redis.url, '-P', 'async', '-c', '4', '-E', '-Q', queue,
    '-n', `dash-reconnect-${suffix}@${os.hostname()}`, '--no-banner', '--without-mingle', '--without-gossip', '-l', 'info']);
}, 60_000);

afterAll(async () => {
  for (const dashboard of dashboards) await dashboard.close();
  if (worker) await stopTracked(worker);
  await client?.close();
  for (const app of apps) await app.close();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('event capture across a broker outage', () => {
  it('logs the outage and the recovery once each, and records the tasks run after the restart', async () => {
    const lines: [string, string][] = [];
    const dashboard = await startDashboard(lines);
    const before = await untilOneRecorded(dashboard, 30_000);
    expect(dashboard.recorder.receiving).toBe(true);

    await redis.stop();
    await waitFor(() => count(lines, 'error', /lost the broker redis:\/\/127\.0\.0\.1/) > 0, 20_000, () => `no outage logged: ${JSON.stringify(lines)}`);
    expect(dashboard.recorder.receiving).toBe(false);
    await new Promise((r) => setTimeout(r, 3000)); // a few reconnect attempts fail meanwhile
    await redis.start();
    await waitFor(() => count(lines, 'warn', /reconnected to the broker/) > 0, 45_000, () => `no recovery logged: ${JSON.stringify(lines)}`);

    const after = await untilOneRecorded(dashboard, 60_000);
    expect(after).not.toBe(before);
    const events = (await dashboard.store.taskEvents(after)).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['task-received', 'task-started', 'task-succeeded']));
    expect(count(lines, 'error', /lost the broker/)).toBe(1);
    expect(count(lines, 'warn', /reconnected to the broker .* after \d+\.\d s \(\d+ attempts?\); recording again/)).toBe(1);
    expect(lines.filter(([, m]) => /gave up/.test(m))).toEqual([]);
    expect(dashboard.recorder.receiving).toBe(true);
    await dashboard.close();
  }, 150_000);

  it('starts while the broker is down, serves the kept history, and records once the broker is up', async () => {
    await redis.stop();
    const lines: [string, string][] = [];
    const dashboard = await startDashboard(lines);
    expect(count(lines, 'error', /lost the broker/)).toBe(1);
    const listed = (await (await fetch(`${dashboard.url}/api/tasks?limit=5`)).json()) as Record<string, { state: string }>;
    expect(Object.values(listed).length).toBeGreaterThan(0);
    expect(Object.values(listed).every((t) => t.state === 'SUCCESS')).toBe(true);

    await redis.start();
    await waitFor(() => count(lines, 'warn', /reconnected to the broker/) > 0, 45_000, () => `no recovery logged: ${JSON.stringify(lines)}`);
    await untilOneRecorded(dashboard, 60_000);
    expect(count(lines, 'error', /lost the broker/)).toBe(1);
    expect(count(lines, 'warn', /reconnected/)).toBe(1);
  }, 150_000);
});
