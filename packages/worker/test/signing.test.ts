/**
 * Message signing end to end in one process, on the memory broker: `app.setupSecurity()` configures
 * the app it is called on only; a worker runs signed tasks and refuses — before decoding, logged once
 * with the id, rejected, nothing run or stored — a changed body, a changed signature, an unknown
 * signer, an expired certificate and an unsigned message, and keeps running the next good task.
 * (Python Celery on Redis and RabbitMQ: apps/interop/test/signing.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Celery, ImproperlyConfigured, buildTaskMessage, type CelerySettings, type Logger } from '@cq/app';
import { CertStore, Producer, authSerializer, getSerializer } from '@cq/kombu';
import { makeSigningPki, type SigningPki } from '@cq/tooling/testing';
import { Worker } from '@cq/worker';
import { until } from './helpers.js';

let pki: SigningPki;
let trusted: string;

beforeAll(() => {
  pki = makeSigningPki({ alice: {}, mallory: {}, old: { notBefore: '20200101000000Z', notAfter: '20200201000000Z' } });
  trusted = pki.store(['alice', 'old']);
}, 60_000);
afterAll(() => pki?.remove());

/** A logger keeping `LEVEL message` lines. */
function captureLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: unknown) => { lines.push(`${level} ${String(msg)}`); };
  return { lines, debug: at('DEBUG'), info: at('INFO'), warn: at('WARNING'), error: at('ERROR'), fatal: at('CRITICAL'), isLevelEnabled: () => true } as unknown as Logger & { lines: string[] };
}

function signedApp(broker: string, signer = 'alice', conf: Partial<CelerySettings> = {}): Celery {
  const app = new Celery('signing', {
    broker_url: broker, result_backend: 'memory://', security_key: pki.signers[signer]!.key,
    security_certificate: pki.signers[signer]!.cert, security_cert_store: trusted, ...conf,
  });
  app.log = captureLog();
  return app.setupSecurity();
}

describe('app.setupSecurity()', () => {
  it('sets the task serializer and accept lists of its own app only', () => {
    const app = signedApp('memory://setup');
    expect([app.conf.task_serializer, app.conf.accept_content, app.conf.result_accept_content]).toEqual(['auth', ['auth'], ['json']]);
    expect(getSerializer('auth', app.serializers).contentType).toBe('application/data');
    const plain = new Celery('plain', { broker_url: 'memory://setup' });
    expect(() => getSerializer('auth', plain.serializers)).toThrow(/no serializer registered for "auth"/);
    expect(plain.conf.task_serializer).toBe('json');
  });

  it('refuses conflicting or missing settings, naming them', () => {
    expect(() => signedApp('memory://setup', 'alice', { accept_content: ['json', 'yaml'] })).toThrow(ImproperlyConfigured);
    expect(() => new Celery('x', { security_key: pki.signers['alice']!.key }).setupSecurity()).toThrow(/missing: security_certificate, security_cert_store/);
    expect(() => signedApp('memory://setup', 'alice', { security_cert_store: `${pki.dir}/none-*.pem` })).toThrow(/no certificate file matches/);
  });

  it('refuses to sign with an expired certificate, and warns about one in the store', () => {
    expect(() => signedApp('memory://setup', 'old')).toThrow(/security_certificate: certificate ".* 4099" expired at 2020-02-01/);
    const app = signedApp('memory://setup');
    expect((app.log as unknown as { lines: string[] }).lines).toEqual([
      expect.stringMatching(/^WARNING security_cert_store: certificate ".* 4099" expired at 2020-02-01T00:00:00.000Z; messages it signs will be refused$/),
    ]);
  });
});

describe('a worker with message signing', () => {
  const broker = `memory://signing-${randomUUID().slice(0, 8)}`;
  const ran: string[] = [];
  let app: Celery;
  let worker: Worker;

  beforeAll(async () => {
    app = signedApp(broker);
    app.task('signing.note', (value: string) => { ran.push(value); return `ran ${value}`; });
    worker = new Worker(app, { log: app.log, pool: 'async', concurrency: 2 });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.shutdown('cold');
    await app?.close();
  });

  /** Publishes a `signing.note` message whose body `encode` makes; returns its id. */
  async function publish(value: string, encode: (body: unknown) => Buffer, contentType = 'application/data'): Promise<string> {
    const id = randomUUID();
    const parts = buildTaskMessage({ name: 'signing.note', id, args: [value], kwargs: {} });
    const conn = app.connection();
    try {
      const producer = new Producer(await conn.channel());
      await producer.publish(encode(parts.body), {
        contentType, contentEncoding: 'utf-8', headers: parts.headers as unknown as Record<string, unknown>, routingKey: 'celery', declare: [app.queue('celery')],
      });
    } finally {
      await conn.close();
    }
    return id;
  }
  const signAs = (name: string) => {
    const { key, cert } = pki.signers[name]!;
    return authSerializer({ key: readFileSync(key), cert: readFileSync(cert), store: CertStore.load(trusted) });
  };
  const change = (body: Buffer, at: (raw: Buffer) => number) => {
    const raw = Buffer.from(body.toString(), 'base64');
    raw[at(raw)]! ^= 0x01;
    return Buffer.from(raw.toString('base64'));
  };

  it('runs a signed task and sends signed messages', async () => {
    const result = await app.sendTask<string>('signing.note', ['first']);
    expect(await result.get({ timeout: 10 })).toBe('ran first');
  });

  it('refuses each bad message once, rejects it, and runs the next good one', async () => {
    const alice = signAs('alice');
    const bad = {
      body: await publish('changed body', (b) => change(alice.encode(b), (raw) => raw.length - 10)),
      signature: await publish('changed signature', (b) => change(alice.encode(b), (raw) => raw.indexOf(Buffer.from([0, 1])) + 40)),
      unknown: await publish('unknown signer', (b) => signAs('mallory').encode(b)),
      expired: await publish('expired', (b) => signAs('old').encode(b)),
      unsigned: await publish('unsigned', (b) => Buffer.from(JSON.stringify(b)), 'application/json'),
    };
    const good = await app.sendTask<string>('signing.note', ['next']);
    expect(await good.get({ timeout: 10 })).toBe('ran next');
    const lines = (app.log as unknown as { lines: string[] }).lines;
    expect(await until(() => Object.values(bad).every((id) => lines.some((l) => l.includes(id))), 5000)).toBe(true);
    const about = (id: string) => lines.filter((l) => l.includes(id));
    const refused = (id: string, why: RegExp) => {
      expect(about(id)).toHaveLength(1);
      expect(about(id)[0]).toMatch(new RegExp(`^CRITICAL Refused signed message signing\\.note\\[${id}\\]: ${why.source}; rejected$`));
    };
    refused(bad.body, /Bad signature from "cq test, Inc\. cq signing CA 4097"/);
    refused(bad.signature, /Bad signature from "cq test, Inc\. cq signing CA 4097"/);
    refused(bad.unknown, /Unknown certificate: "cq test, Inc\. cq signing CA 4098"/);
    refused(bad.expired, /signer certificate "cq test, Inc\. cq signing CA 4099" expired at 2020-02-01T00:00:00\.000Z/);
    expect(about(bad.unsigned)).toEqual([expect.stringMatching(/^CRITICAL Can't decode message body: ContentDisallowedError: .*application\/json/)]);
    expect(ran).toEqual(['first', 'next']);
    const backend = (await app.backend())!;
    for (const id of Object.values(bad)) expect((await backend.getTaskMeta(id)).status).toBe('PENDING');
    const conn = app.connection();
    const { messageCount } = await (await conn.channel()).declareQueue(app.queue('celery').toDeclaration());
    await conn.close();
    expect(messageCount).toBe(0);
  });
});
