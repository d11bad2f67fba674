/**
 * RabbitMQ over mutual TLS (`amqps://`, Celery's `broker_use_ssl` with py-amqp's keys) with a user
 * and vhost of its own, end to end, against a private RabbitMQ node whose TLS listener requires
 * client certificates (booted once here, about 6 s, and stopped after):
 *
 * - a real `cq worker` (`broker_use_ssl` in the app module, the `amqps://` URL as `-b`) runs tasks
 *   sent by a cq client, results come back over the rpc:// backend on the same TLS broker,
 *   `cq inspect ping` answers, and task events reach an event receiver;
 * - nothing `cq worker`, `cq report` or `cq inspect conf` prints shows the password;
 * - a wrong CA, a missing client certificate or a wrong password fail at once with kombu's TlsError /
 *   AuthenticationError naming the setting to fix, in the worker (exit 1) and in a client.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpTransport, AuthenticationError, Celery, Connection, TlsError, type CelerySettings } from '@cq/celery';
import { cqWorker, repoRoot, startTlsRabbitMQ, stopTracked, waitFor, type CqProcess, type TlsRabbitNode } from '@cq/tooling/testing';
import { cqRun } from './helpers.js';
import { failure, refusedWorker, roundTrip } from './tls-checks.js';

const USER = 'cqamqp';
const PASSWORD = 'Pw-amqp-4kLm8-tls'; // distinctive: grepped for in every output below
const VHOST = 'cq-tls';

let node: TlsRabbitNode;
let dir: string;
let appFile: string;
let worker: CqProcess;
let brokerUrl: string;
let ssl: Record<string, unknown>;

beforeAll(async () => {
  node = await startTlsRabbitMQ();
  await node.ctl(['add_vhost', VHOST]);
  await node.ctl(['add_user', USER, PASSWORD]);
  await node.ctl(['set_permissions', '-p', VHOST, USER, '.*', '.*', '.*']);
  const { certs } = node;
  ssl = { ca_certs: certs.ca, certfile: certs.clientCert, keyfile: certs.clientKey, cert_reqs: 'CERT_REQUIRED', server_hostname: null };
  brokerUrl = `amqps://${USER}:${PASSWORD}@localhost:${node.tlsPort}/${VHOST}`;
  dir = mkdtempSync(path.join(repoRoot, 'apps/cli/.cq-test-tls-amqp-'));
  appFile = path.join(dir, 'app.ts');
  // The broker URL comes from -b; CQ_TLS_CA lets one test point the worker at the wrong CA.
  writeFileSync(appFile, `import { Celery } from '@cq/celery';
const ssl = ${JSON.stringify(ssl)};
export const app = new Celery('tlsamqp', {
  result_backend: 'rpc://',
  broker_use_ssl: { ...ssl, ca_certs: process.env['CQ_TLS_CA'] ?? ssl.ca_certs },
});
export const add = app.task('tls.add', (x: number, y: number) => x + y);
`);
  worker = await cqWorker(['-A', appFile, '-b', brokerUrl, '-P', 'async', '-c', '4', '-E', '-l', 'info', '-n', 'tlsamqp@%h', '--without-mingle', '--without-gossip']);
}, 90_000);

afterAll(async () => {
  if (worker) await stopTracked(worker);
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

function client(overrides: Partial<CelerySettings> = {}): Celery {
  return new Celery('tlsclient', { broker_url: brokerUrl, result_backend: 'rpc://', broker_use_ssl: ssl, ...overrides });
}

describe('cq over RabbitMQ with mutual TLS, a user and a vhost', () => {
  it('runs tasks from a cq client, with results over rpc:// on the TLS broker, and sends events', async () => {
    expect(await roundTrip(client(), 'tls.add', [[1, 100], [2, 100], [3, 100]])).toEqual([101, 102, 103]);
  }, 60_000);

  it('answers remote control over TLS: cq inspect ping', async () => {
    const ping = await cqRun(['inspect', 'ping', '-A', appFile, '-b', brokerUrl, '-t', '3', '-j']);
    expect(ping.code).toBe(0);
    const replies = JSON.parse(ping.stdout) as Record<string, unknown>;
    expect(Object.keys(replies)).toEqual([expect.stringMatching(/^tlsamqp@/)]);
    expect(Object.values(replies)).toEqual([{ ok: 'pong' }]);
  }, 30_000);

  it('never shows the password: worker output, cq report, cq inspect conf', async () => {
    const report = await cqRun(['report', '-A', appFile, '-b', brokerUrl]);
    const conf = await cqRun(['inspect', 'conf', '-A', appFile, '-b', brokerUrl, '-t', '3', '-j']);
    expect(report.code).toBe(0);
    expect(conf.code).toBe(0);
    expect(report.stdout).toContain(`settings -> transport:amqps://${USER}:**@localhost:${node.tlsPort}/${VHOST} results:rpc://`);
    const replies = Object.values(JSON.parse(conf.stdout) as Record<string, Record<string, unknown>>);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ broker_use_ssl: { ca_certs: node.certs.ca, certfile: node.certs.clientCert, keyfile: '********', cert_reqs: 'CERT_REQUIRED' } });
    const everything = [worker.out.join(''), worker.err.join(''), report.stdout, report.stderr, conf.stdout, conf.stderr].join('\n');
    expect(everything).toContain(`${USER}:**@`); // the banner names the user
    expect(everything).not.toContain(PASSWORD);
  }, 60_000);
});

describe('refused TLS or credentials fail fast, naming the setting', () => {
  it('a worker trusting the wrong CA exits with TlsError naming broker_use_ssl.ca_certs, without retrying', async () => {
    const printed = await refusedWorker(['-A', appFile, '-b', brokerUrl], { CQ_TLS_CA: node.certs.wrongCa });
    expect(printed).toMatch(new RegExp(`cq: TlsError \\[CQ_KOMBU_TLS\\]: broker_use_ssl\\.ca_certs: the server certificate of localhost:${node.tlsPort} is not signed by this CA`));
    expect(printed).not.toContain(PASSWORD);
  }, 30_000);

  it('a client without a client certificate gets TlsError naming broker_use_ssl.certfile and keyfile', async () => {
    const app = client({ broker_use_ssl: { ca_certs: node.certs.ca, cert_reqs: 'CERT_REQUIRED' } });
    try {
      const { err, ms } = await failure(app.sendTask('tls.add', [1, 1]));
      expect(err).toBeInstanceOf(TlsError);
      expect(err).toMatchObject({ code: 'CQ_KOMBU_TLS', reason: 'client-certificate-required', setting: 'broker_use_ssl.certfile' });
      expect(err.message).toMatch(/^missing client certificate: set broker_use_ssl\.certfile and broker_use_ssl\.keyfile/);
      expect(ms).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  }, 30_000);

  it('a wrong password gets AuthenticationError naming broker_url, never the password', async () => {
    const app = client({ broker_url: `amqps://${USER}:not-${PASSWORD}@localhost:${node.tlsPort}/${VHOST}` });
    try {
      const { err, ms } = await failure(app.sendTask('tls.add', [1, 1]));
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ code: 'CQ_KOMBU_AUTHENTICATION', user: USER, setting: 'broker_url' });
      expect(err.message).toMatch(new RegExp(`^authentication failed for user "${USER}" at localhost:${node.tlsPort} \\(ACCESS_REFUSED.*\\): check the user and password in broker_url$`));
      expect(err.message).not.toContain(PASSWORD);
      expect(ms).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  }, 30_000);

  it('a lost connection whose reconnect is refused by TLS ends the reconnect loop at once with the TlsError', async () => {
    const app = client();
    const conn = new Connection(brokerUrl, { transports: app.transports, ssl, transportOptions: { interval_start: 0.1, interval_step: 0.1, max_retries: 100 } });
    try {
      await conn.connect();
      const transport = conn.transport as AmqpTransport;
      // From now on the transport trusts another CA (as after a certificate rotation on the server).
      transport.options.socket.ca = readFileSync(node.certs.wrongCa);
      const port = (transport as unknown as { current: { connection: { stream: { localPort: number } } } }).current.connection.stream.localPort;
      const rows = (await node.ctl(['list_connections', '-q', 'pid', 'peer_port'])).trim().split('\n').map((r) => r.split('\t'));
      const pid = rows.find((cols) => Number(cols[1]) === port)?.[0];
      expect(pid).toBeDefined();
      const started = Date.now();
      await node.ctl(['close_connection', pid!, 'cq test: certificate rotation']);
      const { err } = await failure(waitFor(() => transport.model().then(() => false), 10_000));
      expect(err).toBeInstanceOf(TlsError);
      expect(err.message).toMatch(/^broker_use_ssl\.ca_certs: the server certificate of localhost:\d+ is not signed by this CA/);
      expect(Date.now() - started).toBeLessThan(5000); // one attempt, not 100 of them
      expect(transport.reconnects).toBe(0);
    } finally {
      await conn.close();
      await app.close();
    }
  }, 30_000);
});
