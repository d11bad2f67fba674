/**
 * Message signing (Celery's `auth` serializer, `app.setup_security()`) between cq and Python Celery
 * 5.2.6, on Redis and on RabbitMQ (results in Redis db 4 in both; nothing is flushed, every queue and
 * key carries this run's suffix). Keys and CA-issued certificates are made by openssl: `alice` signs
 * for Python, `bob` for cq, `mallory` is trusted by nobody, `old` expired in 2020.
 *
 * - Python signs → the cq worker verifies and runs; cq signs → the Python worker verifies and runs.
 * - To the cq worker: a changed body, a changed signature, an unknown signer (a Python client with
 *   mallory's key) and an expired certificate (a Python client with old's): each is refused before
 *   anything is decoded, not run, no result stored, logged once with its id, rejected (not requeued:
 *   a redelivery would log it again), and the good task sent after them runs.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, Producer, buildTaskMessage, getSerializer } from '@cq/celery';
import { makeSigningPki, requirePython, type SigningPki } from '@cq/tooling/testing';
import { AMQP, deleteAmqp, deleteRedisKeys, redisDb, resultKeysExist, runSuffix, waitFor, withAmqp } from './brokers.js';
import { pythonCall, pythonSend, startCqWorker, startPythonWorker, startTogether, stop, type Proc, type Urls } from './helpers.js';

const DB = 4;
const REDIS = `redis://127.0.0.1:6379/${DB}`;
const suffix = runSuffix();
const here = path.dirname(fileURLToPath(import.meta.url));

let pki: SigningPki;
let cqStore: string;
let pyStore: string;
beforeAll(() => {
  requirePython(['celery', 'redis', 'cryptography']);
  pki = makeSigningPki({ alice: {}, bob: {}, mallory: {}, old: { notBefore: '20200101000000Z', notAfter: '20200201000000Z' } });
  cqStore = pki.store(['alice', 'bob', 'old']);
  pyStore = pki.store(['alice', 'bob']); // Celery's setup_security refuses a store holding an expired certificate
}, 60_000);
afterAll(() => pki?.remove());

/** The environment of a Python client or worker signing as `signer`. */
const pyEnv = (signer: string) => ({ CQ_SIGNING_KEY: pki.signers[signer]!.key, CQ_SIGNING_CERT: pki.signers[signer]!.cert, CQ_SIGNING_STORE: pyStore });

describe.each([
  { name: 'Redis', broker: REDIS },
  { name: 'RabbitMQ', broker: AMQP },
])('message signing between cq and Python Celery ($name)', ({ name, broker }) => {
  const tag = `${name.toLowerCase()}.${suffix}`;
  const cqUrls: Urls = { broker, backend: REDIS, queue: `signing.cq.${tag}`, app: path.resolve(here, '../ts/signed-app.ts'), py: 'signed_tasks' };
  const pyUrls: Urls = { ...cqUrls, queue: `signing.py.${tag}` };
  const notes = `signing.notes.${tag}`;
  const ids: string[] = [];
  let cqWorker: Proc | undefined;
  let pyWorker: Proc | undefined;
  let client: Celery;

  beforeAll(async () => {
    [cqWorker, pyWorker] = await startTogether(
      startCqWorker(cqUrls, [], { CQ_SIGNING_KEY: pki.signers['bob']!.key, CQ_SIGNING_CERT: pki.signers['bob']!.cert, CQ_SIGNING_STORE: cqStore, CQ_INTEROP_COUNTER_DB: String(DB) }),
      startPythonWorker(pyUrls, [], pyEnv('alice')),
    );
    // Celery 5.2 reads only the layout it writes: this client signs in it.
    client = new Celery('signing-client', {
      task_default_queue: pyUrls.queue, security_key: pki.signers['bob']!.key, security_certificate: pki.signers['bob']!.cert,
      security_cert_store: pyStore, security_signature_format: '5.2',
    }).configure({ brokerUrl: broker, resultBackend: REDIS }).setupSecurity();
  }, 90_000);

  afterAll(async () => {
    await stop(pyWorker);
    await stop(cqWorker);
    await client?.close();
    if (broker === REDIS) await deleteRedisKeys(DB, tag);
    else await deleteAmqp([cqUrls.queue, pyUrls.queue], [cqUrls.queue, pyUrls.queue]);
    const r = redisDb(DB);
    await r.del(notes, ...ids.map((id) => `celery-task-meta-${id}`));
    r.disconnect();
  });

  it('Python signs, the cq worker verifies and runs', async () => {
    const got = await pythonCall(cqUrls, { name: 'ts.signed.note', args: [notes, 'from python'] }, pyEnv('alice'));
    ids.push(got.id);
    expect(got).toMatchObject({ state: 'SUCCESS', result: 'noted from python' });
  });

  it('cq signs, the Python worker verifies and runs', async () => {
    const result = await client.sendTask<number>('py.signed.add', [2, 3]);
    ids.push(result.id);
    expect(await result.get({ timeout: 20 })).toBe(5);
    expect(pyWorker!.log.join('')).toContain(`Task py.signed.add[${result.id}] received`);
  });

  it('the cq worker refuses a changed body, a changed signature, an unknown signer and an expired certificate, then runs the next task', async () => {
    /** Publishes ts.signed.note signed by bob with one bit flipped by `at`; returns its id. */
    const tampered = async (value: string, at: (raw: Buffer) => number): Promise<string> => {
      const id = randomUUID();
      const parts = buildTaskMessage({ name: 'ts.signed.note', id, args: [notes, value], kwargs: {} });
      const raw = Buffer.from(getSerializer('auth', client.serializers).encode(parts.body).toString(), 'base64');
      raw[at(raw)]! ^= 0x01;
      const queue = client.queue(cqUrls.queue);
      const conn = client.connection();
      try {
        await new Producer(await conn.channel()).publish(Buffer.from(raw.toString('base64')), {
          contentType: 'application/data', contentEncoding: 'utf-8', headers: parts.headers as unknown as Record<string, unknown>,
          exchange: queue.exchange, routingKey: queue.routingKey, declare: [queue],
        });
      } finally {
        await conn.close();
      }
      return id;
    };
    const bad = {
      body: await tampered('changed body', (raw) => raw.length - 5),
      signature: await tampered('changed signature', (raw) => raw.indexOf(Buffer.from([0, 1])) + 30),
      unknown: (await pythonSend(cqUrls, [{ name: 'ts.signed.note', args: [notes, 'unknown signer'] }], pyEnv('mallory')))[0]!,
      expired: (await pythonSend(cqUrls, [{ name: 'ts.signed.note', args: [notes, 'expired'] }], pyEnv('old')))[0]!,
    };
    ids.push(...Object.values(bad));
    const after = await pythonCall(cqUrls, { name: 'ts.signed.note', args: [notes, 'after'] }, pyEnv('alice'));
    ids.push(after.id);
    expect(after).toMatchObject({ state: 'SUCCESS', result: 'noted after' });

    const log = () => cqWorker!.log.join('').split('\n');
    await waitFor(async () => (Object.values(bad).every((id) => log().some((l) => l.includes(id))) ? true : undefined), 10_000, 'the refusals in the log');
    await new Promise((r) => setTimeout(r, 1000)); // a requeued message would come back and be logged again
    const lines = (id: string) => log().filter((l) => l.includes(id));
    const why = {
      body: /Bad signature from "cq test, Inc\. cq signing CA 4098"/,
      signature: /Bad signature from "cq test, Inc\. cq signing CA 4098"/,
      unknown: /Unknown certificate: "cq test, Inc\. cq signing CA 4099"/,
      expired: /signer certificate "cq test, Inc\. cq signing CA 4100" expired at 2020-02-01T00:00:00\.000Z/,
    };
    for (const [what, id] of Object.entries(bad)) {
      expect(lines(id), what).toHaveLength(1);
      expect(lines(id)[0], what).toMatch(new RegExp(`CRITICAL/MainProcess\\] Refused signed message ts\\.signed\\.note\\[${id}\\]: ${why[what as keyof typeof why].source}; rejected$`));
    }
    const r = redisDb(DB);
    expect(await r.lrange(notes, 0, -1)).toEqual(['from python', 'after']);
    r.disconnect();
    expect(await resultKeysExist(DB, Object.values(bad))).toEqual([false, false, false, false]);
    if (broker === REDIS) {
      const q = redisDb(DB);
      const [waiting, unacked] = [await q.llen(cqUrls.queue), await q.hvals('unacked')];
      q.disconnect();
      expect(waiting).toBe(0);
      expect(unacked.filter((m) => Object.values(bad).some((id) => m.includes(id)))).toEqual([]);
    } else {
      expect((await withAmqp((ch) => ch.checkQueue(cqUrls.queue))).messageCount).toBe(0);
    }
  }, 60_000);
});
