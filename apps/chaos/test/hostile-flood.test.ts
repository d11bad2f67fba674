/**
 * cq issue 15 on Redis, RabbitMQ and SQLite: a `cq worker` receives 10,000 malformed messages mixed
 * with 10,000 good tasks (see `hostile-flood.ts`). Asserted on each broker: every good task succeeds
 * with its result; the 1 GiB zlib bomb and the 100,000-deep JSON array sent first are refused with
 * DecodeLimitError; every bad message is accounted for in the worker's log (reported, or counted in a
 * rate-limited `Suppressed K more` line), with few lines written; the worker's peak RSS stays far
 * below what inflating one bomb would take; the worker stays up, leaves nothing in the queue and
 * stops cleanly.
 *
 * Redis: a private redis-server (broker and results); raw list entries that are not envelopes are
 * pushed with LPUSH. RabbitMQ: the shared server on 5672, its own queue, results in a private Redis.
 * SQLite: a broker and a result file in a temp directory; raw rows are inserted with `sqlite3`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis, execFileTracked, requireCommand } from '@cq/tooling/testing';
import { floodSummary, hostileFlood, type FloodOutcome } from './hostile-flood.js';

const run = promisify(execFileTracked);

/** Sends one command to Redis on `port` in its wire protocol; resolves with the first reply line. */
function redisCommand(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.end(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

function expectSurvived(o: FloodOutcome): void {
  console.info(floodSummary(o.queue, o));
  console.info(`bad kinds: ${Object.entries(o.kinds).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  expect(o.bombLine, o.workerLog.slice(-2000)).toMatch(/Can't decode message body: DecodeLimitError: application\/x-gzip body of \d+ bytes decompresses to more than the limit of 16777216 bytes/);
  expect(o.deepLine).toMatch(/Can't decode message body: DecodeLimitError: application\/json body is nested more than 1000 levels deep/);
  expect(o.wrongResults.slice(0, 5), o.workerLog.slice(-3000)).toEqual([]);
  expect(o.reported + o.suppressed, o.workerLog.slice(-3000)).toBe(o.bad + 2);
  // Rate limited: 20 lines a second plus one "Suppressed" line, far fewer than 10,000.
  expect(o.reported).toBeLessThan(o.floodSeconds * 20 + 100);
  expect(o.suppressed).toBeGreaterThan(o.bad / 2);
  expect(o.unexpected).toEqual([]);
  expect(o.samples).toBeGreaterThan(5);
  // One 1 GiB bomb inflated would need 1024 MiB; three of them and 200 of 32 MiB went through.
  expect(o.peakRssMiB).toBeLessThan(700);
  expect(o.leftInQueue).toBe(0);
  expect(o.workerAlive).toBe(true);
  expect(o.workerExitCode).toBe(0);
}

describe('a flood of hostile messages on Redis', () => {
  let redis: PrivateRedis;
  beforeAll(async () => { redis = await PrivateRedis.start({ appendonly: false }); });
  afterAll(async () => { await redis?.destroy(); });

  it('10,000 good tasks succeed among 10,000 bad messages (raw list entries too); the worker survives', async () => {
    const outcome = await hostileFlood({
      broker: redis.url,
      resultBackend: `redis://127.0.0.1:${redis.port}/1`,
      injectRaw: async (queue, entries) => {
        for (let at = 0; at < entries.length; at += 50) expect(await redisCommand(redis.port, ['LPUSH', queue, ...entries.slice(at, at + 50)])).toMatch(/^:\d+$/);
      },
    });
    expectSurvived(outcome);
    // Entries the take script recorded as unacked before they were dropped were acked: none comes back.
    expect(await redisCommand(redis.port, ['HLEN', 'unacked'])).toBe(':0');
  }, 150_000);
});

describe('a flood of hostile messages on RabbitMQ', () => {
  let redis: PrivateRedis;
  beforeAll(async () => { redis = await PrivateRedis.start({ appendonly: false }); });
  afterAll(async () => { await redis?.destroy(); });

  it('10,000 good tasks succeed among 10,000 bad messages; the worker survives', async () => {
    expectSurvived(await hostileFlood({ broker: 'amqp://guest:guest@127.0.0.1:5672//', resultBackend: `redis://127.0.0.1:${redis.port}/1` }));
  }, 150_000);
});

describe('a flood of hostile messages on SQLite', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'cq-flood-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('10,000 good tasks succeed among 10,000 bad messages (raw rows too); the worker survives', async () => {
    const sqlite3 = requireCommand('sqlite3', 'sqlite3');
    const broker = path.join(dir, 'broker.db');
    const outcome = await hostileFlood({
      broker: `sqlite:///${broker}`,
      resultBackend: `sqlite:///${path.join(dir, 'results.db')}`,
      injectRaw: async (queue, entries) => {
        const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
        const rows = entries.map((e) => `(1, '2026-01-01 00:00:00.000000', ${quote(e)}, 1, 0, (SELECT id FROM kombu_queue WHERE name = ${quote(queue)}))`);
        const script = path.join(dir, 'raw.sql');
        writeFileSync(script, `.timeout 20000\nINSERT INTO kombu_message (visible, timestamp, payload, version, priority, queue_id) VALUES\n${rows.join(',\n')};\n`);
        await run(sqlite3, [broker, `.read ${script}`]);
      },
      // Rows of the queue set aside: not visible, leased by no one.
      inspect: async (queue) => Number((await run(sqlite3, [broker, '.timeout 20000',
        `SELECT COUNT(*) FROM kombu_message WHERE visible = 0 AND lease_owner IS NULL AND queue_id = (SELECT id FROM kombu_queue WHERE name = '${queue}')`])).stdout.trim()),
    });
    expectSurvived(outcome);
    // Raw rows that are not envelopes stay in the table, set aside (never delivered again).
    expect(outcome.inspected).toBe(outcome.kinds['store entry that is not an envelope']);
  }, 150_000);
});
