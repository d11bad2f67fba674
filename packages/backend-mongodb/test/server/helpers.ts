/**
 * Support of the server tests (run only when CQ_TEST_MONGODB_URL names a MongoDB server; see
 * vitest.config.ts): each file stores results in a database of its own, dropped before and after it.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import { afterAll, beforeAll } from 'vitest';

/** The server's URL with the database `<prefix>_<random>` in place of its own; hooks drop that database around the file. */
export function resultDatabase(prefix: string): string {
  const server = process.env['CQ_TEST_MONGODB_URL'];
  if (!server) throw new Error('CQ_TEST_MONGODB_URL is not set: these tests need a MongoDB server (see the package README)');
  const parts = /^(mongodb(?:\+srv)?:\/\/[^/?]*)(?:\/[^?]*)?(\?.*)?$/.exec(server);
  if (!parts) throw new Error('CQ_TEST_MONGODB_URL is not a mongodb:// URL');
  const url = `${parts[1]}/${prefix}_${randomUUID().slice(0, 8)}${parts[2] ?? ''}`;
  beforeAll(() => onDb(url, (db) => db.dropDatabase()));
  afterAll(() => onDb(url, (db) => db.dropDatabase()));
  return url;
}

/** Runs `op` on the database `url` names, with a client of its own (closed after, whatever `op` did). */
export async function onDb<T>(url: string, op: (db: Db) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(url);
  return op(client.db()).finally(() => client.close());
}
