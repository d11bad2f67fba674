/**
 * The transport's lease lock capability (beat's one-active-beat lock): two connections to one broker
 * file compete for one row of `cq_lease_lock`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, Connection, isLeaseLockProvider, OperationalError, type LeaseLock, type Transport } from '@cq/kombu';
import { SqliteLeaseLock, transport } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-lock-'));
const file = join(dir, 'broker.db');
const open: Connection[] = [];
afterEach(async () => {
  for (const conn of open.splice(0)) await conn.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lock(key: string): Promise<LeaseLock> {
  const conn = await new Connection(`sqlite:///${file}`, { transport }).connect();
  open.push(conn);
  const t: Transport = conn.transport;
  if (!isLeaseLockProvider(t)) throw new Error('the sqlite transport should offer leaseLock');
  return t.leaseLock(key);
}

describe('leaseLock', () => {
  it('one holder at a time across connections; renewal; release hands over at once', async () => {
    const a = await lock('beat');
    const b = await lock('beat');
    expect(await a.acquire(5_000)).toBe(true);
    expect(await b.acquire(5_000)).toBe(false);
    expect(await a.acquire(5_000)).toBe(true);
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT owner, expires_at FROM cq_lease_lock WHERE name = ?').get('beat') as { owner: string; expires_at: number };
      expect(row.owner).toBe(a.token);
      expect(row.expires_at).toBeGreaterThan(Date.now() + 4_000);
    } finally {
      db.close();
    }
    await a.release();
    expect(await b.acquire(5_000)).toBe(true);
    expect(await a.acquire(5_000)).toBe(false);
    await b.release();
  });

  it('a lease that is not renewed runs out and another holder takes over', async () => {
    const a = await lock('expiring');
    const b = await lock('expiring');
    expect(await a.acquire(200)).toBe(true);
    expect(await b.acquire(5_000)).toBe(false);
    await new Promise((r) => setTimeout(r, 350));
    expect(await b.acquire(5_000)).toBe(true);
    expect(await a.acquire(5_000)).toBe(false);
  });

  it('needs a connected transport; refuses a table name that is not plain SQL', async () => {
    const t = transport.create({ transport: 'sqlite', hostname: null, port: null, userid: null, password: null, virtualHost: file, query: {}, href: `sqlite:///${file}` }, {});
    if (!isLeaseLockProvider(t)) throw new Error('not a provider');
    await expect(t.leaseLock('x').acquire(1_000)).rejects.toThrow(OperationalError);
    const memory = new Database(':memory:');
    try {
      expect(() => new SqliteLeaseLock(memory, 'x', { table: 'x; DROP TABLE y' })).toThrow(ConfigurationError);
    } finally {
      memory.close();
    }
  });
});
