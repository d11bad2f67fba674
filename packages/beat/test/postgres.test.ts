/**
 * Beat on a PostgreSQL broker: the lock and the schedule state live in the database (rows of
 * `cq_lease_lock`, `cq_beat_entry`, `cq_beat_meta`), so beats on several machines share one lock,
 * never both send a run, and a beat moved to another machine (another working directory, no local
 * files) carries on: it neither repeats nor skips a run. In-process beats, and `cq beat` processes
 * started in empty working directories of their own.
 *
 * The server is the one on 127.0.0.1:5432 (trust auth, user postgres); this file works in a database
 * of its own, `cq_beat_pg`, created at the start and dropped at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { cqBin, exited, repoRoot, spawnTracked, stopTracked, waitFor } from '@cq/tooling/testing';
import { postgresTransport } from '@cq/transport-postgres';
import { Beat, type ScheduleEntry } from '../src/index.js';

const SERVER = process.env['CQ_TEST_POSTGRES'] ?? 'postgresql://postgres@127.0.0.1:5432';
const DB = 'cq_beat_pg';
const BROKER = `${SERVER}/${DB}`;
const fixture = fileURLToPath(new URL('./fixtures/pg-beat-app.ts', import.meta.url));
const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
const children: ChildProcess[] = [];

async function sql<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], database = DB): Promise<R[]> {
  const client = new pg.Client({ connectionString: `${SERVER}/${database}` });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await sql(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, [], 'postgres');
  await sql(`CREATE DATABASE ${DB}`, [], 'postgres');
});
afterAll(async () => {
  for (const child of children) await stopTracked(child);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await sql(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`, [], 'postgres');
});

/** A new empty directory: the working directory of one "machine". */
function machine(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-pg-'));
  dirs.push(dir);
  return dir;
}

/** The stored state of entry `name` in scope `scope`, or undefined. */
async function stored(scope: string, name = 'tick'): Promise<{ lastRunAt: number; count: number } | undefined> {
  const rows = await sql<{ last_run_at: Date; total_run_count: string }>('SELECT last_run_at, total_run_count FROM cq_beat_entry WHERE scope = $1 AND name = $2', [scope, name]);
  return rows[0] ? { lastRunAt: rows[0].last_run_at.getTime(), count: Number(rows[0].total_run_count) } : undefined;
}

/** Task ids of the messages waiting in `queue` (cq's tables). */
async function queued(queue: string): Promise<string[]> {
  const rows = await sql<{ payload: string }>('SELECT m.payload FROM cq_message m JOIN cq_queue q ON q.id = m.queue_id WHERE q.name = $1 ORDER BY m.id', [queue]);
  return rows.map((r) => String((JSON.parse(r.payload) as { headers: { id: string } }).headers.id));
}

describe('Beat in-process on postgresql://', () => {
  it('two beats: one holds the lock row and sends, the other stands by and takes over when it stops; the stored count is every send', async () => {
    const lockKey = `cqt.beat.lock.${randomUUID().slice(0, 8)}`;
    const sent: Array<{ who: string; at: number }> = [];
    const apps: Celery[] = [];
    const make = (who: string) => {
      const app = new Celery('pgbeat', {
        broker_url: BROKER, beat_lock_key: lockKey, beat_lock_timeout: 0.9,
        beat_schedule: { tick: { task: 'proj.tick', schedule: 0.2 } },
      }, { plugins: [postgresTransport()] });
      apps.push(app);
      return new Beat(app, { log: silent, send: async (_e: ScheduleEntry) => { sent.push({ who, at: Date.now() }); } });
    };
    const a = make('a');
    const b = make('b');
    try {
      void a.run();
      await waitFor(() => a.isActive, 15_000, () => 'beat a never took the lock');
      void b.run();
      await sleep(1_500);
      expect(a.isActive).toBe(true);
      expect(b.isActive).toBe(false);
      expect(sent.filter((s) => s.who === 'b')).toHaveLength(0);
      expect(sent.filter((s) => s.who === 'a').length).toBeGreaterThanOrEqual(3);
      const holder = await sql<{ owner: string }>('SELECT owner FROM cq_lease_lock WHERE name = $1', [lockKey]);
      expect(holder).toHaveLength(1);
      const stoppedAt = Date.now();
      await a.stop();
      await waitFor(() => b.isActive, 5_000, () => 'the standby did not take over');
      expect(Date.now() - stoppedAt).toBeLessThan(2_500); // released at stop: taken at b's next renewal (0.3 s), with slack
      await waitFor(() => sent.some((s) => s.who === 'b'), 5_000);
      expect(sent.filter((s) => s.who === 'a' && s.at > stoppedAt)).toHaveLength(0);
      await b.stop();
      expect((await stored(lockKey))?.count).toBe(sent.length); // each send was stored once, by whichever beat sent it
      expect(await sql('SELECT * FROM cq_lease_lock WHERE name = $1', [lockKey])).toEqual([]); // released at stop
    } finally {
      await a.stop();
      await b.stop();
      for (const app of apps) await app.close();
    }
  });
});

type BeatProcess = ChildProcess & { err: string[] };

/** `cq beat` for the fixture app, started in `dir` (its own working directory). */
function cqBeat(dir: string, env: Record<string, string>, banner = false): BeatProcess {
  const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', tsx, cqBin, 'beat', '-A', fixture, '-b', BROKER, '-l', 'info', ...(banner ? [] : ['--no-banner'])], {
    cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  }) as BeatProcess;
  child.err = [];
  child.stdout!.on('data', (d: Buffer) => child.err.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.err.push(d.toString()));
  children.push(child);
  return child;
}
const sends = (p: BeatProcess) => (p.err.join('').match(/Sending due task tick \(beat\.tick\)/g) ?? []).length;
const logged = (p: BeatProcess, text: string) => p.err.join('').includes(text);

describe('cq beat processes on postgresql://, each in an empty working directory', () => {
  it('SIGKILL of the active beat: the standby takes over within the lease; no run is sent twice', async () => {
    const run = randomUUID().slice(0, 8);
    const env = { CQ_TEST_BEAT_QUEUE: `cqt.pgbeat.q.${run}`, CQ_TEST_BEAT_EVERY: '1', CQ_TEST_BEAT_LOCK_TIMEOUT: '3', CQ_TEST_BEAT_LOCK_KEY: `cqt.pgbeat.lock.${run}` };
    const [dirA, dirB] = [machine(), machine()];
    const a = cqBeat(dirA, env);
    await waitFor(() => logged(a, 'holding the beat lock'), 60_000, () => `beat a did not start:\n${a.err.join('')}`);
    const b = cqBeat(dirB, env);
    await waitFor(() => logged(b, 'standing by'), 60_000, () => `beat b did not start:\n${b.err.join('')}`);
    await waitFor(() => sends(a) >= 3, 15_000, () => `beat a did not send:\n${a.err.join('')}`);
    expect(sends(b)).toBe(0);
    a.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(a);
    const sentByA = sends(a);
    await waitFor(() => logged(b, 'holding the beat lock'), 15_000, () => `the standby did not take over:\n${b.err.join('')}`);
    expect(Date.now() - killedAt).toBeLessThan(3_000 + 3_000); // the lease (3 s), with slack
    await waitFor(() => sends(b) >= 2, 15_000);
    b.kill('SIGTERM');
    expect(await exited(b)).toBe(0);
    const ids = await queued(env.CQ_TEST_BEAT_QUEUE);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(sentByA + sends(b));
    // The state b kept writing started from a's: one count for every message sent by either.
    expect((await stored(env.CQ_TEST_BEAT_LOCK_KEY))?.count).toBe(ids.length);
    expect([...readdirSync(dirA), ...readdirSync(dirB)]).toEqual([]); // nothing kept on the "machines"
  });

  it('a beat restarted on another machine neither repeats nor skips the next run', async () => {
    const run = randomUUID().slice(0, 8);
    const every = 6;
    const env = { CQ_TEST_BEAT_QUEUE: `cqt.pgbeat.r.${run}`, CQ_TEST_BEAT_EVERY: String(every), CQ_TEST_BEAT_LOCK_TIMEOUT: '3', CQ_TEST_BEAT_LOCK_KEY: `cqt.pgbeat.lock.r.${run}` };
    const [dirC, dirD] = [machine(), machine()];
    const c = cqBeat(dirC, env, true);
    await waitFor(() => sends(c) >= 1, 60_000, () => `beat c did not send:\n${c.err.join('')}`);
    // The banner names where the state is: the broker, not a local file.
    expect(c.err.join('')).toContain(`. db -> the broker (${BROKER})`);
    c.kill('SIGTERM');
    expect(await exited(c)).toBe(0);
    const first = await stored(env.CQ_TEST_BEAT_LOCK_KEY);
    expect(first?.count).toBe(1);

    const d = cqBeat(dirD, env);
    await waitFor(() => logged(d, 'holding the beat lock'), 60_000, () => `beat d did not start:\n${d.err.join('')}`);
    const activeAt = Date.now();
    await waitFor(() => sends(d) >= 1, 3 * every * 1000, () => `beat d did not send:\n${d.err.join('')}`);
    const second = await stored(env.CQ_TEST_BEAT_LOCK_KEY);
    expect(second?.count).toBe(2);
    // Not repeated: not before the run was due. Not skipped: at the due time, or at once if d came up later.
    expect(second!.lastRunAt - first!.lastRunAt).toBeGreaterThanOrEqual(every * 1000 - 100);
    expect(second!.lastRunAt).toBeLessThanOrEqual(Math.max(first!.lastRunAt + every * 1000, activeAt) + 1_500);
    d.kill('SIGTERM');
    expect(await exited(d)).toBe(0);
    expect(await queued(env.CQ_TEST_BEAT_QUEUE)).toHaveLength(2);
    expect([...readdirSync(dirC), ...readdirSync(dirD)]).toEqual([]);
  });
});
