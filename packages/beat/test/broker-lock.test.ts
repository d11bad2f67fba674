/**
 * Beat's default lock is the broker's: asked of the broker's transport through the LeaseLockProvider
 * guard (Redis db 0, a SQLite broker file), with beat's own lock as the fallback for a transport
 * that offers none (memory) or a scheme the app has no transport for.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { Connection, type LeaseLock } from '@cq/kombu';
import { redisTransport, transport as redisDefinition } from '@cq/transport-redis';
import { transport as sqliteDefinition } from '@cq/transport-sqlite';
import { Beat, BeatLockError, type ScheduleEntry } from '../src/index.js';
import { BrokerLink } from '../src/broker-link.js';
import { BrokerScheduleStore } from '../src/broker-store.js';
import { BrokerLeaseLock } from '../src/lock/broker-lock.js';

const REDIS_URL = 'redis://127.0.0.1:6379/0';
const redis = new Redis(REDIS_URL);
const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-beat-broker-lock-'));
const silent = { info() {}, warn() {}, error() {}, debug() {} };
afterAll(async () => {
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

/** A fallback that records being asked. */
function fallbackSpy(lock: LeaseLock | null = null): { make: () => LeaseLock | null; calls: number } {
  const spy = { calls: 0, make: () => { spy.calls++; return lock; } };
  return spy;
}

describe('BrokerLeaseLock', () => {
  it('takes the lock in the Redis broker: one holder across two beats; close closes its connection', async () => {
    const key = `cqt.beat.lock.${randomUUID()}`;
    const fallback = fallbackSpy();
    const connections: Connection[] = [];
    const connect = () => {
      const c = new Connection(REDIS_URL, { transport: redisDefinition });
      connections.push(c);
      return c;
    };
    const a = new BrokerLeaseLock(new BrokerLink(connect), key, fallback.make);
    const b = new BrokerLeaseLock(new BrokerLink(connect), key, fallback.make);
    try {
      expect(await a.acquire(5_000)).toBe(true);
      expect(await redis.get(key)).toBe(a.token);
      expect(await b.acquire(5_000)).toBe(false);
      await a.release();
      expect(await b.acquire(5_000)).toBe(true);
      expect(fallback.calls).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await redis.del(key);
    }
    expect(connections.map((c) => c.isConnected)).toEqual([false, false]);
  });

  it('takes the lock in the SQLite broker file, not in the fallback', async () => {
    const file = path.join(dir, 'broker.db');
    const fallback = fallbackSpy();
    const lock = new BrokerLeaseLock(new BrokerLink(() => new Connection(`sqlite:///${file}`, { transport: sqliteDefinition })), 'beat', fallback.make);
    try {
      expect(await lock.acquire(5_000)).toBe(true);
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT owner FROM cq_lease_lock WHERE name = ?').get('beat')).toEqual({ owner: lock.token });
      db.close();
      expect(fallback.calls).toBe(0);
    } finally {
      await lock.close();
    }
  });

  it('falls back when the transport offers no lock (memory) and closes that connection', async () => {
    const own: LeaseLock = { token: 'own', acquire: async () => false, release: async () => {}, close: async () => {} };
    const fallback = fallbackSpy(own);
    let connection: Connection | undefined;
    const lock = new BrokerLeaseLock(new BrokerLink(() => (connection = new Connection('memory://'))), 'k', fallback.make);
    expect(await lock.acquire(1_000)).toBe(false); // the fallback's answer
    expect(await lock.acquire(1_000)).toBe(false);
    expect(fallback.calls).toBe(1);
    expect(connection?.isConnected).toBe(false);
    const none = new BrokerLeaseLock(new BrokerLink(() => new Connection('memory://')), 'k', () => null);
    expect(await none.acquire(1_000)).toBe(true); // no lock: a single beat
  });

  it('shares one connection with the broker schedule store, closed once neither uses it (memory offers neither)', async () => {
    const connections: Connection[] = [];
    const link = new BrokerLink(() => { const c = new Connection('memory://'); connections.push(c); return c; });
    const fileStore = { load: () => new Map(), save() {}, remove() {}, clear() {}, getMeta: () => 'file', setMeta() {}, close() {} };
    const lock = new BrokerLeaseLock(link, 'k', () => null);
    const store = new BrokerScheduleStore(link, 'k', () => fileStore);
    expect(await lock.acquire(1_000)).toBe(true);
    expect(connections.map((c) => c.isConnected)).toEqual([true]); // the store has not chosen yet
    await store.ready();
    expect(await store.getMeta('x')).toBe('file');
    expect(connections.map((c) => c.isConnected)).toEqual([false]); // one connection, closed by the last to let go
    await lock.close();
    await store.close();
  });

  it('falls back, with a warning, when the app has no transport for the broker scheme', async () => {
    const warnings: string[] = [];
    const fallback = fallbackSpy();
    const lock = new BrokerLeaseLock(new BrokerLink(() => new Connection(REDIS_URL), (m) => warnings.push(m)), 'k', fallback.make);
    expect(await lock.acquire(1_000)).toBe(true);
    expect(fallback.calls).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/redis.*using beat's own lock and state file/)]);
  });

  it('rejects with BeatLockError while the broker is unreachable, and asks again next time', async () => {
    const fallback = fallbackSpy();
    let attempts = 0;
    const lock = new BrokerLeaseLock(new BrokerLink(() => { attempts++; return new Connection('redis://:hunter2@127.0.0.1:1/0', { transport: redisDefinition }); }), 'k', fallback.make);
    const err = await lock.acquire(1_000).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(BeatLockError);
    expect((err as Error).message).toMatch(/cannot reach the broker redis:\/\/:\*\*@127\.0\.0\.1:1\/0/);
    await expect(lock.acquire(1_000)).rejects.toThrow(BeatLockError);
    expect(attempts).toBe(2);
    expect(fallback.calls).toBe(0);
    await lock.close();
  });
});

describe('Beat on a Redis broker', () => {
  it('two beats: the lock is the broker\'s key, only one sends, the other takes over when it stops', async () => {
    const main = `beatlock${randomUUID().slice(0, 8)}`;
    const sent: Array<{ who: string; at: number }> = [];
    const make = (who: string) => new Beat(new Celery(main, {
      broker_url: REDIS_URL,
      beat_schedule: { tick: { task: 'proj.tick', schedule: 0.2 } },
      beat_lock_timeout: 0.9,
      beat_schedule_filename: path.join(dir, `${who}.db`), // separate state files: only the broker is shared
    }, { plugins: [redisTransport()] }), { log: silent, send: async (_e: ScheduleEntry) => { sent.push({ who, at: Date.now() }); } });
    const a = make('a');
    const b = make('b');
    try {
      void a.run();
      await new Promise((r) => setTimeout(r, 200));
      void b.run();
      await new Promise((r) => setTimeout(r, 1200));
      expect(a.isActive).toBe(true);
      expect(b.isActive).toBe(false);
      expect(await redis.exists(`cq.beat.lock.${main}`)).toBe(1);
      expect(sent.filter((s) => s.who === 'b')).toHaveLength(0);
      expect(sent.filter((s) => s.who === 'a').length).toBeGreaterThanOrEqual(2);
      const stoppedAt = Date.now();
      await a.stop();
      await new Promise((r) => setTimeout(r, 1200));
      expect(b.isActive).toBe(true);
      expect(sent.filter((s) => s.who === 'b').length).toBeGreaterThan(0);
      expect(sent.filter((s) => s.who === 'a' && s.at > stoppedAt)).toHaveLength(0);
      await b.stop();
      expect(await redis.exists(`cq.beat.lock.${main}`)).toBe(0); // released at stop
    } finally {
      await a.stop();
      await b.stop();
      await redis.del(`cq.beat.lock.${main}`);
    }
  });
});
