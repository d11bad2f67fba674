/**
 * Support of the server tests (run only when CQ_TEST_MONGODB_URL names a MongoDB server; see
 * vitest.config.ts): each test file works in a database of its own on that server, dropped before and
 * after the file's tests, so files running side by side never see each other's collections.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';
import { Connection, TransportRegistry } from '@cq/kombu';
import { mongodbTransport } from '../../src/index.js';

/** The server under test, e.g. `mongodb://127.0.0.1:27017/cq_test` (its database part is replaced per file). */
export function serverUrl(): string {
  const url = process.env['CQ_TEST_MONGODB_URL'];
  if (!url) throw new Error('CQ_TEST_MONGODB_URL is not set: these tests need a MongoDB server (see the package README)');
  return url;
}

/** `url` with its database replaced by `database`, credentials and options kept. */
export function withDatabase(url: string, database: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(url);
  if (!m) throw new Error(`CQ_TEST_MONGODB_URL is not a mongodb:// URL: ${url.replace(/:[^:@/]*@/, ':**@')}`);
  return `${m[1]}/${database}${m[2] ?? ''}`;
}

/** Runs `op` on `url`'s database with a client of its own. */
export async function withDb<T>(url: string, op: (db: Db) => Promise<T>): Promise<T> {
  const client = new MongoClient(url);
  try {
    await client.connect();
    return await op(client.db());
  } finally {
    await client.close();
  }
}

/** Registers hooks that drop a fresh database `<prefix>_<random>` before and after the file's tests; returns its URL. */
export function testDatabase(prefix: string): string {
  const url = withDatabase(serverUrl(), `${prefix}_${randomUUID().slice(0, 8)}`);
  beforeAll(() => withDb(url, (db) => db.dropDatabase()));
  afterAll(() => withDb(url, (db) => db.dropDatabase()));
  return url;
}

/** A registry holding the MongoDB transport, as an app given the plugin has. */
export const transports = new TransportRegistry();
mongodbTransport().install({ transports });

/** A new, unconnected kombu Connection to `url` with the MongoDB transport. */
export function connection(url: string, transportOptions: Record<string, unknown> = {}): Connection {
  return new Connection(url, { transports, transportOptions });
}
