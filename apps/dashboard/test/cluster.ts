/**
 * A live cluster for the dashboard tests on Redis DB 4 (elsewhere only a result backend, never flushed): a real
 * `cq worker -E` (threads pool, so revoke can terminate) and a real Python Celery 5.2 worker
 * (`-E`, solo pool), each on a queue of its own named after the run, plus a client app. `stop()`
 * stops both workers and removes what the run left in Redis (queues, pidbox bindings, results).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Celery } from '@cq/celery';
import { cqWorker, requireCommand, requirePython, spawnTracked, stopTracked, waitFor } from '@cq/tooling/testing';

export const REDIS = 'redis://127.0.0.1:6379/4';
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface Cluster {
  /** Unique to the run; in every queue and worker name. */
  suffix: string;
  pyQueue: string;
  cqQueue: string;
  /** Node names of the workers. */
  pyWorker: string;
  cqWorker: string;
  /** A client of the cluster's broker and backend. */
  client: Celery;
  /** Ids of the tasks the test made: their results are deleted by `stop()`. */
  taskIds: string[];
  stop(): Promise<void>;
}

/** Starts a Python worker of test/fixtures/dash_tasks.py; resolves once it logged `ready.`. */
async function startPythonWorker(name: string, queue: string): Promise<ChildProcess & { log: string[] }> {
  const child = spawnTracked(requirePython(['celery', 'redis']), ['-m', 'celery', '-A', 'dash_tasks', 'worker', '-P', 'solo', '-E', '-Q', queue, '-n', name,
    '-l', 'info', '--without-mingle', '--without-gossip'], {
    cwd: fixtures, env: { ...process.env, DASH_BROKER: REDIS, DASH_BACKEND: REDIS }, stdio: ['ignore', 'pipe', 'pipe'],
  }) as ChildProcess & { log: string[] };
  child.log = [];
  child.stdout!.on('data', (d: Buffer) => child.log.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => child.log.push(d.toString()));
  try {
    await waitFor(() => child.log.join('').includes('ready.') || child.exitCode !== null, 30_000, () => `python worker did not start:\n${child.log.join('')}`);
    if (child.exitCode !== null) throw new Error(`python worker exited:\n${child.log.join('')}`);
  } catch (err) {
    await stopTracked(child);
    throw err;
  }
  return child;
}

/** Deletes the keys of Redis DB 4 whose name holds `suffix`, and the members of binding sets that do. */
function removeRedisLeftovers(suffix: string, taskIds: readonly string[]): void {
  const cli = requireCommand('redis-cli', 'redis-tools');
  const run = (...args: string[]): string => execFileSync(cli, ['-n', '4', ...args], { encoding: 'utf8' });
  const keys = run('--scan', '--pattern', `*${suffix}*`).split('\n').filter(Boolean);
  for (const key of [...keys, ...taskIds.map((id) => `celery-task-meta-${id}`)]) run('DEL', key);
  for (const set of run('--scan', '--pattern', '_kombu.binding.*').split('\n').filter(Boolean)) {
    const members = run('SMEMBERS', set).split('\n').filter((m) => m.includes(suffix));
    for (const member of members) run('SREM', set, member);
  }
}

/** Starts both workers (in parallel) and the client; `tag` names the test file in queue and worker names. */
export async function startCluster(tag: string): Promise<Cluster> {
  const suffix = `${tag}-${randomUUID().slice(0, 8)}`;
  const host = os.hostname();
  const names = { pyQueue: `dash.${suffix}.py`, cqQueue: `dash.${suffix}.cq`, pyWorker: `dash-py-${suffix}@${host}`, cqWorker: `dash-cq-${suffix}@${host}` };
  const client = new Celery('dash-client', { task_send_sent_event: true }).configure({ brokerUrl: REDIS, resultBackend: REDIS });
  const taskIds: string[] = [];
  const started = await Promise.allSettled([
    startPythonWorker(names.pyWorker, names.pyQueue),
    cqWorker(['-A', path.join(fixtures, 'app.ts'), '-b', REDIS, '--result-backend', REDIS, '-P', 'threads', '-c', '2', '-E', '-n', names.cqWorker,
      '-Q', names.cqQueue, '--no-banner', '--without-mingle', '--without-gossip', '-l', 'info']),
  ]);
  const procs = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => {
    for (const proc of procs) await stopTracked(proc);
    await client.close();
    removeRedisLeftovers(suffix, taskIds);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { suffix, ...names, client, taskIds, stop };
}

/** A small Prometheus text-format parser: `{ name: [{ labels, value }] }` plus each family's TYPE. */
export function parsePrometheus(text: string): { samples: Map<string, { labels: Record<string, string>; value: number }[]>; types: Map<string, string> } {
  const samples = new Map<string, { labels: Record<string, string>; value: number }[]>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('#')) {
      if (!/^# HELP \S+ /.test(line)) throw new Error(`bad comment line: ${line}`);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)"/g)) labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    const list = samples.get(m[1]!) ?? [];
    list.push({ labels, value });
    samples.set(m[1]!, list);
  }
  return { samples, types };
}
