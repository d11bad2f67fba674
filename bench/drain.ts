/**
 * What the drain benchmarks (`run.ts`, `scale-out.ts`) share: waiting for a worker's banner, stopping
 * it, reading a process's CPU time from `/proc`, and the drain rate read back from the result backend.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parseIsoDate, type Backend, type TaskMeta } from './deps.js';

/**
 * Resolves once `child` (a `cq worker`, or a Celery worker, with stdout piped) printed `marker` (a line of
 * its banner: cq's `[tasks]`, Celery's `[queues]`, which it prints at any log level), plus
 * 300 ms for the consumer to attach (the banner comes just before it starts), with the CPU seconds of the
 * child and its descendants read the moment the banner was seen (the worker may already consume during
 * those 300 ms, so a CPU count from then on would leave its first tasks out).
 * @throws Error when the worker exits first.
 */
export function untilBanner(child: ChildProcess, marker = '[tasks]'): Promise<{ cpuAtBanner: number }> {
  return new Promise((resolve, reject) => {
    let banner = '';
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code}`));
    const onData = (d: Buffer) => {
      banner += d.toString();
      if (banner.includes(marker)) {
        const cpuAtBanner = treeCpuSeconds(child.pid!);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        setTimeout(() => {
          child.off('exit', onExit);
          resolve({ cpuAtBanner });
        }, 300);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGTERM to `child`; resolves once it has exited. */
export async function stop(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** User + system CPU seconds of a process so far (Linux `/proc/<pid>/stat`, clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * User + system CPU seconds of `pid` and of every live descendant (a prefork pool's children, PostgreSQL's
 * per-connection backends), from `/proc`. Children that exited are left out.
 */
export function treeCpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
    } catch {
      continue; // exited meanwhile
    }
    const p = Number(entry);
    const ppid = Number(fields[1]);
    cpu.set(p, (Number(fields[11]) + Number(fields[12])) / 100);
    children.set(ppid, [...(children.get(ppid) ?? []), p]);
  }
  let sum = 0;
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop()!;
    sum += cpu.get(p) ?? 0;
    todo.push(...(children.get(p) ?? []));
  }
  return sum;
}

const BROKER_PORTS: Record<string, string> = { 'redis:': '6379', 'amqp:': '5672', 'pyamqp:': '5672', 'postgresql:': '5432', 'postgres:': '5432', 'sqla+postgresql:': '5432' };

/**
 * The pid of the local server listening for broker `url` (Redis, RabbitMQ, PostgreSQL on 127.0.0.1 /
 * localhost), found with `ss -ltnp`; undefined for embedded or remote brokers or when `ss` cannot tell.
 * Its CPU ({@link treeCpuSeconds}) includes whatever else uses the same server meanwhile.
 */
export function brokerPid(url: string): number | undefined {
  let u: URL;
  try {
    u = new URL(url.split(';')[0]!);
  } catch {
    return undefined;
  }
  const port = u.port || BROKER_PORTS[u.protocol];
  if (!port || !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return undefined;
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    return pid > 0 && pid !== process.pid ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until every task of `ids` is SUCCESS in `backend` (read 10,000 at a time, every 50 ms), then returns the
 * drain time in seconds: last `date_done` − first `date_done` (at least 1 ms), and every `date_done`
 * (ms since epoch), sorted.
 */
export async function drainSeconds(backend: Backend, ids: readonly string[]): Promise<{ seconds: number; done: number[] }> {
  // Read in slices of 10,000: one MGET of 100,000 keys breaks ioredis's auto-pipelining.
  const readAll = async () => {
    const metas: TaskMeta[] = [];
    for (let i = 0; i < ids.length; i += 10_000) metas.push(...(await backend.getManyTaskMeta(ids.slice(i, i + 10_000))));
    return metas;
  };
  let metas = await readAll();
  while (metas.some((m) => m.status !== 'SUCCESS')) {
    await new Promise((r) => setTimeout(r, 50));
    metas = await readAll();
  }
  const done = metas.map((m) => parseIsoDate(m.date_done!).getTime()).sort((a, b) => a - b);
  return { seconds: Math.max(0.001, (done[done.length - 1]! - done[0]!) / 1000), done };
}

/** Calls `send(i)` for i = 0 … n−1, awaited in batches of 1,000; returns the task ids in order. */
export async function publishMany(n: number, send: (i: number) => Promise<{ id: string }>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch = await Promise.all(Array.from({ length: Math.min(1000, n - i) }, (_, j) => send(i + j)));
    for (const r of batch) ids.push(r.id);
  }
  return ids;
}
