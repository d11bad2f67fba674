/**
 * Private TLS brokers for tests, never the shared ones on 6379/5672: certificates made with the
 * `openssl` CLI (a private CA, a server certificate for `DNS:localhost` and `IP:127.0.0.1`, a client
 * certificate, and a second CA that signed neither), a `redis-server` that speaks only TLS and asks
 * for client certificates, and a RabbitMQ node with a TLS listener that refuses clients without a
 * certificate. Each lives in a temporary directory of its own; `stop()` stops it (even when it never
 * came up) and deletes the directory. Start them once per test file (RabbitMQ takes about 6 s).
 *
 * The RabbitMQ node is a {@link RabbitNode} (`rabbitmq-node.ts`) with a TLS listener added.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireCommand } from './peers.js';
import { freePort, waitForPort } from './ports.js';
import { execFileTracked, spawnTracked, stopTracked } from './processes.js';
import { RabbitNode } from './rabbitmq-node.js';

/** PEM files made by {@link makeCertificates}. */
export interface TlsCertificates {
  dir: string;
  /** The CA that signed the server and client certificates. */
  ca: string;
  /** Another CA, which signed nothing the servers use: trusting it alone must fail. */
  wrongCa: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/**
 * Makes a CA, a server certificate (SANs `DNS:localhost`, `IP:127.0.0.1`), a client certificate
 * and an unrelated CA in `dir`, with `openssl` (RSA 2048, valid one day).
 * @throws MissingPeerError when openssl is not installed; Error when it fails.
 */
export async function makeCertificates(dir: string): Promise<TlsCertificates> {
  const openssl = requireCommand('openssl', 'openssl');
  const at = (name: string) => path.join(dir, name);
  const run = (args: string[]) => exec(openssl, args, { cwd: dir });
  const selfSigned = (name: string, cn: string) => run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`)]);
  const signed = async (name: string, cn: string, ext: string) => {
    await run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
    writeFileSync(at(`${name}.ext`), ext);
    await run(['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`)]);
  };
  await selfSigned('ca', 'cq test CA');
  await selfSigned('wrong-ca', 'cq unrelated CA');
  await signed('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await signed('client', 'cq-test-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir, ca: at('ca.pem'), wrongCa: at('wrong-ca.pem'),
    serverCert: at('server.pem'), serverKey: at('server.key'), clientCert: at('client.pem'), clientKey: at('client.key'),
  };
}

/** A private `redis-server` speaking only TLS, with client certificates required. */
export interface TlsRedisNode {
  /** The TLS port on 127.0.0.1. */
  port: number;
  certs: TlsCertificates;
  /** Runs `redis-cli` over TLS as the default user, e.g. `['ACL', 'SETUSER', …]`; resolves with its output. */
  cli(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server --port 0 --tls-port <free> --tls-auth-clients yes` with fresh certificates.
 * @throws MissingPeerError when redis-server, redis-cli or openssl is missing; Error when it does not start.
 */
export async function startTlsRedis(): Promise<TlsRedisNode> {
  const server = requireCommand('redis-server', 'redis-server');
  const redisCli = requireCommand('redis-cli', 'redis-tools');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-tls-redis-'));
  let child: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    if (child) await stopTracked(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const certs = await makeCertificates(dir);
    const port = await freePort();
    child = spawnTracked(server, [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
      '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'yes',
    ], { stdio: 'ignore', cwd: dir });
    await waitForPort(port, 10_000);
    const cli = (args: readonly string[]) => exec(redisCli, [
      '--tls', '--cacert', certs.ca, '--cert', certs.clientCert, '--key', certs.clientKey, '-h', '127.0.0.1', '-p', String(port), ...args,
    ], { cwd: dir });
    const deadline = Date.now() + 10_000;
    while ((await cli(['PING']).catch(() => '')).trim() !== 'PONG') {
      if (Date.now() > deadline) throw new Error(`redis-server with TLS on ${port} does not answer PING`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { port, certs, cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A private RabbitMQ node with a plain and a TLS listener (client certificates required on TLS). */
export interface TlsRabbitNode {
  /** The node name, `cqtls-<random>@localhost`. */
  node: string;
  /** Plain AMQP port on 127.0.0.1 (guest/guest). */
  port: number;
  /** AMQP over TLS port on 127.0.0.1. */
  tlsPort: number;
  certs: TlsCertificates;
  /** `rabbitmqctl -n <node> <args>`; resolves with its output. */
  ctl(args: readonly string[]): Promise<string>;
  /** `rabbitmqctl stop`, then signals; deletes the node's and the certificates' directories. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Boots a private RabbitMQ node ({@link RabbitNode}) on free ports with fresh certificates (about 6 s).
 * @throws MissingPeerError when rabbitmq-server or openssl is missing; Error when the node is not up within 60 s.
 */
export async function startTlsRabbitMQ(): Promise<TlsRabbitNode> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-tls-rabbit-'));
  try {
    const certs = await makeCertificates(dir);
    const rabbit = await RabbitNode.start({
      prefix: 'cqtls',
      tls: true,
      conf: () => [
        `ssl_options.cacertfile = ${certs.ca}`,
        `ssl_options.certfile = ${certs.serverCert}`,
        `ssl_options.keyfile = ${certs.serverKey}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
      ],
    });
    const stop = async (): Promise<void> => {
      await rabbit.destroy();
      rmSync(dir, { recursive: true, force: true });
    };
    return { node: rabbit.node, port: rabbit.port, tlsPort: rabbit.tlsPort!, certs, ctl: (args) => rabbit.ctl(args), stop };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function exec(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFileTracked(command, [...args], { ...options, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(command)} ${args.join(' ')} failed: ${String(stderr || err.message).trim()}`));
      else resolve(String(stdout));
    });
  });
}
