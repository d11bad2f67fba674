/**
 * The scenario of cq issue 5: a chord of many acks_late header parts (`chaos.chord.part`) and one
 * body (`chaos.chord.total`, fixture `fixtures/chord-app.ts`) runs on a `cq worker` process that is
 * SIGKILLed once a share of the header results is counted; a second worker then finishes the job.
 * Parts that had finished but were not acked run again on the second worker, with a different
 * result (it names the process): the chord must still fire its body exactly once, with every part
 * in group order, and leave no chord key behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Celery, Signature, chord } from '@cq/celery';
import { cq, exited, stopTracked, waitFor } from '@cq/tooling/testing';
import { partValue } from './fixtures/chord-app.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/chord-app.ts');

/** The few Redis commands the scenario reads through the result backend's own connection. */
export interface RawRedis {
  exists(...keys: string[]): Promise<number>;
  zcard(key: string): Promise<number>;
  zcount(key: string, min: number, max: number): Promise<number>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
  ttl(key: string): Promise<number>;
  get(key: string): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  llen(key: string): Promise<number>;
  hlen(key: string): Promise<number>;
}

export interface ChordUnderKillOptions {
  /** Broker URL (a private broker: the test deletes nothing on it). */
  broker: string;
  /** Redis result backend URL. */
  backend: string;
  /** Header parts. Default 1000. */
  size?: number;
  /**
   * The part after whose count the first worker is frozen (before its ack) and SIGKILLed, so at
   * least this part runs twice. Default 40% of `size`.
   */
  holdPart?: number;
  /** Extra worker arguments (pool, concurrency). Default `-P async -c 16`. */
  workerArgs?: string[];
  /** Extra environment of both workers (e.g. `CQ_CHAOS_VISIBILITY_TIMEOUT`). */
  workerEnv?: Record<string, string>;
  /** Resolves once every message of `queue` is acked (nothing ready or unacked). */
  drained: (queue: string, redis: RawRedis) => Promise<boolean>;
}

export interface ChordUnderKillOutcome {
  size: number;
  /** The held part (counted, not acked at the kill), header results counted in `.j` when the SIGKILL was sent, part runs logged by then. */
  holdPart: number;
  countedAtKill: number;
  ranAtKill: number;
  /** Part runs in all, distinct parts that ran, parts that ran more than once, and runs of the held part. */
  partRuns: number;
  distinctParts: number;
  rerunParts: number;
  holdRuns: number;
  /** Header parts that never ran. */
  missing: number[];
  /** One entry per body run: the part indexes it received, in order. */
  bodyRuns: number[][];
  /** The body's stored result, and the sum it should be. */
  bodyResult: unknown;
  expectedSum: number;
  /** `.t` and `.s` keys still in Redis once everything was acked. */
  leftoverKeys: string[];
  /**
   * Parts in a `.j` key found once everything was acked, and that key's TTL in seconds (-2 when
   * there is none). Only a repeat that ran after the chord completed writes one, as in Celery.
   */
  strayParts: number[];
  strayTtl: number;
  /** Parts that ran more than once. */
  rerun: number[];
  /** How the second worker ended on SIGTERM (exit code, null when killed). */
  secondExit: number | null;
  /** Both workers' logs, for failure messages. */
  log: string;
}

type WorkerProcess = ReturnType<typeof cq>;

/** Runs the scenario; always stops the workers, closes the client, and deletes its files and result keys. */
export async function chordUnderKill(options: ChordUnderKillOptions): Promise<ChordUnderKillOutcome> {
  const size = options.size ?? 1000;
  const holdPart = options.holdPart ?? Math.floor(size * 0.4);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-chaos-chord-'));
  const queue = `cqt.chaos.${randomUUID().slice(0, 8)}`;
  const partLog = path.join(dir, 'parts.log');
  const bodyLog = path.join(dir, 'body.log');
  const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  const env = { ...options.workerEnv, CQ_CHAOS_QUEUE: queue, CQ_CHAOS_PART_LOG: partLog, CQ_CHAOS_BODY_LOG: bodyLog };
  const workerArgs = options.workerArgs ?? ['-P', 'async', '-c', '16'];
  const start = async (name: string, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> => {
    const child = cq(['worker', '-A', fixture, '-b', options.broker, '--result-backend', options.backend, '-l', 'info', '-Q', queue,
      '-n', `${name}-${queue}@%h`, '--without-mingle', '--without-gossip', '--no-banner', ...workerArgs], { ...env, ...extraEnv });
    await waitFor(() => child.err.join('').includes('ready.'), 30_000, () => `worker ${name} did not start:\n${child.err.join('')}`).catch(async (err: unknown) => {
      await stopTracked(child);
      throw err;
    });
    return child;
  };

  const client = new Celery('chaos-chord-client', { task_default_queue: queue }).configure({ brokerUrl: options.broker, resultBackend: options.backend });
  const redis = (await client.backend() as unknown as { client: RawRedis }).client;
  const groupId = randomUUID();
  const groupKey = `celery-taskset-meta-${groupId}`;
  const chordKeys = [`${groupKey}.j`, `${groupKey}.t`, `${groupKey}.s`];
  const partIds: string[] = [];
  const workers: WorkerProcess[] = [];
  let bodyId = '';
  try {
    const first = await start('first', { CQ_CHAOS_HOLD: String(holdPart) });
    workers.push(first);
    const header = Array.from({ length: size }, (_, n) => {
      const id = randomUUID();
      partIds.push(id);
      // 5-20 ms each, so the kill lands while parts run and others wait prefetched, unacked.
      return new Signature('chaos.chord.part', { args: [n, 5 + (n % 16)], options: { task_id: id }, app: client });
    });
    const body = new Signature('chaos.chord.total', { options: { queue }, app: client });
    // Watch while the header is still being sent (the worker starts on the first parts at once):
    // once the held part is counted, the first worker is frozen before acking it; kill it then.
    const killed = waitFor(async () => (await redis.zcount(chordKeys[0]!, holdPart, holdPart)) > 0, 60_000,
      () => `the first worker never counted part ${holdPart}:\n${first.err.join('')}`).then(async () => {
      first.kill('SIGKILL');
      await exited(first);
    });
    killed.catch(() => undefined); // awaited below; no unhandled rejection if sending the chord throws first
    const result = await chord(header, body).set({ group_id: groupId }).applyAsync();
    bodyId = result.id;
    await killed;
    const countedAtKill = await redis.zcard(chordKeys[0]!);
    const ranAtKill = lines(partLog).length;

    const second = await start('second');
    workers.push(second);
    const bodyResult = await result.get({ timeout: 60 });
    await waitFor(() => options.drained(queue, redis), 60_000, () => `queue ${queue} not drained:\n${second.err.join('')}`);
    second.kill('SIGTERM');
    const secondExit = await exited(second);

    const runs = lines(partLog).map(Number);
    const distinct = new Set(runs);
    const missing = Array.from({ length: size }, (_, n) => n).filter((n) => !distinct.has(n));
    const perPart = new Map<number, number>();
    for (const n of runs) perPart.set(n, (perPart.get(n) ?? 0) + 1);
    const leftoverKeys: string[] = [];
    for (const key of chordKeys.slice(1)) if (await redis.exists(key)) leftoverKeys.push(key);
    const strayParts = (await redis.zrange(chordKeys[0]!, 0, -1)).map((m) => (JSON.parse(m) as [number, string, string, { n: number }])[3].n);
    const strayTtl = await redis.ttl(chordKeys[0]!);
    let expectedSum = 0;
    for (let n = 0; n < size; n++) expectedSum += partValue(n);
    return {
      size, holdPart, countedAtKill, ranAtKill, partRuns: runs.length, distinctParts: distinct.size,
      rerunParts: [...perPart.values()].filter((c) => c > 1).length, holdRuns: perPart.get(holdPart) ?? 0, missing,
      bodyRuns: lines(bodyLog).map((line) => JSON.parse(line) as number[]), bodyResult, expectedSum, leftoverKeys, strayParts, strayTtl,
      rerun: [...perPart].filter(([, c]) => c > 1).map(([n]) => n), secondExit,
      log: workers.map((w) => w.err.join('')).join('\n----\n'),
    };
  } finally {
    for (const w of workers) {
      if (w.exitCode === null && w.signalCode === null) {
        w.kill('SIGKILL');
        await exited(w);
      }
    }
    const metas = [...partIds, ...(bodyId ? [bodyId] : [])].map((id) => `celery-task-meta-${id}`);
    for (let i = 0; i < metas.length; i += 500) await redis.del(...metas.slice(i, i + 500)).catch(() => 0);
    await redis.del(...chordKeys).catch(() => 0);
    await client.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-line summary for test output. */
export function summary(name: string, o: ChordUnderKillOutcome): string {
  return `${name}: killed after part ${o.holdPart} at ${o.countedAtKill}/${o.size} counted (${o.ranAtKill} part runs logged); ${o.partRuns} part runs in all, `
    + `${o.rerunParts} parts re-run, ${o.missing.length} missing; body ran ${o.bodyRuns.length}x, result ${String(o.bodyResult)} `
    + `(expected ${o.expectedSum}); leftover .s/.t: ${o.leftoverKeys.length}, `
    + `.j after completion: ${o.strayParts.length ? `[${o.strayParts.join(', ')}] expiring in ${o.strayTtl} s` : 'none'}`;
}
