/**
 * What the drain benchmarks (`run.ts`, `scale-out.ts`) share: waiting for a worker's banner, stopping
 * it, reading a process's CPU time from `/proc`, and the drain rate read back from the result backend.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseIsoDate, type Backend, type TaskMeta } from './deps.js';

/**
 * Resolves once `child` (a `cq worker` with stdout piped) printed its banner, plus 300 ms for the
 * consumer to attach (the banner comes just before it starts).
 * @throws Error when the worker exits first.
 */
export function untilBanner(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let banner = '';
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code}`));
    const onData = (d: Buffer) => {
      banner += d.toString();
      if (banner.includes('[tasks]')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        setTimeout(() => {
          child.off('exit', onExit);
          resolve();
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
