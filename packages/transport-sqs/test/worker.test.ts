/**
 * A cq client and `cq worker` processes over SQS (fauxqs on a free port), acks_late: a worker
 * SIGKILLed mid-run loses nothing (its messages come back after the 3 s visibility timeout); a task
 * running past the visibility timeout is not delivered twice while its worker refreshes it (and is,
 * without the refresh); a FIFO queue runs each message group in order; a countdown is held by SQS
 * (DelaySeconds), a later ETA by the worker. Every worker says at start that remote control is off.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cqWorker, startSqsEmulator, stopTracked, waitFor, type CqProcess, type SqsEmulator } from '@cq/tooling/testing';
import { app, long, order, slow, stamp } from './fixtures/app.js';

const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-sqs-worker-'));
let emulator: SqsEmulator;
let broker: string;
let raw: SQSClient;
beforeAll(async () => {
  emulator = await startSqsEmulator();
  broker = `sqs://key:secret@127.0.0.1:${emulator.port}`;
  app.configure({ brokerUrl: broker });
  raw = new SQSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
});
afterAll(async () => {
  await app.close();
  raw?.destroy();
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** ApproximateNumberOfMessages{,NotVisible,Delayed} of the SQS queue `name`. */
async function counts(name: string): Promise<{ ready: number; held: number; delayed: number }> {
  const url = (await raw.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
  const a = (await raw.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  return { ready: Number(a['ApproximateNumberOfMessages']), held: Number(a['ApproximateNumberOfMessagesNotVisible']), delayed: Number(a['ApproximateNumberOfMessagesDelayed']) };
}

/** A `cq worker -P async` on `queue`, tasks logging to `log`, `options` merged into the transport options. */
const startWorker = (queue: string, log: string, extra: string[] = [], options: Record<string, unknown> = {}): Promise<CqProcess> =>
  cqWorker(['-A', fixture, '-b', broker, '-P', 'async', '-Q', queue, '-l', 'info', '--without-mingle', '--without-gossip', ...extra],
    { CQ_TEST_LOG: log, CQ_SQS_OPTIONS: JSON.stringify(options) });

describe('cq client → cq worker over sqs://', () => {
  it('loses nothing when a worker is SIGKILLed mid-run with acks_late: its messages come back after the visibility timeout', async () => {
    const queue = 'sqst.kill';
    const log = path.join(dir, 'kill.log');
    const runs = (): number[] => lines(log).map(Number);
    const total = 40;
    for (let n = 0; n < total; n++) await slow.applyAsync([n, 200 + (n % 4) * 100], { queue }); // staggered: always some in flight
    // Prefetch = concurrency: at most 4 unacked messages in the victim at any time.
    const args = ['-c', '4', '--prefetch-multiplier', '1'];
    const victim = await startWorker(queue, log, args);
    let survivor: CqProcess | null = null;
    try {
      expect(victim.err.join('')).toContain('remote control is off: the sqs transport has no fanout exchanges');
      await waitFor(async () => runs().length >= 8 && (await counts('sqst-kill')).held >= 2, 30_000, () => `only ${runs().length} ran before the kill`);
      process.kill(-victim.pid!, 'SIGKILL');
      const ranBeforeKill = new Set(runs()).size;
      expect(ranBeforeKill).toBeLessThan(total);
      const atKill = await counts('sqst-kill');
      expect(atKill.held).toBeGreaterThanOrEqual(1); // the victim's unacked messages, invisible for up to 3 s
      survivor = await startWorker(queue, log, args);
      await waitFor(() => new Set(runs()).size === total, 60_000, () => `only ${new Set(runs()).size} of ${total} ran:\n${survivor!.err.join('').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 1000)); // any late duplicate would show up now
      const all = runs();
      expect(new Set(all).size).toBe(total);
      expect(all.length - total).toBeLessThanOrEqual(4);
      await waitFor(async () => { const c = await counts('sqst-kill'); return c.ready + c.held === 0; }, 10_000, () => 'messages left in the queue');
    } finally {
      await stopTracked(victim);
      if (survivor) await stopTracked(survivor);
    }
  }, 120_000);

  it('keeps a long acks_late task invisible past the visibility timeout while its worker lives, not without the refresh', async () => {
    const queue = 'sqst.long';
    const run = async (log: string, options: Record<string, unknown>, ms: number): Promise<string[]> => {
      const a = await startWorker(queue, log, ['-c', '2'], options);
      const b = await startWorker(queue, log, ['-c', '2'], options);
      try {
        await long.applyAsync([1, ms], { queue });
        await waitFor(() => lines(log).filter((l) => l.startsWith('end')).length >= 1, 30_000, () => `did not end: ${lines(log).join(', ')}`);
        await new Promise((r) => setTimeout(r, 1500));
        return lines(log);
      } finally {
        await stopTracked(a);
        await stopTracked(b);
      }
    };
    // 7 s against a 3 s visibility timeout, refreshed every second: one delivery.
    expect(await run(path.join(dir, 'long-refresh.log'), {}, 7000)).toEqual(['start 1', 'end 1']);
    // The same without the refresh (kombu's behaviour): SQS hands it out again after 3 s.
    const plain = await run(path.join(dir, 'long-plain.log'), { visibility_refresh_interval: 0 }, 5000);
    expect(plain.filter((l) => l === 'start 1').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('runs a FIFO queue in order within each message group', async () => {
    const queue = 'sqst.order.fifo';
    const log = path.join(dir, 'order.log');
    for (let n = 0; n < 20; n++) {
      const group = n % 2 === 0 ? 'a' : 'b';
      await order.applyAsync([group, n], { queue, headers: { MessageGroupId: group } });
    }
    for (let n = 0; n < 5; n++) await order.applyAsync(['default', n], { queue });
    const worker = await startWorker(queue, log, ['-c', '1']);
    try {
      await waitFor(() => lines(log).length >= 25, 30_000, () => `only ${lines(log).length} ran (${lines(log).join(', ')}):\n${worker.err.join('').slice(-3000)}`);
      const of = (group: string) => lines(log).filter((l) => l.startsWith(`${group} `)).map((l) => Number(l.split(' ')[1]));
      expect(of('a')).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(of('b')).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      expect(of('default')).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await stopTracked(worker);
    }
  }, 60_000);

  it('delays a countdown in SQS (DelaySeconds) and holds a later ETA in the worker, as Celery', async () => {
    const queue = 'sqst.countdown';
    const log = path.join(dir, 'countdown.log');
    const worker = await startWorker(queue, log, ['-c', '2']);
    try {
      const sent = Date.now();
      await stamp.applyAsync(['soon'], { queue, countdown: 3 });
      await stamp.applyAsync(['late'], { queue, countdown: 1200 }); // 20 minutes: past SQS's 15
      expect((await counts('sqst-countdown')).delayed).toBe(1);
      await waitFor(() => lines(log).length >= 1, 15_000, () => 'the countdown task did not run');
      const [tag, at] = lines(log)[0]!.split(' ');
      expect(tag).toBe('soon');
      expect(Number(at) - sent).toBeGreaterThanOrEqual(2900);
      expect(Number(at) - sent).toBeLessThan(6000);
      // The 20-minute one was delivered at once and is held (invisible, refreshed) by the worker.
      await waitFor(async () => JSON.stringify(await counts('sqst-countdown')) === '{"ready":0,"held":1,"delayed":0}', 5000,
        () => 'the 20-minute task is not the one message held'); // the ack of the first may still be on its way
      expect(lines(log)).toHaveLength(1);
    } finally {
      await stopTracked(worker);
    }
    // Stopped: the worker gave the held message back.
    await waitFor(async () => (await counts('sqst-countdown')).ready === 1, 10_000, () => 'the held ETA message was not given back');
  }, 60_000);
});
