/**
 * A throwaway `redis-server` for the client factory's tests: TLS on a free port with a self-signed
 * certificate for `localhost` (made with openssl), a Unix socket, and an ACL user `cq` whose password
 * needs URL-encoding. No plain TCP port. `stop()` kills it and deletes its directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { requireCommand, spawnTracked } from '@cq/tooling/testing';

export const ACL_USER = 'cq';
export const ACL_PASSWORD = 'p@ss:w/rd';

export interface TlsRedis {
  dir: string;
  socket: string;
  tlsPort: number;
  /** The certificate, which is also its own CA. */
  caFile: string;
  stop(): Promise<void>;
}

export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-redis-test-'));
  const caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  const ssl = spawnSync(requireCommand('openssl', 'openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost', '-keyout', keyFile, '-out', caFile], { encoding: 'utf8' });
  if (ssl.status !== 0) throw new Error(`openssl failed (install it: apt-get install openssl): ${ssl.stderr ?? ssl.error}`);
  const tlsPort = await freePort();
  const socket = path.join(dir, 'redis.sock');
  const child = spawnTracked(requireCommand('redis-server', 'redis-server'), [
    '--port', '0', '--unixsocket', socket, '--save', '', '--appendonly', 'no', '--dir', dir,
    '--tls-port', String(tlsPort), '--tls-cert-file', caFile, '--tls-key-file', keyFile, '--tls-auth-clients', 'no',
    '--user', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~*', '&*', '+@all',
  ], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(socket);
  } catch (err) {
    await stop();
    throw new Error(`redis-server with TLS did not start (install it: apt-get install redis-server): ${String(err)}`);
  }
  return { dir, socket, tlsPort, caFile, stop };
}

async function waitForPing(socket: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, username: ACL_USER, password: ACL_PASSWORD });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
