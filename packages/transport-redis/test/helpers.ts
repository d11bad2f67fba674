/**
 * Shared test settings. Every test file uses db 10 of the local Redis (other packages' tests use
 * other dbs at the same time), unique queue names per test, and its own unacked keys whenever it
 * shortens the visibility timeout, so sweeps of parallel test files never restore each other's messages.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { Connection } from '@cq/kombu';
import { transport } from '../src/index.js';

export const TEST_URL = 'redis://127.0.0.1:6379/10';

/** A plain client on the test db, for reading raw keys. Quit it in afterAll. */
export function rawClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, db: 10 });
}

export const uniq = (prefix: string): string => `${prefix}.${randomUUID().slice(0, 8)}`;

/** Transport options giving a test its own unacked hash, index and mutex. */
export function isolatedUnacked(tag: string): Record<string, string> {
  return { unacked_key: `${tag}.unacked`, unacked_index_key: `${tag}.unacked_index`, unacked_mutex_key: `${tag}.unacked_mutex` };
}

/**
 * `connect(options)` opens a connection to the test db through this transport; every connection it
 * opened is closed after each test of the calling file.
 */
export function connectionsClosedAfterEach(): (transportOptions?: Record<string, unknown>) => Promise<Connection> {
  const open: Connection[] = [];
  afterEach(async () => {
    for (const conn of open.splice(0)) await conn.close();
  });
  return async (transportOptions = {}) => {
    const conn = await new Connection(TEST_URL, { transport, transportOptions }).connect();
    open.push(conn);
    return conn;
  };
}
