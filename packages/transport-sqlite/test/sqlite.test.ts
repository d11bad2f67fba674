import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Connection, ConfigurationError, Exchange, Queue, type Channel, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { spawnTracked } from '@cq/tooling/testing';
import { SqliteTransport, transport } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const url = `sqlite:///${join(dir, 'broker.db')}`;
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const client = fileURLToPath(new URL('./fixtures/client.ts', import.meta.url));

const open: Connection[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const conn of open.splice(0)) await conn.close();
});

let counter = 0;
const uniq = (prefix: string) => `${prefix}.${process.pid}.${++counter}`;
const connect = async (options: Record<string, unknown> = {}, to = url) => {
  const conn = await new Connection(to, { transport, transportOptions: options }).connect();
  open.push(conn);
  return conn;
};
const raw = (text: string, priority?: number): RawMessage => ({
  body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: priority === undefined ? {} : { priority },
});
const drain = async (channel: Channel, queue: string) => {
  const out: Delivery[] = [];
  for (let d = await channel.get(queue); d; d = await channel.get(queue)) out.push(d);
  return out;
};

/** Runs test/fixtures/client.ts in a new node process; resolves once it printed `line`. */
function runClient(args: string[], line: string): Promise<ChildProcess> {
  const child = spawnTracked(process.execPath, ['--conditions=@cq/source', '--import', 'tsx', client, ...args], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(line)) resolve(child);
    });
    child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('exit', (code) => reject(new Error(`client exited (${code}) before printing ${line}: ${err}`)));
  });
}

describe('sqlite transport across processes', () => {
  it('delivers messages published by another process to a consumer already waiting here', async () => {
    const channel = await (await connect()).channel();
    const q = uniq('xproc');
    await new Queue(q).declare(channel);
    const got: string[] = [];
    await channel.consume(q, (d) => { got.push(d.body.toString()); void channel.ack(d.deliveryTag); });
    await new Promise((r) => setTimeout(r, 100)); // the poller has seen the queue empty
    await runClient(['publish', url, q, '50'], 'published');
    await waitUntil(() => got.length === 50, 10_000);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
  });

  it('gives the messages of a SIGKILLed process back at once, marked redelivered', async () => {
    const q = uniq('killed');
    const channel = await (await connect({ visibility_timeout: 3600 })).channel();
    await new Queue(q).declare(channel);
    for (let i = 0; i < 5; i++) await channel.publish(raw(`m${i}`), '', q);
    const child = await runClient(['take', url, q, '5'], 'taken');
    // The owner is alive: its leases hold, even across sweeps.
    expect(await channel.get(q)).toBeNull();
    expect(await (await (await connect({ visibility_timeout: 3600 })).channel()).get(q)).toBeNull();

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const started = Date.now();
    const fresh = await (await connect({ visibility_timeout: 3600 })).channel();
    const back = await drain(fresh, q);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(back.map((d) => d.body.toString())).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(back.every((d) => d.redelivered && d.headers['redelivered'] === true)).toBe(true);
  });
});

describe('sqlite transport in one process', () => {
  it('serves higher priorities first and FIFO within a priority, clamped to 0..255', async () => {
    const channel = await (await connect()).channel();
    const q = uniq('prio');
    await new Queue(q).declare(channel);
    const sent: Array<[string, number | undefined]> = [['a0', 0], ['b5', 5], ['c9', 9], ['d5', 5], ['e-', undefined], ['f300', 300], ['g255', 255], ['h-3', -3]];
    for (const [body, priority] of sent) await channel.publish(raw(body, priority), '', q);
    const got = await drain(channel, q);
    expect(got.map((d) => d.body.toString())).toEqual(['f300', 'g255', 'c9', 'b5', 'd5', 'a0', 'e-', 'h-3']);
  });

  it('redelivers to another connection when the visibility timeout expires', async () => {
    const q = uniq('lease');
    const a = await (await connect({ visibility_timeout: 0.3 })).channel();
    const b = await (await connect({ visibility_timeout: 0.3, unacked_restore_interval: 0.05 })).channel();
    await new Queue(q).declare(a);
    await a.publish(raw('slow'), '', q);
    const first = await a.get(q);
    expect(first!.redelivered).toBe(false);
    const started = Date.now();
    expect(await b.get(q)).toBeNull();
    const got: Delivery[] = [];
    await b.consume(q, (d) => got.push(d));
    await waitUntil(() => got.length === 1, 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(got[0]!.body.toString()).toBe('slow');
    expect(got[0]!.redelivered).toBe(true);
    // A late ack from the first taker must not delete the message now leased by b.
    await a.ack(first!.deliveryTag);
    await b.reject(got[0]!.deliveryTag, true);
    await waitUntil(() => got.length === 2, 5000);
    expect(got[1]!.body.toString()).toBe('slow');
  });

  it('sees a publish made on another channel of the same connection after finding the queue empty', async () => {
    const conn = await connect();
    const [one, two] = [await conn.channel(), await conn.channel()];
    const q = uniq('local');
    await new Queue(q).declare(one);
    expect(await one.get(q)).toBeNull();
    expect(await one.get(q)).toBeNull();
    await two.publish(raw('hello'), '', q);
    expect((await one.get(q))?.body.toString()).toBe('hello');
  });

  it('keeps exchanges, bindings and messages in the file for other and later connections', async () => {
    const fanout = new Exchange(uniq('fan'), { type: 'fanout' });
    const topic = new Exchange(uniq('topic'), { type: 'topic' });
    const [q1, q2] = [uniq('f1'), uniq('f2')];
    const declarer = await connect();
    const ch = await declarer.channel();
    await new Queue(q1, { exchange: fanout, routingKey: 'x' }).declare(ch);
    await new Queue(q2, { exchange: fanout, routingKey: 'y' }).declare(ch);
    await new Queue(q2, { exchange: topic, routingKey: 'stock.#' }).declare(ch);
    await declarer.close();

    const publisher = await connect();
    const pch = await publisher.channel();
    await pch.publish(raw('to-all'), fanout.name, 'whatever');
    await pch.publish(raw('eur'), topic.name, 'stock.nyse.eur');
    await publisher.close();

    const reader = await (await connect()).channel();
    expect((await drain(reader, q1)).map((d) => d.body.toString())).toEqual(['to-all']);
    expect((await drain(reader, q2)).map((d) => d.body.toString())).toEqual(['to-all', 'eur']);
  });

  it('uses a database created by Python kombu (SQLAlchemy schema) and adds its own columns', async () => {
    const file = join(dir, 'python.db');
    const py = new Database(file);
    py.exec(`
      CREATE TABLE kombu_queue (id INTEGER NOT NULL, name VARCHAR(200), PRIMARY KEY (id), UNIQUE (name));
      CREATE TABLE kombu_message (id INTEGER NOT NULL, visible BOOLEAN, timestamp DATETIME, payload TEXT NOT NULL,
        version SMALLINT NOT NULL, queue_id INTEGER, PRIMARY KEY (id),
        CONSTRAINT "FK_kombu_message_queue" FOREIGN KEY(queue_id) REFERENCES kombu_queue (id));
      CREATE INDEX ix_kombu_message_visible ON kombu_message (visible);
      INSERT INTO kombu_queue (name) VALUES ('celery');`);
    const envelope = {
      body: Buffer.from('[[2, 3], {}, {}]').toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json',
      headers: { task: 'tasks.add', id: 'bb12' },
      properties: { correlation_id: 'bb12', delivery_info: { exchange: '', routing_key: 'celery' }, priority: 0, body_encoding: 'base64', delivery_tag: 'd1' },
    };
    py.prepare('INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id) VALUES (1, NULL, ?, 1, 1)').run(JSON.stringify(envelope));
    py.prepare("INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id) VALUES (0, NULL, 'consumed by python', 1, 1)").run();
    py.close();

    const channel = await (await connect({}, `sqlite:///${file}`)).channel();
    const d = await channel.get('celery');
    expect(d!.body.toString()).toBe('[[2, 3], {}, {}]');
    expect(d!.headers['task']).toBe('tasks.add');
    expect(d!.properties.correlation_id).toBe('bb12');
    await channel.ack(d!.deliveryTag);
    await channel.publish(raw('ours', 3), '', 'celery');
    const check = new Database(file, { readonly: true });
    const columns = (check.pragma('table_info(kombu_message)') as Array<{ name: string }>).map((c) => c.name);
    const rows = check.prepare('SELECT visible, priority, payload FROM kombu_message ORDER BY id').all() as Array<{ visible: number; priority: number; payload: string }>;
    check.close();
    expect(columns).toEqual(expect.arrayContaining(['priority', 'lease_until', 'lease_owner', 'lease_pid']));
    expect(rows.map((r) => [r.visible, r.priority])).toEqual([[0, 0], [1, 3]]);
    expect(JSON.parse(rows[1]!.payload)['content-type']).toBe('text/plain');
  });

  it('creates the parent directory and rejects bad paths and options with ConfigurationError', async () => {
    const nested = join(dir, 'a', 'b', 'broker.db');
    await (await connect({}, `sqlite:///${nested}`)).channel();
    const asDir = join(dir, 'is-a-dir');
    mkdirSync(asDir);
    await expect(new Connection(`sqlite:///${asDir}`, { transport }).connect()).rejects.toThrow(ConfigurationError);
    await expect(new Connection(`sqlite:///${asDir}`, { transport }).connect()).rejects.toThrow(/is a directory/);
    await expect(new Connection('sqlite://broker.db', { transport }).connect()).rejects.toThrow(/did you mean sqlite:\/\/\/broker\.db/);
    expect(() => new SqliteTransport(nested, { visibility_timeout: 'soon' as unknown as number })).toThrow(/visibility_timeout/);
  });
});
