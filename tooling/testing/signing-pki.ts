/**
 * Keys and certificates for message-signing tests (Celery's `auth` serializer), made with the
 * `openssl` CLI in a temporary directory: one CA, then one RSA key and CA-issued certificate per
 * signer, each with the serial and validity window asked for — dates in the past or future too
 * (`openssl ca -startdate/-enddate`; `-days` cannot make an expired certificate).
 *
 * ```ts
 * const pki = makeSigningPki({ alice: {}, old: { notBefore: '20200101000000Z', notAfter: '20200201000000Z' } });
 * pki.signers.alice.key; pki.store(['alice', 'old']); // a glob of copies of those certificates
 * pki.remove();
 * ```
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestSupportError } from './errors.js';
import { requireCommand } from './peers.js';

export interface SignerSpec {
  /** Validity start, openssl's `YYYYMMDDHHMMSSZ`. Default: one hour ago. */
  notBefore?: string;
  /** Validity end, `YYYYMMDDHHMMSSZ`. Default: two days from now. */
  notAfter?: string;
  /** Encrypt the key (PKCS#8, AES-256) with this passphrase. Default: unencrypted. */
  keyPassword?: string;
}

export interface SigningIdentity {
  /** PEM private key file. */
  key: string;
  /** PEM certificate file, issued by the CA. */
  cert: string;
  /** The certificate's serial number (decimal). */
  serial: number;
}

export interface SigningPki {
  dir: string;
  /** CA certificate file; its subject is `/O=cq test, Inc./CN=cq signing CA` (the comma is on purpose). */
  ca: string;
  signers: Record<string, SigningIdentity>;
  /** A new directory holding copies of these signers' certificates; returns the glob `<dir>/*.pem`. */
  store(names: string[]): string;
  /** Deletes everything. */
  remove(): void;
}

/** openssl's time format for `date`. */
export function opensslTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** Makes the CA and one identity per entry of `signers`; serials are 4097, 4098, ... in order. */
export function makeSigningPki(signers: Record<string, SignerSpec>): SigningPki {
  const openssl = requireCommand('openssl', 'openssl');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cq-signing-'));
  const run = (args: string[]) => {
    const out = spawnSync(openssl, args, { cwd: dir, encoding: 'utf8' });
    if (out.status !== 0) throw new TestSupportError(`openssl ${args[0]} failed: ${out.stderr || String(out.error)}`);
  };
  const file = (name: string) => path.join(dir, name);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3', '-subj', '/O=cq test, Inc./CN=cq signing CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  writeFileSync(file('index.txt'), '');
  writeFileSync(file('ca.cnf'), [
    '[ca]', 'default_ca = signing', '[signing]', `dir = ${dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir',
    'serial = $dir/serial', 'default_md = sha256', 'policy = any', 'unique_subject = no', '[any]', 'commonName = supplied', '',
  ].join('\n'));
  const identities: Record<string, SigningIdentity> = {};
  let serial = 4097;
  for (const [name, spec] of Object.entries(signers)) {
    const keyArgs = spec.keyPassword === undefined ? ['-nodes'] : ['-passout', `pass:${spec.keyPassword}`];
    run(['req', '-new', '-newkey', 'rsa:2048', ...keyArgs, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    writeFileSync(file('serial'), `${serial.toString(16).padStart(4, '0')}\n`);
    run(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`,
      '-startdate', spec.notBefore ?? opensslTime(new Date(Date.now() - 3_600_000)), '-enddate', spec.notAfter ?? opensslTime(new Date(Date.now() + 2 * 86_400_000))]);
    identities[name] = { key: file(`${name}.key`), cert: file(`${name}.pem`), serial: serial++ };
  }
  let stores = 0;
  return {
    dir, ca: file('ca.pem'), signers: identities,
    store(names) {
      const storeDir = file(`store-${stores++}`);
      mkdirSync(storeDir);
      for (const name of names) copyFileSync(identities[name]!.cert, path.join(storeDir, `${name}.pem`));
      return path.join(storeDir, '*.pem');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
