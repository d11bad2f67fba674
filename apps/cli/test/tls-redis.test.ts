/**
 * Redis over mutual TLS with a Redis 6 ACL user, end to end, against a private `redis-server` that
 * speaks only TLS and requires client certificates (started once here, stopped after):
 *
 * - a real `cq worker` (app module with `broker_use_ssl` / `redis_backend_use_ssl` and a `rediss://`
 *   URL carrying the ACL user) runs tasks sent by a cq client, results come back through the Redis
 *   backend over TLS, `cq inspect ping` answers (also with TLS given only as `rediss://` query
 *   options on the command line), and task events reach an event receiver;
 * - Python Celery 5.2.6 sends a task to that worker over TLS and reads its result;
 * - nothing `cq worker`, `cq report` or `cq inspect conf` prints shows the password;
 * - a wrong CA, a missing client certificate or a wrong password fail at once with kombu's TlsError /
 *   AuthenticationError naming the setting to fix, in the worker (exit 1) and in a client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, Celery, TlsError, type CelerySettings } from '@cq/celery';
import {
  cqWorker, execFileTracked, repoRoot, requirePython, startTlsRedis, stopTracked, type CqProcess, type TlsRedisNode,
} from '@cq/tooling/testing';
import { cqRun } from './helpers.js';
import { failure, refusedWorker, roundTrip } from './tls-checks.js';

const USER = 'cqtls';
const PASSWORD = 'Pw-redis-7fQz9-tls'; // distinctive: grepped for in every output below

let node: TlsRedisNode;
let dir: string;
let appFile: string;
let worker: CqProcess;
let brokerUrl: string;
let backendUrl: string;
let tls: Record<string, string>;

beforeAll(async () => {
  node = await startTlsRedis();
  await node.cli(['ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all']);
  const { certs } = node;
  tls = { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: certs.ca, ssl_certfile: certs.clientCert, ssl_keyfile: certs.clientKey };
  brokerUrl = `rediss://${USER}:${PASSWORD}@localhost:${node.port}/0`;
  backendUrl = `rediss://${USER}:${PASSWORD}@localhost:${node.port}/1`;
  dir = mkdtempSync(path.join(repoRoot, 'apps/cli/.cq-test-tls-redis-'));
  appFile = path.join(dir, 'app.ts');
  // CQ_TLS_CA lets one test point the worker at the wrong CA.
  writeFileSync(appFile, `import { Celery } from '@cq/celery';
const tls = ${JSON.stringify(tls)};
export const app = new Celery('tlsredis', {
  broker_url: ${JSON.stringify(brokerUrl)},
  result_backend: ${JSON.stringify(backendUrl)},
  broker_use_ssl: { ...tls, ssl_ca_certs: process.env['CQ_TLS_CA'] ?? tls.ssl_ca_certs },
  redis_backend_use_ssl: tls,
});
export const add = app.task('tls.add', (x: number, y: number) => x + y);
`);
  worker = await cqWorker(['-A', appFile, '-P', 'async', '-c', '4', '-E', '-l', 'info', '-n', 'tlsredis@%h', '--without-mingle', '--without-gossip']);
}, 60_000);

afterAll(async () => {
  if (worker) await stopTracked(worker);
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function client(overrides: Partial<CelerySettings> = {}): Celery {
  return new Celery('tlsclient', { broker_url: brokerUrl, result_backend: backendUrl, broker_use_ssl: tls, redis_backend_use_ssl: tls, ...overrides });
}

describe('cq over Redis with mutual TLS and an ACL user', () => {
  it('runs tasks from a cq client, with results through the Redis backend over TLS, and sends events', async () => {
    expect(await roundTrip(client(), 'tls.add', [[1, 10], [2, 10], [3, 10]])).toEqual([11, 12, 13]);
  }, 60_000);

  it('answers remote control: cq inspect ping with the app module, and with TLS given only in the rediss:// URL of -b', async () => {
    const withApp = await cqRun(['inspect', 'ping', '-A', appFile, '-t', '3', '-j']);
    expect(withApp.code).toBe(0);
    expect(Object.values(JSON.parse(withApp.stdout) as Record<string, unknown>)).toEqual([{ ok: 'pong' }]);
    const q = new URLSearchParams({ ssl_cert_reqs: 'required', ssl_ca_certs: tls['ssl_ca_certs']!, ssl_certfile: tls['ssl_certfile']!, ssl_keyfile: tls['ssl_keyfile']! });
    const withFlags = await cqRun(['inspect', 'ping', '-b', `${brokerUrl}?${q.toString()}`, '-t', '3', '-j']);
    expect(withFlags.stderr).toBe('');
    expect(Object.keys(JSON.parse(withFlags.stdout) as Record<string, unknown>)).toEqual([expect.stringMatching(/^tlsredis@/)]);
  }, 60_000);

  it('takes a task from Python Celery 5.2.6 over TLS and answers it through the TLS result backend', async () => {
    const python = requirePython(['celery', 'redis']);
    const script = `
import json, ssl, sys
from celery import Celery
tls = json.loads(sys.argv[3])
tls['ssl_cert_reqs'] = ssl.CERT_REQUIRED
app = Celery('py', broker=sys.argv[1], backend=sys.argv[2])
app.conf.broker_use_ssl = tls
app.conf.redis_backend_use_ssl = tls
print(json.dumps(app.send_task('tls.add', (20, 22)).get(timeout=20)))
`;
    const out = await new Promise<string>((resolve, reject) => {
      execFileTracked(python, ['-c', script, brokerUrl, backendUrl, JSON.stringify(tls)], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`python failed: ${err.message}\n${String(stderr)}`));
        else resolve(String(stdout));
      });
    });
    expect(JSON.parse(out.trim())).toBe(42);
  }, 90_000);

  it('never shows the password: worker output, cq report, cq inspect conf', async () => {
    const report = await cqRun(['report', '-A', appFile]);
    const conf = await cqRun(['inspect', 'conf', '-A', appFile, '-t', '3', '-j']);
    expect(report.code).toBe(0);
    expect(conf.code).toBe(0);
    expect(report.stdout).toContain(`settings -> transport:rediss://${USER}:**@localhost:${node.port}/0 results:rediss://${USER}:**@localhost:${node.port}/1`);
    const replies = Object.values(JSON.parse(conf.stdout) as Record<string, Record<string, unknown>>);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      broker_url: `rediss://${USER}:********@localhost:${node.port}/0`,
      broker_use_ssl: { ssl_cert_reqs: 'CERT_REQUIRED', ssl_certfile: tls['ssl_certfile'], ssl_keyfile: '********' },
    });
    const everything = [worker.out.join(''), worker.err.join(''), report.stdout, report.stderr, conf.stdout, conf.stderr].join('\n');
    expect(everything).toContain(`${USER}:**@`); // the banner names the user
    expect(everything).not.toContain(PASSWORD);
  }, 60_000);
});

describe('refused TLS or credentials fail fast, naming the setting', () => {
  it('a worker trusting the wrong CA exits with TlsError naming broker_use_ssl.ssl_ca_certs, without retrying', async () => {
    const printed = await refusedWorker(['-A', appFile], { CQ_TLS_CA: node.certs.wrongCa });
    expect(printed).toMatch(new RegExp(`cq: TlsError \\[CQ_KOMBU_TLS\\]: broker_use_ssl\\.ssl_ca_certs: the server certificate of localhost:${node.port}/0 is not signed by this CA`));
    expect(printed).not.toContain(PASSWORD);
  }, 30_000);

  it('a client without a client certificate gets TlsError naming ssl_certfile and ssl_keyfile, for the broker and the backend', async () => {
    const noCert = { ssl_cert_reqs: 'CERT_REQUIRED', ssl_ca_certs: node.certs.ca };
    const app = client({ broker_use_ssl: noCert, redis_backend_use_ssl: noCert });
    try {
      const sent = await failure(app.sendTask('tls.add', [1, 1]));
      expect(sent.err).toBeInstanceOf(TlsError);
      expect(sent.err).toMatchObject({ code: 'CQ_KOMBU_TLS', reason: 'client-certificate-required', setting: 'broker_use_ssl.ssl_certfile' });
      expect(sent.err.message).toMatch(/^missing client certificate: set broker_use_ssl\.ssl_certfile and broker_use_ssl\.ssl_keyfile/);
      expect(sent.ms).toBeLessThan(3000);
      const read = await failure(app.asyncResult('0b8f4b5e-0000-4000-8000-000000000000').get({ timeout: 30 }));
      expect(read.err).toBeInstanceOf(TlsError);
      expect(read.err.message).toMatch(/^missing client certificate: set redis_backend_use_ssl\.ssl_certfile and redis_backend_use_ssl\.ssl_keyfile/);
      expect(read.ms).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  }, 30_000);

  it('a wrong password gets AuthenticationError naming the URL\'s user and password, never the password', async () => {
    const app = client({ broker_url: `rediss://${USER}:not-${PASSWORD}@localhost:${node.port}/0` });
    try {
      const { err, ms } = await failure(app.sendTask('tls.add', [1, 1]));
      expect(err).toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ code: 'CQ_KOMBU_AUTHENTICATION', user: USER, setting: 'broker_url' });
      expect(err.message).toMatch(new RegExp(`^authentication failed for user "${USER}" at localhost:${node.port}/0 \\(WRONGPASS.*\\): check the user and password in broker_url$`));
      expect(err.message).not.toContain(PASSWORD);
      expect(ms).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  }, 30_000);
});
