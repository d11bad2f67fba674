/**
 * The many-hosts scenario of cq issue 17: a `cq worker` on one host consumes acks_late tasks from a
 * quorum queue of a broker cluster, a publisher on another host publishes them with confirms at a
 * steady pace, and a broker node is killed while both are busy. Both run `fixtures/cluster-app.ts`;
 * each run and each confirm is a line in a file (the hosts share this machine's file system), so the
 * counts do not depend on the brokers being killed.
 *
 * "Recovered" is measured from the kill to the first run of a task whose publish began after the
 * killed node was dead (`kill` resolved; so it cannot have been delivered over that node): the whole
 * path, publisher → surviving nodes → worker, works again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { cqWorker, exited, repoRoot, stopTracked, waitFor, type CqProcess, type Host } from '@cq/tooling/testing';
import { stopWorker } from './restart-under-load.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const app = path.join(here, 'fixtures/cluster-app.ts');
const publisherScript = path.join(here, 'fixtures/cluster-publisher.ts');

export interface ClusterKillOptions {
  /** The host of the worker, and its `;`-separated broker list (the node to kill first, so that it is the one in use). */
  worker: { host: Host; broker: string };
  /** The host of the publisher, and its broker list. */
  publisher: { host: Host; broker: string };
  /** Called once under load, before `kill`, with the queue's name: to look at what is about to be killed. */
  beforeKill?: (queue: string) => Promise<void>;
  /** Called once, under load (a third of the tasks confirmed, some run); resolves once the node is dead. */
  kill: () => Promise<void>;
  /** Called once every confirmed task ran (or the wait gave up), while the worker still runs. */
  afterDrain?: (queue: string) => Promise<void>;
  /** Tasks to publish. Default 3000. */
  total?: number;
  /** Publishing is spread over this many ms. Default 10 000 (300/s: the worker can run about twice that). */
  paceMs?: number;
  /** Publishes in flight at once. Default 4. */
  lanes?: number;
  /** How long each task sleeps, in ms. Default 10. */
  taskMs?: number;
  /** `cq worker -c`. Default 8; the prefetch is 4 × this (Celery's default multiplier). */
  concurrency?: number;
  /** More environment for the worker and the publisher (`fixtures/cluster-app.ts` reads the broker's transport options from it). */
  env?: Record<string, string>;
}

export interface ClusterKillOutcome {
  queue: string;
  total: number;
  /** Task numbers whose publish was confirmed. */
  confirmed: number[];
  /** `<n> FAILED <error>` lines of publishes that rejected. */
  failed: string[];
  /** Runs recorded, and the distinct task numbers among them. */
  executions: number;
  ran: number;
  /** executions − ran: runs of a task that had run already. */
  duplicates: number;
  /** Confirmed task numbers that never ran, lowest first. */
  missing: number[];
  /** Messages the worker may hold unacknowledged (prefetch), plus publishes in flight: the bound on duplicates. */
  inFlightBound: number;
  confirmedBeforeKill: number;
  ranBeforeKill: number;
  ranAfterKill: number;
  /** How long `kill` took, in ms. */
  killMs: number;
  /** Kill → first run of a task whose publish began once the node was dead, in ms (null: none ran). */
  recoveredMs: number | null;
  /** The longest wait for a confirm, and for a run, from the kill to the end of the run, in ms. */
  longestConfirmGapMs: number;
  longestRunGapMs: number;
  /** Whether the worker was up when every confirmed task had run; how it exited on SIGTERM then. */
  workerAlive: boolean;
  workerExit: { code: number | null; ms: number };
  /** How the publisher exited. */
  publisherExit: number | null;
  workerLog: string;
  publisherLog: string;
}

/** One `<n> <ms> [<sent ms>]` line per event (a run, a confirm); other lines (FAILED) are left out. */
function readEvents(file: string): Array<{ n: number; at: number; sentAt: number }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    const [n, at, sentAt] = line.split(' ');
    return n && at && /^\d+$/.test(at) ? [{ n: Number(n), at: Number(at), sentAt: Number(sentAt ?? at) }] : [];
  });
}

/** The longest stretch in [from, until] (ms) without one of `times`. */
function longestGap(times: number[], from: number, until: number): number {
  let longest = 0;
  let last = from;
  for (const t of [...times.filter((x) => x >= from && x <= until).sort((a, b) => a - b), until]) {
    longest = Math.max(longest, t - last);
    last = t;
  }
  return longest;
}

/** Runs the scenario. Always stops the worker and the publisher; leaves the brokers and hosts to the caller. */
export async function clusterUnderKill(options: ClusterKillOptions): Promise<ClusterKillOutcome> {
  const total = options.total ?? 3000;
  const lanes = options.lanes ?? 4;
  const concurrency = options.concurrency ?? 8;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-cluster-'));
  const runsLog = path.join(dir, 'runs.log');
  const confirmsLog = path.join(dir, 'confirms.log');
  const queue = `chaos.cluster.${randomUUID().slice(0, 8)}`;
  const env = { ...options.env, CQ_TEST_QUEUE: queue, CQ_TEST_LOG: runsLog };
  let worker: CqProcess | null = null;
  let publisher: CqProcess | null = null;
  try {
    worker = await cqWorker(['-A', app, '-b', options.worker.broker, '-P', 'async', '-c', String(concurrency), '-Q', queue, '-l', 'info',
      '--without-gossip', '--without-mingle', '--without-heartbeat'], env, 60_000, options.worker.host);
    const pubArgs = ['--conditions=@cq/source', '--import', 'tsx', publisherScript];
    publisher = options.publisher.host.spawn(process.execPath, pubArgs, {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env, ...env, CQ_BROKER_URL: options.publisher.broker, CQ_PUB_TOTAL: String(total), CQ_PUB_PACE_MS: String(options.paceMs ?? 10_000),
        CQ_PUB_LANES: String(lanes), CQ_PUB_TASK_MS: String(options.taskMs ?? 10), CQ_PUB_LOG: confirmsLog,
      },
    }) as CqProcess;
    const pub = publisher;
    pub.out = [];
    pub.err = [];
    pub.stdout!.on('data', (d: Buffer) => pub.out.push(d.toString()));
    pub.stderr!.on('data', (d: Buffer) => pub.err.push(d.toString()));
    const publisherDone = exited(pub);

    const w = worker;
    await waitFor(() => readEvents(confirmsLog).length >= total / 3 && readEvents(runsLog).length > 0, 40_000,
      () => `no load to kill under: ${readEvents(confirmsLog).length} confirmed, ${readEvents(runsLog).length} ran\n${pub.err.join('')}${w.err.join('').slice(-3000)}`);
    await options.beforeKill?.(queue);
    const confirmedBeforeKill = readEvents(confirmsLog).length;
    const ranBeforeKill = readEvents(runsLog).length;
    const killAt = Date.now();
    await options.kill();
    const killMs = Date.now() - killAt;

    let publisherExit: number | null = null;
    await Promise.race([publisherDone.then((code) => { publisherExit = code; }), new Promise((r) => setTimeout(r, 60_000))]);
    const confirms = readEvents(confirmsLog);
    const confirmed = [...new Set(confirms.map((c) => c.n))].sort((a, b) => a - b);
    await waitFor(() => { const ran = new Set(readEvents(runsLog).map((r) => r.n)); return confirmed.every((n) => ran.has(n)); }, 45_000)
      .catch(() => undefined);
    const drainedAt = Date.now();
    await options.afterDrain?.(queue);
    const runs = readEvents(runsLog);
    const ranSet = new Set(runs.map((r) => r.n));
    const sentAt = new Map(confirms.map((c) => [c.n, c.sentAt]));
    // Publishes that began once the node was dead (a publish begun while `kill` ran may have reached it).
    const afterKill = runs.filter((r) => (sentAt.get(r.n) ?? 0) > killAt + killMs).map((r) => r.at);
    const workerAlive = w.exitCode === null && w.signalCode === null;
    const workerExit = await stopWorker(w);
    return {
      queue, total, confirmed,
      failed: existsSync(confirmsLog) ? readFileSync(confirmsLog, 'utf8').split('\n').filter((l) => l.includes(' FAILED ')) : [],
      executions: runs.length, ran: ranSet.size, duplicates: runs.length - ranSet.size,
      missing: confirmed.filter((n) => !ranSet.has(n)),
      inFlightBound: concurrency * 4 + lanes,
      confirmedBeforeKill, ranBeforeKill, ranAfterKill: runs.filter((r) => r.at > killAt).length, killMs,
      recoveredMs: afterKill.length ? Math.min(...afterKill) - killAt : null,
      longestConfirmGapMs: longestGap(confirms.map((c) => c.at), killAt, Math.max(killAt, ...confirms.map((c) => c.at))),
      longestRunGapMs: longestGap(runs.map((r) => r.at), killAt, drainedAt),
      workerAlive, workerExit, publisherExit, workerLog: w.err.join(''), publisherLog: pub.err.join('') + pub.out.join(''),
    };
  } finally {
    if (publisher) await stopTracked(publisher);
    if (worker) await stopTracked(worker);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-line summary for the test output. */
export function summary(name: string, o: ClusterKillOutcome): string {
  return `${name}: ${o.confirmed.length}/${o.total} publishes confirmed (${o.failed.length} failed), ${o.ran} distinct ran in ${o.executions} runs `
    + `(${o.duplicates} duplicates, bound ${o.inFlightBound}), missing ${o.missing.length}${o.missing.length ? ` [${o.missing.slice(0, 10).join(', ')}]` : ''}; `
    + `node killed after ${o.confirmedBeforeKill} confirms and ${o.ranBeforeKill} runs (kill took ${o.killMs} ms); recovered in ${o.recoveredMs ?? '-'} ms `
    + `(longest wait for a confirm ${o.longestConfirmGapMs} ms, between runs ${o.longestRunGapMs} ms); ${o.ranAfterKill} runs after the kill; `
    + `worker exit ${o.workerExit.code} in ${o.workerExit.ms} ms, publisher exit ${o.publisherExit}`;
}

/**
 * What every case asserts: no publish failed and all were confirmed, every confirmed task ran (some
 * before the kill, some after), duplicates at most {@link ClusterKillOutcome.inFlightBound}, the
 * path recovered, and the worker and the publisher stayed up and exited 0.
 */
export function expectNothingLost(outcome: ClusterKillOutcome): void {
  expect(outcome.failed).toEqual([]);
  expect(outcome.confirmed.length).toBe(outcome.total);
  expect(outcome.ranBeforeKill).toBeGreaterThan(0);
  expect(outcome.missing, outcome.workerLog.slice(-3000)).toEqual([]);
  expect(outcome.duplicates, outcome.workerLog.slice(-3000)).toBeLessThanOrEqual(outcome.inFlightBound);
  expect(outcome.ranAfterKill).toBeGreaterThan(0);
  expect(outcome.recoveredMs).not.toBeNull();
  expect(outcome.workerAlive).toBe(true);
  expect(outcome.workerExit.code).toBe(0);
  expect(outcome.publisherExit).toBe(0);
}
