/**
 * What the PostgreSQL transport does beyond the conformance suite: priorities, ETAs kept in the row,
 * TTLs and `x-expires`, publishing inside the caller's transaction (NOTIFY on commit, nothing on
 * rollback), wake-ups by NOTIFY without polling, leases of a SIGKILLed process given back by the
 * sweep, and broadcasts across connections (large ones through the broadcast table).
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection, Exchange, Queue, TransportNotFoundError, TransportRegistry, binding, type Channel, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { spawnTracked } from '@cq/tooling/testing';
import { POSTGRES_SCHEMES, PostgresLayoutError, isTransactionalPublisher, postgresTransport, type PostgresChannel, type PostgresTransport } from '../src/index.js';
import { connection, sqlClient, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_features');
const url = `postgresql://${db}`;
const taker = fileURLToPath(new URL('./fixtures/taker.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

const open: Connection[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const conn of open.splice(0)) await conn.close();
});
let counter = 0;
const uniq = (prefix: string) => `${prefix}.${process.pid}.${++counter}`;
const connect = async (options: Record<string, unknown> = {}, to = url) => {
  const conn = await connection(to, options).connect();
  open.push(conn);
  return conn;
};
const raw = (text: string, extra: { priority?: number; headers?: Record<string, unknown>; expiration?: string } = {}): RawMessage => ({
  body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: extra.headers ?? {},
  properties: { ...(extra.priority === undefined ? {} : { priority: extra.priority }), ...(extra.expiration === undefined ? {} : { expiration: extra.expiration }) },
});
const drain = async (channel: Channel, queue: string) => {
  const out: string[] = [];
  for (let d = await channel.get(queue, { noAck: true }); d; d = await channel.get(queue, { noAck: true })) out.push(d.body.toString());
  return out;
};

describe('postgres transport', () => {
  it('delivers higher priorities first, FIFO within a priority', async () => {
    const channel = await (await connect()).channel();
    const q = uniq('prio');
    await new Queue(q).declare(channel);
    for (const [text, priority] of [['a0', 0], ['b9', 9], ['c3', 3], ['d9', 9], ['e0', 0], ['f300', 300]] as const) await channel.publish(raw(text, { priority }), '', q);
    expect(await drain(channel, q)).toEqual(['f300', 'b9', 'd9', 'c3', 'a0', 'e0']);
  });

  it('keeps a message with a future eta in the table until due, then wakes the consumer', async () => {
    const conn = await connect({ polling_interval: 30 });
    const channel = await conn.channel();
    const q = uniq('eta');
    await new Queue(q).declare(channel);
    const got: { text: string; at: number }[] = [];
    await channel.consume(q, (d) => { got.push({ text: d.body.toString(), at: Date.now() }); void channel.ack(d.deliveryTag); });
    await new Promise((r) => setTimeout(r, 100));
    const eta = new Date(Date.now() + 1200);
    await channel.publish(raw('later', { headers: { eta: eta.toISOString() } }), '', q);
    await channel.publish(raw('now'), '', q);
    await waitUntil(() => got.length === 2, 5000);
    expect(got.map((g) => g.text)).toEqual(['now', 'later']);
    expect(got[1]!.at).toBeGreaterThanOrEqual(eta.getTime() - 50);
    expect(got[1]!.at - eta.getTime()).toBeLessThan(500);
  });

  it('drops messages past their TTL (expiration, x-message-ttl) and queues past x-expires', async () => {
    const conn = await connect({ unacked_restore_interval: 0.1 });
    const channel = await conn.channel();
    const q = uniq('ttl');
    await new Queue(q).declare(channel);
    await channel.publish(raw('short', { expiration: '150' }), '', q);
    await channel.publish(raw('kept'), '', q);
    const queued = uniq('qttl');
    await new Queue(queued, { messageTtl: 0.15 }).declare(channel);
    await channel.publish(raw('short too'), '', queued);
    await new Promise((r) => setTimeout(r, 400));
    expect(await drain(channel, q)).toEqual(['kept']);
    expect(await drain(channel, queued)).toEqual([]);

    const expiring = uniq('expires');
    await new Queue(expiring, { expires: 0.3 }).declare(channel);
    const sql = await sqlClient(url);
    try {
      const exists = async () => (await sql.query('SELECT 1 FROM cq_queue WHERE name = $1', [expiring])).rowCount === 1;
      expect(await exists()).toBe(true);
      await waitUntil(async () => !(await exists()), 5000);
    } finally {
      await sql.end();
    }
  });

  it('publishes in the caller\'s transaction: nothing on rollback, a NOTIFY wake-up on commit', async () => {
    const consumerConn = await connect({ polling_interval: 30 });
    const channel = (await consumerConn.channel()) as PostgresChannel;
    const q = uniq('tx');
    await new Queue(q).declare(channel);
    const got: { text: string; at: number }[] = [];
    await channel.consume(q, (d) => { got.push({ text: d.body.toString(), at: Date.now() }); void channel.ack(d.deliveryTag); });
    await new Promise((r) => setTimeout(r, 200)); // the consumer found the queue empty and waits (30 s fallback poll)
    expect(isTransactionalPublisher(channel)).toBe(true);

    const client = await sqlClient(url);
    try {
      await client.query('BEGIN');
      await channel.publishIn(client, raw('rolled back'), '', q);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await channel.publishIn(client, raw('committed'), '', q);
      await new Promise((r) => setTimeout(r, 300));
      expect(got).toEqual([]); // not visible before commit
      const committedAt = Date.now();
      await client.query('COMMIT');
      await waitUntil(() => got.length === 1, 3000);
      expect(got[0]!.text).toBe('committed');
      expect(got[0]!.at - committedAt).toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 200));
      expect(got.map((g) => g.text)).toEqual(['committed']);
    } finally {
      await client.end();
    }
  });

  it('gives the leases of a SIGKILLed process back at the next sweep, marked redelivered', async () => {
    const conn = await connect({ unacked_restore_interval: 3600 });
    const channel = await conn.channel();
    const q = uniq('killed');
    await new Queue(q).declare(channel);
    for (let i = 0; i < 3; i++) await channel.publish(raw(`m${i}`), '', q);
    const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', taker, url, q, '3'], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    await waitUntil(() => out.includes('taken'), 20_000);
    const transport = conn.transport as PostgresTransport;
    expect(await transport.sweep()).toEqual([]); // its session is alive: leases hold
    expect(await channel.get(q)).toBeNull();
    child.kill('SIGKILL');
    await waitUntil(async () => (await transport.sweep()).length > 0, 5000);
    const back: Delivery[] = [];
    for (let d = await channel.get(q); d; d = await channel.get(q)) back.push(d);
    expect(back.map((d) => d.body.toString())).toEqual(['m0', 'm1', 'm2']);
    expect(back.every((d) => d.redelivered)).toBe(true);
  });

  it('broadcasts a fanout publish to the bound queues of every connection, large ones too', async () => {
    const ex = new Exchange(uniq('bcast'), { type: 'fanout', durable: false });
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    const chA = await a.channel();
    const chB = await b.channel();
    const qa = uniq('qa');
    const qb = uniq('qb');
    await new Queue(qa, { exchange: ex }).declare(chA);
    await new Queue(qb, { bindings: [binding(ex)] }).declare(chB);
    const got: string[] = [];
    await chA.consume(qa, (d) => { got.push(`a:${d.body.length}`); void chA.ack(d.deliveryTag); });
    await chB.consume(qb, (d) => { got.push(`b:${d.body.length}`); void chB.ack(d.deliveryTag); });
    const chC = await c.channel();
    await ex.declare(chC);
    await chC.publish(raw('x'.repeat(10)), ex.name, 'ignored');
    await chC.publish(raw('y'.repeat(20_000)), ex.name, 'ignored');
    await waitUntil(() => got.length === 4, 5000);
    expect(got.sort()).toEqual(['a:10', 'a:20000', 'b:10', 'b:20000']);
    const sql = await sqlClient(url);
    try {
      expect((await sql.query(`SELECT count(*)::int AS n FROM cq_message m JOIN cq_queue q ON q.id = m.queue_id WHERE q.name = ANY($1)`, [[qa, qb]])).rows[0].n).toBe(0);
    } finally {
      await sql.end();
    }
  });

  it('refuses a table name that is not a plain SQL name', async () => {
    await expect(connection(url, { message_tablename: 'x; DROP TABLE y' }).connect()).rejects.toBeInstanceOf(PostgresLayoutError);
  });

  it('uses configured table names', async () => {
    const conn = await connect({ queue_tablename: 'custom_q', message_tablename: 'custom_m', exchange_tablename: 'custom_x', binding_tablename: 'custom_b' });
    const channel = await conn.channel();
    const q = uniq('named');
    await new Queue(q).declare(channel);
    await channel.publish(raw('hello'), '', q);
    const sql = await sqlClient(url);
    try {
      expect((await sql.query('SELECT count(*)::int AS n FROM custom_m')).rows[0].n).toBe(1);
    } finally {
      await sql.end();
    }
    expect(await drain(channel, q)).toEqual(['hello']);
  });

  it('is registered by its plugin under every scheme, and named with its plugin when missing', async () => {
    const registry = new TransportRegistry();
    const missing = (await registry.resolve('postgresql').then(() => null, (err: unknown) => err)) as Error;
    expect(missing).toBeInstanceOf(TransportNotFoundError);
    expect(missing.message).toContain('pnpm add @cq/transport-postgres');
    expect(missing.message).toContain('postgresTransport()');
    expect(missing.message).not.toContain('preset');
    postgresTransport().install({ transports: registry });
    for (const scheme of POSTGRES_SCHEMES) expect((await registry.resolve(scheme)).name).toBe('postgresql');
  });
});
