/**
 * Test support: each test file works in a database of its own on the shared server (127.0.0.1:5432,
 * trust auth, user postgres), created fresh at the start and dropped at the end, so test files running
 * side by side never see each other's tables.
 */
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { Connection, TransportRegistry } from '@cq/kombu';
import { postgresTransport } from '../src/index.js';

export const SERVER = process.env['CQ_TEST_POSTGRES'] ?? 'postgresql://postgres@127.0.0.1:5432';

/** A registry holding the postgres transport, as an app given the plugin has. */
export const transports = new TransportRegistry();
postgresTransport().install({ transports });

/** Runs `sql` on the server's `postgres` database. */
export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Registers hooks that (re)create database `name` before the file's tests and drop it after them.
 * Returns the database's URL without scheme (`postgres@127.0.0.1:5432/<name>`), to prefix with
 * `postgresql://` or `sqla+postgresql://`.
 */
export function testDatabase(name: string): string {
  beforeAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return `${SERVER.replace(/^postgresql:\/\//, '')}/${name}`;
}

/** A plain pg client on `url` (any of our schemes), closed by the caller. */
export async function sqlClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url.replace(/^[^:]+:\/\//, 'postgresql://') });
  await client.connect();
  return client;
}

/** A new, unconnected kombu Connection to `url` with the postgres transport. */
export function connection(url: string, transportOptions: Record<string, unknown> = {}): Connection {
  return new Connection(url, { transports, transportOptions });
}
